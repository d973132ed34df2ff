"""What the record preview and the record page show (CUS-5, CUS-8)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from cs_core import activities as record_activities
from cs_core import clock
from cs_core.follows import is_following
from cs_core.record_values import as_text, get_record, title_sql
from cs_core.records import Property, get_object, list_properties
from cs_core.sql import ident
from cs_core.users import User

# The properties a preview shows first, per standard object; others show their first ten.
PRIMARY = {
    "companies": ["name", "domain", "segment", "plan", "industry", "csm_id", "owner_id",
                  "renewal_date", "lifecycle_stage", "nps", "open_tickets", "last_activity_at"],
    "contacts": ["first_name", "last_name", "email", "job_title", "phone", "owner_id",
                 "lifecycle_stage", "last_activity_at"],
}  # fmt: skip
ACTIVITY_LABELS = {
    "email_open": "Email opened", "email_click": "Email clicked", "email_reply": "Email replied",
    "page_view": "Page viewed", "form_submission": "Form submitted",
    "sequence_enrolled": "Enrolled in sequence", "sequence_unenrolled": "Unenrolled from sequence",
    "meeting_booked": "Meeting booked", "call": "Call", "meeting": "Meeting", "note": "Note",
}  # fmt: skip


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
    frame = con.execute(
        f"""
        SELECT {clock.local_sql("a.occurred_at", time_zone)} AS "When", a.activity_type AS type, a.subject AS "What",
               nullif(trim(concat_ws(' ', c.first_name, c.last_name)), '') AS "Contact",
               u.name AS "By"
        FROM activities a
        LEFT JOIN contacts c ON c.id = a.contact_id
        LEFT JOIN users u ON u.id = a.user_id
        WHERE {where}
        ORDER BY a.occurred_at DESC, a.id DESC LIMIT ? OFFSET ?
        """,
        [*params, limit, offset],
    ).df()
    frame.insert(1, "Type", frame.pop("type").map(ACTIVITY_LABELS))
    return frame


def activity_count(con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *,
                   types: list[str] | None = None) -> int:  # fmt: skip
    where, params = record_activities.of_record(object_name, record_id)
    if types:
        where += " AND list_contains(?, a.activity_type)"
        params.append(list(types))
    return con.execute(f"SELECT count(*) FROM activities a WHERE {where}", params).fetchone()[0]


def associations(con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *,
                 limit: int = 10) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:  # fmt: skip
    """Associated records by object label (id and name, first ``limit``) and their counts."""
    counts = dict(
        con.execute(
            "SELECT to_object, count(*) FROM associations WHERE from_object = ? AND from_id = ? "
            "GROUP BY to_object",
            [object_name, record_id],
        ).fetchall()
    )
    frames, labelled = {}, {}
    for other in sorted(counts):
        info = get_object(con, other)
        if info is None:
            continue
        frames[info.label_plural] = con.execute(
            f"""
            SELECT r.id, {title_sql(con, other)} AS "Name"
            FROM associations a JOIN {ident(other)} r ON r.id = a.to_id
            WHERE a.from_object = ? AND a.from_id = ? AND a.to_object = ?
            ORDER BY lower("Name"), r.id LIMIT ?
            """,
            [object_name, record_id, other, limit],
        ).df()
        labelled[info.label_plural] = counts[other]
    return frames, labelled


DEFAULT_IMPORTED = 6  # imported (custom) properties a preview shows until settings choose


def preview_properties(con: duckdb.DuckDBPyConnection, object_name: str,
                       props: dict[str, Property] | None = None) -> list[str]:  # fmt: skip
    """The properties the object's preview shows: as chosen in settings, else the standard
    ones of :data:`PRIMARY` and the first imported properties (an object without standard
    ones: its first ten editable properties)."""
    from cs_core.settings import get_preview_properties

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
    record = get_record(con, object_name, record_id)
    if record is None:
        return None
    props = {p.name: p for p in list_properties(con, object_name)}
    wanted = [props[n] for n in preview_properties(con, object_name, props)]
    assoc, counts = associations(con, object_name, record_id)
    info = get_object(con, object_name)
    title = con.execute(
        f"SELECT {title_sql(con, object_name)} FROM {ident(info.name)} r WHERE id = ?", [record_id]
    ).fetchone()[0]
    return Preview(
        object=object_name,
        id=record_id,
        title=title,
        fields=tuple(fields(con, object_name, record, wanted, time_zone=user.time_zone)),
        activities=activities(con, object_name, record_id, limit=10, time_zone=user.time_zone),
        associations=assoc,
        association_counts=counts,
        following=is_following(con, user=user, object_name=object_name, record_id=record_id),
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
