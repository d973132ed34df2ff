"""Folded sections whose content is built only while they are open."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Fold:
    open: bool  # shown open
    build: bool  # its content is to be built in this run


@contextmanager
def folded(label: str, *, key: str, icon: str | None = None) -> Iterator[Fold]:
    """An expander that says whether to build its content: while it is open, and in the one
    run after it closes (so a value typed just before closing it still reaches the page),
    not while it stays closed. Opening or closing it reruns the page.

    A closed section costs the page run nothing (the record preview's history and merge, the
    advanced filters), which under a team's load was a tenth of the server's work. Its
    widgets are dropped while it is closed: what must outlive that is kept by the caller (the
    filter editor's draft)."""
    with st.expander(label, icon=icon, key=key, on_change="rerun") as box:
        built = f"{key}.built"
        is_open = bool(box.open)
        build = is_open or bool(st.session_state.get(built))
        st.session_state[built] = is_open
        yield Fold(is_open, build)
