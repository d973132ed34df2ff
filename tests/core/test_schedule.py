"""The Schedule tab's events: a user's meetings and tasks over local days of a chosen zone
(SCH-1..SCH-3)."""

import json
from datetime import date, datetime

import pytest

from cs_core import db, schedule
from cs_core.users import get_user
from tests.core.test_tasks import BRISBANE, LA, _task, _users


@pytest.fixture
def con(empty_con):
    def fill(cur):
        _users(cur)
        cur.execute("INSERT INTO companies (id, name, created_at, updated_at) VALUES (10, 'Acme Corp', ?, ?)",
                    [datetime(2026, 1, 1), datetime(2026, 1, 1)])  # fmt: skip
        meeting = ("INSERT INTO meetings (id, title, start_at, end_at, owner_id, object, record_id, attendees, "
                   "location, meeting_link, notes, created_at) VALUES (?, ?, ?, ?, ?, 'companies', 10, ?, ?, ?, ?, ?)")  # fmt: skip
        # 23:30-00:30 on Sunday 29 Nov in Los Angeles is 07:30-08:30 UTC on Monday 30 Nov.
        cur.execute(meeting, [1, "Late review", datetime(2026, 11, 30, 7, 30), datetime(2026, 11, 30, 8, 30), LA,
                              json.dumps(["Ann Lee", "Bo Chen"]), "Video call", "https://meet.example.com/1",
                              "Bring the numbers", datetime(2026, 11, 1)])  # fmt: skip
        cur.execute(meeting, [2, "Someone else's", datetime(2026, 11, 30, 9), datetime(2026, 11, 30, 10), BRISBANE,
                              "[]", None, "javascript:alert(1)", None, datetime(2026, 11, 1)])  # fmt: skip
        _task(
            cur,
            1,
            datetime(2026, 12, 1, 17),
            title="Send the deck",
            object="companies",
            record_id=10,
        )
        _task(cur, 2, datetime(2026, 12, 2, 17), status="completed")
        _task(cur, 3, None)  # no due time: not on a calendar

    db.write(empty_con, fill)
    return empty_con


def test_a_week_of_events_in_the_users_zone(con):
    user = get_user(con, LA)
    first, last = schedule.week_range(date(2026, 11, 25))
    assert (first, last) == (date(2026, 11, 23), date(2026, 11, 29))
    found = schedule.events(con, user=user, first=first, last=last)
    assert [(e.kind, e.id, e.start, e.end) for e in found] == [
        ("meeting", 1, datetime(2026, 11, 29, 23, 30), datetime(2026, 11, 30, 0, 30))]  # fmt: skip
    assert found[0].key == "m1"
    meeting = schedule.detail(con, user=user, key="m1")  # what its summary shows
    assert (meeting.start, meeting.record, meeting.record_name) == (
        datetime(2026, 11, 29, 23, 30),
        ("companies", 10),
        "Acme Corp",
    )
    assert meeting.attendees == ("Ann Lee", "Bo Chen") and meeting.location == "Video call"
    assert (meeting.link, meeting.notes) == ("https://meet.example.com/1", "Bring the numbers")
    following = schedule.events(con, user=user, first=date(2026, 11, 30), last=date(2026, 12, 6))
    # The meeting overlaps Monday too (it ends at 00:30); tasks due 09:00 local, 30 minutes long.
    assert [(e.kind, e.id, e.start, e.completed) for e in following] == [
        ("meeting", 1, datetime(2026, 11, 29, 23, 30), False), ("task", 1, datetime(2026, 12, 1, 9, 0), False),
        ("task", 2, datetime(2026, 12, 2, 9, 0), True)]  # fmt: skip
    assert following[1].end == datetime(2026, 12, 1, 9, 30)
    task = schedule.detail(con, user=user, key="t1")
    assert (task.kind, task.record_name, task.task_type, task.completed) == (
        "task",
        "Acme Corp",
        "todo",
        False,
    )
    # Only the user's own events, and only real keys.
    assert schedule.detail(con, user=get_user(con, BRISBANE), key="m1") is None
    assert [schedule.detail(con, user=user, key=k) for k in ("x1", "m", "t3", "m1; DROP")] == [
        None
    ] * 4


def test_another_time_zone_moves_the_events_and_their_days(con):
    user = get_user(con, LA)
    # In Brisbane (UTC+10) the meeting is on Monday 30 Nov, 17:30.
    monday = schedule.events(con, user=user, first=date(2026, 11, 30), last=date(2026, 11, 30),
                             time_zone="Australia/Brisbane")  # fmt: skip
    assert [(e.id, e.start) for e in monday] == [(1, datetime(2026, 11, 30, 17, 30))]
    sunday = schedule.events(con, user=user, first=date(2026, 11, 29), last=date(2026, 11, 29),
                             time_zone="Australia/Brisbane")  # fmt: skip
    assert sunday == []


def test_only_web_links_start_a_meeting(con):
    user = get_user(con, BRISBANE)
    found = schedule.events(con, user=user, first=date(2026, 11, 30), last=date(2026, 11, 30))
    assert [e.key for e in found] == ["m2"]
    assert found[0].link is None  # javascript: is not offered, in the list nor in the detail
    assert schedule.detail(con, user=user, key="m2").link is None


def test_the_days_events_carry_the_meetings_links(con):
    """The Summary's Start meeting buttons come with the day's events (no query per meeting)."""
    found = schedule.events(
        con, user=get_user(con, LA), first=date(2026, 11, 29), last=date(2026, 12, 2)
    )
    assert {e.key: e.link for e in found if e.kind == "meeting"} == {
        "m1": "https://meet.example.com/1"
    }
    assert [(e.key, e.link) for e in found if e.kind == "task"] == [("t1", None), ("t2", None)]


def test_month_grid_is_whole_weeks():
    assert schedule.month_grid(date(2026, 11, 15)) == (date(2026, 10, 26), date(2026, 12, 6))
    with pytest.raises(ValueError, match="last day comes before"):
        schedule.events(
            None, user=None, first=date(2026, 1, 2), last=date(2026, 1, 1), time_zone="UTC"
        )
