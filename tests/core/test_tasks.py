"""Tasks: buckets in the user's time zone, the task listing and views, creating tasks (ACT-1,
ACT-2, ACT-5, SUM-2)."""

from datetime import UTC, date, datetime, time

import pytest

from cs_core import db, filters, record_list, tasks, views
from cs_core.record_list import Query, Viewer
from cs_core.users import PermissionDenied, get_user

# 06:00 UTC on 28 Nov is 22:00 on 27 Nov in Los Angeles (UTC-8) and 16:00 on 28 Nov in
# Sydney (UTC+11 in summer time).
NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
LA, SYDNEY, BRISBANE, LONDON = 1, 2, 3, 4  # user ids (Brisbane: UTC+10 all year)


def _users(cur):
    rows = [(LA, "Dana Park", "America/Los_Angeles", 1, False), (SYDNEY, "Kai Tan", "Australia/Sydney", 1, False),
            (BRISBANE, "Mia Ross", "Australia/Brisbane", 2, False), (LONDON, "Lee Hart", "Europe/London", None, True)]  # fmt: skip
    for uid, name, zone, team, manager in rows:
        cur.execute(
            "INSERT INTO users (id, name, email, team_id, time_zone, has_workspace_access, can_manage_settings, "
            "has_service_seat, created_at) VALUES (?, ?, ?, ?, ?, TRUE, ?, TRUE, ?)",
            [uid, name, f"{name.split()[0].lower()}@example.com", team, zone, manager, datetime(2026, 1, 1)],
        )  # fmt: skip


def _task(cur, task_id, due, status="open", owner=LA, **extra):
    cur.execute(
        "INSERT INTO tasks (id, title, task_type, status, priority, due_at, owner_id, created_at, object, record_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [task_id, extra.get("title", f"task {task_id}"), extra.get("task_type", "todo"), status,
         extra.get("priority", "none"), due, owner, datetime(2026, 11, 1), extra.get("object"), extra.get("record_id")],
    )  # fmt: skip
    cur.execute("INSERT INTO counters VALUES ('ids.tasks', ?) ON CONFLICT (name) DO UPDATE SET "
                "value = greatest(counters.value, excluded.value)", [task_id])  # fmt: skip


@pytest.fixture
def con(empty_con):
    db.write(empty_con, _users)
    return empty_con


def test_buckets_follow_the_users_calendar_day_in_los_angeles(con):
    def fill(cur):
        _task(cur, 1, datetime(2026, 11, 27, 7, 59))  # 26 Nov 23:59 LA: overdue
        _task(cur, 2, datetime(2026, 11, 27, 8, 0))  # 27 Nov 00:00 LA: today
        _task(cur, 3, datetime(2026, 11, 28, 7, 30))  # 27 Nov 23:30 LA: today (UTC says the 28th)
        _task(cur, 4, datetime(2026, 11, 28, 8, 0))  # 28 Nov 00:00 LA: tomorrow
        _task(cur, 5, datetime(2026, 11, 29, 7, 59))  # 28 Nov 23:59 LA: tomorrow
        _task(cur, 6, datetime(2026, 11, 29, 8, 0))  # 29 Nov LA: later
        _task(cur, 7, None)  # no due date: open only
        _task(cur, 8, datetime(2026, 11, 27, 9, 0), status="completed")  # done
        _task(cur, 9, datetime(2026, 11, 27, 9, 0), owner=SYDNEY)  # someone else's

    db.write(con, fill)
    user = get_user(con, LA)
    assert tasks.bucket_counts(con, user=user, now=NOW) == tasks.TaskCounts(
        today=2, overdue=1, tomorrow=2, open=7, completed=1
    )


