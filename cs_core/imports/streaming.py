"""A large file imported in chunks: bounded memory, short write transactions, all or nothing.

A file of more than :data:`CHUNK_ROWS` rows is read :data:`CHUNK_ROWS` at a time. Each
chunk is checked (row numbers run on across chunks, and an id is looked for in the
chunks before it too) and its typed rows are appended to a staging table in a short
transaction of its own, so other users' edits wait for a moment at most. Nothing the
workspace shows changes until the end: then one transaction takes the staged rows into
the object (:func:`cs_core.imports.writing.write_staged`), or, when a row is invalid and
invalid rows are not skipped, the staging table is dropped and nothing was imported.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd

from cs_core import db
from cs_core.imports.mapping import ASSOCIATE, EXTERNAL_ID, ColumnMap
from cs_core.imports.reading import ImportFileError, relation
from cs_core.imports.validation import REPORT_COLUMNS, Target, lookups, typed
from cs_core.records import SQL_TYPES
from cs_core.sql import ident

CHUNK_ROWS = 100_000  # rows read, checked and staged at a time
STAGING_PREFIX = "import_staging_"
DEFAULT_MAX_MB = 200
MAX_MB_VARIABLE = "CS_MAX_IMPORT_MB"


def max_bytes() -> int:
    """The largest file an import takes: CS_MAX_IMPORT_MB megabytes (default 200)."""
    raw = os.environ.get(MAX_MB_VARIABLE, "").strip()
    try:
        megabytes = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return int(megabytes * 1_000_000)


def check_size(path: str | Path, limit: int | None = None) -> None:
    """ImportFileError when the file is larger than the limit, saying by how much."""
    limit = max_bytes() if limit is None else limit
    size = Path(path).stat().st_size
    if size > limit:
        raise ImportFileError(
            f"{Path(path).name} is {_mb(size)} MB; an import takes files up to {_mb(limit)} MB. "
            f"Split the file, or raise the limit ({MAX_MB_VARIABLE})."
        )


def _mb(size: int) -> str:
    return f"{size / 1e6:,.0f}" if size >= 10e6 else f"{size / 1e6:.2f}"


def chunks(path: str | Path, rows: int | None = None) -> Iterator[pd.DataFrame]:
    """The file's rows, ``rows`` (default :data:`CHUNK_ROWS`) at a time, as text (None where
    empty), indexed by position."""
    reader = duckdb.connect()
    try:
        batches = relation(reader, Path(path)).fetch_record_batch(rows or CHUNK_ROWS)
        start = 0
        for batch in batches:
            frame = batch.to_pandas()
            frame.index = pd.RangeIndex(start, start + len(frame))
            start += len(frame)
            yield frame.astype(object).where(frame.notna(), None)
    except duckdb.Error as exc:
        raise ImportFileError(f"{Path(path).name} could not be read as a table: {exc}") from None
    finally:
        reader.close()


# The staging tables of this process's imports under way (two sessions may import at once);
# one process at a time opens the file, so any other staging table is a leftover.
_ACTIVE: set[str] = set()
_ACTIVE_LOCK = threading.Lock()


def drop_leftovers(con: duckdb.DuckDBPyConnection) -> None:
    """Staging tables of imports that were stopped half-way (a killed process) are dropped."""
    found = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, ?)",
        [STAGING_PREFIX]).fetchall()]  # fmt: skip
    with _ACTIVE_LOCK:
        left = [t for t in found if t not in _ACTIVE]
    if left:
        db.write(con, lambda cur: [cur.execute(f"DROP TABLE IF EXISTS {ident(t)}") for t in left])


class Staging:
    """The staging table of one import: created, filled chunk by chunk, dropped at the end.

    Each staged row already knows its record: ``_id`` of the record its id names (then
    ``_new`` is false), or ``_seq``, its place among the new records, whose ids are
    allocated at the end (:func:`cs_core.imports.writing.write_staged` checks, in its
    transaction, that no record was merged or imported meanwhile).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, object_name: str, targets: list[Target],
                 links: list[str], primary: str) -> None:  # fmt: skip
        self.con = con
        self.object = object_name
        self.targets = targets
        self.links = links
        self.primary = (
            primary if primary in {t.name for t in targets} or primary == "name" else None
        )
        self.rows = 0
        self.fresh = 0
        names = {t.name for t in targets}

        def _create(cur) -> str:
            name = f"{STAGING_PREFIX}{db.new_id(cur, 'import_staging')}"
            columns = [f"{ident(t.name)} {SQL_TYPES[t.type]}" for t in targets]
            if "created_at" not in names:
                columns.append('"created_at" TIMESTAMP')
            if self.primary and self.primary not in names:
                columns.append(f"{ident(self.primary)} VARCHAR")
            columns += [f"{ident(link)} VARCHAR" for link in links]
            cur.execute(f"CREATE TABLE {ident(name)} (_row BIGINT, _ext VARCHAR, _id BIGINT, _new BOOLEAN, "
                        f"_seq BIGINT, {', '.join(columns)})")  # fmt: skip
            return name

        with _ACTIVE_LOCK:  # created and noted at once: another import's clean-up keeps it
            self.table = db.write(con, _create)
            _ACTIVE.add(self.table)

    def append(self, values: pd.DataFrame, external: pd.Series | None) -> None:
        """Typed rows (columns by property name and link column), in a short transaction."""
        frame = values.copy()
        ext = external if external is not None else pd.Series(None, index=frame.index, dtype=object)
        frame.insert(0, "_ext", ext.values)
        frame.insert(0, "_row", frame.index.astype("int64"))
        if self.primary:
            current = (
                frame[self.primary] if self.primary in frame else pd.Series(None, index=frame.index)
            )
            frame[self.primary] = current.where(current.notna(), frame["_ext"])

        def _append(cur) -> None:
            known = dict(cur.execute(
                "SELECT external_id, record_id FROM record_external_ids WHERE object = ? AND external_id IN "
                "(SELECT UNNEST(?::VARCHAR[]))", [self.object, [e for e in frame["_ext"] if e is not None]]
            ).fetchall())  # fmt: skip
            frame["_id"] = frame["_ext"].map(known).astype("Int64")
            frame["_new"] = frame["_id"].isna()
            seq = frame["_new"].cumsum() + self.fresh
            frame["_seq"] = seq.where(frame["_new"], None).astype("Int64")
            cur.register("_chunk", frame)
            cols = ", ".join(ident(c) for c in frame.columns)
            cur.execute(f"INSERT INTO {ident(self.table)} ({cols}) SELECT {cols} FROM _chunk")
            cur.unregister("_chunk")

        db.write(self.con, _append)
        self.rows += len(frame)
        self.fresh += int(frame["_new"].sum())

    def drop(self) -> None:
        try:
            db.write(self.con, lambda cur: cur.execute(f"DROP TABLE IF EXISTS {ident(self.table)}"))
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE.discard(self.table)


