"""Reads a page run shares with every other run at the same versions of the tables they read.

A page run reads the catalog (objects, properties), the settings, the views, the pipelines,
the users and the live profiles many times over, in many functions, while they change a few
times a day; under a team's load those small statements were a large share of the server's
work. So a run *pins* the workspace's counters at its start (the data version and every
table's version, one statement), and for the rest of the run:

- :func:`data_version` and :func:`table_versions` answer from the pinned counters;
- :func:`shared` returns a read that some run made at the same versions of its tables, or makes
  it and keeps it for the next one (a write to another table, a task saved, keeps it).

Only a pinned thread shares, and never inside a write transaction (every read a write
depends on happens in its transaction, on the state it writes to, see ``db.transaction``);
a commit by the thread drops its pinned counters, so what it wrote is read back. The daily
job, the command line and tests that pin nothing read the database every time.

Kept values are shared between threads: :func:`shared` takes a function that makes a fresh
copy of a kept value for each caller where it can be changed (a list, a dict).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from contextlib import contextmanager
from typing import Any, TypeVar

import duckdb

T = TypeVar("T")
EVERY = "*"  # as cs_core.table_versions.EVERY: bumped by a write whose table is unknown
LIMIT = 4_096  # kept reads; the oldest go first


class _Pin:
    __slots__ = ("workspace", "counters")

    def __init__(self, workspace: Hashable) -> None:
        self.workspace = workspace  # which database (its path and connection)
        self.counters: dict[str, int] | None = None  # read at the first use


class _Local(threading.local):
    pin: _Pin | None = None
    writing = 0


_local = _Local()
_lock = threading.Lock()
_kept: OrderedDict[tuple, Any] = OrderedDict()


def pin(workspace: Hashable) -> None:
    """Share reads for the rest of this thread's unit of work (a page run) on ``workspace``."""
    _local.pin = _Pin(workspace)


def unpin() -> None:
    _local.pin = None


@contextmanager
def writing():
    """Around a write transaction: no shared reads inside it, and fresh counters after it."""
    _local.writing += 1
    try:
        yield
    finally:
        _local.writing -= 1
        if _local.pin is not None:
            _local.pin.counters = None


def _counters(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    found = _local.pin
    if found is None or _local.writing:
        return None
    if found.counters is None:
        found.counters = dict(
            con.execute(
                "SELECT name, value FROM counters"  # a few dozen rows: data_version, table.*, ids.*
            ).fetchall()
        )
    return found.counters


def data_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The pinned data version; None when this thread pinned none."""
    counters = _counters(con)
    return None if counters is None else counters.get("data_version", 0)


def table_versions(con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> tuple[int, ...] | None:
    """The pinned versions of :data:`EVERY` and ``tables`` (sorted), as
    ``cs_core.table_versions.versions`` reads them; None when this thread pinned none."""
    counters = _counters(con)
    if counters is None:
        return None
    names = [EVERY, *sorted({t.lower() for t in tables})]
    return tuple(counters.get(f"table.{n}", 0) for n in names)


def shared(con: duckdb.DuckDBPyConnection, name: str, args: tuple, tables: tuple[str, ...],
           read: Callable[[], T], copy: Callable[[T], T] | None = None) -> T:  # fmt: skip
    """``read()``, or what it returned for a run at the same versions of ``tables``; each
    caller gets ``copy(value)`` when ``copy`` is given."""
    versions = table_versions(con, tables)
    if versions is None:
        return read()
    key = (_local.pin.workspace, name, args, versions)
    with _lock:
        found = _kept.get(key, _kept)
        if found is not _kept:
            _kept.move_to_end(key)
    if found is _kept:
        found = read()
        with _lock:
            _kept[key] = found
            while len(_kept) > LIMIT:
                _kept.popitem(last=False)
    return copy(found) if copy is not None else found


def clear() -> None:
    """Forget every kept read (tests that reuse a file's name)."""
    with _lock:
        _kept.clear()
