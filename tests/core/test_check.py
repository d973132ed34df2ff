"""The consistency check: a demo workspace passes, and each kind of damage (made by hand in SQL)
is reported as exactly that kind, with the number of rows it broke."""

import shutil

import pytest

from cs_core import check, db, merges, task_actions, users
from cs_core.task_actions import Selection
from tests.conftest import CSM, NOW, SUPER_ADMIN
from tests.core.test_cli import run

T = "TIMESTAMP '2026-11-28 15:00:00'"
DEAL = "(SELECT min(id) FROM deals WHERE pipeline_id = 1)"
CONTACT = "(SELECT min(id) FROM contacts)"
CURRENT = "(SELECT min(record_id) FROM health_current WHERE profile_id = 1)"
ACTIVE = f"profile_id = 1 AND record_id = {CURRENT}"

# kind of damage -> (statements that make it, what the check then reports)
DAMAGE = {
    "association to a record that is not there": (
        [f"INSERT INTO associations VALUES ('companies', 1, 'contacts', 999999, NULL, {T})",
         f"INSERT INTO associations VALUES ('contacts', 999999, 'companies', 1, NULL, {T})"],
        {"association_missing_record": 2}),
    "association stored one way": (
        [f"DELETE FROM associations WHERE from_object = 'contacts' AND from_id = {CONTACT}"],
        {"association_one_way": 1}),
    "history of a record that is not there": (
        ["INSERT INTO property_history VALUES (-1, 'companies', 999999, 'plan', NULL, 'Pro', "
         f"{T}, NULL, 'ui')",
         f"INSERT INTO property_history VALUES (-2, 'tasks', 999999, 'title', 'a', 'b', {T}, 4, 'ui')"],
        {"history_missing_record": 2}),
    "history by a user who is not there": (
        [f"INSERT INTO property_history VALUES (-1, 'companies', 1, 'plan', NULL, 'Pro', {T}, 99, 'ui')"],
        {"history_missing_user": 1}),
    "task of a record that is not there": (
        ["UPDATE tasks SET record_id = 999999 WHERE id IN (1, 2)"], {"task_missing_record": 2}),
    "task of a user who is not there": (
        ["UPDATE tasks SET owner_id = 99 WHERE id = 1", "UPDATE tasks SET created_by = 98 WHERE id = 2"],
        {"task_missing_user": 2}),
    "meeting of a record that is not there": (
        ["UPDATE meetings SET object = 'deals', record_id = 999999 WHERE id = 1"],
        {"meeting_missing_record": 1}),
    "meeting of a user who is not there": (
        ["UPDATE meetings SET owner_id = 99 WHERE id = 1"], {"meeting_missing_user": 1}),
    "activity of a record, contact, company, user, sequence that is not there": (
        ["UPDATE activities SET record_id = 999999 WHERE id = 1",
         "UPDATE activities SET contact_id = 999999 WHERE id = 2",
         "UPDATE activities SET company_id = 999999 WHERE id IN (3, 4)",
         "UPDATE activities SET user_id = 99 WHERE id = 5",
         "UPDATE activities SET sequence_id = 99 WHERE id = 6"],
        {"activity_missing_record": 1, "activity_missing_contact": 1, "activity_missing_company": 2,
         "activity_missing_user": 1, "activity_missing_sequence": 1}),
    "enrollment in a sequence that is not there": (
        ["UPDATE sequence_enrollments SET sequence_id = 99 WHERE id = 1"], {"enrollment_orphan": 1}),
    "feed dismissal of an activity that is not there": (
        [f"INSERT INTO feed_dismissals VALUES (4, 99999999, {T})"], {"feed_dismissal_orphan": 1}),
    "follow of a record and by a user that are not there": (
        [f"INSERT INTO follows VALUES (4, 'companies', 999999, {T})",
         f"INSERT INTO follows VALUES (99, 'companies', 1, {T})"],
        {"follow_missing_record": 1, "follow_missing_user": 1}),
    "record owned by a user who is not there": (
        ["UPDATE companies SET csm_id = 99 WHERE id = 1", "UPDATE deals SET owner_id = 99 WHERE id = 1"],
        {"record_missing_user": 2}),
    "record in another object's pipeline": (
        [f"UPDATE deals SET pipeline_id = 3 WHERE id = {DEAL}"],
        {"record_missing_pipeline": 1, "record_missing_stage": 1}),
    "record in another pipeline's stage": (
        [f"UPDATE deals SET stage_id = 6 WHERE id = {DEAL}"], {"record_missing_stage": 1}),
    "contact of a company that is not there": (
        [f"UPDATE contacts SET company_id = 999999 WHERE id = {CONTACT}"], {"record_missing_company": 1}),
    "health score of a record that is not there": (
        ["INSERT INTO health_scores SELECT profile_id, 999999, score_date, profile_version, score, category, "
         f"details, computed_at FROM health_scores WHERE {ACTIVE} ORDER BY score_date DESC LIMIT 1"],
        {"health_scores_orphan": 1}),
    "health score twice on one date": (
        [f"INSERT INTO health_scores SELECT * FROM health_scores WHERE {ACTIVE} "
         "ORDER BY score_date LIMIT 1"],
        {"health_scores_duplicate": 1}),
    "health score of a version never saved": (
        [f"UPDATE health_scores SET profile_version = 7 WHERE {ACTIVE}"],
        {"health_scores_unknown_version": 32}),
    "health profile at a version never saved": (
        ["UPDATE health_profiles SET version = 2 WHERE id = 1"], {"health_profile_unknown_version": 1}),
    "current health score of a record that is not there": (
        ["INSERT INTO health_current SELECT profile_id, 999999, score_date, score, category, NULL, NULL "
         f"FROM health_current WHERE {ACTIVE}"],
        {"health_current_orphan": 1, "health_current_not_in_history": 1}),
    "current health score twice": (
        [f"INSERT INTO health_current SELECT * FROM health_current WHERE {ACTIVE}"],
        {"health_current_duplicate": 1}),
    "current health score unlike its history": (
        [f"UPDATE health_current SET score = score + 1 WHERE {ACTIVE}"],
        {"health_current_not_in_history": 1}),
    "current health score older than its history": (
        ["INSERT INTO health_scores SELECT profile_id, record_id, score_date + 1, profile_version, score, "
         f"category, details, computed_at FROM health_scores WHERE {ACTIVE} ORDER BY score_date DESC LIMIT 1"],
        {"health_current_not_latest": 1}),
    "override not copied to the current score": (
        [f"INSERT INTO health_overrides VALUES (1, 1, {CURRENT}, 80, 'QBR', DATE '2026-12-20', 4, {T}, NULL)"],
        {"health_current_override_stale": 1}),
    "two active overrides, and one of a record that is not there": (
        [f"INSERT INTO health_overrides VALUES (1, 1, {CURRENT}, 80, 'QBR', DATE '2026-12-20', 4, {T}, NULL)",
         f"INSERT INTO health_overrides VALUES (2, 1, {CURRENT}, 70, 'QBR', DATE '2026-12-21', 4, {T} + "
         "INTERVAL 1 MINUTE, NULL)",
         f"UPDATE health_current SET override_score = 70, override_until = DATE '2026-12-21' WHERE {ACTIVE}",
         f"INSERT INTO health_overrides VALUES (3, 1, 999999, 80, 'QBR', DATE '2026-12-20', 4, {T}, NULL)"],
        {"health_override_duplicate": 1, "health_override_orphan": 1}),
    "alert of a record, user and profile that are not there": (
        ["UPDATE alerts SET record_id = 999999 WHERE id = 1", "UPDATE alerts SET user_id = 99 WHERE id = 2",
         "UPDATE alerts SET profile_id = 9 WHERE id IN (3, 4)"],
        {"alert_missing_record": 1, "alert_missing_user": 1, "alert_missing_profile": 2}),
    "dashboard tile of a report that is not there": (
        ["DELETE FROM reports WHERE id = 1"], {"dashboard_tile_orphan": 1}),
    "dashboard shown to a team that is not there": (
        [f"INSERT INTO dashboard_access VALUES (1, 77, 3, {T})"], {"dashboard_access_orphan": 1}),
    "dashboard tab listing a dashboard that is not there": (
        [f"INSERT INTO workspace_dashboards VALUES (99, 5, 3, {T})"], {"workspace_dashboard_orphan": 1}),
    "summary report that is not there": (
        ["INSERT INTO summary_reports VALUES (4, 999, 0)"], {"summary_report_orphan": 1}),
    "view of an object that is not there": (
        ["UPDATE views SET object = 'gadgets' WHERE id = 1"], {"view_unknown_object": 1}),
    "views, reports, dashboards, sequences owned by nobody that exists": (
        ["UPDATE views SET owner_id = 99 WHERE id = 1", "UPDATE reports SET owner_id = 99 WHERE id = 1",
         "UPDATE dashboards SET owner_id = 99", "UPDATE sequences SET owner_id = 99 WHERE id IN (1, 2)"],
        {"view_missing_owner": 1, "report_missing_owner": 1, "dashboard_missing_owner": 1,
         "sequence_missing_owner": 2}),
    "external id of a record that is not there": (
        ["INSERT INTO record_external_ids VALUES ('companies', 'X-1', 999999)"],
        {"external_id_missing_record": 1}),
    "imported record of a run that is not there": (
        ["INSERT INTO import_run_records VALUES (999, 'companies', 1)"], {"import_record_missing_run": 1}),
    "merge whose merged record is still there": (
        [f"INSERT INTO record_merges VALUES (1, 'companies', 1, 2, 'x', '{{}}', {T}, 4)"],
        {"merged_record_exists": 1}),
    "stage of a pipeline, user of a team that are not there": (
        ["INSERT INTO stages VALUES (-1, 99, 'Lost', 1, NULL, FALSE, '[]')",
         "UPDATE users SET team_id = 99 WHERE id = 4"],
        {"stage_missing_pipeline": 1, "user_missing_team": 1}),
    "id counter behind its table": (
        ["UPDATE counters SET value = value - 1 WHERE name = 'ids.tasks'"], {"id_counter_behind": 1}),
}  # fmt: skip


