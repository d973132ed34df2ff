"""Backups of the workspace: a consistent copy made while the app keeps serving, and their log.

A backup is a copy of the workspace's DuckDB file and its log (``.wal``) made at one moment:
the app's write turn is held meanwhile (no write commits, and DuckDB changes the file and its
log only in a commit), and the kernel copies them, about 0.1 s at M (257 MB); readers carry on,
writers wait for that copy only. The copy's own DuckDB then folds the log into the copied file.
Everything the file holds comes through as it is (every schema, type, table, view, index,
sequence and macro). The copy is written under a hidden name beside its final one, made
durable, and renamed when complete: a backup is whole or absent. Every backup, made or
failed, is logged in ``backups`` (when, file, size, duration, who or what asked), which
Settings shows.

``python -m cs_core backup`` asks the running app to make one (:mod:`cs_core.backup_service`)
or, with no app holding the file, makes it itself; :mod:`cs_core.restore` puts one back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from cs_core import admission, clock, db
from cs_core.settings_store import UNSEEN, save
from cs_core.users import Action, User, require

SETTING = "backup"  # {"folder": "..."}: where Back up now writes (default: DEFAULT_FOLDER)
DEFAULT_FOLDER = "backups"  # beside the workspace file (data/backups/ for data/workspace.duckdb)
NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?\.duckdb$")
_RUNNING = threading.Lock()  # one backup at a time in this process (Settings or a request)

# The person at the server's terminal (the command line): allowed to back up the workspace.
OPERATOR = User(id=0, name="the operator (command line)", email="", team_id=None,
                team_name=None, time_zone="UTC", is_super_admin=True, has_workspace_access=True,
                can_manage_settings=True, has_service_seat=False)  # fmt: skip


class BackupError(Exception):
    """A backup could not be made; the message says why and what to do."""


class BackupBusy(BackupError):
    """A backup is under way in this process already."""


@dataclass(frozen=True)
class Backup:
    id: int
    started_at: datetime  # stored UTC
    seconds: float
    file: str
    bytes: int | None
    schema_version: int
    trigger: str
    actor_id: int | None
    actor_name: str | None  # None: the operator's command line
    status: str  # ok, failed
    error: str | None

    @property
    def name(self) -> str:
        return Path(self.file).name


_SELECT = (
    "SELECT b.id, b.started_at, b.seconds, b.file, b.bytes, b.schema_version, b.trigger, "
    "b.actor_id, u.name, b.status, b.error FROM backups b LEFT JOIN users u ON u.id = b.actor_id"
)


def last_backup(con: duckdb.DuckDBPyConnection) -> Backup | None:
    """The latest backup that was made."""
    row = con.execute(
        _SELECT + " WHERE b.status = 'ok' ORDER BY b.started_at DESC, b.id DESC LIMIT 1"
    ).fetchone()
    return Backup(*row) if row else None


def recent_backups(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[Backup]:
    """The latest backups, made or failed, newest first."""
    rows = con.execute(_SELECT + " ORDER BY b.started_at DESC, b.id DESC LIMIT ?", [limit])
    return [Backup(*r) for r in rows.fetchall()]


def shown_size(count: int | None) -> str:
    """A file size for people (decimal units: 18.1 MB)."""
    if count is None:
        return "—"
    if count < 1000:
        return f"{count:,} bytes"
    for unit in ("kB", "MB", "GB"):
        count /= 1000
        if count < 1000 or unit == "GB":
            break
    return f"{count:,.1f} {unit}"


# --- where backups go -----------------------------------------------------------------


def default_folder(workspace: str | Path) -> Path:
    """``backups/`` beside the workspace file."""
    return Path(workspace).parent / DEFAULT_FOLDER


def chosen_folder(con: duckdb.DuckDBPyConnection) -> str | None:
    """The folder set in Settings (None: the default)."""
    row = con.execute("SELECT value FROM settings WHERE key = ?", [SETTING]).fetchone()
    if row is None:
        return None
    return json.loads(row[0]).get("folder") or None


def backup_folder(con: duckdb.DuckDBPyConnection, workspace: str | Path) -> Path:
    """Where Back up now writes: the folder set in Settings, else ``backups/`` beside the file.
    A relative folder is taken from the app's working directory, like the workspace path."""
    chosen = chosen_folder(con)
    return Path(chosen).expanduser() if chosen else default_folder(workspace)


def save_backup_folder(con: duckdb.DuckDBPyConnection, *, actor: User, folder: str,
                       now: datetime, expected=UNSEEN) -> str | None:  # fmt: skip
    """Set the backup folder (settings managers; empty: the default). With ``expected`` (the
    folder the editor opened), refused when someone saved another since."""
    require(actor, Action.MANAGE_SETTINGS)
    folder = (folder or "").strip()
    if "\x00" in folder or len(folder) > 1_000:
        raise BackupError("That is not a folder path; give a path such as /srv/backups.")
    save(con, SETTING, {"folder": folder or None}, actor, clock.utc_naive(now), expected=expected,
         current=chosen_folder, refused=BackupError)  # fmt: skip
    return folder or None


# --- making one -------------------------------------------------------------------------


