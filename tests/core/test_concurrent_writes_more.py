"""Writes that lose nothing, continued: 20 people at once on task bulk actions and task edits,
stage moves (with required properties), follow-ups, saved reports, dashboards and settings.

Every applied change is in its history with its true prior value (where the write keeps
history), every refused one is reported to its caller, and nothing is silently overwritten:
of stale editors of one thing exactly one wins and the others are told; writers of different
things all land."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest

from cs_core import (
    daily,
    dashboards,
    db,
    followups,
    pipelines,
    preview_settings,
    record_values,
    records,
    settings,
    task_actions,
    tasks,
)
from cs_core.dashboards import DashboardError
from cs_core.pipelines import MoveRefused
from cs_core.record_values import StaleEdit
from cs_core.reports import results, saved
from cs_core.reports.definition import ReportError
from cs_core.settings import CustomerSettings, SettingsError
from cs_core.task_actions import BulkResult, Selection
from tests.conftest import ANALYST, CSM, NOW, SETTINGS_MANAGER
from tests.core.test_concurrent_writes import WRITERS, at_once

IDENTIFIED, PROPOSAL, NEGOTIATION = 1, 2, 3  # the demo's Renewals pipeline stages
TEAM_MATES = (CSM, 5, 6, None)  # owners the CSM may give a task to (Enterprise CS, or nobody)


def last_history_id(con) -> int:
    return con.execute("SELECT coalesce(max(id), 0) FROM property_history").fetchone()[0]


def history(con, object_name: str, record_id: int, prop: str, after: int) -> list[tuple]:
    """(old, new) of the record's property changes since history row ``after``, in order."""
    return con.execute(
        "SELECT old_value, new_value FROM property_history WHERE object = ? AND record_id = ? "
        "AND property = ? AND id > ? ORDER BY id",
        [object_name, record_id, prop, after],
    ).fetchall()


def stored_text(con, table: str, record_id: int, prop: str) -> str | None:
    """The stored value as its history writes it: SQL's text of it for tasks (set-based
    writes), the app's text of it for records (record_values.as_text)."""
    if table == "tasks":
        return con.execute(f"SELECT CAST({prop} AS VARCHAR) FROM tasks WHERE id = ?", [record_id]).fetchone()[0]  # fmt: skip
    value = con.execute(f"SELECT {prop} FROM {table} WHERE id = ?", [record_id]).fetchone()[0]
    return record_values.as_text(value)


def assert_chain(rows: list[tuple], first, final) -> None:
    """Each change starts from the value the one before it left: the first from what was
    stored, and the last left what is stored now."""
    if not rows:
        assert first == final
        return
    assert rows[0][0] == first, rows
    for before, after in zip(rows, rows[1:], strict=False):
        assert after[0] == before[1], rows
    assert rows[-1][1] == final, rows


def errors(found: list) -> list[Exception]:
    return [r for r in found if isinstance(r, Exception)]


# --- task bulk actions and task edits ----------------------------------------------------


def open_tasks(con, n: int) -> list[int]:
    """``n`` of the CSM's open tasks, none of them high priority."""
    rows = con.execute("SELECT id FROM tasks WHERE owner_id = ? AND status = 'open' AND priority <> 'high' "
                       "ORDER BY id LIMIT ?", [CSM, n]).fetchall()  # fmt: skip
    assert len(rows) == n
    return [r[0] for r in rows]


def test_twenty_bulk_actions_on_one_selection_each_record_the_true_prior_value(demo_con, user):
    csm = user(CSM)
    ids = open_tasks(demo_con, 5)
    chosen = Selection(ids=tuple(ids))
    props = ("status", "completed_at", "priority", "owner_id")
    before = {(t, p): stored_text(demo_con, "tasks", t, p) for t in ids for p in props}
    start = last_history_id(demo_con)
    priorities = ["low", "medium", "high", "none", "medium"]
    jobs = []
    for i in range(WRITERS):
        kind = i % 4
        if kind == 0:
            jobs.append(
                lambda cur: task_actions.complete(cur, actor=csm, selection=chosen, now=NOW)
            )
        elif kind == 1:
            jobs.append(lambda cur: task_actions.reopen(cur, actor=csm, selection=chosen, now=NOW))
        elif kind == 2:
            jobs.append(lambda cur, v=priorities[i // 4]: task_actions.set_property(
                cur, actor=csm, selection=chosen, property_name="priority", value=v, now=NOW))  # fmt: skip
        else:
            jobs.append(lambda cur, o=TEAM_MATES[i // 4 % 4]: task_actions.assign(
                cur, actor=csm, selection=chosen, owner_id=o, now=NOW))  # fmt: skip
    found = at_once(demo_con, jobs)
    assert not errors(found), found
    assert all(isinstance(r, BulkResult) and r.matched == 5 for r in found)
    for t in ids:
        for p in props:
            assert_chain(history(demo_con, "tasks", t, p, start), before[(t, p)], stored_text(demo_con, "tasks", t, p))  # fmt: skip
    # Each action changed exactly the tasks it counted: one history row per changed task.
    statuses = [h for t in ids for h in history(demo_con, "tasks", t, "status", start)]
    assert sum(r.changed for r in found[0::4]) == sum(new == "completed" for _, new in statuses)
    assert sum(r.changed for r in found[1::4]) == sum(new == "open" for _, new in statuses)
    priority_rows = [h for t in ids for h in history(demo_con, "tasks", t, "priority", start)]
    assert sum(r.changed for r in found[2::4]) == len(priority_rows)
    owner_rows = [h for t in ids for h in history(demo_con, "tasks", t, "owner_id", start)]
    assert sum(r.changed for r in found[3::4]) == len(owner_rows)


