"""Open a workspace database, apply migrations, and run writes safely.

One DuckDB connection per process (:func:`shared_workspace`); sessions and threads
work on ``con.cursor()``. The connection runs in UTC and cannot reach files or URLs
through SQL (external access is off; the app hands DuckDB its data as registered
tables). Every write goes through :func:`transaction`, which serialises writers in
this process and bumps the data version that the UI caches on.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class WorkspaceError(Exception):
    """A workspace database cannot be opened; the message says why and what to do."""


class WorkspaceLocked(WorkspaceError):
    """Another process holds the database file."""


class WorkspaceTooNew(WorkspaceError):
    """The file was written by a newer version of the app."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The numbered migrations shipped with the app, in order."""
    folder = resources.files("cs_core") / "sql" / "migrations"
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    return found


def latest_version() -> int:
    return migrations()[-1].version


# The workspace connection's configuration (every connection to a file in one process must
# use the same): SQL cannot read or write files or URLs (``read_text('/etc/...')``, COPY, ...).
CONFIG = {"enable_external_access": False}


def _connect(path: str, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(path, read_only=read_only, config=CONFIG)
        # Timestamps are stored in UTC: an aware datetime parameter is converted in UTC,
        # whatever the server's zone. (ICU loads with the connection, so this comes after.)
        con.execute("SET GLOBAL TimeZone = 'UTC'")
        return con
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise WorkspaceLocked(
                f"The workspace database {path} is in use by another process "
                f"({_holder(text)}). DuckDB lets one process write a file at a time: stop the "
                "app or command that has it open, or point this one at another file "
                "(--db PATH or CS_WORKSPACE_DB)."
            ) from exc
        raise WorkspaceError(
            f"The file {path} could not be opened as a workspace database: {text}. "
            "Check the path, or move the file aside to let a new workspace be created."
        ) from exc
    except duckdb.Error as exc:
        raise WorkspaceError(
            f"The file {path} could not be opened as a workspace database: {exc}. "
            "It may not be a DuckDB file, or it was written by a newer DuckDB; "
            "move it aside to let a new workspace be created."
        ) from exc


def _holder(message: str) -> str:
    match = re.search(r"PID (\d+)", message)
    return f"process id {match[1]}" if match else "another program"


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this database (0 for an empty one)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def _check_not_newer(path: str) -> None:
    """Refuse a file from a newer schema before opening it for writing."""
    if path == ":memory:" or not Path(path).exists():
        return
    try:
        con = duckdb.connect(path, read_only=True, config=CONFIG)
    except duckdb.ConnectionException:
        # This process has the file open already (read-write): migrate() checks the version
        # itself before it changes anything.
        return
    except duckdb.Error:
        con = _connect(path, read_only=True)  # raises the explained error
    try:
        found = schema_version(con)
    finally:
        con.close()
    known = latest_version()
    if found > known:
        raise WorkspaceTooNew(
            f"The workspace database {path} has schema version {found}, but this version "
            f"of the app knows versions up to {known}. Update the app (git pull, then "
            "make run), or open another file. The file was not changed."
        )


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations this database lacks, each in its own transaction."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version BIGINT PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    current = schema_version(con)
    if current > latest_version():
        raise WorkspaceTooNew(
            f"This database has schema version {current}; the app knows up to "
            f"{latest_version()}. Update the app."
        )
    applied = []
    for migration in migrations():
        if migration.version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)",
                [migration.version, migration.name],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied


def open_workspace(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open (or create) a workspace database and bring its schema up to date."""
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    _check_not_newer(path)
    con = _connect(path, read_only=False)
    try:
        migrate(con)
    except Exception:
        con.close()
        raise
    return con


# --- writes -------------------------------------------------------------------------

# Writers in this process take turns (DuckDB lets one process write a file, so this is
# every writer). A write transaction therefore never meets a write-write conflict, and
# nothing is retried: a block that failed is reported, not run twice.
_WRITE_LOCK = threading.RLock()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One write transaction: serialised within the process, committed or rolled back whole.

    Every read a write depends on belongs inside the block (on the cursor it yields), so it
    sees the state the write applies to.
    """
    with _WRITE_LOCK:
        cur = con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                cur.execute("UPDATE counters SET value = value + 1 WHERE name = 'data_version'")
            except BaseException:
                _rollback(cur)
                raise
            # A failed COMMIT ends the transaction itself: its error is the one to report.
            cur.execute("COMMIT")
        finally:
            cur.close()


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    """Roll back, keeping the error that caused it (a transaction DuckDB ended has none left)."""
    with suppress(duckdb.Error):
        cur.execute("ROLLBACK")


def write(con: duckdb.DuckDBPyConnection, fn, *args, **kwargs):
    """Run ``fn(cur, *args, **kwargs)`` in one write transaction and return its result."""
    with transaction(con) as cur:
        return fn(cur, *args, **kwargs)


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that every committed write increases; UI caches key on it."""
    return con.execute("SELECT value FROM counters WHERE name = 'data_version'").fetchone()[0]


def allocate_ids(cur: duckdb.DuckDBPyConnection, name: str, count: int = 1) -> range:
    """Reserve ``count`` consecutive ids for table ``name`` (inside a write transaction)."""
    cur.execute("INSERT INTO counters VALUES (?, 0) ON CONFLICT (name) DO NOTHING", [f"ids.{name}"])
    cur.execute("UPDATE counters SET value = value + ? WHERE name = ?", [count, f"ids.{name}"])
    end = cur.execute("SELECT value FROM counters WHERE name = ?", [f"ids.{name}"]).fetchone()[0]
    return range(end - count + 1, end + 1)


def new_id(cur: duckdb.DuckDBPyConnection, name: str) -> int:
    return allocate_ids(cur, name, 1)[0]


def affected(cur: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> int:
    """How many rows an INSERT, UPDATE or DELETE changed (for compare-and-set writes)."""
    return cur.execute(sql, params or []).fetchone()[0]


# --- the process's one connection per workspace file -----------------------------------

_SHARED: dict[str, duckdb.DuckDBPyConnection] = {}
_SHARED_LOCK = threading.Lock()


def shared_workspace(path: str | Path) -> duckdb.DuckDBPyConnection:
    """The process's connection to the workspace at ``path``, opened on first use.

    The app's sessions and its daily job share it (work on ``.cursor()``), so their writes
    take turns through :func:`transaction`.
    """
    key = str(path)
    with _SHARED_LOCK:
        con = _SHARED.get(key)
        if con is None:
            con = _SHARED[key] = open_workspace(key)
        return con


def close_shared(path: str | Path | None = None) -> None:
    """Close the shared connection to ``path`` (every one without a path)."""
    with _SHARED_LOCK:
        keys = list(_SHARED) if path is None else [str(path)]
        for key in keys:
            con = _SHARED.pop(key, None)
            if con is not None:
                con.close()