@pytest.fixture(scope="module")
def con(demo_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("check") / "workspace.duckdb"
    shutil.copy(demo_template, path)
    con = db.open_workspace(path)
    yield con
    con.close()


def damaged(con, statements: list[str]) -> check.CheckResult:
    """The check of the workspace with the damage made in a transaction (then rolled back)."""
    con.execute("BEGIN TRANSACTION")
    try:
        for sql in statements:
            con.execute(sql)
        return check.check_workspace(con)
    finally:
        con.execute("ROLLBACK")


def test_a_demo_workspace_is_consistent(con):
    result = check.check_workspace(con)
    assert result.consistent, [p.line() for p in result.problems]
    assert result.rules == 50
    assert result.seconds < 3


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_each_kind_of_damage_is_reported_exactly(con, damage):
    statements, expected = DAMAGE[damage]
    assert damaged(con, statements).kinds() == expected


def test_every_rule_is_shown_broken_by_some_damage(con):
    _, every = check.rules(con)
    shown = {kind for _, expected in DAMAGE.values() for kind in expected}
    assert {r.kind for r in every} == shown


def test_a_deleted_tasks_history_is_consistent(con):
    """A task deleted leaves its history with a row saying so; without that row, it is an orphan."""
    kept = ["INSERT INTO property_history VALUES (-1, 'tasks', 999999, 'title', 'a', 'b', "
            f"{T}, 4, 'ui')"]  # fmt: skip
    deleted = f"INSERT INTO property_history VALUES (-2, 'tasks', 999999, 'deleted', 'b', NULL, {T}, 4, 'ui')"
    assert damaged(con, kept).kinds() == {"history_missing_record": 1}
    assert damaged(con, [*kept, deleted]).consistent
    assert check.check_workspace(con).consistent  # (each damage was rolled back)


def test_a_problem_line_counts_and_names_the_first_rows(con):
    result = damaged(con, ["UPDATE tasks SET record_id = 999999 + id WHERE id <= 7"])
    assert [p.line() for p in result.problems] == [
        "task_missing_record: 7 tasks of records that do not exist (e.g. task 1: companies 1000000; "
        "task 2: companies 1000001; task 3: companies 1000002; task 4: companies 1000003; "
        "task 5: companies 1000004, ...)"
    ]


def test_merges_and_task_deletions_keep_the_workspace_consistent(demo_con):
    """The writes that remove rows move or record what pointed at them."""
    admin = users.get_user(demo_con, SUPER_ADMIN)
    survivor, merged = demo_con.execute(
        "SELECT min(from_id), max(from_id) FROM associations WHERE from_object = 'companies' "
        "AND to_object = 'contacts'"
    ).fetchone()
    merges.merge_records(demo_con, actor=admin, object_name="companies", survivor_id=survivor,
                         merged_id=merged, now=NOW)  # fmt: skip
    ids = tuple(
        r[0]
        for r in demo_con.execute(
            "SELECT id FROM tasks WHERE owner_id = ? LIMIT 20", [CSM]
        ).fetchall()
    )
    task_actions.set_property(demo_con, actor=admin, selection=Selection(ids=ids), property_name="title",
                              value="Renamed", now=NOW)  # fmt: skip
    task_actions.delete(demo_con, actor=admin, selection=Selection(ids=ids), now=NOW)
    result = check.check_workspace(demo_con)
    assert result.consistent, [p.line() for p in result.problems]
    assert demo_con.execute("SELECT count(*) FROM property_history WHERE object = 'tasks' AND property = "
                            "'title' AND record_id IN (SELECT unnest(?))", [list(ids)]).fetchone()[0] == 20  # fmt: skip


def test_the_command_exits_0_when_consistent_and_1_with_a_line_per_problem(demo_path, tmp_path):
    clean = run("check", "--db", str(demo_path))
    assert clean.stdout.startswith("Consistent: 50 rules hold (")
    con = db.open_workspace(demo_path)
    con.execute("UPDATE tasks SET owner_id = 99 WHERE id IN (1, 2, 3)")
    con.execute("DELETE FROM reports WHERE id = 1")
    con.close()
    broken = run("check", "--db", str(demo_path), code=1)
    assert broken.stdout.splitlines() == [
        "task_missing_user: 3 tasks whose user does not exist (e.g. task 1: owner_id 99; "
        "task 2: owner_id 99; task 3: owner_id 99)",
        "dashboard_tile_orphan: 1 dashboard tiles of a report or dashboard that does not exist "
        "(e.g. dashboard 1, report 1)",
    ]
    assert "Not consistent: 2 of 50 rules are broken" in broken.stderr
    missing = run("check", "--db", str(tmp_path / "none.duckdb"), code=1)
    assert "There is no workspace database at" in missing.stderr
    assert not (tmp_path / "none.duckdb").exists()
