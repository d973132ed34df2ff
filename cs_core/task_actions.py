"""Acting on many tasks at once: complete, reopen, assign, edit a property, delete (ACT-3, ACT-4).

A selection is either tasks chosen by id or every task matching a listing query (the
"select all N tasks matching this filter" of the Actions tab), so an action reaches the
tasks that match when it runs, not only those on the loaded page. Each action is one
write transaction of set-based statements: its history rows (one per changed task and
property, with the true prior value read in the same transaction), then one UPDATE or
DELETE. Tasks already in the wanted state are left alone and counted as such. An actor
may act only on tasks they may see (:func:`cs_core.tasks.scope`): a selection that holds
any other task is refused whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from cs_core import clock, db, table_versions
from cs_core.record_list import Query, Viewer, where_sql
from cs_core.record_values import ValueRefused, parse_value
from cs_core.records import TASKS, get_property
from cs_core.sql import ident
from cs_core.tasks import TaskRefused, _require_owner_allowed, scope
from cs_core.users import Action, PermissionDenied, User, require

MAX_IDS = 100_000


@dataclass(frozen=True)
class Selection:
    """Tasks chosen one by one (``ids``), or every task ``query`` matches for its viewer."""

    ids: tuple[int, ...] = ()
    query: Query | None = None
    viewer: Viewer | None = field(default=None)

    @classmethod
    def matching(cls, query: Query, viewer: Viewer) -> Selection:
        return cls(query=query, viewer=viewer)


@dataclass(frozen=True)
class BulkResult:
    matched: int  # tasks selected when the action ran
    changed: int  # of them, those it changed (the others were already so)

    @property
    def unchanged(self) -> int:
        return self.matched - self.changed


def _selected(cur, actor: User, selection: Selection) -> tuple[str, list]:
    """SQL over ``tasks r`` holding for the selected tasks; refuses tasks the actor may not
    change, and a query listed for someone else."""
    mine = scope(cur, actor.id)
    if selection.query is not None:
        if selection.query.object != TASKS:
            raise ValueError("A task action acts on a task listing.")
        if selection.viewer is None or selection.viewer.user_id != actor.id:
            raise PermissionDenied(f"{actor.name} may act only on the tasks they list themselves.")
        where = where_sql(cur, selection.query, selection.viewer)  # holds the actor's scope
        return where.sql, where.params
    ids = [int(i) for i in selection.ids]
    if not ids:
        raise TaskRefused("Select at least one task.")
    if len(ids) > MAX_IDS:
        raise TaskRefused(
            f"Select at most {MAX_IDS:,} tasks at once, or all tasks matching a filter."
        )
    chosen = "r.id IN (SELECT unnest(?::BIGINT[]))"
    outside = cur.execute(
        f"SELECT count(*) FROM tasks r WHERE {chosen} AND NOT {mine.sql}", [ids, *mine.params]
    ).fetchone()[0]
    if outside:
        raise PermissionDenied(
            f"{actor.name} may not change {outside:,} of the selected tasks: they belong to "
            "another team. Nothing was changed."
        )
    return chosen, [ids]


def _apply(con: duckdb.DuckDBPyConnection, *, actor: User, selection: Selection, now: datetime,
           sets: list[tuple[str, str, list]], differs: tuple[str, list],
           check: Callable | None = None) -> BulkResult:  # fmt: skip
    """Set ``sets`` ((property, SQL value, params), each with a history row) on the
    selected tasks where ``differs`` holds; the others are counted as unchanged. ``check``
    (given the cursor) runs first inside the transaction."""
    require(actor, Action.EDIT_RECORDS)
    stamp = clock.utc_naive(now)

    def _write(cur) -> BulkResult:
        if check is not None:
            check(cur)
        where, params = _selected(cur, actor, selection)
        matched, changing = cur.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {differs[0]}) FROM tasks r WHERE {where}",
            [*differs[1], *params],
        ).fetchone()
        if not changing:
            return BulkResult(matched, 0)
        target = f"({where}) AND {differs[0]}"
        target_params = [*params, *differs[1]]
        first = db.allocate_ids(cur, "property_history", changing * len(sets))[0]
        for k, (prop, value_sql, value_params) in enumerate(sets):
            cur.execute(
                "INSERT INTO property_history (id, object, record_id, property, old_value, new_value, "
                "changed_at, changed_by, source) "
                f"SELECT ? + row_number() OVER (ORDER BY r.id) - 1, 'tasks', r.id, ?, CAST(r.{ident(prop)} AS VARCHAR), "
                f"CAST({value_sql} AS VARCHAR), ?, ?, 'ui' FROM tasks r WHERE {target}",
                [first + k * changing, prop, *value_params, stamp, actor.id, *target_params],
            )  # fmt: skip
        assignments = ", ".join(f"{ident(prop)} = {value_sql}" for prop, value_sql, _ in sets)
        # Whose tasks change: their owners (a reassignment says nothing: every owner's reads
        # of tasks are read again, see cs_core.table_versions).
        owners = None
        if all(prop != "owner_id" for prop, _, _ in sets):
            found = cur.execute(
                f"SELECT DISTINCT r.owner_id FROM tasks r WHERE {target}", target_params
            )
            owners = [owner for (owner,) in found.fetchall()]
        with table_versions.owned(cur, "tasks", owners):
            done = db.affected(
                cur,
                f"UPDATE tasks AS r SET {assignments} WHERE {target}",
                [*[p for _, _, ps in sets for p in ps], *target_params],
            )
        if done != changing:  # cannot happen under the write lock; refuse rather than guess
            raise RuntimeError(
                "The tasks changed while they were being updated; nothing was saved."
            )
        return BulkResult(matched, changing)

    return db.write(con, _write)


def complete(con: duckdb.DuckDBPyConnection, *, actor: User, selection: Selection,
             now: datetime) -> BulkResult:  # fmt: skip
    """Mark the selected tasks completed (now); completed ones keep their completion time."""
    stamp = clock.utc_naive(now)
    return _apply(con, actor=actor, selection=selection, now=now,
                  sets=[("status", "'completed'", []), ("completed_at", "CAST(? AS TIMESTAMP)", [stamp])],
                  differs=("r.status <> 'completed'", []))  # fmt: skip


def reopen(con: duckdb.DuckDBPyConnection, *, actor: User, selection: Selection,
           now: datetime) -> BulkResult:  # fmt: skip
    """Mark the selected tasks not completed."""
    return _apply(con, actor=actor, selection=selection, now=now,
                  sets=[("status", "'open'", []), ("completed_at", "CAST(NULL AS TIMESTAMP)", [])],
                  differs=("r.status <> 'open'", []))  # fmt: skip


def assign(con: duckdb.DuckDBPyConnection, *, actor: User, selection: Selection,
           owner_id: int | None, now: datetime) -> BulkResult:  # fmt: skip
    """Give the selected tasks to ``owner_id`` (None: nobody)."""
    return set_property(con, actor=actor, selection=selection, property_name="owner_id",
                        value=owner_id, now=now)  # fmt: skip


def set_property(con: duckdb.DuckDBPyConnection, *, actor: User, selection: Selection,
                 property_name: str, value, now: datetime) -> BulkResult:  # fmt: skip
    """Set one editable task property on the selected tasks, the value checked for its type
    (a typed date and time is read in the actor's zone)."""
    require(actor, Action.EDIT_RECORDS)
    if property_name == "status":
        wanted = str(value or "").strip().lower()
        if wanted in ("completed", "done"):
            return complete(con, actor=actor, selection=selection, now=now)
        if wanted in ("open", "not completed"):
            return reopen(con, actor=actor, selection=selection, now=now)
        raise TaskRefused("A status is Completed or Not completed.")
    prop = get_property(con, TASKS, property_name)
    if prop is None or prop.is_read_only or prop.type == "record":
        raise TaskRefused(f"{property_name!r} is not a task property that can be edited here.")
    try:
        new = parse_value(con, prop, value, time_zone=actor.time_zone)
    except ValueRefused as exc:
        raise TaskRefused(str(exc)) from None
    if prop.name in ("title", "task_type", "priority") and new is None:
        raise TaskRefused(f"{prop.label} cannot be empty.")
    if prop.name == "title" and len(new) > 500:
        raise TaskRefused("A task title has at most 500 characters.")
    check = (
        (lambda cur: _require_owner_allowed(cur, actor, new)) if prop.name == "owner_id" else None
    )
    cast = {"datetime": "TIMESTAMP", "user": "BIGINT"}.get(prop.type, "VARCHAR")
    column = f"r.{ident(prop.name)}"
    return _apply(con, actor=actor, selection=selection, now=now,
                  sets=[(prop.name, f"CAST(? AS {cast})", [new])],
                  differs=(f"{column} IS DISTINCT FROM CAST(? AS {cast})", [new]), check=check)  # fmt: skip


def delete(con: duckdb.DuckDBPyConnection, *, actor: User, selection: Selection,
           now: datetime) -> BulkResult:  # fmt: skip
    """Delete the selected tasks; each leaves a history row with its title."""
    require(actor, Action.EDIT_RECORDS)
    stamp = clock.utc_naive(now)

    def _write(cur) -> BulkResult:
        where, params = _selected(cur, actor, selection)
        n = cur.execute(f"SELECT count(*) FROM tasks r WHERE {where}", params).fetchone()[0]
        if not n:
            return BulkResult(0, 0)
        first = db.allocate_ids(cur, "property_history", n)[0]
        cur.execute(
            "INSERT INTO property_history (id, object, record_id, property, old_value, new_value, "
            "changed_at, changed_by, source) SELECT ? + row_number() OVER (ORDER BY r.id) - 1, 'tasks', "
            f"r.id, 'deleted', r.title, NULL, ?, ?, 'ui' FROM tasks r WHERE {where}",
            [first, stamp, actor.id, *params],
        )  # fmt: skip
        done = db.affected(cur, f"DELETE FROM tasks AS r WHERE {where}", params)
        if done != n:
            raise RuntimeError(
                "The tasks changed while they were being deleted; nothing was deleted."
            )
        return BulkResult(n, n)

    return db.write(con, _write)
