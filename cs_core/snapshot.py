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

A cache above this layer (the pages' cached reads) learns which tables a read depends on by
:func:`recording` it on a :class:`Reading` cursor: every table a statement names, every table a
shared read or a version key (``table_versions.versions``) stands for, and :data:`DATA` (every
write) for a statement it cannot parse.
"""

from __future__ import annotations

import functools
import pickle
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import duckdb

T = TypeVar("T")
EVERY = "*"  # as cs_core.table_versions.EVERY: bumped by a write whose table is unknown
LIMIT = 4_096  # kept reads; the oldest go first
DATA = "@data_version"  # a read that depends on every write (a statement that cannot be parsed)


class _Pin:
    __slots__ = ("workspace", "counters")

    def __init__(self, workspace: Hashable) -> None:
        self.workspace = workspace  # which database (its path and connection)
        self.counters: dict[str, int] | None = None  # read at the first use


class _Local(threading.local):
    pin: _Pin | None = None
    writing = 0
    recordings: list[set[str]] | None = None
    # The owner whose rows the running read depends on, and in which tables (None: all; scoped).
    scope: tuple[int, frozenset[str] | None] | None = None


_local = _Local()
_lock = threading.Lock()
_kept: OrderedDict[tuple, Any] = OrderedDict()
_remembered: OrderedDict[tuple, tuple[tuple[str, ...], tuple[int, ...], Any]] = OrderedDict()
REMEMBERED = 2_048  # remembered reads (a page of a listing, a Summary panel); the oldest go first
REMEMBERED_BYTES = 256 * 2**20  # and their copies' size at most (a shared value counts nothing)
_remembered_bytes = 0


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
    _note_as_recorded(t.lower() for t in tables)
    versions = table_versions(con, tables)
    if versions is None:
        return _unscoped(read)
    key = (_local.pin.workspace, name, args, versions)
    with _lock:
        found = _kept.get(key, _kept)
        if found is not _kept:
            _kept.move_to_end(key)
    if found is _kept:
        found = _unscoped(read)
        with _lock:
            _kept[key] = found
            while len(_kept) > LIMIT:
                _kept.popitem(last=False)
    return copy(found) if copy is not None else found


# --- what a read depends on --------------------------------------------------------------


@contextmanager
def recording() -> Iterator[set[str]]:
    """Collect the tables this thread's reads depend on until the block ends (lower-case names,
    :data:`DATA` for a statement that could read anything). Recordings nest: an inner one's
    tables are the outer one's too."""
    if _local.recordings is None:
        _local.recordings = []
    seen: set[str] = set()
    _local.recordings.append(seen)
    try:
        yield seen
    finally:
        _local.recordings.pop()
        if _local.recordings:
            _local.recordings[-1].update(seen)


def note(tables: Iterable[str]) -> None:
    """The running read depends on ``tables`` (a no-op when nothing records); inside
    :func:`scoped`, on their rows of its owner."""
    if _local.recordings:
        scope = _local.scope
        if scope is None:
            _local.recordings[-1].update(t.lower() for t in tables)
        else:
            _local.recordings[-1].update(
                n for t in tables for n in _scoped_names(t.lower(), *scope)
            )


def _scoped_names(table: str, owner: int, only: frozenset[str] | None) -> tuple[str, ...]:
    if "@" in table or (only is not None and table not in only):
        return (table,)
    return (f"{table}@*", f"{table}@{owner}")


def _unscoped(read: Callable[[], T]) -> T:
    """``read()`` as a read of its own, not of the scoped read around it."""
    scope, _local.scope = _local.scope, None
    try:
        return read()
    finally:
        _local.scope = scope


def _note_as_recorded(tables: Iterable[str]) -> None:
    """``tables`` as another read recorded them (not scoped to this one's owner)."""
    if _local.recordings:
        _local.recordings[-1].update(tables)


@contextmanager
def scoped(owner: int, tables: Iterable[str] | None = None) -> Iterator[None]:
    """The statements run in the block depend on one user's rows only, in every table a write
    declares owners for (cs_core.table_versions.owned: tasks by their owner, the account
    object by its owner property, an account's scores and alerts by its owner), or only in
    ``tables`` when given (the others as any read's): a :func:`remembered` read made in it is
    kept through writes declared for other owners. The reads it calls that are remembered or
    shared on their own keep their own keys. Only for statements that filter those tables on
    ``owner``."""
    only = None if tables is None else frozenset(t.lower() for t in tables)
    before, _local.scope = _local.scope, (owner, only)
    try:
        yield
    finally:
        _local.scope = before