def test_twenty_writers_of_their_own_tasks_all_land(demo_con, user):
    csm = user(CSM)
    ids = open_tasks(demo_con, 3 * WRITERS)
    groups = [tuple(ids[3 * i : 3 * i + 3]) for i in range(WRITERS)]
    start = last_history_id(demo_con)
    wanted = {}  # task -> (property, value as history writes it)
    jobs = []
    for i, group in enumerate(groups):
        chosen = Selection(ids=group)
        if i % 4 == 0:
            jobs.append(
                lambda cur, s=chosen: task_actions.complete(cur, actor=csm, selection=s, now=NOW)
            )
            wanted |= {t: ("status", "completed") for t in group}
        elif i % 4 == 1:
            jobs.append(lambda cur, s=chosen, v=f"Call back {i}": task_actions.set_property(
                cur, actor=csm, selection=s, property_name="title", value=v, now=NOW))  # fmt: skip
            wanted |= {t: ("title", f"Call back {i}") for t in group}
        elif i % 4 == 2:
            jobs.append(lambda cur, s=chosen: task_actions.assign(cur, actor=csm, selection=s, owner_id=5, now=NOW))  # fmt: skip
            wanted |= {t: ("owner_id", "5") for t in group}
        else:
            jobs.append(lambda cur, s=chosen: task_actions.set_property(
                cur, actor=csm, selection=s, property_name="priority", value="high", now=NOW))  # fmt: skip
            wanted |= {t: ("priority", "high") for t in group}
    before = {t: stored_text(demo_con, "tasks", t, p) for t, (p, _) in wanted.items()}
    found = at_once(demo_con, jobs)
    assert not errors(found), found
    assert [(r.matched, r.changed) for r in found] == [(3, 3)] * WRITERS
    for t, (prop, value) in wanted.items():
        assert stored_text(demo_con, "tasks", t, prop) == value
        assert history(demo_con, "tasks", t, prop, start) == [(before[t], value)]


def test_deletes_and_edits_of_the_same_tasks_at_once_delete_each_once_and_edit_none_after(demo_con, user):  # fmt: skip
    csm = user(CSM)
    ids = open_tasks(demo_con, 3)
    titles = {t: demo_con.execute("SELECT title FROM tasks WHERE id = ?", [t]).fetchone()[0] for t in ids}  # fmt: skip
    chosen = Selection(ids=tuple(ids))
    start = last_history_id(demo_con)
    delete = lambda cur: task_actions.delete(cur, actor=csm, selection=chosen, now=NOW)  # noqa: E731
    edit = lambda cur: task_actions.set_property(cur, actor=csm, selection=chosen, property_name="priority",  # noqa: E731
                                                 value="high", now=NOW)  # fmt: skip
    jobs = [delete if i % 2 else edit for i in range(WRITERS)]
    found = at_once(demo_con, jobs)
    assert not errors(found), found
    deletes, edits = found[1::2], found[0::2]
    # One delete removed the three; the others found nothing left, and said so (0 deleted).
    assert sorted((r.matched, r.changed) for r in deletes) == [(0, 0)] * 9 + [(3, 3)]
    assert demo_con.execute("SELECT count(*) FROM tasks WHERE id IN (SELECT unnest(?))", [ids]).fetchone() == (0,)  # fmt: skip
    # An edit before the delete set "high" (the first of them changed the three); after it, none matched.
    assert all((r.matched, r.changed) in ((3, 3), (3, 0), (0, 0)) for r in edits), edits
    edited = sum(r.changed for r in edits)
    assert edited == (3 if any(r.matched for r in edits) else 0)
    for t in ids:
        rows = demo_con.execute("SELECT property, old_value, new_value FROM property_history "
                                "WHERE object = 'tasks' AND record_id = ? AND id > ? ORDER BY id", [t, start]).fetchall()  # fmt: skip
        assert rows[-1] == ("deleted", titles[t], None)  # deleted once, and nothing after it
        assert [r[0] for r in rows].count("deleted") == 1
        assert len(rows) == 1 + edited // 3


