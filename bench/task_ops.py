"""The Actions and Schedule tabs' operations for ``bench.run`` (budgets set for scale M, 500,000
tasks): a CSM's bucket counts, a page of a task view with its count, a bulk update of 10,000
tasks, and a month of calendar events."""

from __future__ import annotations

import time
from typing import Any

from cs_core import record_list, schedule, task_actions, tasks, users, views
from cs_core.record_list import Query
from cs_core.records import TASKS
from cs_core.task_actions import Selection

BUCKETS = "task buckets (CSM)"
TASK_VIEW = "task view page with count (CSM, All open)"
BULK = "bulk update of 10,000 tasks"
CALENDAR = "calendar: a month of events (CSM)"
BULK_SIZE = 10_000
ADMIN_USER_ID = 1  # a super admin in every demo scale: may act on every task


def bucket_counts(ctx: Any) -> dict[str, float]:
    start = time.perf_counter()
    counts = tasks.bucket_counts(ctx.con, user=ctx.user, now=ctx.now)
    elapsed = time.perf_counter() - start
    return {f"{BUCKETS} ({counts.open:,} open, {counts.overdue:,} overdue)": elapsed}


def task_view_page(ctx: Any) -> dict[str, float]:
    """The "All open" standard view as the Actions tab lists it: its columns, by due date."""
    if "task view" not in ctx.cache:  # untimed: the views exist once
        views.ensure_standard_views(ctx.con, TASKS, now=ctx.now)
        found = views.list_views(ctx.con, object_name=TASKS, user=ctx.user)
        view = next(v for v in found if v.standard_key == "open")
        ctx.cache["task view"] = Query(TASKS, view.filters, tuple(view.columns), sort=(("due_at", "asc"),),
                                       owner_property="owner_id")  # fmt: skip
    query = ctx.cache["task view"]
    start = time.perf_counter()
    page = record_list.page(ctx.con, query, ctx.viewer, number=1, size=25)
    elapsed = time.perf_counter() - start
    return {f"{TASK_VIEW} ({page.total:,} tasks, 25 shown)": elapsed}


def bulk_update(ctx: Any) -> dict[str, float]:
    """Mark 10,000 open tasks complete by id (one transaction, with their history rows),
    then, untimed, mark them not complete again so every run does the same work."""
    admin = ctx.cache.get("bench admin") or users.get_user(ctx.con, ADMIN_USER_ID)
    ctx.cache["bench admin"] = admin
    if "bulk ids" not in ctx.cache:
        ctx.cache["bulk ids"] = tuple(r[0] for r in ctx.con.execute(
            "SELECT id FROM tasks WHERE status = 'open' ORDER BY id LIMIT ?", [BULK_SIZE]).fetchall())  # fmt: skip
    selection = Selection(ids=ctx.cache["bulk ids"])
    start = time.perf_counter()
    done = task_actions.complete(ctx.con, actor=admin, selection=selection, now=ctx.now)
    elapsed = time.perf_counter() - start
    task_actions.reopen(ctx.con, actor=admin, selection=selection, now=ctx.now)
    if done.changed != BULK_SIZE:
        raise RuntimeError(f"the bulk update changed {done.changed:,} tasks, not {BULK_SIZE:,}")
    return {f"{BULK} (mark complete, with history)": elapsed}


def calendar_month(ctx: Any) -> dict[str, float]:
    first, last = schedule.month_grid(ctx.today)
    start = time.perf_counter()
    found = schedule.events(ctx.con, user=ctx.user, first=first, last=last)
    elapsed = time.perf_counter() - start
    return {f"{CALENDAR} ({len(found):,} events)": elapsed}


def operations(operation_type) -> list:
    """The rows, as ``bench.run`` Operations."""
    return [
        operation_type(BUCKETS, bucket_counts, 0.01),
        operation_type(TASK_VIEW, task_view_page, 0.05),
        operation_type(BULK, bulk_update, 1.0),
        operation_type(CALENDAR, calendar_month, 0.02),
    ]