def back_up(con: duckdb.DuckDBPyConnection, *, actor: User, folder: str | Path, now: datetime,
            trigger: str) -> Backup:  # fmt: skip
    """Copy the workspace into a new file in ``folder``, named by the UTC time, and log it.

    The copy is one read transaction of ``con`` (writers carry on meanwhile). Raises
    :class:`BackupError` (logged as failed) when the file cannot be written.
    """
    require(actor, Action.MANAGE_SETTINGS)
    if not _RUNNING.acquire(blocking=False):
        raise BackupBusy("A backup is under way already; its result shows when it ends.")
    try:
        return _back_up(con, actor=actor, folder=Path(folder).expanduser(), now=now,
                        trigger=trigger)  # fmt: skip
    finally:
        _RUNNING.release()


def _back_up(con, *, actor: User, folder: Path, now: datetime, trigger: str) -> Backup:
    started, began = clock.utc_naive(now), time.perf_counter()
    source = db.database_path(con)
    stem = "workspace" if source == "in memory" else Path(source).stem
    partial = target = None
    version = db.schema_version(con)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = _free_name(folder.resolve(), stem, started)
        partial = target.with_name(f".{target.name}.partial")
        version = _copy_workspace(con, partial)
        durable(partial)
        os.replace(partial, target)
        durable(target.parent)
        size = target.stat().st_size
    except (duckdb.Error, OSError, BackupError, db.WorkspaceError) as exc:
        for leftover in (partial, Path(f"{partial}.wal") if partial else None):
            if leftover is not None:
                with suppress(OSError):
                    leftover.unlink(missing_ok=True)
        message = _explain(exc, folder)
        with suppress(Exception):  # the log may fail for the same reason: the error is the news
            _log(con, started, time.perf_counter() - began, str(folder), None, version, trigger,
                 actor, "failed", message)  # fmt: skip
        raise BackupError(message) from exc
    seconds = time.perf_counter() - began
    backup_id = _log(con, started, seconds, str(target), size, version, trigger, actor, "ok", None)
    actor_id = actor.id or None
    return Backup(backup_id, started, seconds, str(target), size, version, trigger, actor_id,
                  actor.name if actor_id else None, "ok", None)  # fmt: skip


def _free_name(folder: Path, stem: str, started: datetime) -> Path:
    """``STEM-YYYYMMDDTHHMMSSZ.duckdb``, with ``-2``, ``-3``... when that second is taken."""
    base = f"{stem}-{started:%Y%m%dT%H%M%S}Z"
    for n in range(1, 1_000):
        candidate = folder / (f"{base}.duckdb" if n == 1 else f"{base}-{n}.duckdb")
        if (
            not candidate.exists()
            and not candidate.with_name(f".{candidate.name}.partial").exists()
        ):
            return candidate
    raise OSError(f"{folder} holds a thousand backups of {started:%Y-%m-%d %H:%M:%S} UTC")


def _explain(exc: Exception, folder: Path) -> str:
    text = str(exc)
    if isinstance(exc, BackupError):
        return text
    meaning = db.fault(text) or (getattr(exc, "strerror", None) and db.fault(exc.strerror))
    if meaning:
        return f"No backup was made: the folder {folder} cannot be written, because {meaning}. ({text})"
    return f"No backup was made in {folder}: {text}"


def _log(con, started, seconds, file, size, version, trigger, actor: User, status, error) -> int:
    def insert(cur) -> int:
        backup_id = db.new_id(cur, "backups")
        cur.execute(
            "INSERT INTO backups (id, started_at, seconds, file, bytes, schema_version, trigger, "
            "actor_id, status, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [backup_id, started, seconds, file, size, version, trigger, actor.id or None, status,
             error],
        )  # fmt: skip
        return backup_id

    return db.write(con, insert)


def durable(path: Path) -> None:
    """Make a file (or a folder's new entry) durable before it is relied on."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- the copy -----------------------------------------------------------------------------


def _copy_workspace(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Copy ``con``'s database file and its log as its last commit left them to ``path``, and
    fold the log into the copy there; the schema version copied.

    The copy is the kernel's (no rows through Python or DuckDB): about 0.1 s of CPU for 257 MB,
    where copying the rows table by table through a read transaction took 30 s under a team's
    load and slowed every session meanwhile. Writers wait for the copy only; the copy's own
    DuckDB replays the log into its file afterwards, so a backup is one file."""
    log_copy = Path(f"{path}.wal")
    with db.still_file(con) as (source, log):
        version = db.schema_version(con)
        before = _state(source, log)
        shutil.copyfile(source, path)
        if before[2] is not None:
            shutil.copyfile(log, log_copy)
        # A write that did not take the write turn would show here: the file or its log
        # changed under the copy. Never made by the app; refused rather than a torn copy.
        if _state(source, log) != before:
            raise BackupError(
                "No backup was made: the workspace was written while it was copied, by a write "
                "that did not wait for the others. Try again; if it keeps happening, another "
                "program is writing the workspace."
            )
    # At the lowest CPU priority, on one thread: the sessions keep their speed while the log
    # (tens of MB after a daily run) is replayed into the copy. Nothing waits for it.
    admission.in_background(lambda: _fold_log(path))
    return version


def _fold_log(path: Path) -> None:
    """Open the copy (DuckDB replays its log into it) and checkpoint it: one file."""
    out = duckdb.connect(str(path), config={**db.CONFIG, "threads": 1})
    try:
        out.execute("CHECKPOINT")
    finally:
        out.close()


def _state(source: Path, log: Path) -> tuple:
    """The file's size and modification time, and its log's (None when it has none)."""
    found = source.stat()
    try:
        written = log.stat()
    except FileNotFoundError:
        return found.st_size, found.st_mtime_ns, None, None
    return found.st_size, found.st_mtime_ns, written.st_size, written.st_mtime_ns
