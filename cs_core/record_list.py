"""Pages of an object's records through a view: filter, sort, page, count, export (CUS-2, DAT-3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from cs_core import clock, csvfile, filters
from cs_core.health.reports import (
    CATEGORIES,
    CATEGORY_LABELS,
    current_health_sql,
    live_profile_count,
)
from cs_core.record_values import linked_title_sql, owner_column, record_names, title_sql
from cs_core.records import TASKS, Property, get_object, list_properties, source_exists
from cs_core.sql import col, ident, literal

PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class Query:
    """What to list: an object, a filter spec, columns and a sort, seen by one user."""

    object: str
    spec: list
    columns: tuple[str, ...]
    sort: tuple[tuple[str, str], ...] = ()
    owner_property: str | None = None
    search: str = ""  # words in the record's name (a task's title or its record's name)


@dataclass(frozen=True)
class Viewer:
    """Who looks, and when: the acting user's id and zone, and the clock. A listing depends on
    the clock through :attr:`today` and the score date of :attr:`now` only (ui.listing_data
    keeps a page all day on them)."""

    user_id: int | None
    now: datetime
    time_zone: str = "UTC"

    @property
    def today(self):
        return clock.local_date(self.now, self.time_zone)


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
HEALTH_PROFILE = "health_profile"  # which profile a row's health columns show (several live)
HEALTH_COLUMNS = (HEALTH_SCORE, HEALTH_CATEGORY, HEALTH_PROFILE)


def listing_properties(con: duckdb.DuckDBPyConnection, object_name: str) -> dict[str, Property]:
    """The object's catalog, plus health score and category (in effect: an active override's)
    when a live profile scores it, and the profile they come from when several do."""
    props = {p.name: p for p in list_properties(con, object_name)}
    live = live_profile_count(con, object_name)
    if live:
        extra = [(HEALTH_SCORE, "Health score", "number", ()),
                 (HEALTH_CATEGORY, "Health category", "enumeration", CATEGORIES)]  # fmt: skip
        if live > 1:
            extra.append((HEALTH_PROFILE, "Health profile", "string", ()))
        for name, label, kind, options in extra:
            labels = tuple(CATEGORY_LABELS.items()) if name == HEALTH_CATEGORY else ()
            props.setdefault(
                name,
                Property(object_name, name, label, kind, options, "Health", False, True, labels),
            )
    return props


def _display(prop: Property, alias: str = "r", time_zone: str = "UTC", linked: str = "") -> str:
    """A column as people read it: user names, pipeline and stage labels, times in their zone,
    an associated record's name (``linked``: its SQL)."""
    if prop.type == "record":
        return linked
    if prop.type == "enumeration" and prop.option_labels:
        column = col(alias, prop.name)
        cases = " ".join(
            f"WHEN {literal(v)} THEN {literal(label)}" for v, label in prop.option_labels
        )
        return f"CASE {column} {cases} ELSE {column} END"
    column = col(alias, prop.name)
    if prop.type == "datetime":
        return clock.local_sql(column, time_zone)
    if prop.type == "boolean":
        return f"CASE WHEN {column} THEN 'Yes' WHEN NOT {column} THEN 'No' END"
    if prop.type == "user":
        return f"(SELECT name FROM users WHERE id = {column})"
    if prop.type == "pipeline":
        return f"(SELECT label FROM pipelines WHERE id = {column})"
    if prop.type == "stage":
        return f"(SELECT label FROM stages WHERE id = {column})"
    if prop.name == HEALTH_CATEGORY and prop.group_name == "Health":
        cases = " ".join(
            f"WHEN {literal(c)} THEN {literal(CATEGORY_LABELS[c])}" for c in CATEGORIES
        )
        return f"CASE {column} {cases} END"
    return column


def _sort_key(prop: Property, alias: str = "r", linked: str = "") -> str:
    if prop.type == "record":
        return f"lower({linked})"
    if prop.type in ("user", "pipeline", "stage"):
        return _display(prop, alias)
    if prop.type in ("string", "enumeration"):
        return f"lower({col(alias, prop.name)})"
    return col(alias, prop.name)


