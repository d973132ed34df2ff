"""What the record preview and the record page show (CUS-5, CUS-8)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from cs_core import activities as record_activities
from cs_core import clock
from cs_core.record_values import as_text, get_record, title_sql
from cs_core.records import Property, list_objects, list_properties
from cs_core.sql import id_list, ident
from cs_core.users import User

# The properties a preview shows first, per standard object; others show their first ten.
PRIMARY = {
    "companies": ["name", "domain", "segment", "plan", "industry", "csm_id", "owner_id",
                  "renewal_date", "lifecycle_stage", "nps", "open_tickets", "last_activity_at"],
    "contacts": ["first_name", "last_name", "email", "job_title", "phone", "owner_id",
                 "lifecycle_stage", "last_activity_at"],
}  # fmt: skip
ACTIVITY_LABELS = record_activities.LABELS


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str
    value: object  # as stored
    display: str  # as people read it ("" when empty)


@dataclass(frozen=True)
class Preview:
    object: str
    id: int
    title: str
    fields: tuple[Field, ...]
    activities: pd.DataFrame
    associations: dict[str, pd.DataFrame]  # object label -> id, name (first 10)
    association_counts: dict[str, int]
    following: bool


def _labels(
    con: duckdb.DuckDBPyConnection, table: str, column: str, ids: set[int]
) -> dict[int, str]:
    if not ids:
        return {}
    rows = con.execute(
        f"SELECT id, {column} FROM {table} WHERE list_contains(?, id)", [list(ids)]
    ).fetchall()
    return dict(rows)


def fields(con: duckdb.DuckDBPyConnection, object_name: str, record: dict,
           props: list[Property], *, time_zone: str = "UTC") -> list[Field]:  # fmt: skip
    """Display values for these properties (user names, pipeline and stage labels; dates and
    times in ``time_zone``)."""
    refs = {
        "user": ("users", "name"),
        "pipeline": ("pipelines", "label"),
        "stage": ("stages", "label"),
    }
    names = {kind: _labels(con, table, col, {record[p.name] for p in props if p.type == kind and record.get(p.name) is not None})
             for kind, (table, col) in refs.items()}  # fmt: skip
    out = []
    for p in props:
        value = record.get(p.name)
        if p.type in refs and value is not None:
            display = names[p.type].get(value, f"#{value}")
        elif p.type == "datetime" and value is not None:
            display = clock.shown(value, time_zone)
        elif p.type == "boolean" and value is not None:
            display = "Yes" if value else "No"
        elif p.type == "number" and value is not None:
            display = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        else:
            display = as_text(value) or ""
        out.append(Field(p.name, p.label, p.type, value, display))
    return out


def activities(con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *,
               types: list[str] | None = None, limit: int = 10, offset: int = 0,
               time_zone: str = "UTC") -> pd.DataFrame:  # fmt: skip
    """The record's activities newest first (a company's include its contacts'), their times in
    ``time_zone``."""
    where, params = record_activities.of_record(object_name, record_id)
    if types:
        where += " AND list_contains(?, a.activity_type)"
        params.append(list(types))
    # The record's activities (its index finds them), then the page of them, then the names of
    # their contacts and users by id: joined in one statement, DuckDB would scan every activity
    # and contact. The record's rows are gathered first (a materialised CTE) because DuckDB
    # turns a filter with ORDER BY ... LIMIT into a scan of every activity for the top rows
    # (6 ms at M, against 1 ms). Times are turned to local ones here: for a page of rows,
    # DuckDB's time-zone function costs more than the whole index lookup.
    rows = con.execute(
        "WITH mine AS MATERIALIZED (SELECT a.id, a.occurred_at, a.activity_type, a.subject, "
        f"a.contact_id, a.user_id FROM activities a WHERE {where}) "
        "SELECT occurred_at, activity_type, subject, contact_id, user_id FROM mine "
        "ORDER BY occurred_at DESC, id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset]).fetchall()  # fmt: skip
    contacts = {r[3] for r in rows if r[3] is not None}
    people = {r[4] for r in rows if r[4] is not None}
    names: dict[tuple[str, int], str | None] = {}
    if rows and (contacts or people):
        names = {(kind, i): n for kind, i, n in con.execute(
            "SELECT 'c', id, nullif(trim(concat_ws(' ', first_name, last_name)), '') FROM contacts "
            f"WHERE id IN ({id_list(contacts)}) UNION ALL SELECT 'u', id, name FROM users WHERE id IN ({id_list(people)})"
        ).fetchall()}  # fmt: skip
    return pd.DataFrame(
        {"When": [clock.local(r[0], time_zone) for r in rows], "Type": [ACTIVITY_LABELS.get(r[1]) for r in rows],
         "What": [r[2] for r in rows], "Contact": [names.get(("c", r[3])) for r in rows],
         "By": [names.get(("u", r[4])) for r in rows]},
        columns=["When", "Type", "What", "Contact", "By"],
    )  # fmt: skip


def activity_count(con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *,
                   types: list[str] | None = None) -> int:  # fmt: skip
    where, params = record_activities.of_record(object_name, record_id)
    if types:
        where += " AND list_contains(?, a.activity_type)"
        params.append(list(types))
    return con.execute(f"SELECT count(*) FROM activities a WHERE {where}", params).fetchone()[0]


def associations(con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *, limit: int = 10,
                 objects: dict | None = None) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:  # fmt: skip
    """Associated records by object label (id and name, first ``limit``) and their counts, in
    one query; ``objects``, the catalog's objects by name when the caller has them."""
    objects = objects or {o.name: o for o in list_objects(con, enabled_only=False)}
    # The record's links (one scan), then each linked object's records by id (index joins).
    links: dict[str, list[int]] = {}
    for other, to_id in con.execute(
        "SELECT to_object, to_id FROM associations WHERE from_object = ? AND from_id = ?", [object_name, record_id]
    ).fetchall():  # fmt: skip
        if other in objects:
            links.setdefault(other, []).append(to_id)
    if not links:
        return {}, {}
    # Each linked object's first ``limit`` by name (its records by id: index joins), and how
    # many of them exist (a window over the few linked rows, not over the object).
    parts, params = [], []
    for other, ids in sorted(links.items()):
        parts.append(
            f"(SELECT ? AS obj, r.id, {title_sql(con, other, info=objects[other])} AS name, count(*) OVER () AS n "
            f"FROM {ident(other)} r WHERE r.id IN ({id_list(ids)}) ORDER BY lower(name), r.id LIMIT ?)"
        )  # fmt: skip
        params += [other, limit]
    rows = con.execute(
        f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY obj, lower(name), id", params
    ).fetchall()
    frames, counts = {}, {}
    for other in sorted(links):
        mine = [r for r in rows if r[0] == other]
        if not mine:
            continue
        label = objects[other].label_plural
        frames[label] = pd.DataFrame({"id": [r[1] for r in mine], "Name": [r[2] for r in mine]})
        counts[label] = int(mine[0][3])
    return frames, counts


