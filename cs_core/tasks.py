"""Tasks: what a CSM has to do, by due day in their time zone (ACT-1, ACT-2, SUM-2).

A task has a title, a type (to-do, call, email), a status (open or completed), a
priority, a due time (stored in UTC), an owner, an associated record and notes. The
standard views are the user's buckets: due today, overdue, due tomorrow, all open and
all completed, with "today" the user's date in their zone. Their filter specs are the one
definition of a bucket: the Actions tab lists them and :func:`bucket_counts` counts them.

Who may see and change a task (U-3): settings managers and super admins every task; any
other user with workspace access the unassigned tasks, their own and their team's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import duckdb
import pandas as pd

from cs_core import clock, db, filters
from cs_core.filters import Compiled
from cs_core.records import TASKS, get_object, list_properties
from cs_core.sql import id_list, ident
from cs_core.users import Action, PermissionDenied, User, can, get_user, require

TYPES = {"todo": "To-do", "call": "Call", "email": "Email"}
PRIORITIES = {"none": "None", "low": "Low", "medium": "Medium", "high": "High"}
STATUSES = {"open": "Not completed", "completed": "Completed"}
MAX_TITLE = 500
MAX_NOTES = 10_000

_MINE = {"property": "owner_id", "operator": "eq", "value": filters.ME}
_OPEN = {"property": "status", "operator": "eq", "value": "open"}
_DONE = {"property": "status", "operator": "eq", "value": "completed"}
# key -> (name, spec); the keys are the deep links' names (``actions?view=overdue``).
TASK_VIEWS = {
    "today": ("Due today", [[_MINE, _OPEN, {"property": "due_at", "operator": "days_from_today", "value": [0, 0]}]]),
    "overdue": ("Overdue", [[_MINE, _OPEN, {"property": "due_at", "operator": "more_than_days_ago", "value": 0}]]),
    "tomorrow": ("Due tomorrow", [[_MINE, _OPEN, {"property": "due_at", "operator": "days_from_today", "value": [1, 1]}]]),
    "open": ("All open", [[_MINE, _OPEN]]),
    "completed": ("All completed", [[_MINE, _DONE]]),
}  # fmt: skip
BUCKETS = tuple(TASK_VIEWS)
TASK_COLUMNS = ["title", "task_type", "priority", "due_at", "record", "owner_id", "status"]
DUE_SORT = [{"property": "due_at", "direction": "asc"}]
TASK_SORT = {"completed": [{"property": "completed_at", "direction": "desc"}]}


class TaskRefused(ValueError):
    """A task that cannot be saved as given; the message names the field and the problem."""


@dataclass(frozen=True)
class TaskCounts:
    """The user's tasks per bucket (open ones by due day in their zone)."""

    today: int
    overdue: int
    tomorrow: int
    open: int
    completed: int

    # The names the Summary tab has used.
    @property
    def due_today(self) -> int:
        return self.today

    @property
    def due_tomorrow(self) -> int:
        return self.tomorrow


@dataclass(frozen=True)
class Task:
    id: int
    title: str
    task_type: str
    status: str
    priority: str
    due_at: datetime | None  # UTC
    completed_at: datetime | None
    owner_id: int | None
    object: str | None
    record_id: int | None
    notes: str | None
    created_at: datetime


# --- who sees what ---------------------------------------------------------------------


def may_see_all(user: User | None) -> bool:
    return user is not None and user.is_settings_manager


def scope(con: duckdb.DuckDBPyConnection, user_id: int | None, alias: str = "r") -> Compiled:
    """SQL holding for the tasks (``alias``) the user may see and change."""
    user = get_user(con, user_id) if user_id is not None else None
    if user is None or not can(user, Action.USE_WORKSPACE):
        return Compiled("FALSE", [])
    if may_see_all(user):
        return Compiled("TRUE", [])
    if user.team_id is None:
        return Compiled(f"({alias}.owner_id IS NULL OR {alias}.owner_id = ?)", [user.id])
    # The team as a subquery: DuckDB joins it; a literal list of a big team's ids is slower.
    return Compiled(f"({alias}.owner_id IS NULL OR {alias}.owner_id = ? OR {alias}.owner_id IN "
                    "(SELECT id FROM users WHERE team_id = ?))", [user.id, user.team_id])  # fmt: skip


def _require_owner_allowed(cur, actor: User, owner_id: int | None) -> None:
    """An owner the actor may give a task to: anyone for settings managers, else themselves,
    a member of their team, or nobody."""
    if owner_id is None or owner_id == actor.id or may_see_all(actor):
        return
    owner = get_user(cur, owner_id)
    if owner is None or actor.team_id is None or owner.team_id != actor.team_id:
        raise PermissionDenied(
            f"{actor.name} may assign tasks only to themselves and their team's members."
        )


