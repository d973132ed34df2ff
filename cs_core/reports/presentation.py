"""A report's result as people read it (DSH-3): column titles and key labels instead of internal
codes, time buckets filled with zeros for line and area charts, and a number's previous period.
UI-free, so the page, its CSV and the tests read the same table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from cs_core.records import Property
from cs_core.reports import engine
from cs_core.reports.definition import Report

NO_VALUE = "(no value)"
OP_LABELS = {"count": "Count", "count_distinct": "Distinct", "sum": "Sum", "avg": "Average", "min": "Minimum",
             "max": "Maximum", "median": "Median"}  # fmt: skip
RETENTION_LABELS = {"start_arr": "Starting ARR", "expansion": "Expansion", "contraction": "Contraction",
                    "churned_arr": "Churned ARR", "new_arr": "New ARR", "end_arr": "Ending ARR",
                    "grr": "Gross revenue retention", "nrr": "Net revenue retention", "logo_churn": "Logo churn"}  # fmt: skip
RATIOS = ("grr", "nrr", "logo_churn")
GRAIN_LABELS = {
    "day": "day",
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
}
RELATIVE = ("in_last_days", "in_next_days")


@dataclass(frozen=True)
class Table:
    """The result with titles and labels: ``keys`` keep the result's keys (for drawing time in
    order and filling gaps), ``rows`` show labels."""

    columns: tuple[str, ...]
    keys: tuple[tuple, ...]
    rows: tuple[tuple, ...]
    grains: tuple[str | None, ...]
    is_ratio: bool


def properties(con: duckdb.DuckDBPyConnection, report: Report) -> dict[str, Property]:
    if report.kind == "retention":
        return {
            "period": Property("retention", "period", "Period", "date", (), "Fields", False, True)
        }
    return engine.source_properties(con, report)


def measure_title(report: Report, props: dict[str, Property]) -> str:
    if report.kind == "retention":
        return RETENTION_LABELS.get(report.op, report.op)
    if report.op == "count":
        return "Count"
    prop = props.get(report.measure_property)
    label = prop.label if prop else report.measure_property
    return (
        f"{OP_LABELS[report.op]} of {label}"
        if report.op != "count_distinct"
        else f"Distinct {label}"
    )


def _labeller(con, prop: Property | None):
    refs: dict = {}
    if prop is not None and prop.type in ("stage", "pipeline"):
        sql = ("SELECT s.id, p.label || ' · ' || s.label FROM stages s JOIN pipelines p ON p.id = s.pipeline_id"
               if prop.type == "stage" else "SELECT id, label FROM pipelines")  # fmt: skip
        refs = dict(con.execute(sql).fetchall())

    def label(value):
        if value is None:
            return NO_VALUE
        if prop is None:
            return value
        if prop.type in ("stage", "pipeline"):
            return refs.get(value, str(value))
        if prop.type == "boolean":
            return "Yes" if value else "No"
        if prop.type == "enumeration":
            return prop.option_label(value)
        return value

    return label


def table(con: duckdb.DuckDBPyConnection, report: Report, result: engine.Result) -> Table:
    props = properties(con, report)
    dims = report.dimensions
    titles = [
        props[d.property].label + (f" ({GRAIN_LABELS[d.grain]})" if d.grain else "") if d.property in props else d.column
        for d in dims
    ]  # fmt: skip
    labellers = [_labeller(con, None if d.grain else props.get(d.property)) for d in dims]
    rows = tuple(
        (*(labellers[i](r[i]) if r[i] is not None else NO_VALUE for i in range(len(dims))), r[-1]) for r in result.rows
    )  # fmt: skip
    return Table((*titles, measure_title(report, props)), result.rows, rows, tuple(d.grain for d in dims),
                 report.kind == "retention" and report.op in RATIOS)  # fmt: skip


# --- time buckets --------------------------------------------------------------------------


def _parse(grain: str, key: str) -> date:
    if grain in ("day", "week"):
        return date.fromisoformat(key)
    if grain == "month":
        return date(int(key[:4]), int(key[5:7]), 1)
    if grain == "quarter":
        return date(int(key[:4]), (int(key[-1]) - 1) * 3 + 1, 1)
    return date(int(key), 1, 1)


def _format(grain: str, day: date) -> str:
    if grain in ("day", "week"):
        return day.isoformat()
    if grain == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if grain == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


def _next(grain: str, day: date) -> date:
    if grain == "day":
        return day + timedelta(days=1)
    if grain == "week":
        return day + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def buckets(grain: str, first: str, last: str, *, most: int = 5000) -> list[str]:
    """Every bucket key of ``grain`` from ``first`` to ``last`` (the keys of reports.md)."""
    day, end, out = _parse(grain, first), _parse(grain, last), []
    while day <= end and len(out) < most:
        out.append(_format(grain, day))
        day = _next(grain, day)
    return out


def zero_filled(tbl: Table) -> list[tuple]:
    """Rows (key of the time dimension, series label, value) with every bucket between the first
    and the last present for each series, 0 where the result has no row (line and area charts).
    Without a time grain on the first dimension the rows are returned as they are."""
    grain = tbl.grains[0] if tbl.grains else None
    keyed = [
        (k[0], row[1] if len(row) > 2 else None, row[-1])
        for k, row in zip(tbl.keys, tbl.rows, strict=True)
    ]
    times = sorted({k for k, _, _ in keyed if k is not None})
    if not grain or not times:
        return keyed
    series = list(dict.fromkeys(s for _, s, _ in keyed))
    have = {(k, s): v for k, s, v in keyed}
    return [
        (b, s, have.get((b, s), 0)) for s in series for b in buckets(grain, times[0], times[-1])
    ]


# --- a number's previous period ---------------------------------------------------------------


def comparison_days(report: Report) -> int | None:
    """How far back the previous period of a single number lies: the length of its relative date
    window ("in the last 30 days" compares with the 30 days before). None without one."""
    for group in report.filters or []:
        for cond in group:
            if (
                cond.get("operator") in RELATIVE
                and isinstance(cond.get("value"), int)
                and cond["value"] > 0
            ):
                return int(cond["value"])
    return None


def previous_now(report: Report, now: datetime) -> datetime | None:
    days = comparison_days(report)
    return now - timedelta(days=days) if days else None
