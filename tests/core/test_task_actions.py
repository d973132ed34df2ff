"""Bulk actions on tasks: chosen ones or every match of a filter, set-based, with history and
permission checks (ACT-3, ACT-4)."""

from datetime import UTC, datetime

import pytest

from cs_core import db, record_list, task_actions, tasks
from cs_core.record_list import Query, Viewer
from cs_core.task_actions import Selection
from cs_core.users import PermissionDenied, get_user
from tests.core.test_tasks import BRISBANE, LA, LONDON, SYDNEY, _task, _users

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


@pytest.fixture
def con(empty_con):
    def fill(cur):
        _users(cur)
        for i in range(1, 61):  # 60 open calls of LA's, due over the next days
            _task(
                cur, i, datetime(2026, 11, 29 + i % 2, 17), task_type="call" if i % 3 else "email"
            )
        _task(cur, 61, None, status="completed")
        _task(cur, 62, None, owner=BRISBANE)  # another team's

    db.write(empty_con, fill)
    return empty_con


def _history(con, prop):
    return con.execute("SELECT record_id, old_value, new_value, changed_by FROM property_history "
                       "WHERE object = 'tasks' AND property = ? ORDER BY record_id", [prop]).fetchall()  # fmt: skip


def test_completing_chosen_tasks_writes_history_and_skips_completed_ones(con):
    user = get_user(con, LA)
    done = task_actions.complete(con, actor=user, selection=Selection(ids=(1, 2, 61)), now=NOW)
    assert (done.matched, done.changed, done.unchanged) == (3, 2, 1)
    assert con.execute("SELECT id, status, completed_at FROM tasks WHERE id IN (1, 2) ORDER BY id").fetchall() == [
        (1, "completed", datetime(2026, 11, 28, 6)), (2, "completed", datetime(2026, 11, 28, 6))]  # fmt: skip
    assert _history(con, "status") == [(1, "open", "completed", LA), (2, "open", "completed", LA)]
    ids = [r[0] for r in con.execute("SELECT id FROM property_history").fetchall()]
    assert len(ids) == len(set(ids)) == 4  # status and completed_at, each task its own id
    back = task_actions.reopen(con, actor=user, selection=Selection(ids=(1,)), now=NOW)
    assert (back.matched, back.changed) == (1, 1)
    assert con.execute("SELECT status, completed_at FROM tasks WHERE id = 1").fetchone() == (
        "open",
        None,
    )


def test_select_all_matching_a_filter_acts_on_every_match_not_the_page(con):
    user = get_user(con, LA)
    viewer = Viewer(LA, NOW, user.time_zone)
    calls = Query("tasks", [[{"property": "task_type", "operator": "eq", "value": "call"},
                             {"property": "status", "operator": "eq", "value": "open"}]], ("title",))  # fmt: skip
    page = record_list.page(con, calls, viewer, size=25)
    assert (page.total, len(page.rows), page.pages) == (40, 25, 2)
    done = task_actions.complete(
        con, actor=user, selection=Selection.matching(calls, viewer), now=NOW
    )
    assert (done.matched, done.changed) == (40, 40)
    assert con.execute(
        "SELECT count(*) FROM tasks WHERE task_type = 'call' AND status = 'completed'"
    ).fetchone() == (40,)
    assert con.execute(
        "SELECT count(*) FROM tasks WHERE task_type = 'email' AND status = 'open'"
    ).fetchone() == (20,)
    assert record_list.count(con, calls, viewer) == 0