def test_twenty_edits_of_different_properties_of_one_task_all_land(demo_con, user):
    csm = user(CSM)
    (task,) = open_tasks(demo_con, 1)
    props = ("title", "priority", "task_type", "due_at", "notes", "owner_id")
    values = {
        "title": lambda i: f"Renewal call {i}",
        "priority": lambda i: ["low", "medium", "high", "none"][i % 4],
        "task_type": lambda i: ["call", "email", "todo"][i % 3],
        "due_at": lambda i: NOW + timedelta(days=i),
        "notes": lambda i: f"Note {i}",
        "owner_id": lambda i: TEAM_MATES[i % 4],
    }
    before = {p: stored_text(demo_con, "tasks", task, p) for p in props}
    start = last_history_id(demo_con)

    def edit(prop, value):
        return lambda cur: task_actions.set_property(cur, actor=csm, selection=Selection(ids=(task,)),
                                                     property_name=prop, value=value, now=NOW)  # fmt: skip

    jobs = [edit(props[i % len(props)], values[props[i % len(props)]](i)) for i in range(WRITERS)]
    found = at_once(demo_con, jobs)
    assert not errors(found), found
    for p in props:
        rows = history(demo_con, "tasks", task, p, start)
        assert_chain(rows, before[p], stored_text(demo_con, "tasks", task, p))
        assert len(rows) == sum(r.changed for r in found[props.index(p) :: len(props)])
    # The title, written by the most, ends as one of its writers left it.
    assert stored_text(demo_con, "tasks", task, "title") in {
        f"Renewal call {i}" for i in range(0, WRITERS, 6)
    }


def test_twenty_tasks_created_at_once_each_get_their_own_id_and_history(demo_con, user):
    csm = user(CSM)
    start = last_history_id(demo_con)
    jobs = [lambda cur, i=i: tasks.create_task(cur, actor=csm, title=f"Follow up {i}", now=NOW, owner_id=CSM,
                                               record=("companies", 1 + i)) for i in range(WRITERS)]  # fmt: skip
    found = at_once(demo_con, jobs)
    assert not errors(found), found
    assert len({t.id for t in found}) == WRITERS
    for i, made in enumerate(found):
        assert (made.title, made.owner_id, made.object, made.record_id) == (f"Follow up {i}", CSM, "companies", 1 + i)  # fmt: skip
        assert history(demo_con, "tasks", made.id, "created", start) == [(None, f"Follow up {i}")]


# --- stage moves --------------------------------------------------------------------------


def blank_deals(con, n: int) -> list[int]:
    """``n`` renewal deals put in the first stage without amount or close date."""
    ids = [r[0] for r in con.execute("SELECT id FROM deals WHERE pipeline_id = 1 ORDER BY id LIMIT ?", [n]).fetchall()]  # fmt: skip
    db.write(con, lambda cur: cur.execute("UPDATE deals SET stage_id = 1, amount = NULL, close_date = NULL "
                                          "WHERE id IN (SELECT unnest(?))", [ids]))  # fmt: skip
    return ids


def test_twenty_cards_moved_at_once_with_their_required_values_all_land(demo_con, user):
    manager = user(SETTINGS_MANAGER)
    ids = blank_deals(demo_con, WRITERS)
    start = last_history_id(demo_con)
    jobs = [lambda cur, d=d, i=i: pipelines.move_record(
                cur, actor=manager, object_name="deals", record_id=d, stage_id=NEGOTIATION, now=NOW,
                expected_stage=IDENTIFIED, values={"amount": str(1000 + i), "close_date": f"2027-01-{1 + i:02d}"})
            for i, d in enumerate(ids)]  # fmt: skip
    found = at_once(demo_con, jobs)
    assert not errors(found), found
    for i, (d, move) in enumerate(zip(ids, found, strict=True)):
        assert (move.record_id, move.from_stage, move.to_stage, move.changed) == (
            d, IDENTIFIED, NEGOTIATION, ("amount", "close_date", "stage_id"))  # fmt: skip
        assert history(demo_con, "deals", d, "amount", start) == [(None, str(1000 + i))]
        assert history(demo_con, "deals", d, "close_date", start) == [
            (None, f"2027-01-{1 + i:02d}")
        ]
        assert history(demo_con, "deals", d, "stage_id", start) == [("1", "3")]
        assert demo_con.execute("SELECT stage_id, amount, close_date FROM deals WHERE id = ?", [d]).fetchone() == (
            NEGOTIATION, 1000.0 + i, date(2027, 1, 1 + i))  # fmt: skip


