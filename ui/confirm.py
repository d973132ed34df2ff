"""The buttons of a confirmation dialog (delete, remove): one way for every such dialog."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cs_core.errors import Problems
from ui import state
from ui import text as ut


def buttons(*, key: str, label: str, run: Callable[[], None], done: str, flag: str, icon: str | None = None) -> None:  # fmt: skip
    """Confirm and Cancel. Confirm calls ``run``: a refusal is shown and the dialog stays open;
    otherwise ``done`` is shown once and the dialog closes. ``flag`` is the session key that
    keeps the dialog open."""
    a, b = st.columns(2)
    if a.button(label, type="primary", icon=icon, key=f"{key}.yes"):
        try:
            run()
        except Problems as exc:
            ut.error(" ".join(exc.problems))
            return
        st.session_state.pop(flag, None)
        state.flash(done)
        st.rerun()
    if b.button("Cancel", key=f"{key}.no"):
        st.session_state.pop(flag, None)
        st.rerun()