def test_buckets_count_every_bucket_and_list_the_first_of_each_by_due_time_then_id(con):
    def fill(cur):
        _task(cur, 1, datetime(2026, 11, 27, 9, 0), title="Call Acme")  # today, 01:00 LA
        _task(cur, 2, datetime(2026, 11, 27, 8, 0), title="Email Brightline")  # today, earlier
        _task(cur, 3, datetime(2026, 11, 27, 9, 0), title="Prepare QBR")  # today, a tie with 1
        _task(cur, 4, datetime(2026, 11, 26, 9, 0), title="Late one")  # overdue
        _task(cur, 5, datetime(2026, 11, 28, 9, 0), title="Tomorrow's")  # tomorrow
        _task(cur, 6, datetime(2026, 11, 27, 8, 30), status="completed")  # completed
        _task(cur, 7, datetime(2026, 11, 27, 8, 15), owner=SYDNEY)  # someone else's

    db.write(con, fill)
    user = get_user(con, LA)
    found = tasks.buckets(con, user=user, now=NOW, keys=("today", "overdue", "tomorrow"), shown=2)
    assert found.counts == tasks.TaskCounts(today=3, overdue=1, tomorrow=1, open=5, completed=1)
    assert found.counts == tasks.bucket_counts(con, user=user, now=NOW)
    assert found.first == {
        "today": [(2, "Email Brightline", datetime(2026, 11, 27, 8, 0)),
                  (1, "Call Acme", datetime(2026, 11, 27, 9, 0))],
        "overdue": [(4, "Late one", datetime(2026, 11, 26, 9, 0))],
        "tomorrow": [(5, "Tomorrow's", datetime(2026, 11, 28, 9, 0))],
    }  # fmt: skip
    assert tasks.buckets(con, user=user, now=NOW, keys=()).first == {}


def test_buckets_in_brisbane_utc_plus_ten_around_local_midnight(con):
    # 13:30 UTC on 28 Nov is 23:30 on 28 Nov in Brisbane; 14:00 UTC is midnight on the 29th.
    def fill(cur):
        _task(cur, 1, datetime(2026, 11, 27, 13, 59), owner=BRISBANE)  # 27 Nov 23:59: overdue
        _task(cur, 2, datetime(2026, 11, 27, 14, 0), owner=BRISBANE)  # 28 Nov 00:00: today
        _task(cur, 3, datetime(2026, 11, 28, 13, 30), owner=BRISBANE)  # 28 Nov 23:30: today
        _task(cur, 4, datetime(2026, 11, 28, 14, 0), owner=BRISBANE)  # 29 Nov 00:00: tomorrow

    db.write(con, fill)
    user = get_user(con, BRISBANE)
    # 06:00 UTC is 16:00 in Brisbane on the 28th.
    assert tasks.bucket_counts(con, user=user, now=NOW) == tasks.TaskCounts(2, 1, 1, 4, 0)
    # At 14:30 UTC it is 00:30 on the 29th there: yesterday's are overdue, the 29th's today.
    later = datetime(2026, 11, 28, 14, 30, tzinfo=UTC)
    assert tasks.bucket_counts(con, user=user, now=later) == tasks.TaskCounts(1, 3, 0, 4, 0)


def test_buckets_across_a_daylight_saving_week_in_los_angeles(con):
    # Clocks go forward on Sunday 8 March 2026 at 02:00 in Los Angeles (UTC-8 -> UTC-7).
    def fill(cur):
        _task(cur, 1, datetime(2026, 3, 8, 7, 59))  # 7 Mar 23:59 PST: overdue on the 8th
        _task(cur, 2, datetime(2026, 3, 8, 8, 0))  # 8 Mar 00:00 PST: today
        _task(cur, 3, datetime(2026, 3, 9, 6, 59))  # 8 Mar 23:59 PDT: today (a 23-hour day)
        _task(cur, 4, datetime(2026, 3, 9, 7, 0))  # 9 Mar 00:00 PDT: tomorrow
        _task(cur, 5, datetime(2026, 3, 10, 6, 59))  # 9 Mar 23:59 PDT: tomorrow
        _task(cur, 6, datetime(2026, 3, 10, 7, 0))  # 10 Mar: later

    db.write(con, fill)
    user = get_user(con, LA)
    sunday_noon = datetime(2026, 3, 8, 19, 0, tzinfo=UTC)  # 12:00 PDT
    assert tasks.bucket_counts(con, user=user, now=sunday_noon) == tasks.TaskCounts(2, 1, 2, 6, 0)


def test_local_day_bounds_across_a_daylight_saving_change():
    # 8 Mar 2026: clocks go forward in Los Angeles, so the day has 23 hours.
    start, end = tasks.local_day_bounds(datetime(2026, 3, 8, 12, tzinfo=UTC), "America/Los_Angeles")
    assert start == datetime(2026, 3, 8, 8, 0)
    assert end == datetime(2026, 3, 9, 7, 0)