# --- buckets ---------------------------------------------------------------------------


def _bucket_filters(con: duckdb.DuckDBPyConnection, user: User, now: datetime,
                    keys: tuple[str, ...]) -> list[tuple[str, filters.Compiled]]:  # fmt: skip
    """Each bucket's own filter without its "mine" condition (the caller's WHERE holds that)."""
    props = {p.name: p for p in list_properties(con, TASKS)}
    today = clock.local_date(now, user.time_zone)
    return [(key, filters.compile_filter([[c for c in g if c is not _MINE] for g in TASK_VIEWS[key][1]], props,
                                         today=today, time_zone=user.time_zone, me=user.id, object_name=TASKS))
            for key in keys]  # fmt: skip


def bucket_counts(con: duckdb.DuckDBPyConnection, *, user: User, now: datetime) -> TaskCounts:
    """The user's tasks in each standard view, counted in one query over their tasks."""
    return buckets(con, user=user, now=now, keys=()).counts


@dataclass(frozen=True)
class Buckets:
    """The user's task counts per bucket and the first few tasks of some buckets (SUM-2)."""

    counts: TaskCounts
    first: dict[str, list[tuple[int, str, datetime]]]  # bucket -> [(id, title, due at in UTC)]


# What the buckets' filters read of a task, besides its id and title.
_READ = sorted(
    {c["property"] for _, spec in TASK_VIEWS.values() for g in spec for c in g} - {"owner_id"}
)


def buckets(con: duckdb.DuckDBPyConnection, *, user: User, now: datetime, keys: tuple[str, ...],
            shown: int = 3) -> Buckets:  # fmt: skip
    """Every bucket's count, and the first ``shown`` of the user's tasks in each bucket of
    ``keys`` (by due time, then id), in one statement: the user's tasks are read once (a
    materialised CTE), then counted and ranked."""
    compiled = dict(_bucket_filters(con, user, now, BUCKETS))
    counts, params = [], [user.id]
    for key in BUCKETS:
        counts.append(f"count(*) FILTER (WHERE {compiled[key].sql})")
        params += compiled[key].params
    first = "NULL"
    if keys:
        cases = []
        for key in keys:
            cases.append(f"WHEN {compiled[key].sql} THEN ?")
            params += [*compiled[key].params, key]
        first = (f"(SELECT list({{'k': k, 'id': id, 'due': due_at}} ORDER BY k, due_at, id) FROM "
                 f"(SELECT * FROM (SELECT CASE {' '.join(cases)} END AS k, r.* FROM mine r) WHERE k IS NOT NULL "
                 "QUALIFY row_number() OVER (PARTITION BY k ORDER BY due_at NULLS LAST, id) <= ?))")  # fmt: skip
        params.append(shown)
    read = ", ".join(f"r.{ident(c)}" for c in ["id", *_READ])
    row = con.execute(
        f"WITH mine AS MATERIALIZED (SELECT {read} FROM tasks r WHERE r.owner_id = ?) "
        f"SELECT [{', '.join(counts)}], {first} FROM mine r",
        params,
    ).fetchone()  # fmt: skip
    out: dict[str, list[tuple[int, str, datetime]]] = {key: [] for key in keys}
    picked = row[1] or []
    # The few picked tasks' titles by id (the user's thousands are read without theirs).
    titles = dict(con.execute(f"SELECT id, title FROM tasks WHERE id IN ({id_list([t['id'] for t in picked])})")
                  .fetchall()) if picked else {}  # fmt: skip
    for t in picked:
        out[t["k"]].append((t["id"], titles.get(t["id"]), t["due"]))
    return Buckets(TaskCounts(*row[0]), out)


def task_counts(con: duckdb.DuckDBPyConnection, *, user: User, now: datetime) -> TaskCounts:
    """The Summary tab's name for :func:`bucket_counts`."""
    return bucket_counts(con, user=user, now=now)


def local_day_bounds(now: datetime, time_zone: str, *, days_ahead: int = 0) -> tuple[datetime, datetime]:  # fmt: skip
    """The UTC start and end of a calendar day in ``time_zone`` (today, or days ahead)."""
    from datetime import timedelta

    return clock.day_bounds(
        clock.local_date(now, time_zone) + timedelta(days=days_ahead), time_zone
    )


# --- reading ---------------------------------------------------------------------------


def get_task(con: duckdb.DuckDBPyConnection, task_id: int) -> Task | None:
    row = con.execute(
        "SELECT id, title, task_type, status, priority, due_at, completed_at, owner_id, object, "
        "record_id, notes, created_at FROM tasks WHERE id = ?",
        [task_id],
    ).fetchone()
    return Task(*row) if row else None


