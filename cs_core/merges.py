"""Merging two records of one object into one (CUS-6).

The survivor keeps its id and its values; an empty value of the survivor takes the
merged record's. Associations, activities, tasks, meetings, follows, alerts and the
property history move to the survivor, the merge is recorded (and shown in the
survivor's history), and the merged record is deleted, so it appears in no view.
Both records are read inside the merge's transaction, so of two merges of the same
pair at once (either way round) the second finds a record gone and is refused; the
change path then moves the merged record's external ids and rescores the survivor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb

from cs_core import activities, changes, clock, db
from cs_core.record_values import as_text, get_record, record_title, write_change
from cs_core.records import get_object, list_properties
from cs_core.sql import ident
from cs_core.users import Action, User, require

MERGE_PROPERTY = "_merged_record"


class MergeRefused(ValueError):
    """A merge that cannot be done; the message says why."""


@dataclass(frozen=True)
class MergeResult:
    survivor_id: int
    merged_id: int
    filled: tuple[str, ...]  # survivor properties that took the merged record's value
    moved: dict[str, int]  # rows moved per kind


@dataclass(frozen=True)
class MergeRow:
    """One property of two records side by side, and what the record kept will hold."""

    label: str
    first: str
    second: str
    kept: str
    differs: bool


def compare(con: duckdb.DuckDBPyConnection, *, object_name: str, first_id: int, second_id: int,
            survivor_id: int, time_zone: str = "UTC") -> list[MergeRow]:  # fmt: skip
    """The two records' editable properties as people read them, and the merge's result: the
    record kept keeps its values, its empty ones take the other's (as :func:`merge_records`)."""
    from cs_core.record_detail import fields

    first, second = get_record(con, object_name, first_id), get_record(con, object_name, second_id)
    if first is None or second is None:
        raise MergeRefused("One of the two records does not exist any more; reload the page.")
    props = [p for p in list_properties(con, object_name) if not p.is_read_only]
    a = fields(con, object_name, first, props, time_zone=time_zone)
    b = fields(con, object_name, second, props, time_zone=time_zone)
    rows = []
    for fa, fb in zip(a, b, strict=True):
        kept, other = (fa, fb) if survivor_id == first_id else (fb, fa)
        result = kept.display if kept.value is not None else other.display
        rows.append(MergeRow(fa.label, fa.display, fb.display, result, fa.display != fb.display))
    return rows