def headings(columns: list[Property], *, taken: tuple[str, ...] = ("id",)) -> list[str]:
    """The columns' labels as table headings, made unique (with the internal name) where two
    properties share a label or a label is ``taken`` by another column."""
    seen = set(taken)
    out = []
    for p in columns:
        label = p.label if p.label not in seen else f"{p.label} ({p.name})"
        seen.add(label)
        out.append(label)
    return out


_RECORD_KEY = "(r.object || ':' || CAST(r.record_id AS VARCHAR))"  # named after the query


def _parts(
    con: duckdb.DuckDBPyConnection, query: Query, viewer: Viewer, *, names_after: bool = False,
    props: dict[str, Property] | None = None,
):  # fmt: skip
    """FROM, WHERE, select list (aliased c0, c1, ... by position) and ORDER BY of a query.
    ``names_after``: an associated record's column holds "object:id", named by
    :func:`_name_records` (for a page: a few lookups by id instead of a join per object).
    ``props``: the object's :func:`listing_properties`, when the caller has read them."""
    if props is None:
        if not source_exists(con, query.object):
            raise ValueError(f"There is no object {query.object!r}.")
        props = listing_properties(con, query.object)
    where = filters.compile_filter(
        query.spec, props, today=viewer.today, time_zone=viewer.time_zone, me=viewer.user_id,
        owner=query.owner_property, object_name=query.object,
    )  # fmt: skip
    columns = [props[c] for c in query.columns if c in props]
    linked = linked_title_sql(con, "r") if query.object == TASKS else ""
    # Aliased by position: labels are people's text and never enter SQL.
    select = ", ".join(
        f"{_display(p, time_zone=viewer.time_zone, linked=_RECORD_KEY if names_after else linked)} AS c{i}"
        for i, p in enumerate(columns)
    )
    order = [f"{_sort_key(props[name], linked=linked)} {'DESC' if d == 'desc' else 'ASC'} NULLS LAST"
             for name, d in query.sort if name in props]  # fmt: skip
    order_sql = ", ".join([*order, "r.id"])
    table = ident(query.object)
    parts, params = [where.sql], list(where.params)
    if query.object == TASKS:  # only the tasks the viewer may see
        from cs_core import tasks

        scope = tasks.scope(con, viewer.user_id)
        parts.append(scope.sql)
        params += scope.params
    needle = (query.search or "").strip().lower()[:200]
    if needle:
        if query.object == TASKS:
            parts.append(f"(contains(lower(r.title), ?) OR contains(lower({linked}), ?))")
            params += [needle, needle]
        else:
            parts.append(f"contains(lower({title_sql(con, query.object)}), ?)")
            params.append(needle)
    where = filters.Compiled(" AND ".join(parts), params) if len(parts) > 1 else where
    if _health_needed(query, props, columns=False):
        table, health_params = _with_health(query.object, table, viewer)
        where = filters.Compiled(where.sql, [*health_params, *where.params])
    return table, where, select, order_sql, columns, props


def _health_needed(query: Query, props: dict[str, Property], *, columns: bool) -> bool:
    """Whether the query filters or sorts on health (``columns``: or shows it)."""
    if HEALTH_SCORE not in props:
        return False
    used = {
        c.get("property") for g in filters.normalise(query.spec) for c in g if isinstance(c, dict)
    }
    used |= {name for name, _ in query.sort}
    if columns:
        used |= set(query.columns)
    return bool(used & set(HEALTH_COLUMNS))


def _with_health(
    object_name: str, table: str, viewer: Viewer, within: str | None = None
) -> tuple[str, list]:
    """``table`` with the health columns (the scores in effect) joined on; ``within`` limits
    the scores read to those records."""
    health, params = current_health_sql(
        object_name, day=clock.score_date(viewer.now), within=within
    )
    return (f"(SELECT o.*, hs.score AS {HEALTH_SCORE}, hs.category AS {HEALTH_CATEGORY}, "
            f"hs.profile_name AS {HEALTH_PROFILE} FROM {table} o "
            f"LEFT JOIN ({health}) hs ON hs.record_id = o.id)"), params  # fmt: skip