def test_the_standard_views_list_exactly_the_buckets_tasks(con):
    def fill(cur):
        _task(cur, 1, datetime(2026, 11, 27, 7, 59))
        _task(cur, 2, datetime(2026, 11, 28, 7, 30))
        _task(cur, 3, datetime(2026, 11, 28, 8, 0))
        _task(cur, 4, datetime(2026, 11, 27, 9, 0), status="completed")
        _task(cur, 5, datetime(2026, 11, 28, 7, 0), owner=SYDNEY)

    db.write(con, fill)
    views.ensure_standard_views(con, "tasks", now=NOW)
    user = get_user(con, LA)
    viewer = Viewer(LA, NOW, user.time_zone)
    found = {v.standard_key: v for v in views.list_views(con, object_name="tasks", user=user)}
    assert list(found) == ["today", "overdue", "tomorrow", "open", "completed"]
    ids = {}
    for key, view in found.items():
        query = Query("tasks", view.filters, tuple(view.columns), sort=(("due_at", "asc"),))
        ids[key] = list(record_list.page(con, query, viewer).rows["id"])
    assert ids == {
        "today": [2],
        "overdue": [1],
        "tomorrow": [3],
        "open": [1, 2, 3],
        "completed": [4],
    }


def test_the_task_listing_shows_labels_and_the_record_and_searches_both(con):
    def fill(cur):
        cur.execute("INSERT INTO companies (id, name, created_at, updated_at) VALUES (10, 'Acme Corp', ?, ?)",
                    [datetime(2026, 1, 1), datetime(2026, 1, 1)])  # fmt: skip
        _task(cur, 1, datetime(2026, 11, 30, 17), task_type="call", priority="high", title="Renewal call",
              object="companies", record_id=10)  # fmt: skip
        _task(cur, 2, datetime(2026, 12, 1, 17), title="Send the QBR deck")

    db.write(con, fill)
    viewer = Viewer(LA, NOW, "America/Los_Angeles")
    query = Query("tasks", [], ("title", "task_type", "priority", "due_at", "record", "owner_id"),
                  sort=(("due_at", "asc"),))  # fmt: skip
    page = record_list.page(con, query, viewer)
    first = page.rows.iloc[0].to_dict()
    assert first["Type"] == "Call" and first["Priority"] == "High"
    assert first["Associated record"] == "Acme Corp" and first["Assigned to"] == "Dana Park"
    assert str(first["Due date"]) == "2026-11-30 09:00:00"  # 17:00 UTC in Los Angeles
    acme = Query("tasks", [], ("title",), search="acme")
    assert list(record_list.page(con, acme, viewer).rows["id"]) == [1]
    qbr = Query("tasks", [], ("title",), search="QBR")
    assert list(record_list.page(con, qbr, viewer).rows["id"]) == [2]
    on_acme = [
        [{"property": "record", "operator": "eq", "value": {"object": "companies", "id": 10}}]
    ]
    assert record_list.count(con, Query("tasks", on_acme, ("title",)), viewer) == 1


def test_a_csm_sees_their_teams_tasks_and_a_settings_manager_all(con):
    def fill(cur):
        _task(cur, 1, None, owner=LA)  # team 1
        _task(cur, 2, None, owner=SYDNEY)  # team 1
        _task(cur, 3, None, owner=BRISBANE)  # team 2
        _task(cur, 4, None, owner=None)  # nobody's

    db.write(con, fill)

    def visible(user_id):
        query = Query("tasks", [], ("title",))
        return sorted(record_list.page(con, query, Viewer(user_id, NOW)).rows["id"])

    assert visible(LA) == [1, 2, 4]
    assert visible(BRISBANE) == [3, 4]
    assert visible(LONDON) == [1, 2, 3, 4]  # a settings manager


