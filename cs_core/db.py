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

from cs_core import admission, kill_points, snapshot, table_versions

MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class WorkspaceError(Exception):
    """A workspace database cannot be opened; the message says why and what to do."""


class WorkspaceLocked(WorkspaceError):
    """Another process holds the database file."""


class WorkspaceTooNew(WorkspaceError):
    """The file was written by a newer version of the app."""


class WorkspaceCorrupt(WorkspaceError):
    """The file is damaged (a checksum or header does not match)."""


class WorkspaceWriteFailed(WorkspaceError):
    """A write could not be saved (disk full, permission denied, read-only file system)."""


# DuckDB's words for a file another process holds, and for a damaged file. (A checksum
# message names a "block", which holds "lock": match whole phrases, never a word inside one.)
_LOCKED = ("could not set lock on file", "conflicting lock is held")
_CORRUPT = ("checksum", "corrupt", "invalid database header")
_NOT_DUCKDB = "not a valid duckdb database file"
# The operating system's words for why a file cannot be written, and what to do.
_FAULTS = {
    "no space left on device": "the disk is full. Free some space, then try again",
    "disk quota exceeded": "the disk quota is used up. Free some space, then try again",
    "file too large": "the file reached the size limit of this system",
    "read-only file system": "its file system is read-only. Make it writable, then try again",
    "permission denied": "this app's user may not write it. Give that user write access to "
    "the file and its folder, then try again",
}


def fault(text: str) -> str | None:
    """What an operating-system error message means for the user (None: not such an error)."""
    low = text.lower()
    return next((meaning for words, meaning in _FAULTS.items() if words in low), None)


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
        low = text.lower()
        if any(words in low for words in _LOCKED):
            raise WorkspaceLocked(
                f"The workspace database {path} is in use by another process "
                f"({_holder(text)}). DuckDB lets one process write a file at a time: stop the "
                "app or command that has it open, or point this one at another file "
                "(--db PATH or CS_WORKSPACE_DB)."
            ) from exc
        _refuse_damaged(path, text, exc)
        meaning = fault(text)
        if meaning:
            raise WorkspaceError(
                f"The workspace database {path} cannot be opened: {meaning}. ({text})"
            ) from exc
        raise WorkspaceError(
            f"The file {path} could not be opened as a workspace database: {text}. "
            "Check the path, or move the file aside to let a new workspace be created."
        ) from exc
    except duckdb.Error as exc:
        _refuse_damaged(path, str(exc), exc)
        raise WorkspaceError(
            f"The file {path} could not be opened as a workspace database: {exc}. "
            "It may not be a DuckDB file, or it was written by a newer DuckDB; "
            "move it aside to let a new workspace be created."
        ) from exc


def _refuse_damaged(path: str, text: str, exc: Exception) -> None:
    if _NOT_DUCKDB in text.lower():
        raise WorkspaceCorrupt(
            f"The file {path} is not a DuckDB database, or its first bytes are damaged. If it "
            "is your workspace, restore it from your latest backup; otherwise point the app at "
            "the workspace file (--db PATH or CS_WORKSPACE_DB). The file was not changed."
        ) from exc
    if any(words in text.lower() for words in _CORRUPT):
        raise WorkspaceCorrupt(
            f"The workspace database {path} is damaged and cannot be read ({text}). "
            "Restore it from your latest backup (stop the app, copy the backup over the file, "
            "start again); keep the damaged file aside in case it is needed."
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
def _write_turn() -> Iterator[None]:
    """The process's write turn; a page run waiting for it gives up its turn to run meanwhile
    (cs_core.admission), so readers are not held up behind writers waiting for a long write."""
    if not _WRITE_LOCK.acquire(blocking=False):
        admission.before_waiting()
        _WRITE_LOCK.acquire()
    try:
        yield
    finally:
        _WRITE_LOCK.release()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One write transaction: serialised within the process, committed or rolled back whole.

    Every read a write depends on belongs inside the block (on the cursor it yields), so it
    sees the state the write applies to.
    """
    with _write_turn(), snapshot.writing():
        cur = con.cursor()
        try:
            # A long write (a large import) draws no progress bar on the terminal's output.
            cur.execute("SET enable_progress_bar = false")
            cur.execute("BEGIN TRANSACTION")
            tracked = table_versions.Tracked(cur)
            try:
                yield tracked
                table_versions.bump(cur, tracked.touched, tracked.owners())
                cur.execute("UPDATE counters SET value = value + 1 WHERE name = 'data_version'")
            except BaseException:
                _rollback(cur)
                raise
            # A failed COMMIT ends the transaction itself: its error is the one to report.
            kill_points.reached("commit")
            cur.execute("COMMIT")
            kill_points.reached("committed")
        except duckdb.Error as exc:
            _explain_write_fault(con, exc)
            raise
        finally:
            cur.close()


def _explain_write_fault(con: duckdb.DuckDBPyConnection, exc: duckdb.Error) -> None:
    """A write the file system refused, as a message naming the file and the cause."""
    text = str(exc)
    meaning = fault(text)
    if meaning is None:
        if any(words in text.lower() for words in _CORRUPT):
            raise WorkspaceCorrupt(
                f"Nothing was saved: the workspace database {database_path(con)} is damaged "
                f"({text}). Restore it from your latest backup."
            ) from exc
        return
    raise WorkspaceWriteFailed(
        f"Nothing was saved: the workspace database {database_path(con)} cannot be written, "
        f"because {meaning}. ({text})"
    ) from exc


def database_path(con: duckdb.DuckDBPyConnection) -> str:
    """The file a connection works on (for messages)."""
    try:
        row = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
    except duckdb.Error:
        row = None
    return row[0] if row and row[0] else "in memory"


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    """Roll back, keeping the error that caused it (a transaction DuckDB ended has none left)."""
    with suppress(duckdb.Error):
        cur.execute("ROLLBACK")


def write(con: duckdb.DuckDBPyConnection, fn, *args, **kwargs):
    """Run ``fn(cur, *args, **kwargs)`` in one write transaction and return its result."""
    with transaction(con) as cur:
        return fn(cur, *args, **kwargs)


@contextmanager
def still_file(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[Path, Path]]:
    """The workspace's file and its log (``.wal``), kept still while the block runs.

    The write turn is held, so no transaction of this process commits, and DuckDB changes the
    file and its log only in a commit (a checkpoint too runs in one): the two copied in the
    block are the workspace at one moment, its last commit. Readers carry on. Not a checkpoint
    first: one waits for every read transaction to end, and a cursor left holding a result
    (an idle session's) holds one open. Keep the block short: writers wait for it."""
    path = database_path(con)
    if path == "in memory":
        raise WorkspaceError("An in-memory workspace has no file to copy.")
    with _write_turn():
        yield Path(path), Path(f"{path}.wal")


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that every committed write increases."""
    snapshot.note((snapshot.DATA,))
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
        snapshot.clear()  # a file opened again under the same name is another workspace
