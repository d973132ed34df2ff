"""Reports over ``retention:OBJECT`` (REN-2 as report measures): one row per period of the
grain, its figure as ``value`` (spec/retention.md)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime

import duckdb

from cs_core import clock, db, retention, table_versions
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


def _checked(con: duckdb.DuckDBPyConnection, report: Report):
    """(grain, retention source, problems): the source is read once."""
    grain, problems = _grain(report)
    if report.filters:
        problems.append("A retention report has no filters (its figures cover every account).")
    if report.sort != "dimension":
        problems.append("A retention report is sorted by period.")
    source = None
    try:
        source = retention.default_source(con, report.target)
    except RetentionError as exc:
        problems.append(str(exc))
    if report.first and report.last and report.last <= report.first:
        problems.append("to must come after from.")
    return grain, source, problems


def check_retention(con: duckdb.DuckDBPyConnection, report: Report) -> list[str]:
    return _checked(con, report)[2]


def _range(grain: str, today: date) -> tuple[date, date]:
    step = 1 if grain == "month" else 3
    current = date(today.year, (today.month - 1) // step * step + 1, 1)
    index = current.year * 12 + current.month - 1 - step * PERIODS_BACK[grain]
    return date(index // 12, index % 12 + 1, 1), current


# The periods of one retention computation serve every measure of it (a dashboard's NRR and
# logo churn reports read the same periods): kept until a table they read is written.
_periods: OrderedDict = OrderedDict()
_lock = threading.Lock()
_KEEP = 32
# Beside its lines: a period's figures link lines to accounts through the associations and
# never read an account's row (an edit of a company changes none of them).
READS = ("associations", "settings", "properties", "objects")


def _computed(con, source, grain: str, first: date, last: date):
    tables = {source.object, *READS}
    key = (
        db.database_path(con),
        repr(source),
        grain,
        first,
        last,
        table_versions.versions(con, tables),
    )
    with _lock:
        if key in _periods:
            _periods.move_to_end(key)
            return _periods[key]
    found = retention.retention(con, source=source, grain=grain, first=first, last=last)
    with _lock:
        _periods[key] = found
        while len(_periods) > _KEEP:
            _periods.popitem(last=False)
    return found


def forget() -> None:
    with _lock:
        _periods.clear()


def run_retention(con: duckdb.DuckDBPyConnection, report: Report, *, now: datetime):
    from cs_core.reports.engine import Result

    grain, source, problems = _checked(con, report)
    if problems:
        raise ReportError(problems)
    first, last = _range(grain, clock.score_date(now))
    first, last = report.first or first, report.last or last
    try:
        found = _computed(con, source, grain, first, last)
    except RetentionError as exc:
        raise ReportError([str(exc)]) from None
    rows = [(p.period, p.as_json()[report.op]) for p in found.periods]
    if report.limit is not None:
        rows = rows[: report.limit]
    return Result((f"period_{grain}", "value"), tuple(rows))