def where_sql(con: duckdb.DuckDBPyConnection, query: Query, viewer: Viewer) -> filters.Compiled:
    """The WHERE clause over ``<object> r`` of the records the query matches (a set-based
    write's target: every match, not a page)."""
    table, where, _, _, _, _ = _parts(con, query, viewer)
    if table != ident(query.object):
        raise ValueError("A query on health scores cannot select records to change.")
    return where


def count(con: duckdb.DuckDBPyConnection, query: Query, viewer: Viewer) -> int:
    """How many records the query matches."""
    return counts(con, [query], viewer)[0]


def counts(con: duckdb.DuckDBPyConnection, queries: list[Query], viewer: Viewer) -> list[int]:
    """How many records each query matches (the catalog of each object read once)."""
    catalogs: dict[str, dict[str, Property]] = {}
    found = []
    for query in queries:
        if query.object not in catalogs:
            if not source_exists(con, query.object):
                raise ValueError(f"There is no object {query.object!r}.")
            catalogs[query.object] = listing_properties(con, query.object)
        table, where, *_ = _parts(con, query, viewer, props=catalogs[query.object])
        sql = f"SELECT count(*) FROM {table} r WHERE {where.sql}"
        found.append(con.execute(sql, where.params).fetchone()[0])
    return found


def owned_tables(
    con: duckdb.DuckDBPyConnection, query: Query, viewer: Viewer
) -> frozenset[str] | None:
    """The tables in which a listing of ``query`` depends on the viewer's own rows only, for
    :func:`cs_core.snapshot.scoped`: when every group of its filter keeps only records whose
    owner "is me", the tasks of a task listing (by their owner), or the account object's
    records and their scores (by its owner property). None when the listing may show anybody's
    rows of those tables: another object, a filter without the owner in a group, or an
    account listing that shows, sorts or filters on an associated record (another account).
    Other tables (an associated record's name, the history) count as any read's."""
    owner = owner_column(con, query.object)
    if viewer.user_id is None or owner is None:
        return None
    tables = frozenset(
        {TASKS}
        if query.object == TASKS
        else {query.object.lower(), "health_current", "health_scores"}
    )
    try:
        groups = filters.normalise(query.spec)
    except filters.FilterError:
        return None  # refused when the listing compiles it
    conds = [c for g in groups for c in g]
    if (
        not all(isinstance(c, dict) for c in conds)
        or not groups
        or not all(any(_mine(c, owner, query) for c in g) for g in groups)
    ):
        return None
    if query.object != TASKS:
        props = listing_properties(con, query.object)
        used = {c.get("property") for c in conds} | set(query.columns)
        if any(props[n].type == "record" for n in used | {n for n, _ in query.sort} if n in props):
            return None
    return tables


def _mine(cond, owner: str, query: Query) -> bool:
    named = cond.get("property")
    return (
        (named == owner or (named == filters.OWNER and query.owner_property == owner))
        and cond.get("operator") == "eq"
        and cond.get("value") == filters.ME
    )


_LOOKED_UP = ("user", "pipeline", "stage", "record")  # sorted by a name from another table


