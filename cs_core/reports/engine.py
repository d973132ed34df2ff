"""A checked report definition → one DuckDB query with parameters → the result table of
spec/reports.md (columns, rows in the order ``sort`` gives)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb

from cs_core import activities, clock, filters
from cs_core.filters import FilterError
from cs_core.health.reports import CATEGORY_LABELS
from cs_core.record_values import linked_title_sql, title_sql
from cs_core.records import Property, get_object, list_properties
from cs_core.reports.definition import NUMBER_OPS, Report, ReportError
from cs_core.settings import get_customer_settings
from cs_core.sql import col, ident
from cs_core.users import User

WORKSPACE_ZONE = "UTC"  # datetimes are bucketed in the workspace's zone (no setting yet: UTC)
DATES = ("date", "datetime")


@dataclass(frozen=True)
class Result:
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]

    def as_json(self) -> dict:
        return {"columns": list(self.columns), "rows": [list(r) for r in self.rows]}


@dataclass(frozen=True)
class _Source:
    sql: str  # a table or a subquery, aliased r by the caller
    params: list
    props: dict[str, Property]
    owner: str | None  # the property $owner means
    object_name: str | None


def _prop(obj: str, name: str, label: str, kind: str, labels: dict | None = None) -> Property:
    labels = labels or {}
    return Property(
        obj, name, label, kind, tuple(labels), "Fields", False, True, tuple(labels.items())
    )


def uses(report: Report, name: str) -> bool:
    """Whether the report's measure, dimensions or filters name the property ``name`` (a costly
    column is computed only then)."""
    conditions = [
        c for g in report.filters or [] if isinstance(g, list) for c in g if isinstance(c, dict)
    ]
    return (report.measure_property == name or any(d.property == name for d in report.dimensions)
            or any(c.get("property") == name for c in conditions))  # fmt: skip


def _source(con: duckdb.DuckDBPyConnection, report: Report) -> _Source:
    kind, target = report.kind, report.target
    account = get_customer_settings(con)
    if kind == "object":
        if get_object(con, target) is None:
            raise ReportError([f"Unknown source {report.source!r}: there is no object {target!r}."])
        props = {p.name: p for p in list_properties(con, target)}
        owner = (
            account.owner_property
            if target == account.object
            else ("owner_id" if "owner_id" in props else None)
        )
        return _Source(ident(target), [], props, owner, target)
    if kind == "tasks":
        props = {
            p.name: p for p in list_properties(con, "tasks") if p.name not in ("owner_id", "record")
        }
        props["owner"] = _prop("tasks", "owner", "Owner", "user")
        props["record"] = _prop("tasks", "record", "Record", "string")
        record = linked_title_sql(con, "t") if uses(report, "record") else "NULL::VARCHAR"
        sql = f"(SELECT t.*, t.owner_id AS owner, {record} AS record FROM tasks t)"
        return _Source(sql, [], props, "owner", None)
    if kind == "activities":
        props = {
            "activity_type": _prop("activities", "activity_type", "Activity type", "enumeration", activities.LABELS),
            "occurred_at": _prop("activities", "occurred_at", "Date", "datetime"),
            "user": _prop("activities", "user", "User", "user"),
            "record": _prop("activities", "record", "Record", "string"),
        }  # fmt: skip
        sql = (f"(SELECT a.*, a.user_id AS user, coalesce({title_sql(con, 'contacts', 'c')}, co.name) AS record "
               "FROM activities a LEFT JOIN contacts c ON c.id = a.contact_id LEFT JOIN companies co ON co.id = a.company_id)"
               if uses(report, "record") else "(SELECT a.*, a.user_id AS user, NULL::VARCHAR AS record FROM activities a)")  # fmt: skip
        return _Source(sql, [], props, "user", None)
    if kind == "health":
        from cs_core.health.profiles import get_profile

        profile = get_profile(con, name=target)
        if profile is None:
            raise ReportError(
                [f"Unknown source {report.source!r}: there is no health profile named {target!r}."]
            )
        obj = profile.object
        props = {p.name: p for p in list_properties(con, obj)}
        owner_col = account.owner_property if obj == account.object else "owner_id"
        owner_sql = col("o", owner_col) if owner_col in props else "NULL"
        props.update({
            "score_date": _prop(obj, "score_date", "Score date", "date"),
            "score": _prop(obj, "score", "Score", "number"),
            "category": _prop(obj, "category", "Category", "enumeration", CATEGORY_LABELS),
            "owner": _prop(obj, "owner", "Owner", "user"),
            "latest": _prop(obj, "latest", "Latest score", "boolean"),
        })  # fmt: skip
        sql = (f"(SELECT o.*, h.score_date, h.score, h.category, {owner_sql} AS owner, "
               "coalesce(hc.score_date = h.score_date, FALSE) AS latest FROM health_scores h "
               f"JOIN {ident(obj)} o ON o.id = h.record_id LEFT JOIN health_current hc ON hc.profile_id = h.profile_id "
               "AND hc.record_id = h.record_id WHERE h.profile_id = ?)")  # fmt: skip
        return _Source(sql, [profile.id], props, "owner", None)
    raise ReportError([f"Unknown source {report.source!r}."])


def describe(con: duckdb.DuckDBPyConnection, report: Report) -> _Source:
    """A (non-retention) source: its properties and the property ``$owner`` means."""
    return _source(con, report)


def source_properties(con: duckdb.DuckDBPyConnection, report: Report) -> dict[str, Property]:
    """The properties a (non-retention) report's filters, measure and dimensions may name."""
    return _source(con, report).props


