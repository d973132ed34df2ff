"""Dashboards (DSH-1, DSH-2) and the Dashboards tab's access; the analyst role (U-4); report
results cached on the tables they read and stopped at the time limit."""

from datetime import date, timedelta

import pytest

from cs_core import dashboards, db, table_versions, users
from cs_core.dashboards import DashboardError
from cs_core.reports import engine, results, saved
from cs_core.reports.definition import ReportError, parse
from cs_core.users import Action, PermissionDenied, can
from tests.conftest import ANALYST, CSM, GROWTH_CSM, NOW, SETTINGS_MANAGER

ENTERPRISE, GROWTH, OPERATIONS = 1, 2, 3  # the demo's team ids
SPEC = {"name": "Deals by stage", "source": "object:deals", "measure": {"op": "count"},
        "dimensions": [{"property": "stage_id"}], "chart": "bar"}  # fmt: skip


def test_the_demo_starts_with_the_starter_set_on_a_leadership_dashboard_for_everyone(demo_con):
    names = [s.name for s in saved.list_saved(demo_con)]
    assert sorted(names) == sorted([
        "Health category mix by owner", "Average health score over time", "Renewals next 90 days by stage",
        "Tasks completed per week by owner", "Net revenue retention by quarter", "Logo churn by quarter",
        "Activities per week by type"])  # fmt: skip
    (placed,) = dashboards.placements(demo_con)
    assert (
        placed.dashboard.name == "CS leadership"
        and placed.everyone
        and placed.audience == "Everyone"
    )
    assert [t.report_name for t in placed.dashboard.tiles][:2] == ["Health category mix by owner",
                                                                   "Average health score over time"]  # fmt: skip
    assert len(placed.dashboard.tiles) == 7


def test_an_analyst_edits_reports_and_dashboards_but_not_settings(user):
    analyst = user(ANALYST)
    assert analyst.role == "Analyst"
    assert can(analyst, Action.EDIT_REPORTS) and can(analyst, Action.USE_WORKSPACE)
    assert not can(analyst, Action.MANAGE_SETTINGS) and not can(
        analyst, Action.SHARE_VIEWS_WITH_EVERYONE
    )
    assert not can(user(CSM), Action.EDIT_REPORTS)


def test_a_dashboard_added_for_one_team_shows_only_to_that_team_in_the_order_chosen(demo_con, user):
    analyst = user(ANALYST)
    report = saved.save(demo_con, actor=analyst, definition=SPEC, now=NOW)
    board = dashboards.create(
        demo_con, actor=analyst, name="Growth review", now=NOW, report_ids=(report.id,)
    )
    with pytest.raises(DashboardError) as refused:
        dashboards.add_to_workspace(demo_con, actor=analyst, dashboard_id=board.id, team_ids=(), everyone=False,
                                    confirmed=False, now=NOW)  # fmt: skip
    assert refused.value.problems == ["Choose everyone or at least one team.",
                                      "Tick “I confirm that these users get view access” to add the dashboard."]  # fmt: skip
    assert [p.dashboard.name for p in dashboards.placements(demo_con)] == [
        "CS leadership"
    ]  # nothing half-added
    with pytest.raises(PermissionDenied):
        dashboards.add_to_workspace(demo_con, actor=user(CSM), dashboard_id=board.id, team_ids=(GROWTH,),
                                    everyone=False, confirmed=True, now=NOW)  # fmt: skip
    dashboards.add_to_workspace(demo_con, actor=analyst, dashboard_id=board.id, team_ids=(GROWTH,), everyone=False,
                                confirmed=True, now=NOW)  # fmt: skip
    shown = {uid: [p.dashboard.name for p in dashboards.placements(demo_con, viewer=user(uid))]
             for uid in (CSM, GROWTH_CSM, ANALYST)}  # fmt: skip
    assert shown == {CSM: ["CS leadership"], GROWTH_CSM: ["CS leadership", "Growth review"],
                     ANALYST: ["CS leadership"]}  # fmt: skip
    growth = next(p for p in dashboards.placements(demo_con) if p.dashboard.id == board.id)
    assert growth.audience == "Growth CS" and growth.team_ids == (GROWTH,)
    dashboards.move_in_workspace(demo_con, actor=analyst, dashboard_id=board.id, step=-1)
    assert [p.dashboard.name for p in dashboards.placements(demo_con, viewer=user(GROWTH_CSM))] == [
        "Growth review", "CS leadership"]  # fmt: skip
    # Added again, for everyone: it keeps its place and gets the new access.
    dashboards.add_to_workspace(demo_con, actor=analyst, dashboard_id=board.id, team_ids=(), everyone=True,
                                confirmed=True, now=NOW)  # fmt: skip
    assert [p.dashboard.name for p in dashboards.placements(demo_con, viewer=user(CSM))] == [
        "Growth review", "CS leadership"]  # fmt: skip
    dashboards.remove_from_workspace(demo_con, actor=analyst, dashboard_id=board.id)
    assert [p.dashboard.name for p in dashboards.placements(demo_con, viewer=user(GROWTH_CSM))] == [
        "CS leadership"
    ]
    kept = dashboards.get(demo_con, board.id)  # removing it from the tab keeps it, with its reports
    assert kept is not None and [t.report_id for t in kept.tiles] == [report.id]
    assert demo_con.execute(
        "SELECT count(*) FROM dashboard_access WHERE dashboard_id = ?", [board.id]
    ).fetchone() == (0,)


