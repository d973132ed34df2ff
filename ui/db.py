"""The process's one workspace connection, and a cursor per session."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import streamlit as st

from cs_core import clock, db, snapshot
from ui import text as ut

DEFAULT_PATH = "data/workspace.duckdb"


def workspace_path() -> str:
    """The database file: CS_WORKSPACE_DB, else data/workspace.duckdb."""
    return os.environ.get("CS_WORKSPACE_DB", DEFAULT_PATH)


def _open(path: str) -> duckdb.DuckDBPyConnection:
    """The process's connection (shared with the daily job), after creating a missing file."""
    if not Path(path).exists():
        from cs_core import demo  # only on a first start

        with st.spinner("Creating the demo workspace (first start only)…"):
            demo.create_demo_workspace(path, now=clock.now())
    return db.shared_workspace(path)


_local = threading.local()


def connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the workspace for this script run; a clear error page if it cannot open.

    A cursor is not safe to share between threads, and Streamlit may start a new run
    of a session's script while the previous one is still finishing (fast reruns),
    so each thread gets its own cursor rather than each session.
    """
    path = workspace_path()
    try:
        con = _open(path)
    except db.WorkspaceError as exc:
        ut.error(exc)
        st.stop()
    cursors = _local.__dict__.setdefault("cursors", {})
    found = cursors.get(path)
    if found is None or found[0] is not con:  # a new connection (reopened file): a new cursor
        found = cursors[path] = (con, con.cursor())
    return found[1]


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Pass this to st.cache_data functions so that any write refreshes them."""
    pinned = snapshot.data_version(con)
    return db.data_version(con) if pinned is None else pinned


def pin_run() -> duckdb.DuckDBPyConnection:
    """This run's cursor, with the workspace's versions read once for the whole run
    (cs_core.snapshot): the catalog, settings, views and users it reads are shared with the
    runs of other sessions at the same versions. :func:`unpin_run` when the run ends."""
    con = connection()
    snapshot.pin((workspace_path(), id(_open(workspace_path()))))
    return con


def unpin_run() -> None:
    snapshot.unpin()


def fresh_cursor() -> duckdb.DuckDBPyConnection:
    """A new cursor on the workspace, for cached functions (they may run in any session)."""
    return _open(workspace_path()).cursor()
