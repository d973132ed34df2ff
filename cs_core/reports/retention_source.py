"""Reports over ``retention:OBJECT`` (REN-2 as report measures): one row per period of the
grain, its figure as ``value`` (spec/retention.md)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from cs_core import clock, retention
from cs_core.reports.definition import Report, ReportError
from cs_core.retention import RetentionError

PERIODS_BACK = {"month": 12, "quarter": 8}  # without from/to: the last whole periods


def _grain(report: Report) -> tuple[str | None, list[str]]:
    dims = report.dimensions
    if len(dims) != 1 or dims[0].property != "period" or dims[0].grain not in PERIODS_BACK:
        return None, [
            'A retention report has one dimension: {"property": "period", "grain": "month" | "quarter"}.'
        ]
    return dims[0].grain, []


def check_retention(con: duckdb.DuckDBPyConnection, report: Report) -> list[str]:
    grain, problems = _grain(report)
    if report.filters:
        problems.append("A retention report has no filters (its figures cover every account).")
    if report.sort != "dimension":
        problems.append("A retention report is sorted by period.")
    try:
        retention.default_source(con, report.target)
    except RetentionError as exc:
        problems.append(str(exc))
    if report.first and report.last and report.last <= report.first:
        problems.append("to must come after from.")
    return problems


def _range(grain: str, today: date) -> tuple[date, date]:
    step = 1 if grain == "month" else 3
    current = date(today.year, (today.month - 1) // step * step + 1, 1)
    index = current.year * 12 + current.month - 1 - step * PERIODS_BACK[grain]
    return date(index // 12, index % 12 + 1, 1), current


def run_retention(con: duckdb.DuckDBPyConnection, report: Report, *, now: datetime):
    from cs_core.reports.engine import Result

    problems = check_retention(con, report)
    if problems:
        raise ReportError(problems)
    grain, _ = _grain(report)
    first, last = _range(grain, clock.score_date(now))
    first, last = report.first or first, report.last or last
    try:
        found = retention.retention(con, source=retention.default_source(con, report.target), grain=grain,
                                    first=first, last=last)  # fmt: skip
    except RetentionError as exc:
        raise ReportError([str(exc)]) from None
    rows = []
    for p in found.periods:
        value = p.as_json()[report.op]
        rows.append((p.period, value))
    if report.limit is not None:
        rows = rows[: report.limit]
    return Result((f"period_{grain}", "value"), tuple(rows))