def test_moves_and_edits_of_other_properties_of_the_same_cards_both_stay(demo_con, user):
    manager = user(SETTINGS_MANAGER)
    ids = blank_deals(demo_con, WRITERS // 2)
    start = last_history_id(demo_con)
    jobs = []
    for i, d in enumerate(ids):
        jobs.append(lambda cur, d=d, i=i: pipelines.move_record(
            cur, actor=manager, object_name="deals", record_id=d, stage_id=PROPOSAL, now=NOW,
            expected_stage=IDENTIFIED, values={"amount": str(500 + i)}))  # fmt: skip
        jobs.append(lambda cur, d=d, i=i: record_values.update_property(
            cur, actor=manager, object_name="deals", record_id=d, property_name="name", value=f"Renewal {i}",
            now=NOW))  # fmt: skip
    found = at_once(demo_con, jobs)
    assert not errors(found), found
    for i, d in enumerate(ids):
        assert demo_con.execute("SELECT stage_id, amount, name FROM deals WHERE id = ?", [d]).fetchone() == (
            PROPOSAL, 500.0 + i, f"Renewal {i}")  # fmt: skip
        assert history(demo_con, "deals", d, "stage_id", start) == [("1", "2")]
        assert history(demo_con, "deals", d, "amount", start) == [(None, str(500 + i))]
        assert len(history(demo_con, "deals", d, "name", start)) == 1


def test_a_required_value_someone_filled_meanwhile_is_not_overwritten_by_a_move(demo_con, user):
    manager = user(SETTINGS_MANAGER)
    (deal,) = blank_deals(demo_con, 1)
    # The mover was asked for the amount (it was empty); meanwhile a colleague set it.
    assert pipelines.missing_for(demo_con, "deals", deal, PROPOSAL) == ["amount"]
    record_values.update_property(demo_con, actor=manager, object_name="deals", record_id=deal,
                                  property_name="amount", value="900", now=NOW)  # fmt: skip
    with pytest.raises(StaleEdit, match="Amount was set by someone else meanwhile") as refused:
        pipelines.move_record(demo_con, actor=manager, object_name="deals", record_id=deal, stage_id=PROPOSAL,
                              expected_stage=IDENTIFIED, values={"amount": "500"}, now=NOW)  # fmt: skip
    assert "(it is now 900)" in str(refused.value) and "Reload" in str(refused.value)
    assert demo_con.execute(
        "SELECT stage_id, amount FROM deals WHERE id = ?", [deal]
    ).fetchone() == (1, 900.0)
    # The same value as the colleague's is no conflict: the card moves, the amount stays theirs.
    move = pipelines.move_record(demo_con, actor=manager, object_name="deals", record_id=deal, stage_id=PROPOSAL,
                                 expected_stage=IDENTIFIED, values={"amount": "900"}, now=NOW)  # fmt: skip
    assert move.changed == ("stage_id",)


def test_movers_asked_for_a_value_and_editors_of_it_at_once_overwrite_nobody(demo_con, user):
    manager = user(SETTINGS_MANAGER)
    (deal,) = blank_deals(demo_con, 1)
    start = last_history_id(demo_con)
    jobs = []
    for i in range(WRITERS // 2):
        jobs.append(lambda cur, i=i: pipelines.move_record(
            cur, actor=manager, object_name="deals", record_id=deal, stage_id=PROPOSAL, now=NOW,
            expected_stage=IDENTIFIED, values={"amount": str(100 + i)}))  # fmt: skip
        jobs.append(lambda cur, i=i: record_values.update_property(
            cur, actor=manager, object_name="deals", record_id=deal, property_name="amount",
            value=str(900 + i), now=NOW))  # fmt: skip
    found = at_once(demo_con, jobs)
    moves, edits = found[0::2], found[1::2]
    assert all(isinstance(r, record_values.Change) for r in edits), edits  # every editor landed
    moved = [r for r in moves if isinstance(r, pipelines.Move)]
    assert all(isinstance(r, StaleEdit) for r in moves if r not in moved), moves  # the others told
    assert len(moved) <= 1
    amounts = history(demo_con, "deals", deal, "amount", start)
    assert_chain(amounts, None, stored_text(demo_con, "deals", deal, "amount"))
    assert len(amounts) == len(edits) + len(moved)
    if moved:  # the one move filled the empty amount: it came before every edit
        assert amounts[0] == (None, str(100 + moves.index(moved[0])))
    stage = history(demo_con, "deals", deal, "stage_id", start)
    assert stage == ([("1", "2")] if moved else [])
    assert stored_text(demo_con, "deals", deal, "stage_id") == ("2" if moved else "1")


def test_a_move_refused_for_missing_values_is_told_at_once_to_every_mover(demo_con, user):
    manager = user(SETTINGS_MANAGER)
    ids = blank_deals(demo_con, WRITERS)
    found = at_once(demo_con, [lambda cur, d=d: pipelines.move_record(
        cur, actor=manager, object_name="deals", record_id=d, stage_id=NEGOTIATION, now=NOW,
        values={"amount": "10"}) for d in ids])  # fmt: skip
    assert all(isinstance(r, MoveRefused) and r.missing == ("close_date",) for r in found), found
    assert demo_con.execute("SELECT count(*) FROM deals WHERE id IN (SELECT unnest(?)) AND stage_id = 1 "
                            "AND amount IS NULL", [ids]).fetchone() == (WRITERS,)  # fmt: skip


# --- follow-ups ---------------------------------------------------------------------------


def test_twenty_follow_ups_on_one_contact_at_once_are_all_saved(demo_con, user):
    csm = user(CSM)
    contact, company = demo_con.execute("SELECT id, company_id FROM contacts WHERE company_id IS NOT NULL "
                                        "ORDER BY id LIMIT 1").fetchone()  # fmt: skip
    before = {
        t: demo_con.execute(f"SELECT last_activity_at FROM {t} WHERE id = ?", [i]).fetchone()[0]
        for t, i in (("contacts", contact), ("companies", company))
    }
    kinds = ["call", "email", "note", "meeting"]
    whens, jobs = {}, []
    for i in range(WRITERS):
        kind = kinds[i % 4]
        when = NOW - timedelta(minutes=10 * (i + 1)) if i % 8 != 3 else NOW + timedelta(days=1 + i)
        whens[i] = when
        if kind == "meeting":
            jobs.append(lambda cur, i=i, w=when: followups.schedule_meeting(
                cur, actor=csm, contact_id=contact, title=f"Meeting {i}", start=w, minutes=30, now=NOW))  # fmt: skip
        else:
            jobs.append(lambda cur, i=i, w=when, k=kind: followups.log(
                cur, actor=csm, contact_id=contact, kind=k, subject=f"{k} {i}", body=f"Body {i}",
                occurred_at=w, now=NOW))  # fmt: skip
    found = at_once(demo_con, jobs)
    assert not errors(found), found
    assert len({r.activity_id for r in found}) == WRITERS
    for i, logged in enumerate(found):
        row = demo_con.execute("SELECT activity_type, occurred_at, contact_id, company_id, user_id, subject "
                               "FROM activities WHERE id = ?", [logged.activity_id]).fetchone()  # fmt: skip
        kind = kinds[i % 4]
        subject = f"Meeting {i}" if kind == "meeting" else f"{kind} {i}"
        assert row == (kind, whens[i].replace(tzinfo=None), contact, company, CSM, subject)
        assert (logged.meeting_id is not None) == (kind == "meeting")
    meetings = [r.meeting_id for r in found if r.meeting_id is not None]
    assert demo_con.execute("SELECT count(*), count(DISTINCT id) FROM meetings WHERE id IN (SELECT unnest(?)) "
                            "AND owner_id = ? AND record_id = ?", [meetings, CSM, contact]).fetchone() == (5, 5)  # fmt: skip
    # The latest activity that has happened, whichever writer came last (meetings to come do not count).
    latest = max(w for w in whens.values() if w <= NOW).replace(tzinfo=None)
    for table, record in (("contacts", contact), ("companies", company)):
        last = demo_con.execute(
            f"SELECT last_activity_at FROM {table} WHERE id = ?", [record]
        ).fetchone()[0]
        assert last == max(latest, before[table] or latest)


# --- saved reports ------------------------------------------------------------------------

SPEC = {"name": "Deals by stage", "source": "object:deals", "measure": {"op": "count"},
        "dimensions": [{"property": "stage_id"}], "chart": "bar"}  # fmt: skip
STALE_REPORT = "Someone saved this report since you opened it: reload it to see their changes."


@pytest.mark.parametrize(
    "later", [timedelta(0), timedelta(minutes=1)], ids=["same instant", "a minute later"]
)
def test_twenty_stale_editors_of_one_report_one_wins_the_others_are_told(demo_con, user, later):
    analyst = user(ANALYST)
    opened = saved.get(demo_con, 3)  # every editor opened this version
    jobs = [lambda cur, i=i: saved.save(cur, actor=analyst, definition={**opened.report.as_json(), "name": f"Renewals {i}"},
                                        now=NOW + later, report_id=3, opened_at=opened.updated_at)
            for i in range(WRITERS)]  # fmt: skip
    found = at_once(demo_con, jobs)
    won = [r for r in found if isinstance(r, saved.Saved)]
    told = [r for r in found if isinstance(r, ReportError)]
    assert len(won) == 1 and len(told) == WRITERS - 1, found
    assert all(r.problems == [STALE_REPORT] for r in told)
    now = saved.get(demo_con, 3)
    assert now.name == won[0].name and now.report.as_json() == won[0].report.as_json()
    assert now.updated_at > opened.updated_at
    # The winner's version is the one to edit next.
    again = saved.save(demo_con, actor=analyst, definition={**SPEC, "name": "Renewals again"}, now=NOW + later,
                       report_id=3, opened_at=now.updated_at)  # fmt: skip
    assert again.name == "Renewals again"


def test_a_save_in_the_same_instant_as_the_version_it_replaces_still_refuses_the_next_stale_one(demo_con, user):  # fmt: skip
    analyst = user(ANALYST)
    first = saved.save(demo_con, actor=analyst, definition=SPEC, now=NOW)
    saved.save(demo_con, actor=analyst, definition={**SPEC, "chart": "pie"}, now=NOW, report_id=first.id,
               opened_at=first.updated_at)  # fmt: skip
    with pytest.raises(ReportError, match="Someone saved this report since you opened it"):
        saved.save(demo_con, actor=analyst, definition={**SPEC, "chart": "table"}, now=NOW, report_id=first.id,
                   opened_at=first.updated_at)  # fmt: skip
    assert saved.get(demo_con, first.id).report.chart == "pie"


def test_twenty_editors_of_their_own_reports_all_land(demo_con, user):
    analyst = user(ANALYST)
    mine = [saved.save(demo_con, actor=analyst, definition={**SPEC, "name": f"Report {i}"}, now=NOW)
            for i in range(WRITERS)]  # fmt: skip
    jobs = [lambda cur, r=r, i=i: saved.save(cur, actor=analyst, definition={**SPEC, "name": f"Edited {i}", "chart": "pie"},
                                             now=NOW + timedelta(minutes=1), report_id=r.id, opened_at=r.updated_at)
            for i, r in enumerate(mine)]  # fmt: skip
    found = at_once(demo_con, jobs)
    assert not errors(found), found
    for i, r in enumerate(mine):
        now = saved.get(demo_con, r.id)
        assert (now.name, now.report.chart) == (f"Edited {i}", "pie")


def test_twenty_new_reports_of_one_name_at_once_make_one(demo_con, user):
    analyst = user(ANALYST)
    found = at_once(demo_con, [lambda cur, name=name: saved.save(cur, actor=analyst, definition={**SPEC, "name": name},
                                                           now=NOW) for name in ["Pipeline", "pipeline", "PIPELINE", "Pipeline "] * 5])  # fmt: skip
    made = [r for r in found if isinstance(r, saved.Saved)]
    told = [r for r in found if isinstance(r, ReportError)]
    assert len(made) == 1 and len(told) == WRITERS - 1
    assert all(
        len(r.problems) == 1 and r.problems[0].startswith("There is already a report named")
        for r in told
    )
    assert demo_con.execute(
        "SELECT count(*) FROM reports WHERE lower(name) = 'pipeline'"
    ).fetchone() == (1,)


# --- dashboards ---------------------------------------------------------------------------

STALE_DASHBOARD = (
    "Someone saved this dashboard since you opened it: reload it to see their changes."
)


@pytest.mark.parametrize(
    "later", [timedelta(0), timedelta(minutes=1)], ids=["same instant", "a minute later"]
)
def test_twenty_stale_editors_of_one_dashboard_one_wins_the_others_are_told(demo_con, user, later):
    analyst = user(ANALYST)
    opened = dashboards.get(demo_con, 1)
    rng = random.Random(5)
    layouts = [[(r, rng.choice(list(dashboards.WIDTHS))) for r in rng.sample(range(1, 8), 3)] for _ in range(WRITERS)]  # fmt: skip
    jobs = [lambda cur, i=i: dashboards.save(cur, actor=analyst, dashboard_id=1, name=f"Leadership {i}",
                                             tiles=layouts[i], opened_at=opened.updated_at, now=NOW + later)
            for i in range(WRITERS)]  # fmt: skip
    found = at_once(demo_con, jobs)
    won = [i for i, r in enumerate(found) if isinstance(r, dashboards.Dashboard)]
    told = [r for r in found if isinstance(r, DashboardError)]
    assert len(won) == 1 and len(told) == WRITERS - 1, found
    assert all(r.problems == [STALE_DASHBOARD] for r in told)
    now = dashboards.get(demo_con, 1)
    assert now.name == f"Leadership {won[0]}"
    assert [(t.report_id, t.width) for t in now.tiles] == layouts[
        won[0]
    ]  # the winner's tiles, no mix
    assert now.updated_at > opened.updated_at


def test_twenty_editors_of_their_own_dashboards_all_land_and_a_deleted_report_leaves_none(
    demo_con, user
):
    analyst = user(ANALYST)
    doomed = saved.save(demo_con, actor=analyst, definition=SPEC, now=NOW)
    boards = [
        dashboards.create(demo_con, actor=analyst, name=f"Board {i}", now=NOW)
        for i in range(WRITERS - 1)
    ]
    jobs = [lambda cur, b=b, i=i: dashboards.save(cur, actor=analyst, dashboard_id=b.id, name=f"Team board {i}",
                                                  tiles=[(1 + i % 7, "full"), (doomed.id, "half")],
                                                  opened_at=b.updated_at, now=NOW + timedelta(minutes=1))
            for i, b in enumerate(boards)]  # fmt: skip
    jobs.append(lambda cur: saved.delete(cur, actor=analyst, report_id=doomed.id))  # meanwhile
    found = at_once(demo_con, jobs)
    assert found[-1] is None
    for i, (b, r) in enumerate(zip(boards, found, strict=False)):
        now = dashboards.get(demo_con, b.id)
        if isinstance(r, DashboardError):  # saved after the delete: told, nothing changed
            assert r.problems == ["1 of these reports were deleted: reload the dashboard."]
            assert (now.name, now.tiles) == (f"Board {i}", ())
        else:  # saved before it: the deleted report's tile went with the report
            assert isinstance(r, dashboards.Dashboard), r
            assert now.name == f"Team board {i}"
            assert [(t.report_id, t.width) for t in now.tiles] == [(1 + i % 7, "full")]
    assert demo_con.execute("SELECT count(*) FROM dashboard_reports WHERE report_id = ?", [doomed.id]).fetchone() == (0,)  # fmt: skip


def test_twenty_dashboards_added_to_the_tab_and_moved_at_once_keep_one_true_order(demo_con, user):
    analyst = user(ANALYST)
    boards = [
        dashboards.create(demo_con, actor=analyst, name=f"Board {i}", now=NOW)
        for i in range(WRITERS)
    ]
    found = at_once(demo_con, [lambda cur, b=b, i=i: dashboards.add_to_workspace(
        cur, actor=analyst, dashboard_id=b.id, team_ids=(1 + i % 3,), everyone=False, confirmed=True, now=NOW)
        for i, b in enumerate(boards)])  # fmt: skip
    assert not errors(found), found
    rows = demo_con.execute(
        "SELECT dashboard_id, position FROM workspace_dashboards ORDER BY position"
    ).fetchall()
    assert [p for _, p in rows] == list(range(WRITERS + 1))  # the demo's, then each once
    assert {d for d, _ in rows} == {1, *(b.id for b in boards)}
    assert demo_con.execute("SELECT count(*), count(DISTINCT dashboard_id) FROM dashboard_access "
                            "WHERE dashboard_id <> 1").fetchone() == (WRITERS, WRITERS)  # fmt: skip
    rng = random.Random(9)
    moves = [(rng.choice(rows)[0], rng.choice((-1, 1))) for _ in range(WRITERS)]
    found = at_once(demo_con, [lambda cur, d=d, s=s: dashboards.move_in_workspace(cur, actor=analyst, dashboard_id=d, step=s)
                               for d, s in moves])  # fmt: skip
    assert not errors(found), found
    after = demo_con.execute(
        "SELECT dashboard_id, position FROM workspace_dashboards ORDER BY position"
    ).fetchall()
    assert [p for _, p in after] == list(range(WRITERS + 1))
    assert sorted(d for d, _ in after) == sorted(d for d, _ in rows)


# --- settings -----------------------------------------------------------------------------


def sections(con, actor) -> list[tuple]:
    """Ten settings, each (key, its reader, a save(cur, value, **kw), two values to save)."""
    services = settings.get_service_settings(con)
    revenue = settings.get_revenue_settings(con)
    found = [
        ("customers", settings.get_customer_settings,
         lambda cur, v, **kw: settings.save_customer_settings(cur, actor=actor, value=v, **kw),
         [CustomerSettings("companies", "owner_id", None), CustomerSettings("contacts", "owner_id", None)]),
        ("services", settings.get_service_settings,
         lambda cur, v, **kw: settings.save_service_settings(cur, actor=actor, value=v, **kw),
         [replace(services, default_layout="table"), replace(services, default_pipeline=4)]),
        ("revenue", settings.get_revenue_settings,
         lambda cur, v, **kw: settings.save_revenue_settings(cur, actor=actor, value=v, **kw),
         [replace(revenue, default_object="deals"), replace(revenue, objects=revenue.objects[:1])]),
        (daily.SETTING, daily.get_schedule,
         lambda cur, v, **kw: daily.save_schedule(cur, actor=actor, value=v, **kw),
         [daily.Schedule("06:30", "Europe/Berlin"), daily.Schedule("04:00", "UTC")]),
        (results.SETTINGS_KEY, results.time_limit,
         lambda cur, v, **kw: results.save_time_limit(cur, actor=actor, seconds=v, **kw), [12.0, 45.0]),
    ]  # fmt: skip
    for obj, props in (("companies", ["name", "domain"]), ("contacts", ["email", "first_name"]),
                       ("deals", ["name", "amount"]), ("services", ["name", "owner_id"]),
                       ("subscriptions", ["arr", "start_date"])):  # fmt: skip
        found.append((f"preview.{obj}", lambda cur, o=obj: preview_settings.get_preview_properties(cur, o),
                      lambda cur, v, o=obj, **kw: preview_settings.save_preview_properties(
                          cur, actor=actor, object_name=o, properties=v, **kw),
                      [props, props[::-1]]))  # fmt: skip
    return found


def saved_row(con, key: str) -> tuple:
    return con.execute(
        "SELECT updated_at, updated_by FROM settings WHERE key = ?", [key]
    ).fetchone()


def test_twenty_writers_of_twenty_settings_at_once_all_land(demo_con, user):
    manager = user(SETTINGS_MANAGER)
    for i in range(10):  # ten more objects, each with its own record preview to set
        records.create_custom_object(demo_con, actor=manager, name=f"programs_{i}", label=f"Program {i}",
                                     label_plural=f"Programs {i}", properties=[])  # fmt: skip
    writers = [
        (key, read, save, values[0]) for key, read, save, values in sections(demo_con, manager)
    ]
    for i in range(10):
        writers.append((f"preview.programs_{i}", lambda cur, o=f"programs_{i}": preview_settings.get_preview_properties(cur, o),
                        lambda cur, v, o=f"programs_{i}", **kw: preview_settings.save_preview_properties(
                            cur, actor=manager, object_name=o, properties=v, **kw), ["name"]))  # fmt: skip
    assert len(writers) == WRITERS
    opened = {key: read(demo_con) for key, read, _, _ in writers}
    found = at_once(demo_con, [lambda cur, s=save, v=value, k=k, e=opened[key]: s(cur, v, now=NOW + timedelta(seconds=k),
                                                                                   expected=e)
                               for k, (key, _, save, value) in enumerate(writers)])  # fmt: skip
    assert all(r is None or isinstance(r, daily.Schedule) for r in found), found
    for k, (key, read, _, value) in enumerate(writers):
        assert read(demo_con) == value, key
        assert saved_row(demo_con, key) == (
            (NOW + timedelta(seconds=k)).replace(tzinfo=None),
            SETTINGS_MANAGER,
        )


def test_twenty_stale_editors_of_ten_settings_one_wins_each_the_other_is_told(demo_con, user):
    manager = user(SETTINGS_MANAGER)
    found_sections = sections(demo_con, manager)
    opened = {key: read(demo_con) for key, read, _, _ in found_sections}
    jobs = [lambda cur, s=save, v=values[n], e=opened[key], at=NOW + timedelta(seconds=2 * k + n):
            s(cur, v, now=at, expected=e)
            for k, (key, _, save, values) in enumerate(found_sections) for n in (0, 1)]  # fmt: skip
    found = at_once(demo_con, jobs)
    for k, (key, read, _, values) in enumerate(found_sections):
        pair = found[2 * k : 2 * k + 2]
        told = [r for r in pair if isinstance(r, Exception)]
        assert len(told) == 1, (key, pair)
        assert str(told[0]).startswith("Someone saved these settings since you opened them"), told
        assert isinstance(told[0], SettingsError | daily.ScheduleError | ReportError)
        won = 1 - pair.index(told[0])
        assert read(demo_con) == values[won], key  # the winner's value whole, not a mix
        assert saved_row(demo_con, key) == ((NOW + timedelta(seconds=2 * k + won)).replace(tzinfo=None),
                                            SETTINGS_MANAGER)  # fmt: skip


def test_a_settings_save_without_what_the_editor_opened_replaces_the_section(demo_con, user):
    manager = user(SETTINGS_MANAGER)
    key, read, save, values = sections(demo_con, manager)[0]
    found = at_once(
        demo_con, [lambda cur, v=values[i % 2]: save(cur, v, now=NOW) for i in range(WRITERS)]
    )
    assert not errors(found), found  # the command line's way: the last one is what is saved
    assert read(demo_con) in values