def record_tasks(con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *,
                 time_zone: str = "UTC", limit: int = 50, open_only: bool = False) -> pd.DataFrame:  # fmt: skip
    """The record's tasks for its timeline, open ones first by due time, then completed ones
    newest first; times in ``time_zone``. ``open_only`` (a preview): the open ones, without
    the status and completion columns."""
    rows = con.execute(
        "SELECT t.title, t.task_type, t.status, t.priority, t.due_at, t.completed_at, u.name "
        "FROM tasks t LEFT JOIN users u ON u.id = t.owner_id WHERE t.object = ? AND t.record_id = ? "
        + ("AND t.status = 'open' " if open_only else "")
        + "ORDER BY t.status = 'completed', CASE WHEN t.status = 'open' THEN t.due_at END, "
        "t.completed_at DESC, t.id LIMIT ?",
        [object_name, record_id, limit],
    ).fetchall()  # fmt: skip
    columns = {
        "Task": [r[0] for r in rows],
        "Type": [TYPES.get(r[1], r[1]) for r in rows],
        "Status": [STATUSES.get(r[2], r[2]) for r in rows],
        "Priority": [PRIORITIES.get(r[3], r[3]) for r in rows],
        "Due": [clock.local(r[4], time_zone) for r in rows],
        "Completed": [clock.local(r[5], time_zone) for r in rows],
        "Assigned to": [r[6] for r in rows],
    }
    if open_only:
        del columns["Status"], columns["Completed"]
    return pd.DataFrame(columns, columns=list(columns))


# --- creating --------------------------------------------------------------------------


def local_due(day: date | None, at: time | None, time_zone: str) -> datetime | None:
    """A due date and time as the user entered them (their zone) as a UTC instant; a day
    without a time is due at the end of the working day (17:00)."""
    if day is None:
        return None
    moment = datetime.combine(day, at or time(17, 0), tzinfo=clock.zone(time_zone))
    return clock.utc_naive(moment)


def create_task(con: duckdb.DuckDBPyConnection, *, actor: User, title: str, now: datetime,
                task_type: str = "todo", priority: str = "none", due_at: datetime | None = None,
                owner_id: int | None = None, record: tuple[str, int] | None = None,
                notes: str | None = None, source: str = "ui") -> Task:  # fmt: skip
    """A new open task (ACT-2); ``due_at`` an aware time or a naive UTC one. Every field is
    checked first, so a refused task writes nothing."""
    require(actor, Action.EDIT_RECORDS)
    title = (title or "").strip()
    if not title:
        raise TaskRefused("Give the task a title.")
    if len(title) > MAX_TITLE:
        raise TaskRefused(f"A task title has at most {MAX_TITLE:,} characters.")
    if task_type not in TYPES:
        raise TaskRefused(f"A task type is one of: {', '.join(TYPES.values())}.")
    if priority not in PRIORITIES:
        raise TaskRefused(f"A priority is one of: {', '.join(PRIORITIES.values())}.")
    notes = (notes or "").strip() or None
    if notes and len(notes) > MAX_NOTES:
        raise TaskRefused(f"Task notes have at most {MAX_NOTES:,} characters.")
    due = clock.utc_naive(due_at) if due_at is not None else None
    stamp = clock.utc_naive(now)

    def _insert(cur) -> int:
        if owner_id is not None:
            owner = get_user(cur, owner_id)
            if owner is None or not owner.is_active:
                raise TaskRefused("The task's owner is not an active user.")
        _require_owner_allowed(cur, actor, owner_id)
        obj, ref = record if record is not None else (None, None)
        if record is not None:
            info = get_object(cur, obj)
            if (
                info is None
                or not cur.execute(
                    f"SELECT count(*) FROM {_table(obj)} WHERE id = ?", [ref]
                ).fetchone()[0]
            ):
                raise TaskRefused("The associated record does not exist any more.")
        task_id = db.new_id(cur, "tasks")
        cur.execute(
            "INSERT INTO tasks (id, title, task_type, status, priority, due_at, completed_at, owner_id, "
            "object, record_id, notes, created_at, created_by) VALUES (?, ?, ?, 'open', ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
            [task_id, title, task_type, priority, due, owner_id, obj, ref, notes, stamp, actor.id],
        )  # fmt: skip
        cur.execute(
            "INSERT INTO property_history (id, object, record_id, property, old_value, new_value, "
            "changed_at, changed_by, source) VALUES (?, 'tasks', ?, 'created', NULL, ?, ?, ?, ?)",
            [db.new_id(cur, "property_history"), task_id, title, stamp, actor.id, source],
        )  # fmt: skip
        return task_id

    return get_task(con, db.write(con, _insert))


def _table(object_name: str) -> str:
    from cs_core.sql import ident

    return ident(object_name)
