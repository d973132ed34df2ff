"""Plotly charts drawn from figures built once and shared between runs and sessions.

Building a figure costs 10-20 ms of Python, and all of the server's script runs take turns on
one interpreter: under 20 sessions at work, building the Summary's and the dashboards' figures
again on every run was their largest cost. Drawing a built figure takes about 1 ms. A figure
is built once per builder and arguments (the arguments hold the data, so changed data builds a
new one) and is never changed after it is built. The arguments are keyed by a digest of their
pickle, which costs a fraction of Streamlit's own hashing of a report's rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from ui import db

CONFIG = {"displayModeBar": False}


def draw(build: Callable[..., go.Figure], *args, key: str, config: dict | None = None,
         **kwargs) -> None:  # fmt: skip
    """``st.plotly_chart`` of ``build(*args, **kwargs)``, built only when not built before."""
    name = f"{build.__module__}.{build.__qualname__}"
    digest = hashlib.blake2b(db.key_bytes((args, sorted(kwargs.items())))).hexdigest()
    st.plotly_chart(_built(name, digest, build, args, kwargs), key=key, config=config or CONFIG)


@st.cache_resource(show_spinner=False, max_entries=256)
def _built(name: str, digest: str, _build: Callable[..., go.Figure], _args: tuple,
           _kwargs: dict) -> go.Figure:  # fmt: skip
    return _build(*_args, **_kwargs)