def page(con: duckdb.DuckDBPyConnection, query: Query, viewer: Viewer, *, number: int = 1,
         size: int = 25) -> RecordPage:  # fmt: skip
    """One page (1-based) of matching records and the total count."""
    if size not in PAGE_SIZES:
        raise ValueError(f"A page has {', '.join(map(str, PAGE_SIZES))} rows, not {size}.")
    table, where, select, order, columns, props = _parts(con, query, viewer, names_after=True)
    total = con.execute(
        f"SELECT count(*) FROM {table} r WHERE {where.sql}", where.params
    ).fetchone()[0]
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    if _health_needed(query, props, columns=True) and not _health_needed(
        query, props, columns=False
    ):
        # Health only shown: the page's rows first, then their scores (not every record's).
        shown, params = _with_health(
            query.object, "page_rows", viewer, within="SELECT id FROM page_rows"
        )
        rows = con.execute(
            f"WITH page_rows AS (SELECT r.* FROM {table} r WHERE {where.sql} ORDER BY {order} LIMIT ? OFFSET ?) "
            f"SELECT r.id, {select} FROM {shown} r ORDER BY {order}",
            [*where.params, size, (number - 1) * size, *params],
        ).df()  # fmt: skip
    elif select and not any(props[n].type in _LOOKED_UP for n, _ in query.sort if n in props):
        # The page's rows first, then what they show: names looked up in other tables (an
        # owner, an associated record) for those rows only, not for every match.
        rows = con.execute(
            f"WITH page_rows AS (SELECT r.* FROM {table} r WHERE {where.sql} ORDER BY {order} LIMIT ? OFFSET ?) "
            f"SELECT r.id, {select} FROM page_rows r ORDER BY {order}",
            [*where.params, size, (number - 1) * size],
        ).df()  # fmt: skip
    else:
        rows = con.execute(
            f"SELECT r.id{', ' + select if select else ''} FROM {table} r WHERE {where.sql} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            [*where.params, size, (number - 1) * size],
        ).df()
    _name_records(con, rows, columns)
    rows.columns = ["id", *headings(columns)]
    return RecordPage(rows=rows, total=total, page=number, page_size=size)


def _name_records(
    con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, columns: list[Property]
) -> None:
    """Replace the "object:id" of associated-record columns by the records' names."""
    for i, p in enumerate(columns, start=1):
        if p.type != "record" or rows.empty:
            continue
        keys = rows.iloc[:, i]
        pairs = {(k.rpartition(":")[0], int(k.rpartition(":")[2])) for k in keys.dropna()}
        names = record_names(con, pairs)
        rows.iloc[:, i] = [None if pd.isna(k) else names.get((k.rpartition(":")[0], int(k.rpartition(":")[2])))
                           for k in keys]  # fmt: skip


def export_frame(con: duckdb.DuckDBPyConnection, query: Query, viewer: Viewer) -> pd.DataFrame:
    """Every matching record (not just a page), columns headed by their labels."""
    table, where, select, order, columns, props = _parts(con, query, viewer)
    if _health_needed(query, props, columns=True) and not _health_needed(
        query, props, columns=False
    ):
        table, params = _with_health(query.object, table, viewer)
        where = filters.Compiled(where.sql, [*params, *where.params])
    frame = con.execute(
        f"SELECT r.id{', ' + select if select else ''} FROM {table} r WHERE {where.sql} ORDER BY {order}",
        where.params,
    ).df()
    first = "Task ID" if query.object == TASKS else "Record ID"
    frame.columns = [first, *headings(columns, taken=(first,))]
    zone = viewer.time_zone
    return frame.rename(columns={frame.columns[i]: f"{frame.columns[i]} ({zone})"
                                 for i, p in enumerate(columns, start=1) if p.type == "datetime"})  # fmt: skip


def export_csv(con: duckdb.DuckDBPyConnection, query: Query, viewer: Viewer) -> bytes:
    """Every matching record as CSV, columns headed by their labels."""
    return csvfile.to_bytes(export_frame(con, query, viewer))


def search(con: duckdb.DuckDBPyConnection, object_name: str, text: str, *, limit: int = 20,
           exclude: int | None = None) -> list[tuple[int, str]]:  # fmt: skip
    """Records whose name contains ``text`` (case-insensitive): (id, name), best first."""
    if get_object(con, object_name) is None:
        raise ValueError(f"There is no object {object_name!r}.")
    title = title_sql(con, object_name)
    needle = (text or "").strip().lower()
    rows = con.execute(
        f"SELECT r.id, {title} AS t FROM {ident(object_name)} r "
        f"WHERE contains(lower({title}), ?) AND r.id IS DISTINCT FROM ? "
        "ORDER BY NOT starts_with(lower(t), ?), lower(t), r.id LIMIT ?",
        [needle, exclude, needle, limit],
    ).fetchall()
    return [(r[0], r[1]) for r in rows]
