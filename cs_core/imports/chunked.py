"""The chunked path of an import (a file of more than one chunk): check the file chunk by chunk,
stage the valid rows, and write them in one transaction (see :mod:`cs_core.imports.streaming`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from cs_core.imports import streaming, writing
from cs_core.imports.mapping import ASSOCIATE, EXTERNAL_ID, ColumnMap
from cs_core.imports.validation import REPORT_COLUMNS, targets
from cs_core.records import get_object
from cs_core.users import Action, User, require

if TYPE_CHECKING:
    from cs_core.imports import ImportResult


def _package():
    from cs_core import imports  # the package's check, resolve and catalog (it imports this module)

    return imports


def _checked_chunks(con, path: Path, mapping: list[ColumnMap], object_name: str):
    """(chunk, its report, its typed columns) for each chunk of the file; an id is also looked
    for in the chunks before."""
    id_col = next((m.column for m in mapping if m.action == EXTERNAL_ID), None)
    seen: set[str] = set()
    for chunk in streaming.chunks(path):
        cache: dict = {}
        report = _package().check(con, chunk, mapping, object_name=object_name, cache=cache)
        earlier = streaming.earlier_ids(chunk, id_col, seen)
        if not earlier.empty:
            report = (pd.concat([report, earlier], ignore_index=True)
                      .drop_duplicates(["Row", "Column"]).sort_values(["Row", "Column"], kind="stable")
                      .reset_index(drop=True))  # fmt: skip
        yield chunk, report, cache


def check_file(con: duckdb.DuckDBPyConnection, path: str | Path, mapping: list[ColumnMap], *,
               object_name: str) -> tuple[pd.DataFrame, int]:  # fmt: skip
    """The problem report of a whole file, read chunk by chunk, and its number of rows."""
    mapping = _package().resolve(con, mapping, object_name)
    reports, rows = [], 0
    for chunk, report, _cache in _checked_chunks(con, Path(path), mapping, object_name):
        rows += len(chunk)
        reports.append(report)
    report = (
        pd.concat(reports, ignore_index=True) if reports else pd.DataFrame(columns=REPORT_COLUMNS)
    )
    return report[REPORT_COLUMNS], rows


def import_in_chunks(
    con,
    path: Path,
    head: pd.DataFrame,
    mapping: list[ColumnMap],
    *,
    object_name: str,
    actor: User | None,
    now: datetime,
    skip_invalid: bool,
    progress,
    file_name: str,
) -> ImportResult:
    if actor is not None:
        require(actor, Action.IMPORT_DATA)
    say = progress or (lambda _f, _m: None)
    pkg = _package()
    mapping = pkg.resolve(con, mapping, object_name)
    pkg.check_mapping(con, head, mapping, object_name)
    streaming.drop_leftovers(con)
    tgts = targets(mapping, pkg.catalog(con, object_name))
    links = {
        i: writing.link_column(m, mapping) for i, m in enumerate(mapping) if m.action == ASSOCIATE
    }
    # Progress by bytes: the rows so far against the rows the file holds at the first rows' size.
    estimate = max(1, int(path.stat().st_size / max(1.0, _bytes_per_row(path, len(head)))))
    info = get_object(con, object_name)
    staging = streaming.Staging(con, object_name, tgts, list(links.values()), info.primary_property)
    try:
        reports, rows, bad_rows, failed = [], 0, 0, False
        for chunk, report, cache in _checked_chunks(con, path, mapping, object_name):
            rows += len(chunk)
            bad = set(report["Row"] - 1)
            bad_rows += len(bad)
            reports.append(report)
            failed = failed or (bool(bad) and not skip_invalid)
            if not failed:
                good = chunk.index.difference(sorted(bad))
                values, ext = streaming.typed_rows(
                    con, chunk, good, mapping, tgts, cache, object_name, links
                )
                staging.append(values, ext)
            say(min(0.8, 0.8 * rows / estimate), f"Checked {rows:,} rows")
        report = pd.concat(reports, ignore_index=True)[REPORT_COLUMNS]
        if failed or staging.rows == 0:
            return pkg.ImportResult(object_name, rows, 0, 0, bad_rows, report, written=False)
        say(0.85, f"Saving {staging.rows:,} rows")
        counts = writing.write_staged(
            con, table=staging.table, object_name=object_name, object_label=info.label_plural,
            primary=info.primary_property, mapping=mapping, targets=tgts, now=now,
            actor_id=actor.id if actor else None, file_name=file_name, rejected=bad_rows,
        )  # fmt: skip
        say(1.0, "Done")
        return pkg.ImportResult(object_name, rows, counts["created"], counts["updated"], bad_rows, report,
                                written=True, run_id=counts["run_id"])  # fmt: skip
    finally:
        staging.drop()


def _bytes_per_row(path: Path, rows: int) -> float:
    """The average size of a row among the first ``rows`` (for progress on a large file)."""
    with path.open("rb") as f:
        sample = f.read(4 << 20)
    lines = sample.count(b"\n")
    return len(sample) / max(1, lines) if lines else float(path.stat().st_size) / max(1, rows)