def check(con: duckdb.DuckDBPyConnection, report: Report) -> list[str]:
    """Every problem of the definition against the catalog (empty: it can run)."""
    if report.kind == "retention":
        from cs_core.reports.retention_source import check_retention

        return check_retention(con, report)
    try:
        source = _source(con, report)
    except ReportError as exc:
        return list(exc.problems)
    return _problems(report, source)


def _problems(report: Report, source: _Source) -> list[str]:
    problems = []
    props = source.props
    if report.op != "count":
        prop = props.get(report.measure_property)
        if prop is None:
            problems.append(f"Unknown property {report.measure_property!r} to measure.")
        elif report.op in NUMBER_OPS and prop.type != "number":
            problems.append(
                f"{report.op} needs a number property; {prop.label!r} is {_a(prop.type)} property."
            )
    for d in report.dimensions:
        prop = props.get(d.property)
        if prop is None:
            problems.append(f"Unknown property {d.property!r} to group by.")
        elif d.grain and prop.type not in DATES:
            problems.append(
                f"A grain groups a date or datetime; {prop.label!r} is {_a(prop.type)} property."
            )
    try:
        filters.compile_filter(report.filters, props, today=date(2000, 1, 1), me=0, owner=source.owner,
                               object_name=source.object_name)  # fmt: skip
    except FilterError as exc:
        problems.append(f"Filters: {exc}")
    return problems


def _a(kind: str) -> str:
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


_FORMATS = {
    "day": "strftime({k}, '%Y-%m-%d')",
    "week": "strftime({k}, '%Y-%m-%d')",
    "month": "strftime({k}, '%Y-%m')",
    "quarter": "CAST(year({k}) AS VARCHAR) || '-Q' || CAST(quarter({k}) AS VARCHAR)",
    "year": "CAST(year({k}) AS VARCHAR)",
}


def _group_sql(prop: Property, grain: str | None, column: str) -> str:
    """What rows are grouped on: the value, its bucket (the first moment of its day, ISO week,
    month, quarter or year in the workspace's zone) or the user's id."""
    if prop.type in DATES and grain:
        local = clock.local_sql(column, WORKSPACE_ZONE) if prop.type == "datetime" else column
        return f"date_trunc('{grain}', {local})"
    if prop.type in ("string", "enumeration", "email", "url", "phone"):
        return f"CASE WHEN trim(CAST({column} AS VARCHAR)) = '' THEN NULL ELSE {column} END"
    return column


def _shown_sql(prop: Property, grain: str | None, grouped: str) -> str:
    """A group's key as reports.md gives it, from what it was grouped on (computed once per
    group, not per row): the bucket's name, the user's name, else the value."""
    if prop.type in DATES and grain:
        return _FORMATS[grain].format(k=grouped)
    if prop.type == "user":
        return f"(SELECT u.name FROM users u WHERE u.id = {grouped})"
    return grouped


