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
import io
import pickle
from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

CONFIG = {"displayModeBar": False}


def draw(build: Callable[..., go.Figure], *args, key: str, config: dict | None = None,
         **kwargs) -> None:  # fmt: skip
    """``st.plotly_chart`` of ``build(*args, **kwargs)``, built only when not built before."""
    name = f"{build.__module__}.{build.__qualname__}"
    digest = hashlib.blake2b(_pickled((args, sorted(kwargs.items())))).hexdigest()
    st.plotly_chart(_built(name, digest, build, args, kwargs), key=key, config=config or CONFIG)


def _pickled(value) -> bytes:
    """The same bytes for equal arguments: without the pickler's memo, which writes a value seen
    before as a reference to it, so that equal data pickled differently when one string object
    stood for two equal ones (a figure was built again for data it had been built for)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=5)
    pickler.fast = True
    pickler.dump(value)
    return out.getvalue()


@st.cache_resource(show_spinner=False, max_entries=256)
def _built(name: str, digest: str, _build: Callable[..., go.Figure], _args: tuple,
           _kwargs: dict) -> go.Figure:  # fmt: skip
    return _build(*_args, **_kwargs)