DEFAULT_IMPORTED = 6  # imported (custom) properties a preview shows until settings choose


def preview_properties(con: duckdb.DuckDBPyConnection, object_name: str,
                       props: dict[str, Property] | None = None) -> list[str]:  # fmt: skip
    """The properties the object's preview shows: as chosen in settings, else the standard
    ones of :data:`PRIMARY` and the first imported properties (an object without standard
    ones: its first ten editable properties)."""
    from cs_core.preview_settings import get_preview_properties

    chosen = get_preview_properties(con, object_name)
    if chosen:
        return chosen
    props = props or {p.name: p for p in list_properties(con, object_name)}
    standard = [n for n in PRIMARY.get(object_name, []) if n in props]
    if not standard:
        return [p.name for p in props.values() if not p.is_read_only][:10]
    imported = [p.name for p in props.values() if p.is_custom and p.name not in standard]
    return standard + imported[:DEFAULT_IMPORTED]


def preview(con: duckdb.DuckDBPyConnection, *, object_name: str, record_id: int,
            user: User) -> Preview | None:  # fmt: skip
    """Primary properties, ten recent activities and associated records of one record."""
    # A few statements: the catalog, the record with its title and follow flag, its
    # properties and preview settings, its links, user names and activities.
    objects = {o.name: o for o in list_objects(con, enabled_only=False)}
    info = objects.get(object_name)
    if info is None:
        raise ValueError(f"There is no object {object_name!r}.")
    cur = con.execute(
        f"SELECT r.*, {title_sql(con, object_name, info=info)} AS __title, (SELECT count(*) FROM follows f "
        f"WHERE f.user_id = ? AND f.object = ? AND f.record_id = ?) > 0 AS __following "
        f"FROM {ident(object_name)} r WHERE r.id = ?",
        [user.id, object_name, record_id, record_id],
    )  # fmt: skip
    row = cur.fetchone()
    if row is None:
        return None
    record = dict(zip([d[0] for d in cur.description], row, strict=True))
    title, following = record.pop("__title"), bool(record.pop("__following"))
    props = {p.name: p for p in list_properties(con, object_name)}
    wanted = [props[n] for n in preview_properties(con, object_name, props)]
    assoc, counts = associations(con, object_name, record_id, objects=objects)
    return Preview(
        object=object_name,
        id=record_id,
        title=title,
        fields=tuple(fields(con, object_name, record, wanted, time_zone=user.time_zone)),
        activities=activities(con, object_name, record_id, limit=10, time_zone=user.time_zone),
        associations=assoc,
        association_counts=counts,
        following=following,
    )


def all_fields(
    con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *, time_zone: str = "UTC"
) -> dict[str, list[Field]]:
    """Every property of the record, grouped as the catalog groups them."""
    record = get_record(con, object_name, record_id)
    if record is None:
        return {}
    grouped: dict[str, list[Field]] = {}
    props = list_properties(con, object_name)
    for f, p in zip(
        fields(con, object_name, record, props, time_zone=time_zone), props, strict=True
    ):
        grouped.setdefault(p.group_name, []).append(f)
    return grouped
