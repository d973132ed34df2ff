"""Importing tasks and activities: rows that belong to a record of the account object.

Tasks and activities have a fixed set of fields (below, in the catalog's form so
the same mapping and checks apply). The column mapped as "Record ID" names the
record a row belongs to by its external id (the id it had in the source system);
these rows are always added, never matched to earlier ones.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from cs_core import activities, changes, clock, db
from cs_core.imports.mapping import ASSOCIATE, EXISTING, EXTERNAL_ID, NEW, ColumnMap
from cs_core.imports.saved import MappingError
from cs_core.records import Property
from cs_core.sql import ident

EVENT_OBJECTS = ("tasks", "activities")
ACTIVITY_TYPES = activities.TYPES


def _p(obj: str, name: str, label: str, kind: str, options: tuple[str, ...] = ()) -> Property:
    return Property(obj, name, label, kind, options, "Fields", False, False)


FIELDS: dict[str, dict[str, Property]] = {
    "tasks": {p.name: p for p in [
        _p("tasks", "title", "Title", "string"),
        _p("tasks", "task_type", "Task type", "enumeration", ("todo", "call", "email")),
        _p("tasks", "status", "Status", "enumeration", ("open", "completed")),
        _p("tasks", "priority", "Priority", "enumeration", ("none", "low", "medium", "high")),
        _p("tasks", "due_at", "Due date", "datetime"),
        _p("tasks", "completed_at", "Completed date", "datetime"),
        _p("tasks", "owner_id", "Task owner", "user"),
        _p("tasks", "notes", "Notes", "string"),
    ]},
    "activities": {p.name: p for p in [
        _p("activities", "activity_type", "Activity type", "enumeration", ACTIVITY_TYPES),
        _p("activities", "occurred_at", "Activity date", "datetime"),
        _p("activities", "subject", "Subject", "string"),
        _p("activities", "body", "Body", "string"),
        _p("activities", "user_id", "Logged by", "user"),
    ]},
}  # fmt: skip
REQUIRED = {"tasks": ("title",), "activities": ("activity_type", "occurred_at")}
HEADERS = {
    "tasks": {"title": "title", "task title": "title", "subject": "title", "task type": "task_type",
              "type": "task_type", "status": "status", "task status": "status", "priority": "priority",
              "due date": "due_at", "completed date": "completed_at", "task owner": "owner_id",
              "assigned to": "owner_id", "owner": "owner_id", "notes": "notes", "body": "notes"},
    "activities": {"activity type": "activity_type", "type": "activity_type", "activity date": "occurred_at",
                   "date": "occurred_at", "subject": "subject", "body": "body", "logged by": "user_id"},
}  # fmt: skip
DEFAULTS = {"tasks": {"task_type": "todo", "status": "open", "priority": "none"}}


def record_ids(
    con: duckdb.DuckDBPyConnection, account_object: str, external: pd.Series
) -> pd.Series:
    """The account-object record id for each external id (NA where none is known)."""
    known = dict(
        con.execute(
            "SELECT external_id, record_id FROM record_external_ids WHERE object = ?",
            [account_object],
        ).fetchall()
    )
    return external.astype("string").str.strip().map(known).astype("Int64")


class RecordsGone(ValueError):
    """Rows name records that were merged or deleted after the file was checked."""


def write(con: duckdb.DuckDBPyConnection, *, object_name: str, account_object: str, values: pd.DataFrame,
          external: pd.Series, now: datetime, actor_id: int | None, file_name: str, rejected: int) -> int:  # fmt: skip
    """Add every row (typed ``values`` by field name, ``external`` the Record IDs of the records
    they belong to) in one transaction.

    The records are looked up inside the transaction, so a record merged meanwhile is not given
    rows (its id names the survivor now; a deleted one refuses the import, nothing written).
    Activities get the columns that make them their record's (:mod:`cs_core.activities`), and
    the change path rescores the records they belong to, in the same transaction.
    """
    stamp = clock.utc_naive(now)
    rows = values.copy()
    for name, default in DEFAULTS.get(object_name, {}).items():
        rows[name] = rows[name].fillna(default) if name in rows else default
    count = len(rows)

    def _write(cur) -> int:
        records = record_ids(cur, account_object, external.reset_index(drop=True))
        if records.isna().any():
            raise RecordsGone(f"{int(records.isna().sum()):,} rows name records that were merged or deleted "
                              "after the file was checked; nothing was imported. Check the file again.")  # fmt: skip
        rows["_record"] = records.to_numpy(dtype="int64")
        first = db.allocate_ids(cur, object_name, count)[0]
        rows["_id"] = range(first, first + count)
        cur.register("_import_rows", rows)
        fields = [c for c in FIELDS[object_name] if c in rows]
        cols = ", ".join(fields)
        picked = ", ".join(f"s.{c}" for c in fields)
        if object_name == "tasks":
            cur.execute(
                f"INSERT INTO tasks (id, {cols}, object, record_id, created_at, created_by) "
                f"SELECT s._id, {picked}, ?, s._record, ?, ? FROM _import_rows s",
                [account_object, stamp, actor_id],
            )
        else:
            owners = activities.account_columns(
                cur, account_object, [int(r) for r in rows["_record"]]
            )
            for name, column in owners.items():  # fixed names from cs_core.activities
                rows[f"_{name}"] = pd.array(column, dtype="Int64")
            cur.unregister("_import_rows")
            cur.register("_import_rows", rows)
            linked = "".join(f", {name}" for name in owners)
            linked_values = "".join(f", s._{name}" for name in owners)
            cur.execute(
                f"INSERT INTO activities (id, {cols}, object, record_id{linked}) "
                f"SELECT s._id, {picked}, ?, s._record{linked_values} FROM _import_rows s",
                [account_object],
            )
            cur.execute(
                f"UPDATE {ident(account_object)} r SET last_activity_at = greatest(r.last_activity_at, a.last_at) "
                "FROM (SELECT _record, max(occurred_at) AS last_at FROM _import_rows GROUP BY _record) a "
                "WHERE r.id = a._record"
            )
        cur.unregister("_import_rows")
        cur.execute(
            "INSERT INTO import_runs VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
            [db.new_id(cur, "import_runs"), object_name, file_name, count + rejected, count, rejected,
             actor_id, stamp],
        )  # fmt: skip
        if object_name == "activities":  # what reads activities is rescored
            changes.apply(cur, changes.ActivitiesAdded(first, first + count - 1), now=now)
        return count

    return db.write(con, _write)


def check_mapping(frame: pd.DataFrame, mapping: list[ColumnMap], object_name: str) -> None:
    fields = FIELDS[object_name]
    problems = [
        f"The file has no column {m.column!r}." for m in mapping if m.column not in frame.columns
    ]
    problems += [
        f"Column {c!r} has no mapping."
        for c in frame.columns
        if c not in {m.column for m in mapping}
    ]
    targets_ = [m.property for m in mapping if m.action == EXISTING]
    for m in mapping:
        if m.action in (NEW, ASSOCIATE):
            problems.append(
                f"Column {m.column!r}: {object_name} have fixed fields; map it to one of them or skip it."
            )
        elif m.action == EXISTING and m.property not in fields:
            problems.append(f"Column {m.column!r}: {object_name} have no field {m.property!r}.")
    problems += [
        f"Columns map to {p!r} more than once." for p in set(targets_) if targets_.count(p) > 1
    ]
    problems += [f"Map a column to {fields[r].label!r}: every row needs it." for r in REQUIRED[object_name]
                 if r not in targets_]  # fmt: skip
    if sum(m.action == EXTERNAL_ID for m in mapping) != 1:
        problems.append(
            "Choose the one column with the Record ID of the record each row belongs to."
        )
    if problems:
        raise MappingError(problems)