def test_create_task_stores_the_local_due_time_in_utc_and_checks_every_field(con):
    user = get_user(con, SYDNEY)
    due = tasks.local_due(date(2026, 12, 1), time(9, 30), user.time_zone)
    assert due == datetime(2026, 11, 30, 22, 30)  # 09:30 in Sydney (UTC+11)
    made = tasks.create_task(con, actor=user, title="  Kick-off call  ", task_type="call", priority="high",
                             due_at=due, owner_id=SYDNEY, notes="Agenda", now=NOW)  # fmt: skip
    assert (made.title, made.task_type, made.status, made.due_at, made.owner_id) == (
        "Kick-off call", "call", "open", datetime(2026, 11, 30, 22, 30), SYDNEY)  # fmt: skip
    history = con.execute("SELECT property, new_value, changed_by FROM property_history "
                          "WHERE object = 'tasks' AND record_id = ?", [made.id]).fetchall()  # fmt: skip
    assert history == [("created", "Kick-off call", SYDNEY)]
    before = con.execute("SELECT count(*) FROM tasks").fetchone()[0]
    for kwargs, message in [
        ({"title": " "}, "Give the task a title."),
        ({"title": "x", "task_type": "meeting"}, "A task type is one of: To-do, Call, Email."),
        ({"title": "x", "priority": "urgent"}, "A priority is one of: None, Low, Medium, High."),
        (
            {"title": "x", "record": ("companies", 999)},
            "The associated record does not exist any more.",
        ),
        (
            {"title": "x", "record": ("no_such", 1)},
            "The associated record does not exist any more.",
        ),
    ]:
        with pytest.raises(tasks.TaskRefused, match=message.replace(".", r"\.")):
            tasks.create_task(con, actor=user, now=NOW, **kwargs)
    with pytest.raises(PermissionDenied, match="only to themselves and their team"):
        tasks.create_task(con, actor=user, title="x", owner_id=BRISBANE, now=NOW)
    assert con.execute("SELECT count(*) FROM tasks").fetchone()[0] == before


def test_days_from_today_compares_local_days():
    from cs_core.records import Property

    due = Property("tasks", "due_at", "Due date", "datetime", (), "g", False, False)
    where = filters.compile_filter([[{"property": "due_at", "operator": "days_from_today", "value": [1, 1]}]],
                                   {"due_at": due}, today=date(2026, 11, 27), time_zone="America/Los_Angeles")  # fmt: skip
    assert where.params == [datetime(2026, 11, 28, 8, 0), datetime(2026, 11, 29, 8, 0)]
    assert filters.describe({"property": "due_at", "operator": "days_from_today", "value": [0, 0]},
                            {"due_at": due}) == "Due date is today"  # fmt: skip
    for bad in ([2, 1], [0], ["a", 1], [0, 40_000]):
        with pytest.raises(filters.FilterError):
            filters.compile_filter([[{"property": "due_at", "operator": "days_from_today", "value": bad}]],
                                   {"due_at": due}, today=date(2026, 11, 27))  # fmt: skip


def test_a_records_tasks_open_first_and_the_previews_open_ones_only(con):
    def fill(cur):
        _task(cur, 1, datetime(2026, 11, 30, 9, 0), title="Later", object="companies", record_id=5)
        _task(cur, 2, datetime(2026, 11, 27, 9, 0), title="Sooner", object="companies", record_id=5)
        _task(cur, 3, datetime(2026, 11, 26, 9, 0), title="Done", status="completed",
              object="companies", record_id=5)  # fmt: skip
        _task(
            cur, 4, datetime(2026, 11, 25, 9, 0), title="Another's", object="companies", record_id=6
        )
        cur.execute(
            "UPDATE tasks SET completed_at = ? WHERE id = 3", [datetime(2026, 11, 26, 10, 0)]
        )

    db.write(con, fill)
    every = tasks.record_tasks(con, "companies", 5, time_zone="Europe/London")
    assert list(every["Task"]) == ["Sooner", "Later", "Done"]
    assert list(every["Status"]) == [tasks.STATUSES["open"]] * 2 + [tasks.STATUSES["completed"]]
    shown = tasks.record_tasks(con, "companies", 5, time_zone="Europe/London", open_only=True)
    assert list(shown.columns) == ["Task", "Type", "Priority", "Due", "Assigned to"]
    assert list(shown["Task"]) == ["Sooner", "Later"]
    assert list(shown["Assigned to"]) == ["Dana Park"] * 2
    assert shown["Due"].tolist() == [datetime(2026, 11, 27, 9, 0), datetime(2026, 11, 30, 9, 0)]