def _key_sql(prop: Property, grain: str | None, column: str) -> str:
    return _shown_sql(prop, grain, _group_sql(prop, grain, column))


def _measure_sql(report: Report, props: dict[str, Property]) -> str:
    if report.op == "count":
        return "count(*)"
    prop = props[report.measure_property]
    column = col("r", prop.name)
    if report.op == "count_distinct":
        return f"count(DISTINCT {_key_sql(prop, None, column)})"
    return f"{report.op}({column})"


def run(
    con: duckdb.DuckDBPyConnection, report: Report, *, now: datetime, user: User | None = None
) -> Result:
    """The result of ``report``: refused with every problem named when it cannot run."""
    if report.kind == "retention":
        from cs_core.reports.retention_source import run_retention

        return run_retention(con, report, now=now)
    source = _source(con, report)
    problems = _problems(report, source)
    if problems:
        raise ReportError(problems)
    zone = user.time_zone if user else WORKSPACE_ZONE
    where = filters.compile_filter(report.filters, source.props, today=clock.local_date(now, zone), time_zone=zone,
                                   me=user.id if user else None, owner=source.owner,
                                   object_name=source.object_name, alias="r")  # fmt: skip
    measure = _measure_sql(report, source.props)
    dims = [(source.props[d.property], d.grain, col("r", d.property)) for d in report.dimensions]
    columns = (*(d.column for d in report.dimensions), "value")
    base = f"FROM {source.sql} r WHERE {where.sql}"
    params = [*source.params, *where.params]
    if not dims:
        rows = con.execute(f"SELECT {measure} {base}", params).fetchall()
        return Result(columns, tuple((_value(r[0], report),) for r in rows))
    # Rows are grouped on raw values (g0, g1); the keys people read (k0, k1) are made per group.
    raw = ", ".join(f"{_group_sql(p, grain, c)} AS g{i}" for i, (p, grain, c) in enumerate(dims))
    shown = ", ".join(
        f"{_shown_sql(p, grain, f'g{i}')} AS k{i}" for i, (p, grain, _) in enumerate(dims)
    )
    grouped = f"SELECT {shown}, value, {', '.join(f'g{i}' for i in range(len(dims)))} FROM (SELECT {raw}, {measure} AS value {base} GROUP BY ALL)"
    names = ", ".join(f"k{i}" for i in range(len(dims)))
    if report.sort == "dimension":
        first = "k0 ASC NULLS LAST"
        order = ", ".join(f"k{i} ASC NULLS LAST" for i in range(len(dims)))
        sql = f"WITH g AS ({grouped}) SELECT {names}, value, dense_rank() OVER (ORDER BY {first}) AS n FROM g ORDER BY {order}"
        run_params = params
    elif len(dims) == 1:
        sql = (f"WITH g AS ({grouped}) SELECT {names}, value, row_number() OVER (ORDER BY value DESC NULLS LAST, k0 ASC NULLS LAST) "
               "AS n FROM g ORDER BY n")  # fmt: skip
        run_params = params
    else:  # the first dimension's values by their measure over all their rows, then each value's rows
        p0, grain0, c0 = dims[0]
        totals = (
            f"SELECT {_group_sql(p0, grain0, c0)} AS g0, {measure} AS total {base} GROUP BY ALL"
        )
        sql = (f"WITH g AS ({grouped}), t AS ({totals}) SELECT g.k0, g.k1, g.value, dense_rank() OVER "
               "(ORDER BY t.total DESC NULLS LAST, g.k0 ASC NULLS LAST, g.g0 ASC NULLS LAST) AS n FROM g "
               "JOIN t ON t.g0 IS NOT DISTINCT FROM g.g0 ORDER BY n, g.value DESC NULLS LAST, g.k1 ASC NULLS LAST")  # fmt: skip
        run_params = [*params, *params]
    rows = con.execute(sql, run_params).fetchall()
    if report.limit is not None:
        rows = [r for r in rows if r[-1] <= report.limit]
    return Result(
        columns,
        tuple((*(_key(k) for k in r[: len(dims)]), _value(r[len(dims)], report)) for r in rows),
    )


def _key(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _value(value, report: Report):
    if value is None:
        return None
    if report.op in ("count", "count_distinct"):
        return int(value)
    return float(value)