# A quoted string or name, or a comment (kept as they are), or a parameter (``?``, ``$1``,
# ``$name``) outside them: DuckDB's parser names no table of a statement with parameters, and a
# parameter, a value, cannot name a table, so each becomes NULL for the parser.
_PARAMETERS = re.compile(
    r"""('(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/)|\?|(?<![\w$])\$\w+""", re.S
)


@functools.lru_cache(maxsize=2_048)
def tables_named(sql: str) -> frozenset[str]:
    """The tables a statement names (its CTEs left out); :data:`DATA` when it cannot be parsed."""
    bare = _PARAMETERS.sub(lambda m: m.group(1) if m.group(1) is not None else "NULL", sql)
    try:
        return frozenset(t.lower() for t in duckdb.get_table_names(bare))
    except duckdb.Error:
        return frozenset({DATA})


class Reading:
    """A cursor that notes, for :func:`recording`, the tables each statement it runs names.

    Statements run through ``execute``, ``sql`` and ``query``; a cursor made
    from it reads the same way; ``table(name)`` names its table. Everything else (fetching,
    ``description``, closing) is the cursor's own."""

    __slots__ = ("_cur",)

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur = cur

    @staticmethod
    def _named(sql) -> None:
        note(tables_named(sql) if isinstance(sql, str) else (DATA,))

    def execute(self, sql, *args, **kwargs):
        self._named(sql)
        self._cur.execute(sql, *args, **kwargs)
        return self

    def sql(self, sql, *args, **kwargs):
        self._named(sql)
        return self._cur.sql(sql, *args, **kwargs)

    query = sql

    def table(self, name: str):
        note((name,))
        return self._cur.table(name)

    def cursor(self) -> Reading:
        return Reading(self._cur.cursor())

    def __enter__(self) -> Reading:
        return self

    def __exit__(self, *exc) -> None:
        self._cur.close()

    def __getattr__(self, name: str):
        return getattr(self._cur, name)


def remembered(con: duckdb.DuckDBPyConnection, workspace: Hashable, name: str, args: bytes,
               read: Callable[[], T], *, shared: bool = False) -> T:  # fmt: skip
    """``read()``, or what it returned before if no table it read was written since.

    The tables are learned, not declared: the read runs :func:`recording` (on a
    :class:`Reading` cursor), and its value is kept with the versions of those tables as this
    run sees them (pinned at its start, so before the read: a write committed meanwhile can
    only make the kept value look older than it is, and read again). Kept per ``name`` and
    ``args`` (the arguments' pickled bytes); each caller gets a copy (unpickled), or with
    ``shared`` the one object. Inside a write transaction it always reads.
    """
    if _local.writing:
        return read()
    counters = _counters(con)
    if counters is None:  # a thread that pinned nothing: these counters, read before the read
        counters = dict(con.execute("SELECT name, value FROM counters").fetchall())
    key = (workspace, name, args)
    with _lock:
        found = _remembered.get(key)
    if found is not None and _versions_in(counters, found[0]) == found[1]:
        _note_as_recorded(found[0])  # for a remembered read inside another one
        with _lock:
            if key in _remembered:
                _remembered.move_to_end(key)
        return found[2] if shared else pickle.loads(found[2])
    with recording() as seen:
        value = _unscoped(read)  # a read of its own: scoped only by itself
    tables = tuple(sorted(seen))
    kept = value if shared else pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    _remember(key, (tables, _versions_in(counters, tables), kept))
    return value


def _remember(key: tuple, entry: tuple) -> None:
    global _remembered_bytes
    with _lock:
        old = _remembered.pop(key, None)
        _remembered_bytes += _size(entry) - (_size(old) if old else 0)
        _remembered[key] = entry
        while _remembered and (
            len(_remembered) > REMEMBERED or _remembered_bytes > REMEMBERED_BYTES
        ):
            _remembered_bytes -= _size(_remembered.popitem(last=False)[1])


def _size(entry: tuple) -> int:
    return len(entry[2]) if isinstance(entry[2], bytes) else 0


def _versions_in(counters: dict[str, int], tables: tuple[str, ...]) -> tuple[int, ...]:
    every = counters.get(f"table.{EVERY}", 0)
    data = counters.get("data_version", 0) if DATA in tables else 0
    return (every, data, *(counters.get(f"table.{t}", 0) for t in tables))


def clear() -> None:
    """Forget every kept and remembered read (tests that reuse a file's name)."""
    global _remembered_bytes
    with _lock:
        _kept.clear()
        _remembered.clear()
        _remembered_bytes = 0