def earlier_ids(frame: pd.DataFrame, id_col: str | None, seen: set[str]) -> pd.DataFrame:
    """Rows whose id appeared in an earlier chunk (within a chunk, the check finds them);
    ``seen`` takes this chunk's ids."""
    if id_col is None:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    ids = frame[id_col].astype("string").str.strip()
    ids = ids[ids.notna() & (ids != "")]
    values = ids.tolist()
    before = ids[[v in seen for v in values]]  # (a set lookup: isin would copy the whole set)
    seen.update(values)
    return pd.DataFrame({"Row": before.index + 1, "Column": id_col, "Value": before.astype(str),
                         "Reason": "this id appears earlier in the file"})[REPORT_COLUMNS]  # fmt: skip


def typed_rows(con, chunk: pd.DataFrame, good: pd.Index, mapping: list[ColumnMap],
               targets: list[Target], cache: dict, object_name: str,
               link_names: dict[int, str]) -> tuple[pd.DataFrame, pd.Series | None]:  # fmt: skip
    """The chunk's valid rows typed for the staging table, and their external ids."""
    refs = lookups(con, object_name)
    values = pd.DataFrame(
        {t.name: (cache[t.column] if t.column in cache else typed(chunk[t.column], t, refs)).loc[good]
         for t in targets},
        index=good,
    )  # fmt: skip
    for i, m in enumerate(mapping):
        if m.action == ASSOCIATE:
            values[link_names[i]] = chunk.loc[good, m.column].astype("string").str.strip()
    id_col = next((m.column for m in mapping if m.action == EXTERNAL_ID), None)
    if id_col is None:
        return values, None
    ext = chunk.loc[good, id_col].astype("string").str.strip().replace("", pd.NA)
    return values, ext.astype(object).where(ext.notna(), None)