def test_assign_edit_and_delete_with_history(con):
    manager = get_user(con, LONDON)
    moved = task_actions.assign(
        con, actor=manager, selection=Selection(ids=(3, 4)), owner_id=SYDNEY, now=NOW
    )
    assert moved.changed == 2
    assert _history(con, "owner_id") == [
        (3, str(LA), str(SYDNEY), LONDON),
        (4, str(LA), str(SYDNEY), LONDON),
    ]
    high = task_actions.set_property(con, actor=manager, selection=Selection(ids=(3, 4, 5)),
                                     property_name="priority", value="High", now=NOW)  # fmt: skip
    assert high.changed == 3
    assert con.execute("SELECT DISTINCT priority FROM tasks WHERE id IN (3, 4, 5)").fetchall() == [
        ("high",)
    ]
    # A date and time typed by the actor is read in their zone (London: UTC in November).
    due = task_actions.set_property(con, actor=get_user(con, SYDNEY), selection=Selection(ids=(3,)),
                                    property_name="due_at", value="2026-12-01 09:00", now=NOW)  # fmt: skip
    assert due.changed == 1
    assert con.execute("SELECT due_at FROM tasks WHERE id = 3").fetchone() == (
        datetime(2026, 11, 30, 22, 0),
    )
    with pytest.raises(tasks.TaskRefused, match="Priority must be one of"):
        task_actions.set_property(con, actor=manager, selection=Selection(ids=(3,)), property_name="priority",
                                  value="urgent", now=NOW)  # fmt: skip
    with pytest.raises(tasks.TaskRefused, match="Title cannot be empty"):
        task_actions.set_property(con, actor=manager, selection=Selection(ids=(3,)), property_name="title",
                                  value=" ", now=NOW)  # fmt: skip
    gone = task_actions.delete(con, actor=manager, selection=Selection(ids=(5, 6)), now=NOW)
    assert (gone.matched, gone.changed) == (2, 2)
    assert con.execute("SELECT count(*) FROM tasks WHERE id IN (5, 6)").fetchone() == (0,)
    assert _history(con, "deleted") == [(5, "task 5", None, LONDON), (6, "task 6", None, LONDON)]


def test_a_csm_cannot_bulk_edit_another_teams_tasks(con):
    csm = get_user(con, LA)
    before = con.execute("SELECT id, status FROM tasks ORDER BY id").fetchall()
    for action in (
        lambda s: task_actions.complete(con, actor=csm, selection=s, now=NOW),
        lambda s: task_actions.delete(con, actor=csm, selection=s, now=NOW),
        lambda s: task_actions.assign(con, actor=csm, selection=s, owner_id=LA, now=NOW),
    ):
        with pytest.raises(PermissionDenied, match="may not change 1 of the selected tasks"):
            action(Selection(ids=(1, 62)))
    # Selecting every match reaches only the tasks the CSM may see.
    everything = Query("tasks", [], ("title",))
    done = task_actions.complete(
        con, actor=csm, selection=Selection.matching(everything, Viewer(LA, NOW)), now=NOW
    )
    assert done.matched == 61
    assert con.execute("SELECT status FROM tasks WHERE id = 62").fetchone() == ("open",)
    assert [r for r in before if r[0] == 62] == [(62, "open")]
    # Nor give a task to someone outside their team, nor act on a query listed for someone else.
    with pytest.raises(PermissionDenied, match="only to themselves and their team"):
        task_actions.assign(
            con, actor=csm, selection=Selection(ids=(1,)), owner_id=BRISBANE, now=NOW
        )
    with pytest.raises(PermissionDenied, match="tasks they list themselves"):
        task_actions.complete(
            con, actor=csm, selection=Selection.matching(everything, Viewer(LONDON, NOW)), now=NOW
        )


def test_a_bulk_action_selects_nothing_clearly(con):
    with pytest.raises(tasks.TaskRefused, match="Select at least one task"):
        task_actions.complete(con, actor=get_user(con, LA), selection=Selection(), now=NOW)


def test_a_search_over_record_names_selects_for_a_bulk_action(con):
    def fill(cur):
        cur.execute("INSERT INTO companies (id, name, created_at, updated_at) VALUES (10, 'Acme Corp', ?, ?)",
                    [datetime(2026, 1, 1), datetime(2026, 1, 1)])  # fmt: skip
        cur.execute("UPDATE tasks SET object = 'companies', record_id = 10 WHERE id IN (7, 8)")

    db.write(con, fill)
    user = get_user(con, LA)
    viewer = Viewer(LA, NOW, user.time_zone)
    acme = Query("tasks", [], ("title",), search="acme")
    assert record_list.count(con, acme, viewer) == 2
    done = task_actions.complete(
        con, actor=user, selection=Selection.matching(acme, viewer), now=NOW
    )
    assert (done.matched, done.changed) == (2, 2)
    assert con.execute(
        "SELECT id FROM tasks WHERE status = 'completed' AND id <> 61 ORDER BY id"
    ).fetchall() == [(7,), (8,)]
    gone = task_actions.delete(con, actor=user, selection=Selection.matching(acme, viewer), now=NOW)
    assert gone.changed == 2 and record_list.count(con, acme, viewer) == 0
