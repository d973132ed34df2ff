"""Task buckets in the user's time zone (SUM-2)."""

from datetime import UTC, datetime

from cs_core import db, tasks
from cs_core.users import User

LA = User(1, "Dana Park", "dana@example.com", None, None, "America/Los_Angeles",
          False, True, False, True)  # fmt: skip
# 06:00 UTC on 28 Nov is 22:00 on 27 Nov in Los Angeles.
NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def _task(cur, task_id, due, status="open", owner=1):
    cur.execute(
        "INSERT INTO tasks (id, title, task_type, status, priority, due_at, owner_id, created_at) "
        "VALUES (?, ?, 'todo', ?, 'none', ?, ?, ?)",
        [task_id, f"task {task_id}", status, due, owner, datetime(2026, 11, 1)],
    )


def test_buckets_follow_the_users_calendar_day(empty_con):
    def fill(cur):
        _task(cur, 1, datetime(2026, 11, 27, 7, 59))  # 26 Nov 23:59 LA: overdue
        _task(cur, 2, datetime(2026, 11, 27, 8, 0))  # 27 Nov 00:00 LA: today
        _task(cur, 3, datetime(2026, 11, 28, 7, 59))  # 27 Nov 23:59 LA: today (UTC says 28th)
        _task(cur, 4, datetime(2026, 11, 28, 8, 0))  # 28 Nov 00:00 LA: tomorrow
        _task(cur, 5, datetime(2026, 11, 29, 7, 59))  # 28 Nov 23:59 LA: tomorrow
        _task(cur, 6, datetime(2026, 11, 29, 8, 0))  # 29 Nov LA: later
        _task(cur, 7, None)  # no due date: open only
        _task(cur, 8, datetime(2026, 11, 27, 9, 0), status="completed")  # done: not counted
        _task(cur, 9, datetime(2026, 11, 27, 9, 0), owner=2)  # someone else's

    db.write(empty_con, fill)
    assert tasks.task_counts(empty_con, user=LA, now=NOW) == tasks.TaskCounts(
        open=7, overdue=1, due_today=2, due_tomorrow=2
    )


def test_local_day_bounds_across_a_daylight_saving_change():
    # 8 Mar 2026: clocks go forward in Los Angeles, so the day has 23 hours.
    start, end = tasks.local_day_bounds(datetime(2026, 3, 8, 12, tzinfo=UTC), "America/Los_Angeles")
    assert start == datetime(2026, 3, 8, 8, 0)
    assert end == datetime(2026, 3, 9, 7, 0)
