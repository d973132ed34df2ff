"""AppTest helpers: run the real entry script on a private demo workspace as a chosen user."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cs_core import clock, db
from tests.conftest import NOW, ROOT

APP = ROOT / "streamlit_app.py"


@pytest.fixture
def app(demo_path, monkeypatch):
    """``app(user_id)`` runs the app once, signed in (demo mode) as that user."""
    monkeypatch.setenv("CS_WORKSPACE_DB", str(demo_path))
    monkeypatch.delenv("CS_DEMO_USER", raising=False)

    def start(user_id: int | None = None, **secrets) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=30)
        for key, value in secrets.items():
            at.secrets[key] = value
        if user_id is not None:
            at.session_state["as"] = user_id
        return at.run()

    return start


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch):
    """Each test gets its own connection and cached reads (its own workspace file), and the
    app's clock is fixed (CS_NOW), so no page test depends on the real date."""
    monkeypatch.setenv(clock.NOW_VARIABLE, NOW.isoformat())
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    db.close_shared()


def tab_scripts(at: AppTest) -> list[str]:
    """The scripts of the tabs the navigation offers, in order (AppTest keeps no public list)."""
    return [Path(info["script_path"]).name for info in at._registered_pages.values()]


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def scalar(path: Path, sql: str, params: list | None = None, *, row: bool = False):
    """One value (or, with ``row``, the first row) from the workspace file the app has open,
    through the process's connection to it (the one the app's sessions use)."""
    cur = db.shared_workspace(path).cursor()
    try:
        found = cur.execute(sql, params or []).fetchone()
        return found if row else found[0]
    finally:
        cur.close()


def plain(markdown: str) -> str:
    """What a markdown string reads as once its escapes are resolved (user text is shown
    escaped, see ui.text)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")  # (ui.text.JOINER)
