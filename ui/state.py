"""Session-state keys, namespaced by area, and their defaults."""

from __future__ import annotations

import streamlit as st

from ui import text  # flash messages name views, properties and profiles

USER_ID = "auth.user_id"  # the signed-in (or demo-mode) user's id
DEMO_SWITCHER = "as"  # the demo-mode "signed in as" selectbox (also the ?as= query parameter)
DEMO_COOKIE = "cs_demo_user"  # the last demo user chosen in this browser (new tabs start as them)
FLASH = "ui.flash"  # a message to show once after a rerun

DEFAULTS: dict[str, object] = {USER_ID: None, FLASH: None}


def get(key: str):
    return st.session_state.get(key, DEFAULTS.get(key))


def put(key: str, value) -> None:
    st.session_state[key] = value


def flash(message: str) -> None:
    """Show ``message`` as a toast on the next run (survives st.rerun)."""
    st.session_state[FLASH] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.toast(text.message(message), icon=":material/check_circle:")
