"""Saved reports (DSH-2): save, rename, duplicate, delete, for the users who may edit reports
(U-4: settings managers and super admins). A definition is checked against the catalog
before it is stored, so a saved report always runs; an edit is a compare-and-set on the
version the editor opened (its ``updated_at``, later with every save), so two editors never
overwrite each other unseen."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb

from cs_core import clock, db
from cs_core.reports.definition import Report, ReportError, parse
from cs_core.reports.engine import check
from cs_core.users import Action, User, require

# A save's new version: the time given, or a microsecond past the stored one when the clock has
# not moved since (a frozen or coarse clock, two saves in one instant), so the version an editor
# opened never comes back and their stale save is refused.
NEXT_STAMP = "greatest(CAST(? AS TIMESTAMP), updated_at + INTERVAL 1 MICROSECOND)"


@dataclass(frozen=True)
class Saved:
    id: int
    name: str
    owner_id: int | None
    report: Report
    updated_at: datetime


def _row(row) -> Saved:
    return Saved(row[0], row[1], row[2], parse(row[3]), row[4])


def get(con: duckdb.DuckDBPyConnection, report_id: int) -> Saved | None:
    row = con.execute("SELECT id, name, owner_id, definition, updated_at FROM reports WHERE id = ?",
                      [report_id]).fetchone()  # fmt: skip
    return _row(row) if row else None


def list_saved(con: duckdb.DuckDBPyConnection) -> list[Saved]:
    rows = con.execute(
        "SELECT id, name, owner_id, definition, updated_at FROM reports ORDER BY lower(name), id"
    )
    return [_row(r) for r in rows.fetchall()]


def save(con: duckdb.DuckDBPyConnection, *, actor: User, definition: str | dict, now: datetime,
         report_id: int | None = None, opened_at: datetime | None = None) -> Saved:  # fmt: skip
    """A new report (``report_id`` None) or a new version of one; refused with every problem
    named when the definition cannot run, when the name is taken, or when the report changed
    since the editor opened it (``opened_at``: the version they started from)."""
    require(actor, Action.EDIT_REPORTS)
    report = parse(definition)
    stamp = clock.utc_naive(now)
    stored = json.dumps(report.as_json())

    def _write(cur) -> int:
        problems = check(cur, report)
        taken = cur.execute("SELECT id FROM reports WHERE lower(name) = lower(?) AND id IS DISTINCT FROM ?",
                            [report.name, report_id]).fetchone()  # fmt: skip
        if taken:
            problems.append(f"There is already a report named {report.name!r}.")
        if problems:
            raise ReportError(problems)
        if report_id is None:
            new = db.new_id(cur, "reports")
            cur.execute(
                "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?)",
                [new, report.name, actor.id, stored, stamp, stamp],
            )
            return new
        changed = db.affected(cur, f"UPDATE reports SET name = ?, definition = ?, updated_at = {NEXT_STAMP} "
                                   "WHERE id = ? AND (? IS NULL OR updated_at = ?)",
                              [report.name, stored, stamp, report_id, opened_at, opened_at])  # fmt: skip
        if not changed:
            gone = (
                cur.execute("SELECT count(*) FROM reports WHERE id = ?", [report_id]).fetchone()[0]
                == 0
            )
            raise ReportError(["That report was deleted." if gone else
                               "Someone saved this report since you opened it: reload it to see their changes."])  # fmt: skip
        return report_id

    return get(con, db.write(con, _write))


def duplicate(
    con: duckdb.DuckDBPyConnection, *, actor: User, report_id: int, now: datetime
) -> Saved:
    """A copy named "Copy of NAME" (numbered when that is taken too)."""
    require(actor, Action.EDIT_REPORTS)
    original = get(con, report_id)
    if original is None:
        raise ReportError(["That report was deleted."])
    names = {s.name.lower() for s in list_saved(con)}
    name, n = f"Copy of {original.name}", 2
    while name.lower() in names:
        name, n = f"Copy of {original.name} ({n})", n + 1
    return save(con, actor=actor, definition={**original.report.as_json(), "name": name}, now=now)


def delete(con: duckdb.DuckDBPyConnection, *, actor: User, report_id: int) -> None:
    """The report, and its places on dashboards and Summary tabs, in one transaction."""
    require(actor, Action.EDIT_REPORTS)

    def _write(cur) -> None:
        for table in ("dashboard_reports", "summary_reports"):
            cur.execute(f"DELETE FROM {table} WHERE report_id = ?", [report_id])  # noqa: S608 (fixed names)
        if not db.affected(cur, "DELETE FROM reports WHERE id = ?", [report_id]):
            raise ReportError(["That report was deleted."])

    db.write(con, _write)
