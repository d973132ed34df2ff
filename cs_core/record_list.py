"""Pages of an object's records through a view: filter, sort, page, count, export (CUS-2, DAT-3)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from cs_core import filters
from cs_core.health.reports import CATEGORIES, CATEGORY_LABELS, current_health_sql, has_live_profile
from cs_core.record_values import title_sql
from cs_core.records import Property, get_object, list_properties

PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class Query:
    """What to list: an object, a filter spec, columns and a sort, seen by one user."""

    object: str
    spec: list
    columns: tuple[str, ...]
    sort: tuple[tuple[str, str], ...] = ()
    owner_property: str | None = None


@dataclass(frozen=True)
class RecordPage:
    rows: pd.DataFrame  # an "id" column, then one column per view column, named by label
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


HEALTH_SCORE, HEALTH_CATEGORY = "health_score", "health_category"


def listing_properties(con: duckdb.DuckDBPyConnection, object_name: str) -> dict[str, Property]:
    """The object's catalog, plus health score and category when a live profile scores it."""
    props = {p.name: p for p in list_properties(con, object_name)}
    if has_live_profile(con, object_name):
        for name, label, kind, options in ((HEALTH_SCORE, "Health score", "number", ()),
                                           (HEALTH_CATEGORY, "Health category", "enumeration", CATEGORIES)):  # fmt: skip
            props.setdefault(
                name, Property(object_name, name, label, kind, options, "Health", False, True)
            )
    return props


def _display(prop: Property, alias: str = "r") -> str:
    """A column as people read it: user names, pipeline and stage labels."""
    col = f'{alias}."{prop.name}"'
    if prop.type == "user":
        return f"(SELECT name FROM users WHERE id = {col})"
    if prop.type == "pipeline":
        return f"(SELECT label FROM pipelines WHERE id = {col})"
    if prop.type == "stage":
        return f"(SELECT label FROM stages WHERE id = {col})"
    if prop.name == HEALTH_CATEGORY and prop.group_name == "Health":
        cases = " ".join(f"WHEN '{c}' THEN '{CATEGORY_LABELS[c]}'" for c in CATEGORIES)
        return f"CASE {col} {cases} END"
    return col


def _sort_key(prop: Property, alias: str = "r") -> str:
    if prop.type in ("user", "pipeline", "stage"):
        return _display(prop, alias)
    if prop.type in ("string", "enumeration"):
        return f'lower({alias}."{prop.name}")'
    return f'{alias}."{prop.name}"'


def _parts(con: duckdb.DuckDBPyConnection, query: Query, *, user_id: int | None, today: date):
    if get_object(con, query.object) is None:
        raise ValueError(f"There is no object {query.object!r}.")
    props = listing_properties(con, query.object)
    where = filters.compile_filter(
        query.spec, props, today=today, me=user_id, owner=query.owner_property,
        object_name=query.object,
    )  # fmt: skip
    columns = [props[c] for c in query.columns if c in props]
    select = ", ".join(f'{_display(p)} AS "{p.label}"' for p in columns)
    order = [f"{_sort_key(props[name])} {'DESC' if d == 'desc' else 'ASC'} NULLS LAST"
             for name, d in query.sort if name in props]  # fmt: skip
    order_sql = ", ".join([*order, "r.id"])
    table = f'"{query.object}"'
    used = (
        {c["property"] for g in filters.normalise(query.spec) for c in g}
        | set(query.columns)
        | {name for name, _ in query.sort}
    )
    if used & {HEALTH_SCORE, HEALTH_CATEGORY} and HEALTH_SCORE in props:
        health, health_params = current_health_sql(query.object)
        table = (f"(SELECT o.*, hs.score AS {HEALTH_SCORE}, hs.category AS {HEALTH_CATEGORY} FROM {table} o "
                 f"LEFT JOIN ({health}) hs ON hs.record_id = o.id)")  # fmt: skip
        where = filters.Compiled(where.sql, [*health_params, *where.params])
    return table, where, select, order_sql


def count(con: duckdb.DuckDBPyConnection, query: Query, *, user_id: int | None, today: date) -> int:
    """How many records the query matches."""
    table, where, _, _ = _parts(con, query, user_id=user_id, today=today)
    return con.execute(
        f"SELECT count(*) FROM {table} r WHERE {where.sql}", where.params
    ).fetchone()[0]


def page(con: duckdb.DuckDBPyConnection, query: Query, *, user_id: int | None, today: date,
         number: int = 1, size: int = 25) -> RecordPage:  # fmt: skip
    """One page (1-based) of matching records and the total count."""
    if size not in PAGE_SIZES:
        raise ValueError(f"A page has {', '.join(map(str, PAGE_SIZES))} rows, not {size}.")
    table, where, select, order = _parts(con, query, user_id=user_id, today=today)
    total = con.execute(
        f"SELECT count(*) FROM {table} r WHERE {where.sql}", where.params
    ).fetchone()[0]
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    rows = con.execute(
        f"SELECT r.id{', ' + select if select else ''} FROM {table} r WHERE {where.sql} "
        f"ORDER BY {order} LIMIT ? OFFSET ?",
        [*where.params, size, (number - 1) * size],
    ).df()
    return RecordPage(rows=rows, total=total, page=number, page_size=size)


def export_csv(
    con: duckdb.DuckDBPyConnection, query: Query, *, user_id: int | None, today: date
) -> bytes:
    """Every matching record (not just a page) as CSV, columns headed by their labels."""
    table, where, select, order = _parts(con, query, user_id=user_id, today=today)
    frame = con.execute(
        f'SELECT r.id AS "Record ID"{", " + select if select else ""} FROM {table} r '
        f"WHERE {where.sql} ORDER BY {order}",
        where.params,
    ).df()
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def search(con: duckdb.DuckDBPyConnection, object_name: str, text: str, *, limit: int = 20,
           exclude: int | None = None) -> list[tuple[int, str]]:  # fmt: skip
    """Records whose name contains ``text`` (case-insensitive): (id, name), best first."""
    if get_object(con, object_name) is None:
        raise ValueError(f"There is no object {object_name!r}.")
    title = title_sql(con, object_name)
    needle = (text or "").strip().lower()
    rows = con.execute(
        f'SELECT r.id, {title} AS t FROM "{object_name}" r '
        f"WHERE contains(lower({title}), ?) AND r.id IS DISTINCT FROM ? "
        "ORDER BY NOT starts_with(lower(t), ?), lower(t), r.id LIMIT ?",
        [needle, exclude, needle, limit],
    ).fetchall()
    return [(r[0], r[1]) for r in rows]
