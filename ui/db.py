"""The process's one workspace connection, and a cursor per session."""

from __future__ import annotations

import functools
import io
import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import streamlit as st

from cs_core import admission, clock, db, snapshot
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


def pin_run() -> duckdb.DuckDBPyConnection:
    """This run's turn (a few runs go at once, cs_core.admission) and its cursor, with the
    workspace's versions read once for the whole run (cs_core.snapshot): the catalog, settings,
    views and users it reads are shared with the runs of other sessions at the same versions.
    :func:`unpin_run` when the run ends, however it ends."""
    try:
        admission.enter()
    except ValueError as exc:  # CS_CONCURRENT_RUNS set to something that is not a number
        ut.error(exc, icon=":material/settings:")
        st.stop()
    try:
        con = connection()
        snapshot.pin((workspace_path(), id(_open(workspace_path()))))
    except BaseException:
        admission.leave()
        raise
    return con


def unpin_run() -> None:
    snapshot.unpin()
    admission.leave()


def fresh_cursor() -> duckdb.DuckDBPyConnection:
    """A new cursor on the workspace, for cached functions (they may run in any session)."""
    return _open(workspace_path()).cursor()


# --- reads kept until a table they read is written -------------------------------------------

R = TypeVar("R")


def cached(*, shared: bool = False) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Keep ``read(con, *args)``'s result, for every session, until a table it read is
    written: a team's edits of companies leave a task list as it was, a task ticked leaves the
    health figures (cs_core.snapshot.remembered says how it knows).

    The positional arguments are the key (compared by their pickled bytes, see :func:`key_bytes`); keyword arguments
    named with a leading "_" are passed along without being part of it. Each caller gets its
    own copy of the value, or with ``shared`` the one object, which must not be changed.
    """

    def decorate(read: Callable[..., R]) -> Callable[..., R]:
        name = f"{read.__module__}.{read.__qualname__}"

        @functools.wraps(read)
        def cached_read(con: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> R:
            def fresh() -> R:
                with fresh_cursor() as cur:
                    return read(snapshot.Reading(cur), *args, **kwargs)

            path = workspace_path()
            return snapshot.remembered(con, (path, id(_open(path))), name, key_bytes(args), fresh,
                                       shared=shared)  # fmt: skip

        return cached_read

    return decorate


def key_bytes(value: Any) -> bytes:
    """A cache key's pickled bytes, the same for equal values: without the pickler's memo, which
    writes a value seen before as a reference to it (so a name that is one string object in one
    query and two in another, equal, query pickled differently). For keys of reads and figures:
    small values without cycles."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(value)
    return out.getvalue()
