"""Tasks: the due-date buckets a CSM works from (SUM-2, ACT-1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from cs_core import clock
from cs_core.users import User


@dataclass(frozen=True)
class TaskCounts:
    open: int
    overdue: int
    due_today: int
    due_tomorrow: int


def local_day_bounds(
    now: datetime, time_zone: str, *, days_ahead: int = 0
) -> tuple[datetime, datetime]:
    """The UTC start and end of a calendar day in ``time_zone`` (today, or days ahead)."""
    return clock.day_bounds(
        clock.local_date(now, time_zone) + timedelta(days=days_ahead), time_zone
    )


def task_counts(con: duckdb.DuckDBPyConnection, *, user: User, now: datetime) -> TaskCounts:
    """The user's open tasks: all, overdue (due before today), due today and due tomorrow,
    with "today" taken in the user's time zone."""
    today, tomorrow = local_day_bounds(now, user.time_zone)
    _, day_after = local_day_bounds(now, user.time_zone, days_ahead=1)
    row = con.execute(
        """
        SELECT count(*),
               count(*) FILTER (WHERE due_at < $today),
               count(*) FILTER (WHERE due_at >= $today AND due_at < $tomorrow),
               count(*) FILTER (WHERE due_at >= $tomorrow AND due_at < $day_after)
        FROM tasks
        WHERE owner_id = $user AND status = 'open'
        """,
        {"today": today, "tomorrow": tomorrow, "day_after": day_after, "user": user.id},
    ).fetchone()
    return TaskCounts(*row)