def test_editing_a_dashboards_reports_orders_sizes_and_refuses_a_stale_editor(demo_con, user):
    analyst, manager = user(ANALYST), user(SETTINGS_MANAGER)
    ids = [
        saved.save(demo_con, actor=analyst, definition={**SPEC, "name": f"R{i}"}, now=NOW).id
        for i in range(3)
    ]
    board = dashboards.create(demo_con, actor=analyst, name="Ops", now=NOW, report_ids=tuple(ids))
    assert [(t.report_name, t.width) for t in board.tiles] == [
        ("R0", "half"),
        ("R1", "half"),
        ("R2", "half"),
    ]
    later = NOW + timedelta(minutes=1)
    edited = dashboards.save(demo_con, actor=analyst, dashboard_id=board.id, name="Ops weekly",
                             tiles=[(ids[2], "full"), (ids[0], "third")], opened_at=board.updated_at, now=later)  # fmt: skip
    assert edited.name == "Ops weekly"
    assert [(t.report_name, t.width) for t in edited.tiles] == [("R2", "full"), ("R0", "third")]
    with pytest.raises(DashboardError, match="Someone saved this dashboard since you opened it"):
        dashboards.save(demo_con, actor=manager, dashboard_id=board.id, name="Ops", tiles=[],
                        opened_at=board.updated_at, now=later + timedelta(minutes=1))  # fmt: skip
    with pytest.raises(DashboardError) as bad:
        dashboards.save(demo_con, actor=analyst, dashboard_id=board.id, name="Ops weekly",
                        tiles=[(ids[0], "huge"), (ids[0], "half")], opened_at=edited.updated_at, now=later)  # fmt: skip
    assert bad.value.problems == ["A report is on a dashboard once.",
                                  "Unknown width 'huge': choose third, half, full."]  # fmt: skip
    assert [t.report_name for t in dashboards.get(demo_con, board.id).tiles] == [
        "R2",
        "R0",
    ]  # unchanged
    with pytest.raises(DashboardError, match="There is already a dashboard named 'cs leadership'"):
        dashboards.create(demo_con, actor=analyst, name="cs leadership", now=NOW)
    saved.delete(
        demo_con, actor=analyst, report_id=ids[2]
    )  # a deleted report leaves its dashboards
    assert [t.report_name for t in dashboards.get(demo_con, board.id).tiles] == ["R0"]
    dashboards.delete(demo_con, actor=analyst, dashboard_id=board.id)
    assert dashboards.get(demo_con, board.id) is None and saved.get(demo_con, ids[0]) is not None


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("SELECT * FROM tasks", None),
        ("  INSERT INTO tasks VALUES (1)", "tasks"),
        ('UPDATE "companies" SET name = ?', "companies"),
        ("DELETE FROM main.activities WHERE id = 1", "activities"),
        ("INSERT OR REPLACE INTO views SELECT 1", "views"),
        ("-- a comment\nUPDATE deals SET amount = 1", "deals"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", None),
        ("ALTER TABLE companies ADD COLUMN x INTEGER", table_versions.EVERY),
        ("CREATE TABLE t (x INTEGER)", table_versions.EVERY),
    ],
)
def test_a_statement_names_the_table_it_writes(sql, table):
    assert table_versions.written_table(sql) == table


