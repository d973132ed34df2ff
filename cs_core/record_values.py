"""Reading a record's values and editing them, with full property history (CUS-7)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from cs_core import changes, clock, db, table_versions
from cs_core.records import (
    TASKS,
    Property,
    get_object,
    get_property,
    list_objects,
    list_properties,
)
from cs_core.settings import get_customer_settings
from cs_core.sql import col, id_list, ident, literal
from cs_core.users import Action, User, require

MAX_TEXT = 10_000
NOT_GIVEN = object()  # update_property's ``expected`` when the caller saw no value


class ValueRefused(ValueError):
    """A value that does not fit its property; the message names the property and the problem."""


class StaleEdit(ValueRefused):
    """The value changed after the user saw it: nothing was overwritten."""


@dataclass(frozen=True)
class Change:
    property: str
    old: str | None
    new: str | None


def get_record(con: duckdb.DuckDBPyConnection, object_name: str, record_id: int) -> dict | None:
    """The record's stored values by property name (with its id), or None."""
    if get_object(con, object_name) is None:
        raise ValueError(f"There is no object {object_name!r}.")
    cur = con.execute(f"SELECT * FROM {ident(object_name)} WHERE id = ?", [record_id])
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def title_sql(
    con: duckdb.DuckDBPyConnection, object_name: str, alias: str = "r", *, info=None
) -> str:
    """An SQL expression that names a record of the object (contacts: first and last name);
    ``info``, the object's catalog entry when the caller has it."""
    if object_name == "contacts":
        return (f"coalesce(nullif(trim(concat_ws(' ', {alias}.first_name, {alias}.last_name)), ''), "
                f"{alias}.email, 'Contact ' || {alias}.id)")  # fmt: skip
    info = info or get_object(con, object_name)
    return (
        f"coalesce({col(alias, info.primary_property)}, {literal(info.label + ' ')} || {alias}.id)"
    )


def linked_title_sql(con: duckdb.DuckDBPyConnection, alias: str = "r") -> str:
    """SQL naming the record a row is associated with through its ``object`` and
    ``record_id`` columns (a task's or a meeting's record), for every object of the catalog."""
    cases = " ".join(
        f"WHEN {literal(o.name)} THEN (SELECT {title_sql(con, o.name, 'x', info=o)} FROM {ident(o.name)} x "
        f"WHERE x.id = {alias}.record_id)"
        for o in list_objects(con, enabled_only=False)
    )  # fmt: skip
    return f"(CASE {alias}.object {cases} END)" if cases else "NULL"


