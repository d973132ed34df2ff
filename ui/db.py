"""The process's one workspace connection, and a cursor per session."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import streamlit as st

from cs_core import db, demo

DEFAULT_PATH = "data/workspace.duckdb"


def workspace_path() -> str:
    """The database file: CS_WORKSPACE_DB, else data/workspace.duckdb."""
    return os.environ.get("CS_WORKSPACE_DB", DEFAULT_PATH)


@st.cache_resource(show_spinner=False)
def _open(path: str) -> duckdb.DuckDBPyConnection:
    if not Path(path).exists():
        with st.spinner("Creating the demo workspace (first start only)…"):
            demo.create_demo_workspace(path, now=datetime.now(UTC))
    return db.open_workspace(path)


def connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the workspace for this session; a clear error page if it cannot open."""
    path = workspace_path()
    try:
        con = _open(path)
    except db.WorkspaceError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()
    key = f"db.cursor.{path}"
    if key not in st.session_state:
        st.session_state[key] = con.cursor()
    return st.session_state[key]


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Pass this to st.cache_data functions so that any write refreshes them."""
    return db.data_version(con)


def fresh_cursor() -> duckdb.DuckDBPyConnection:
    """A new cursor on the workspace, for cached functions (they may run in any session)."""
    return _open(workspace_path()).cursor()