def test_a_write_bumps_only_the_tables_it_wrote(demo_con):
    before = {t: table_versions.versions(demo_con, [t]) for t in ("tasks", "companies")}
    db.write(
        demo_con, lambda cur: cur.execute("UPDATE tasks SET title = title || '!' WHERE id = 1")
    )
    after = {t: table_versions.versions(demo_con, [t]) for t in ("tasks", "companies")}
    assert after["companies"] == before["companies"]
    assert after["tasks"][1] == before["tasks"][1] + 1


def test_results_are_cached_until_a_table_they_read_is_written(demo_con, user, monkeypatch):
    results.clear()
    runs = []
    real = engine.run
    monkeypatch.setattr(engine, "run", lambda *a, **k: runs.append(1) or real(*a, **k))
    report = parse(SPEC)
    first = results.result(demo_con, report, now=NOW, user=user(CSM))
    assert results.result(demo_con, report, now=NOW, user=user(CSM)) == first and len(runs) == 1
    db.write(
        demo_con, lambda cur: cur.execute("UPDATE tasks SET title = 'x' WHERE id = 1")
    )  # another table
    results.result(demo_con, report, now=NOW, user=user(CSM))
    assert len(runs) == 1
    stage = demo_con.execute("SELECT stage_id FROM deals WHERE id = 1").fetchone()[0]
    db.write(demo_con, lambda cur: cur.execute("DELETE FROM deals WHERE id = 1"))
    fresh = results.result(demo_con, report, now=NOW, user=user(CSM))
    assert len(runs) == 2
    assert sum(r[1] for r in fresh.rows) == sum(r[1] for r in first.rows) - 1
    assert dict(fresh.rows)[stage] == dict(first.rows)[stage] - 1