def record_names(
    con: duckdb.DuckDBPyConnection, pairs: set[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    """The names of these (object, id) records in one query; unknown objects and records
    are left out."""
    if not pairs:
        return {}
    objects = {o.name: o for o in list_objects(con, enabled_only=False)}
    wanted: dict[str, list[int]] = {}
    for obj, rid in pairs:
        if obj in objects:
            wanted.setdefault(obj, []).append(int(rid))
    if not wanted:
        return {}
    parts, params = [], []
    for obj, ids in sorted(wanted.items()):
        parts.append(f"SELECT ? AS o, r.id, {title_sql(con, obj, info=objects[obj])} FROM {ident(obj)} r "
                     f"WHERE r.id IN ({id_list(ids)})")  # fmt: skip
        params.append(obj)
    return {
        (o, rid): name for o, rid, name in con.execute(" UNION ALL ".join(parts), params).fetchall()
    }


def record_title(con: duckdb.DuckDBPyConnection, object_name: str, record_id: int) -> str | None:
    row = con.execute(
        f"SELECT {title_sql(con, object_name)} FROM {ident(object_name)} r WHERE id = ?",
        [record_id],
    ).fetchone()
    return row[0] if row else None


def as_text(value) -> str | None:
    """A stored value as history text: ISO dates, plain numbers, true/false."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def parse_value(con: duckdb.DuckDBPyConnection, prop: Property, raw, *, time_zone: str = "UTC"):
    """``raw`` (typed or text) as the property's type; None clears it. Raises ValueRefused.

    A date and time without a zone is read in ``time_zone`` (the user's) and stored in UTC.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = raw.strip() if isinstance(raw, str) else raw
    kind = prop.type
    if kind == "number":
        if isinstance(text, bool):
            raise ValueRefused(f"{prop.label} must be a number.")
        try:
            number = float(str(text).replace(",", "")) if isinstance(text, str) else float(text)
        except ValueError:
            raise ValueRefused(f"{prop.label} must be a number; {raw!r} is not one.") from None
        if math.isnan(number) or math.isinf(number):
            raise ValueRefused(f"{prop.label} must be a finite number.")
        return number
    if kind == "date":
        if isinstance(text, datetime):
            return text.date()
        if isinstance(text, date):
            return text
        try:
            return date.fromisoformat(str(text))
        except ValueError:
            raise ValueRefused(
                f"{prop.label} must be a date like 2026-12-31; {raw!r} is not one."
            ) from None
    if kind == "datetime":
        moment = text
        if not isinstance(moment, datetime):
            try:
                moment = datetime.fromisoformat(str(text))
            except ValueError:
                raise ValueRefused(
                    f"{prop.label} must be a date and time like 2026-12-31 14:00; {raw!r} is not one."
                ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=clock.zone(time_zone))
        return clock.utc_naive(moment)
    if kind == "boolean":
        if isinstance(text, bool):
            return text
        if str(text).lower() in ("true", "yes"):
            return True
        if str(text).lower() in ("false", "no"):
            return False
        raise ValueRefused(f"{prop.label} must be yes or no; {raw!r} is neither.")
    if kind == "enumeration":
        match = next((o for o in prop.options if o.lower() == str(text).lower()), None)
        if match is None:
            raise ValueRefused(f"{prop.label} must be one of: {', '.join(prop.options)}.")
        return match
    if kind in ("user", "pipeline", "stage"):
        try:
            ref = int(text)
        except (TypeError, ValueError):
            raise ValueRefused(f"{prop.label} must name a {kind}; {raw!r} does not.") from None
        if not -(2**63) <= ref < 2**63:
            raise ValueRefused(f"{prop.label}: there is no {kind} with id {ref}.")
        table = {"user": "users", "pipeline": "pipelines", "stage": "stages"}[kind]
        if not con.execute(f"SELECT count(*) FROM {table} WHERE id = ?", [ref]).fetchone()[0]:
            raise ValueRefused(f"{prop.label}: there is no {kind} with id {ref}.")
        return ref
    value = str(text)
    if len(value) > MAX_TEXT:
        raise ValueRefused(f"{prop.label} can hold at most {MAX_TEXT:,} characters.")
    return value


def write_change(cur, *, object_name: str, record_id: int, prop: str, old, new, now: datetime,
                 actor_id: int | None, source: str) -> Change:  # fmt: skip
    """Store one property change and its history row (inside a write transaction).

    A compare-and-set: the row is changed only while it still holds ``old``; otherwise
    StaleEdit is raised and the caller's transaction writes nothing.
    """
    now = clock.utc_naive(now)
    column = ident(prop)
    if not db.affected(
        cur,
        f"UPDATE {ident(object_name)} SET {column} = ?, updated_at = ? "
        f"WHERE id = ? AND {column} IS NOT DISTINCT FROM ?",
        [new, now, record_id, old],
    ):
        raise StaleEdit("This record changed while you were editing it; reload it and try again.")
    change = Change(prop, as_text(old), as_text(new))
    cur.execute(
        "INSERT INTO property_history (id, object, record_id, property, old_value, new_value, "
        "changed_at, changed_by, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [db.new_id(cur, "property_history"), object_name, record_id, prop, change.old, change.new,
         now, actor_id, source],
    )  # fmt: skip
    return change


def owner_column(cur, object_name: str) -> str | None:
    """The column that says whose record it is, for the tables reads are scoped on by owner
    (cs_core.snapshot.scoped): a task's owner, the account object's owner property."""
    if object_name == TASKS:
        return "owner_id"
    chosen = get_customer_settings(cur)
    return chosen.owner_property if object_name == chosen.object else None


def update_property(con: duckdb.DuckDBPyConnection, *, actor: User, object_name: str, record_id: int,
                    property_name: str, value, now: datetime, source: str = "ui",
                    expected=NOT_GIVEN, time_zone: str | None = None) -> Change | None:  # fmt: skip
    """Set one property of one record; returns the change, or None when nothing changed.

    Everything the change depends on is read inside its transaction, so its history row
    holds the true prior value. With ``expected`` (the value the user saw), an edit of a
    value someone changed meanwhile is refused with StaleEdit and nothing is overwritten.
    What follows the change (rescoring) runs in the same transaction. A typed date and time
    is read in ``time_zone`` (default: the actor's).
    """
    require(actor, Action.EDIT_RECORDS)
    if get_object(con, object_name) is None:
        raise ValueRefused(f"There is no object {object_name!r}.")

    def _edit(cur) -> Change | None:
        prop = get_property(cur, object_name, property_name)
        if prop is None:
            raise ValueRefused(f"There is no property {property_name!r}.")
        if prop.is_read_only:
            raise ValueRefused(f"{prop.label} is set by the system and cannot be edited.")
        new = parse_value(cur, prop, value, time_zone=time_zone or actor.time_zone)
        if prop.name == "name" and new is None:
            raise ValueRefused(f"{prop.label} cannot be empty.")
        owner = owner_column(cur, object_name)
        row = cur.execute(
            f"SELECT {ident(prop.name)}, {ident(owner) if owner else 'NULL'} FROM {ident(object_name)} "
            "WHERE id = ?",
            [record_id],
        ).fetchone()
        if row is None:
            raise ValueRefused("That record does not exist any more (it may have been merged).")
        old = row[0]
        if expected is not NOT_GIVEN and as_text(old) != as_text(expected):
            shown = as_text(old)
            raise StaleEdit(f"{prop.label} was changed by someone else while you were editing it "
                            f"(it is now {shown if shown is not None else 'empty'}). Nothing was "
                            "overwritten.")  # fmt: skip
        if as_text(old) == as_text(new):
            return None
        # Whose record it is, before and after (cs_core.table_versions: other CSMs' Summary
        # numbers are kept through it).
        owners = None  # an object whose reads are not scoped by owner
        if owner is not None:
            owners = {row[1], new} if prop.name == owner else {row[1]}
        with table_versions.owned(cur, object_name, owners):
            change = write_change(cur, object_name=object_name, record_id=record_id, prop=prop.name,
                                  old=old, new=new, now=now, actor_id=actor.id, source=source)  # fmt: skip
        changes.apply(cur, changes.RecordsChanged(object_name, (record_id,), frozenset({prop.name})),
                      now=now)  # fmt: skip
        return change

    return db.write(con, _edit)


HISTORY_SOURCES = {"ui": "Edited in the app", "merge": "Merge", "cli": "Command line"}


def _readable(value: str) -> str:
    """SQL: a history value as people read it, by the property's type (``p``): user, pipeline
    and stage names, Yes / No, "(empty)"."""
    return f"""CASE
        WHEN {value} IS NULL OR trim({value}) = '' THEN '(empty)'
        WHEN p.type = 'user' THEN coalesce((SELECT name FROM users WHERE id = TRY_CAST({value} AS BIGINT)), {value})
        WHEN p.type = 'pipeline' THEN coalesce((SELECT label FROM pipelines WHERE id = TRY_CAST({value} AS BIGINT)), {value})
        WHEN p.type = 'stage' THEN coalesce((SELECT label FROM stages WHERE id = TRY_CAST({value} AS BIGINT)), {value})
        WHEN p.type = 'boolean' THEN CASE lower({value}) WHEN 'true' THEN 'Yes' WHEN 'false' THEN 'No' ELSE {value} END
        ELSE {value} END"""


def property_history(con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *,
                     property_name: str | None = None, limit: int = 200,
                     time_zone: str = "UTC") -> pd.DataFrame:  # fmt: skip
    """Changes newest first, as people read them: when (in ``time_zone``), property label, old
    and new value (names, labels, Yes / No, "(empty)"), who, and the source in words ("Edited in
    the app", "Import of FILE on DATE", "Merge"). ``code`` keeps the source's code."""
    params: list = [object_name, object_name, record_id]
    where = ""
    if property_name:
        where, params = " AND h.property = ?", [*params, property_name]
    sources = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in HISTORY_SOURCES.items())
    run_day = f"strftime({clock.local_sql('r.finished_at', time_zone)}, '%d %b %Y')"
    return con.execute(
        f"""
        SELECT {clock.local_sql("h.changed_at", time_zone)} AS "When", coalesce(p.label, h.property) AS "Property",
               h.property AS internal_name, {_readable("h.old_value")} AS "Old value",
               {_readable("h.new_value")} AS "New value", coalesce(u.name, 'System') AS "By",
               CASE h.source {sources}
                    WHEN 'import' THEN coalesce((SELECT 'Import of ' || r.file_name || ' on ' || {run_day}
                                                 FROM import_runs r WHERE r.object = h.object
                                                 AND r.finished_at = h.changed_at LIMIT 1), 'Import')
                    ELSE h.source END AS "Source",
               h.source AS code
        FROM property_history h
        LEFT JOIN properties p ON p.object = ? AND p.name = h.property
        LEFT JOIN users u ON u.id = h.changed_by
        WHERE h.object = ? AND h.record_id = ?{where}
        ORDER BY h.changed_at DESC, h.id DESC LIMIT ?
        """,
        [*params, limit],
    ).df()


def editable_properties(con: duckdb.DuckDBPyConnection, object_name: str) -> list[Property]:
    return [p for p in list_properties(con, object_name) if not p.is_read_only]
