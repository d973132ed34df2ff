"""Import runs: what each import wrote, and the records it created or updated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from cs_core.records import get_object
from cs_core.sql import ident


@dataclass(frozen=True)
class ImportRun:
    id: int
    object: str
    file_name: str
    records: int  # created or updated by it, still there
    finished_at: datetime


def import_run(con: duckdb.DuckDBPyConnection, run_id: int) -> ImportRun | None:
    """An import run and how many of its records exist now (for "Imported from FILE")."""
    row = con.execute("SELECT id, object, file_name, finished_at FROM import_runs WHERE id = ?",
                      [run_id]).fetchone()  # fmt: skip
    if row is None:
        return None
    obj = get_object(con, row[1])
    count = 0
    if obj is not None:
        count = con.execute(
            f"SELECT count(*) FROM {ident(obj.name)} WHERE id IN "
            "(SELECT record_id FROM import_run_records WHERE run_id = ?)", [run_id]).fetchone()[0]  # fmt: skip
    return ImportRun(row[0], row[1], row[2], count, row[3])