def test_a_result_is_kept_through_writes_to_tables_its_query_does_not_read(
    demo_con, user, monkeypatch
):
    """A team's day (property edits with their history rows, tasks completed, deals moved)
    leaves a chart of activities kept; a filter that looks up property history, a task's
    record by name, a health profile's object and current scores, and a retention's links
    between lines and accounts key their reports too."""
    from cs_core import record_values, task_actions

    results.clear()
    runs = []
    real = engine.run
    monkeypatch.setattr(
        engine, "run", lambda cur, report, **k: runs.append(report.name) or real(cur, report, **k)
    )
    reports = {
        "activities": parse({"name": "activities", "source": "activities", "measure": {"op": "count"},
                             "dimensions": [{"property": "activity_type"}], "chart": "bar"}),
        "assigned": parse({"name": "assigned", "source": "object:companies", "measure": {"op": "count"},
                           "filters": [[{"property": "$owner", "operator": "assigned_to_me_in_last_days",
                                         "value": 30}]], "chart": "number"}),
        "assigned, one group": parse({"name": "assigned, one group", "source": "object:companies",
                                      "measure": {"op": "count"}, "chart": "number",
                                      "filters": [{"property": "$owner", "operator": "assigned_to_me_in_last_days",
                                                   "value": 30}]}),  # a flat list: one group
        "tasks": parse({"name": "tasks", "source": "tasks", "measure": {"op": "count"},
                        "dimensions": [{"property": "status"}], "chart": "bar"}),
        "tasks by record": parse({"name": "tasks by record", "source": "tasks", "measure": {"op": "count"},
                                  "dimensions": [{"property": "record"}], "limit": 5, "chart": "bar"}),
        "health": parse({"name": "health", "source": "health:Enterprise and Mid-Market", "measure": {"op": "count"},
                         "dimensions": [{"property": "category"}], "chart": "bar"}),
        "nrr": parse({"name": "nrr", "source": "retention:subscriptions", "measure": {"op": "nrr"},
                      "dimensions": [{"property": "period", "grain": "quarter"}], "chart": "line"}),
    }  # fmt: skip

    def recomputed(change) -> set[str]:
        for report in reports.values():
            results.result(demo_con, report, now=NOW, user=user(CSM))
        runs.clear()
        change()
        for report in reports.values():
            results.result(demo_con, report, now=NOW, user=user(CSM))
        return set(runs)

    def ticked() -> None:
        task_id = demo_con.execute("SELECT min(id) FROM tasks WHERE status = 'open'").fetchone()[0]
        task_actions.complete(
            demo_con, actor=user(CSM), selection=task_actions.Selection(ids=(task_id,)), now=NOW
        )

    assert recomputed(lambda: None) == set()
    deal = demo_con.execute("SELECT id FROM deals WHERE pipeline_id = 1 LIMIT 1").fetchone()[0]
    assert recomputed(lambda: db.write(demo_con, lambda cur: cur.execute(
        "UPDATE deals SET amount = amount + 1 WHERE id = ?", [deal]))) == {"tasks by record"}  # fmt: skip
    assert recomputed(ticked) == {
        "tasks",
        "tasks by record",
        "assigned",
        "assigned, one group",
    }  # (the status's history row)
    # A property edit writes the company and its history row: the history lookup, the task's
    # record's name and the profile's object are read again; the activities are not, nor the
    # retention, whose periods never read an account's row.
    assert recomputed(lambda: record_values.update_property(
        demo_con, actor=user(CSM), object_name="companies", record_id=1, property_name="nps",
        value="3", now=NOW)) == {"assigned", "assigned, one group", "tasks by record", "health"}  # fmt: skip
    assert recomputed(lambda: db.write(demo_con, lambda cur: cur.execute(
        "UPDATE property_history SET changed_at = changed_at WHERE id = (SELECT min(id) FROM property_history)"
    ))) == {"assigned", "assigned, one group"}  # fmt: skip
    assert recomputed(lambda: db.write(demo_con, lambda cur: cur.execute(
        "UPDATE health_current SET score = score WHERE record_id = (SELECT min(record_id) FROM health_current)"
    ))) == {"health"}  # fmt: skip
    assert recomputed(lambda: db.write(demo_con, lambda cur: cur.execute(
        "UPDATE activities SET subject = subject WHERE id = (SELECT min(id) FROM activities)"
    ))) == {"activities"}  # fmt: skip
    # A subscription moved to another account: the retention's links between lines and accounts.
    assert recomputed(lambda: db.write(demo_con, lambda cur: cur.execute(
        "UPDATE associations SET to_id = to_id WHERE from_object = 'subscriptions' "
        "AND from_id = (SELECT min(from_id) FROM associations WHERE from_object = 'subscriptions')"
    ))) == {"nrr"}  # fmt: skip


def test_viewers_in_one_zone_share_a_result_unless_its_filters_name_the_acting_user(
    demo_con, user, monkeypatch
):
    """Users 3 and 4 are both in Europe/Berlin, user 5 in Asia/Singapore: a report without
    ``$me`` runs once for the first two (their days are the same) and again for the third; one
    filtered on the acting user's deals runs for each and counts each one's own deals."""
    results.clear()
    runs = []
    real = engine.run
    monkeypatch.setattr(engine, "run", lambda *a, **k: runs.append(k["user"].id) or real(*a, **k))
    everyone = parse(SPEC)
    assert user(3).time_zone == user(CSM).time_zone == "Europe/Berlin" != user(5).time_zone
    first = results.result(demo_con, everyone, now=NOW, user=user(CSM))
    assert results.result(demo_con, everyone, now=NOW, user=user(3)) == first and runs == [CSM]
    assert results.result(demo_con, everyone, now=NOW, user=user(5)) == first and runs == [CSM, 5]
    mine = parse({**SPEC, "name": "My deals by stage",
                  "filters": [[{"property": "owner_id", "operator": "eq", "value": "$me"}]]})  # fmt: skip
    runs.clear()
    counts = {
        u: sum(r[1] for r in results.result(demo_con, mine, now=NOW, user=user(u)).rows)
        for u in (CSM, 3)
    }
    assert runs == [CSM, 3]
    owned = dict(
        demo_con.execute(
            "SELECT owner_id, count(*) FROM deals WHERE owner_id IN (3, 4) GROUP BY ALL"
        ).fetchall()
    )
    assert counts == {CSM: owned.get(CSM, 0), 3: owned.get(3, 0)} and counts[CSM] > 0