def merge_records(con: duckdb.DuckDBPyConnection, *, actor: User, object_name: str, survivor_id: int,
                  merged_id: int, now: datetime) -> MergeResult:  # fmt: skip
    require(actor, Action.EDIT_RECORDS)
    if survivor_id == merged_id:
        raise MergeRefused("Choose two different records to merge.")
    if get_object(con, object_name) is None:
        raise MergeRefused(f"There is no object {object_name!r}.")
    now = clock.utc_naive(now)

    def _merge(cur) -> MergeResult:
        survivor = get_record(cur, object_name, survivor_id)
        merged = get_record(cur, object_name, merged_id)
        if survivor is None or merged is None:
            raise MergeRefused("One of the two records does not exist any more (it may just have been "
                               "merged); reload the page.")  # fmt: skip
        merged_name = record_title(cur, object_name, merged_id)
        props = [p for p in list_properties(cur, object_name) if not p.is_read_only]
        fill = [
            p.name for p in props if survivor.get(p.name) is None and merged.get(p.name) is not None
        ]
        moved: dict[str, int] = {}
        for name in fill:
            write_change(cur, object_name=object_name, record_id=survivor_id, prop=name, old=None,
                         new=merged[name], now=now, actor_id=actor.id, source="merge")  # fmt: skip
        moved["associations"] = _move_associations(cur, object_name, survivor_id, merged_id)
        moved["activities"] = _move_activities(cur, object_name, survivor_id, merged_id)
        for table in ("tasks", "meetings", "alerts"):
            moved[table] = _update(
                cur, f"UPDATE {table} SET record_id = ? WHERE object = ? AND record_id = ?",
                [survivor_id, object_name, merged_id],
            )  # fmt: skip
        moved["history"] = _update(
            cur, "UPDATE property_history SET record_id = ? WHERE object = ? AND record_id = ?",
            [survivor_id, object_name, merged_id],
        )  # fmt: skip
        cur.execute(
            "INSERT INTO follows SELECT user_id, object, ?, created_at FROM follows "
            "WHERE object = ? AND record_id = ? ON CONFLICT (user_id, object, record_id) DO NOTHING",
            [survivor_id, object_name, merged_id],
        )
        cur.execute(
            "DELETE FROM follows WHERE object = ? AND record_id = ?", [object_name, merged_id]
        )
        if object_name == "companies":
            for table in ("contacts", "deals", "services"):
                moved[table] = _update(
                    cur,
                    f"UPDATE {table} SET company_id = ? WHERE company_id = ?",
                    [survivor_id, merged_id],
                )
        if object_name == "contacts":
            moved["sequence_enrollments"] = _update(
                cur, "UPDATE sequence_enrollments SET contact_id = ? WHERE contact_id = ?",
                [survivor_id, merged_id],
            )  # fmt: skip
        cur.execute(
            f"UPDATE {ident(object_name)} SET last_activity_at = greatest(last_activity_at, ?), updated_at = ? "
            "WHERE id = ?",
            [merged.get("last_activity_at"), now, survivor_id],
        )
        cur.execute(
            "INSERT INTO record_merges VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [db.new_id(cur, "record_merges"), object_name, survivor_id, merged_id, merged_name,
             json.dumps({k: as_text(v) for k, v in merged.items()}), now, actor.id],
        )  # fmt: skip
        cur.execute(
            "INSERT INTO property_history (id, object, record_id, property, old_value, new_value, "
            "changed_at, changed_by, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'merge')",
            [db.new_id(cur, "property_history"), object_name, survivor_id, MERGE_PROPERTY,
             str(merged_id), merged_name, now, actor.id],
        )  # fmt: skip
        if _update(cur, f"DELETE FROM {ident(object_name)} WHERE id = ?", [merged_id]) != 1:
            raise MergeRefused("The other record was merged or deleted meanwhile; reload the page.")
        followed = changes.apply(
            cur, changes.RecordsMerged(object_name, survivor_id, merged_id), now=now
        )
        moved["external_ids"] = followed.moved_ids
        return MergeResult(survivor_id, merged_id, tuple(fill), moved)

    return db.write(con, _merge)


def _update(cur, sql: str, params: list) -> int:
    return cur.execute(sql, params).fetchone()[0]


def _move_associations(cur, object_name: str, survivor_id: int, merged_id: int) -> int:
    """Re-point both directions of the merged record's associations (no duplicates, no self-links)."""
    before = cur.execute(
        "SELECT count(*) FROM associations WHERE from_object = ? AND from_id = ?",
        [object_name, merged_id],
    ).fetchone()[0]
    cur.execute(
        "INSERT INTO associations SELECT from_object, ?, to_object, to_id, label, created_at "
        "FROM associations WHERE from_object = ? AND from_id = ? "
        "AND NOT (to_object = from_object AND to_id = ?) "
        "ON CONFLICT (from_object, from_id, to_object, to_id) DO NOTHING",
        [survivor_id, object_name, merged_id, survivor_id],
    )
    cur.execute(
        "INSERT INTO associations SELECT from_object, from_id, to_object, ?, label, created_at "
        "FROM associations WHERE to_object = ? AND to_id = ? "
        "AND NOT (from_object = to_object AND from_id = ?) "
        "ON CONFLICT (from_object, from_id, to_object, to_id) DO NOTHING",
        [survivor_id, object_name, merged_id, survivor_id],
    )
    cur.execute(
        "DELETE FROM associations WHERE (from_object = ? AND from_id = ?) OR (to_object = ? AND to_id = ?)",
        [object_name, merged_id, object_name, merged_id],
    )
    return before


def _move_activities(cur, object_name: str, survivor_id: int, merged_id: int) -> int:
    """Every activity that belongs to the merged record (by :mod:`cs_core.activities`) now
    belongs to the survivor; returns how many were the merged record's own."""
    moved = _update(
        cur, "UPDATE activities SET record_id = ? WHERE object = ? AND record_id = ?",
        [survivor_id, object_name, merged_id],
    )  # fmt: skip
    column = activities.OWN_COLUMN.get(object_name)
    if column is not None:
        moved = _update(
            cur, f"UPDATE activities SET {column} = ? WHERE {column} = ?", [survivor_id, merged_id]
        )
    return moved
