"""Who is signed in: Streamlit's OpenID Connect sign-in when configured, else demo mode."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

import duckdb
import streamlit as st

from cs_core import users
from cs_core.users import Action, User
from ui import db, state
from ui import text as ut


def sign_in_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def resolve_user(con: duckdb.DuckDBPyConnection) -> User | None:
    """Sign the visitor in (or pick the demo user) and remember who it is for this session.

    Returns None for a signed-in email that is not a workspace user.
    """
    user = _oidc_user(con) if sign_in_configured() else _demo_user(con)
    state.put(state.USER_ID, user.id if user else None)
    return user


def _oidc_user(con: duckdb.DuckDBPyConnection) -> User | None:
    if not st.user.get("is_logged_in", False):
        _sign_in_screen()
        st.stop()
    email = st.user.get("email") or ""
    if not email_verified(st.user.get("email_verified")):
        _unverified_screen(email)
        st.stop()
    user = users.find_by_email(con, email)
    with st.sidebar:
        st.caption(f"Signed in as **{ut.md(user.name if user else email, ut.LABEL_LIMIT)}**")
        st.button("Sign out", key="auth.sign_out", on_click=st.logout, icon=":material/logout:")
    return user


def email_verified(claim) -> bool:
    """Whether the provider vouches for the email: its ``email_verified`` claim is true (some
    providers send the text "true"). Missing or false: anybody could have typed that address."""
    return claim is True or (isinstance(claim, str) and claim.strip().lower() == "true")


def _unverified_screen(email: str) -> None:
    st.title("Your email address is not verified")
    st.write(
        f"The sign-in provider has not confirmed that **{ut.md(email or 'your address', ut.LABEL_LIMIT)}** "
        "is yours, so the workspace cannot tell who you are. Verify the address with your "
        "provider (or ask your administrator), then sign in again."
    )
    st.button("Sign out", key="auth.sign_out", on_click=st.logout, icon=":material/logout:")


def _sign_in_screen() -> None:
    st.title("Customer Success")
    st.write("Sign in with your company account to open your workspace.")
    st.button(
        "Sign in", key="auth.sign_in", type="primary", on_click=st.login, icon=":material/login:"
    )


def _demo_user(con: duckdb.DuckDBPyConnection) -> User | None:
    """Demo mode: act as any user. The choice is in the URL (``?as=<id>``, so a reload keeps
    it) and in a cookie (so a new tab or a deep link opens as the same user)."""
    everyone = _everyone(con)
    if not everyone:
        return None
    by_id = {u.id: u for u in everyone}
    remembered = _cookie_user(by_id)
    if state.get(state.DEMO_SWITCHER) not in by_id:  # a new session (or a user who is gone)
        wanted = os.environ.get("CS_DEMO_USER")
        first = _url_user(by_id) or remembered
        first = first or (users.find_by_email(con, wanted) if wanted else None)
        st.session_state[state.DEMO_SWITCHER] = (first or users.default_demo_user(con)).id
    with st.sidebar:
        st.caption(
            ":material/science: **Demo mode**: sign-in is not configured, so you can "
            "act as any user of the workspace."
        )
        chosen = st.selectbox(
            "Acting as",
            options=list(by_id),
            format_func=lambda uid: f"{by_id[uid].name} · {by_id[uid].role}",
            key=state.DEMO_SWITCHER,
        )
        user = by_id[chosen]
        st.markdown(
            f":material/person: You are acting as **{ut.md(user.name, ut.LABEL_LIMIT)}** "
            f"({ut.md(user.role, ut.LABEL_LIMIT)})"
        )
        if remembered is None or remembered.id != chosen:
            _remember(chosen)
    if st.query_params.get(state.DEMO_SWITCHER) != str(chosen):
        st.query_params[state.DEMO_SWITCHER] = str(chosen)  # a reload opens as the same user
    return user


def _url_user(by_id: dict[int, User]) -> User | None:
    raw = st.query_params.get(state.DEMO_SWITCHER)
    try:
        return by_id.get(int(raw)) if raw else None
    except ValueError:
        return None


def _cookie_user(by_id: dict[int, User]) -> User | None:
    try:
        raw = st.context.cookies.get(state.DEMO_COOKIE)
    except Exception:  # no browser behind this run (tests, scripts)
        return None
    try:
        return by_id.get(int(raw)) if raw else None
    except ValueError:
        return None


def _remember(user_id: int) -> None:
    """Keep the demo user in a cookie of this browser (read by the next new session)."""
    st.html(
        f"<script>document.cookie = '{state.DEMO_COOKIE}={int(user_id)}; path=/; max-age=31536000; "
        "SameSite=Strict';</script>",
        unsafe_allow_javascript=True,
        width="content",
    )


def current_user(con: duckdb.DuckDBPyConnection) -> User | None:
    """The user the entry script resolved for this run (pages call this)."""
    user_id = state.get(state.USER_ID)
    if user_id is None:
        return None
    found = _team(con).by_id.get(user_id)
    return found or users.get_user(con, user_id)  # an inactive user is not listed


def _everyone(con: duckdb.DuckDBPyConnection) -> tuple[User, ...]:
    """The active users, read again only after a write to the users (every run of every page
    needs them)."""
    return _team(con).everyone


class _Team(NamedTuple):
    everyone: tuple[User, ...]
    by_id: Mapping[int, User]


def _team(con: duckdb.DuckDBPyConnection) -> _Team:
    return _users(con)


# One shared object, not a copy per call: a User is frozen and the containers are read-only,
# and pages ask for the current user several times a run (unpickling the 213 users of a
# cached copy each time took a tenth of the server's time under a team's load).
@db.cached(shared=True)
def _users(con: duckdb.DuckDBPyConnection) -> _Team:
    everyone = tuple(users.list_users(con))
    return _Team(everyone, MappingProxyType({u.id: u for u in everyone}))


def require_page(con: duckdb.DuckDBPyConnection, action: Action) -> User:
    """The current user, or a "no access" message and stop if they may not ``action``."""
    user = current_user(con)
    if not users.can(user, action):
        st.warning(
            f"You don't have access to this page: it needs permission to {action.value}. "
            "Ask a super admin of your workspace for access.",
            icon=":material/lock:",
        )
        st.stop()
    return user