def test_a_report_past_the_time_limit_is_stopped_with_a_message(demo_con, user, monkeypatch):
    def slow(cur, report, **kwargs):
        cur.execute("SELECT count(*) FROM range(1000000000000) a, range(10) b").fetchall()

    monkeypatch.setattr(engine, "run", slow)
    with pytest.raises(ReportError) as stopped:
        results.run_with_limit(demo_con, parse(SPEC), now=NOW, user=None, seconds=0.2)
    assert stopped.value.problems == [
        "'Deals by stage' took longer than 0.2 seconds, the time limit for a report's query, and was stopped. "
        "Narrow its filters, or ask a settings manager to raise the limit (Settings, Reports)."
    ]
    assert demo_con.execute("SELECT 1").fetchone() == (1,)  # the workspace's connection goes on


def test_the_time_limit_is_a_setting(demo_con, user):
    assert results.time_limit(demo_con) == 10.0
    with pytest.raises(PermissionDenied):
        results.save_time_limit(demo_con, actor=user(ANALYST), seconds=20, now=NOW)
    with pytest.raises(ReportError, match="between 1 and 300 seconds"):
        results.save_time_limit(demo_con, actor=user(SETTINGS_MANAGER), seconds=0, now=NOW)
    results.save_time_limit(demo_con, actor=user(SETTINGS_MANAGER), seconds=30, now=NOW)
    assert results.time_limit(demo_con) == 30.0


def test_users_without_the_analyst_column_read_as_not_analysts(empty_con):
    empty_con.execute("INSERT INTO users (id, name, email, created_at, can_edit_reports) VALUES "
                      "(1, 'A', 'a@example.com', now(), NULL)")  # fmt: skip
    assert users.get_user(empty_con, 1).can_edit_reports is False


def test_retention_measures_of_one_computation_share_it_until_the_ledger_changes(
    demo_con, monkeypatch
):
    from cs_core import retention

    calls = []
    real = retention.retention
    monkeypatch.setattr(retention, "retention", lambda *a, **k: calls.append(1) or real(*a, **k))
    spec = {
        "name": "n",
        "source": "retention:subscriptions",
        "dimensions": [{"property": "period", "grain": "quarter"}],
    }
    nrr = engine.run(demo_con, parse({**spec, "measure": {"op": "nrr"}}), now=NOW)
    churn = engine.run(demo_con, parse({**spec, "measure": {"op": "logo_churn"}}), now=NOW)
    assert len(calls) == 1 and len(nrr.rows) == len(churn.rows) == 8
    db.write(demo_con, lambda cur: cur.execute("UPDATE tasks SET title = 'x' WHERE id = 1"))
    engine.run(demo_con, parse({**spec, "measure": {"op": "grr"}}), now=NOW)
    assert len(calls) == 1  # tasks are not read by retention
    db.write(demo_con, lambda cur: cur.execute("UPDATE subscriptions SET arr = arr * 2"))
    doubled = engine.run(demo_con, parse({**spec, "measure": {"op": "end_arr"}}), now=NOW)
    assert len(calls) == 2
    found = real(demo_con, source=retention.default_source(demo_con), grain="quarter",
                 first=date(2024, 10, 1), last=date(2026, 10, 1))  # fmt: skip
    assert [r[1] for r in doubled.rows] == [p.end_arr for p in found.periods]
