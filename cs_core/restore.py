"""Put a backup back as the workspace database: checked first, then swapped in whole.

The backup is copied beside the target under a hidden name, opened and checked there (it is a
DuckDB file, its schema version is one this app knows, every table and column the app expects
is present with its type, every row reads back), brought up to date by the migrations if it
is older, and only then renamed over the target, so the target is the old file or the new one,
never half of each. A database the running app (or any process) holds is never replaced, and
an existing one only when asked (``force``).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cs_core import db
from cs_core.backup import NAME, durable
from cs_core.sql import ident

# DuckDB's words for a file another process holds (see cs_core.db), and the holder's id.
_LOCKED = re.compile(r"could not set lock on file|conflicting lock is held", re.IGNORECASE)
_PID = re.compile(r"PID (\d+)")


class RestoreRefused(Exception):
    """The restore was not made; the message says why (and the target was not changed)."""


@dataclass(frozen=True)
class Restored:
    file: str  # the workspace database restored
    source: str  # the backup file it came from
    schema_version: int  # as restored (after any migrations)
    migrated_from: int | None  # the backup's own version when it was older
    tables: int
    rows: int
    seconds: float


def newest_backup(folder: str | Path) -> Path:
    """The latest backup in ``folder`` by the UTC time in its name."""
    found = []
    for entry in Path(folder).iterdir():
        match = NAME.match(entry.name)
        if match and entry.is_file():
            found.append((match["stamp"], int(match["n"] or 1), entry))
    if not found:
        raise RestoreRefused(
            f"{folder} holds no backup (files named like workspace-20261128T150000Z.duckdb)."
        )
    return max(found)[2]


def holder(path: str | Path) -> str | None:
    """Who holds the database file open (a process id, or "this process"), None if nobody."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True, config=db.CONFIG)
    except duckdb.ConnectionException:
        return "this process"  # it has the file open already, read-write
    except duckdb.IOException as exc:
        if not _LOCKED.search(str(exc)):
            return None  # damaged or unreadable: nobody holds it
        pid = _PID.search(str(exc))
        return f"process id {pid[1]}" if pid else "another process"
    except duckdb.Error:
        return None
    con.close()
    return None


def restore(source: str | Path, target: str | Path, *, force: bool = False) -> Restored:
    """Replace the workspace database ``target`` by the backup ``source`` (a file, or a folder:
    its newest backup). Raises :class:`RestoreRefused` and leaves ``target`` as it was when the
    database is in use, exists (without ``force``), or the backup does not check out."""
    began = time.perf_counter()
    source, target = Path(source), Path(target)
    if not source.exists():
        raise RestoreRefused(f"There is no backup at {source}.")
    file = newest_backup(source) if source.is_dir() else source
    if Path(f"{file}.wal").exists():
        raise RestoreRefused(
            f"{file} has a write-ahead log beside it ({file}.wal): it is a database that was not "
            "closed, not a backup. Use a file that `python -m cs_core backup` wrote."
        )
    if target.exists() and os.path.samefile(file, target):
        raise RestoreRefused(f"{file} is the workspace database itself; choose a backup.")
    _refuse_live(target)
    if target.exists() and not force:
        raise RestoreRefused(
            f"{target} exists already. Add --force to replace it with the backup (its data since "
            "that backup is lost: back it up first), or restore to another --db path."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.restoring")
    try:
        for leftover in (staging, Path(f"{staging}.wal")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(file, staging)
        version, migrated_from, tables, rows = _check(staging, file)
        durable(staging)
        _refuse_live(target)  # once more, just before the swap
        # The old file's log would be replayed onto the new file: it goes first.
        Path(f"{target}.wal").unlink(missing_ok=True)
        os.replace(staging, target)
        durable(target.parent)
    finally:
        for leftover in (staging, Path(f"{staging}.wal")):
            with suppress(OSError):
                leftover.unlink(missing_ok=True)
    return Restored(str(target), str(file), version, migrated_from, tables, rows,
                    time.perf_counter() - began)  # fmt: skip


def _refuse_live(target: Path) -> None:
    who = holder(target)
    if who is not None:
        raise RestoreRefused(
            f"{target} is in use by {who} (the running app, or a command): a live workspace is "
            "never replaced. Stop the app (or that command), then run the restore again. To keep "
            "a copy of it first, run `python -m cs_core backup` while it runs."
        )


def _check(staging: Path, file: Path) -> tuple[int, int | None, int, int]:
    """Open the copy, check its schema, migrate it if older, read every row: (version,
    version before migrating, tables, rows)."""
    try:
        con = duckdb.connect(str(staging), read_only=True, config=db.CONFIG)
        try:
            version = db.schema_version(con)
        finally:
            con.close()
    except duckdb.Error as exc:
        raise RestoreRefused(f"{file} is not a usable backup: it does not open as a DuckDB "
                             f"database ({exc}). Choose another backup.") from exc  # fmt: skip
    latest = db.latest_version()
    if version == 0:
        raise RestoreRefused(f"{file} is a DuckDB database but not a workspace (it has no "
                             "schema_migrations table). Choose a workspace backup.")  # fmt: skip
    if version > latest:
        raise RestoreRefused(f"{file} has schema version {version}; this version of the app knows "
                             f"versions up to {latest}. Update the app, then restore.")  # fmt: skip
    try:
        con = db.open_workspace(staging)  # applies the migrations an older backup lacks
    except db.WorkspaceError as exc:
        raise RestoreRefused(f"{file} is not a usable backup: {exc}") from exc
    except duckdb.Error as exc:
        raise RestoreRefused(
            f"{file} could not be brought up to schema version {latest}: {exc}"
        ) from exc
    try:
        missing = _missing_columns(con)
        if missing:
            raise RestoreRefused(f"{file} lacks what a workspace of schema version {latest} "
                                 f"holds: {', '.join(missing[:10])}. Choose another backup.")  # fmt: skip
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database() AND NOT internal"
        ).fetchall()
        rows = 0
        for schema, name in tables:  # every value read: a damaged block fails its checksum here
            found = con.execute(
                f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {ident(schema)}.{ident(name)}"
            ).fetchone()
            rows += found[0]
    except duckdb.Error as exc:
        raise RestoreRefused(f"{file} is damaged and cannot be read back ({exc}). "
                             "Choose another backup.") from exc  # fmt: skip
    finally:
        con.close()
    return latest, (version if version < latest else None), len(tables), rows


def _missing_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables and columns (with their types) of a new workspace that ``con`` lacks."""
    found = set(_columns(con))
    return [f"{table}.{column} ({kind})" for table, column, kind in _expected()
            if (table, column, kind) not in found]  # fmt: skip


@functools.cache
def _expected() -> tuple[tuple[str, str, str], ...]:
    """The tables and columns of a new workspace (the migrations this app ships)."""
    fresh = db.open_workspace(":memory:")
    try:
        return tuple(_columns(fresh))
    finally:
        fresh.close()


def _columns(con) -> list[tuple[str, str, str]]:
    return con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND NOT internal "
        "ORDER BY table_name, column_index"
    ).fetchall()
