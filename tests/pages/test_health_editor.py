"""The profile editor (HS-3, HS-4, U-3): who may use it, test a record, publish, see the scores."""

from datetime import UTC, datetime

import pytest

from cs_core import db, health, users
from cs_core.users import PermissionDenied
from tests.conftest import CSM, SEATLESS_ADMIN, SETTINGS_MANAGER
from tests.core.test_health_engine import BASE
from tests.pages.conftest import plain, scalar, tab_scripts


def test_a_csm_cannot_open_the_editor_and_core_refuses_their_profile(app, demo_path):
    at = app(CSM)
    assert "settings.py" not in tab_scripts(at)
    con = db.open_workspace(str(demo_path))
    try:
        with pytest.raises(PermissionDenied, match="may not create or edit health-score profiles"):
            health.save_profile(
                con, actor=users.get_user(con, CSM), definition=BASE, now=datetime.now(UTC)
            )
    finally:
        con.close()
    assert scalar(demo_path, "SELECT count(*) FROM health_profiles WHERE name = 'Test'") == 0


def test_a_seatless_super_admin_sees_settings_but_not_the_editor(app):
    at = app(SEATLESS_ADMIN)
    at.switch_page("app_pages/settings.py").run()
    assert any("needs a service seat" in i.value for i in at.info)
    assert not any(b.key == "health.save.live" for b in at.button)


def test_a_settings_manager_drafts_tests_and_publishes_a_profile(app, demo_path):
    at = app(SETTINGS_MANAGER)
    at.switch_page("app_pages/settings.py").run()
    gen = at.session_state["health.generation"]
    at.text_input(key=f"health.{gen}.name").set_value("Renewal risk").run()
    assert not at.warning or "Not ready yet" not in at.warning[0].value
    # Test a record before publishing: points per group for a chosen company.
    record = scalar(demo_path, "SELECT min(id) FROM companies WHERE name LIKE 'Blue%'")
    name = scalar(demo_path, "SELECT name FROM companies WHERE id = ?", [record])
    at.text_input(key="health.test.search").set_value(name).run()
    at.selectbox(key="health.test.record").set_value(record).run()
    assert any(m.value.startswith("**Score ") for m in at.markdown)
    # Found 10: each group with its points and maximum, each rule in words (not "rule 1").
    group = at.container(key="health.test.group0")
    assert (
        plain(group.markdown[0].value).startswith("**Fit**: ")
        and " points" in group.markdown[0].value
    )
    rules = plain(group.markdown[1].value)
    assert "rule 1" not in rules and " is " in rules and (": +" in rules or ": -" in rules)
    at.button(key="health.save.draft").click().run()
    assert scalar(demo_path, "SELECT status || ' v' || version FROM health_profiles WHERE name = 'Renewal risk'") == (
        "draft v1")  # fmt: skip
    assert scalar(demo_path, "SELECT count(*) FROM health_scores h JOIN health_profiles p ON p.id = h.profile_id "
                             "WHERE p.name = 'Renewal risk'") == 0  # a draft is not scored on the tabs  # fmt: skip
    # Found 4: publishing asks first, with what it will score and what overlaps.
    at.button(key="health.save.live").click().run()
    assert not at.exception
    confirm = at.container(key="health.publish.confirm")
    question = plain(confirm.markdown[0].value)
    assert question.startswith(
        "**Publish “Renewal risk”?** It will score **400** records now (At risk "
    )
    live = scalar(demo_path, "SELECT count(DISTINCT record_id) FROM health_current c JOIN health_profiles p "
                             "ON p.id = c.profile_id WHERE p.status = 'live'")  # fmt: skip
    assert any(plain(w.value).startswith(f"{live:,} of these records are already scored by the live profiles ")
               for w in confirm.warning)  # fmt: skip
    assert (
        scalar(demo_path, "SELECT status FROM health_profiles WHERE name = 'Renewal risk'")
        == "draft"
    )
    at.button(key="health.publish.yes").click().run()
    scored = scalar(demo_path, "SELECT count(*) FROM health_scores h JOIN health_profiles p ON p.id = h.profile_id "
                               "WHERE p.name = 'Renewal risk'")  # fmt: skip
    assert scored == 400
    assert [plain(t.value) for t in at.toast] == [
        "“Renewal risk” is live (version 1): 400 records scored."
    ]
    # The Customers table shows scores.
    at.switch_page("app_pages/customers.py").run()
    table = at.dataframe(key="customers.table").value
    assert table["Health score"].notna().all()


def test_summary_shows_the_users_customer_health(app, demo_path):
    at = app(CSM)
    smb = scalar(demo_path, "SELECT id FROM health_profiles WHERE name = 'SMB'")
    at.selectbox(key=f"summary.health.profile.{CSM}.{CSM}").set_value(smb).run()
    metrics = {m.label: m.value for m in at.metric}
    at_risk, owned = (scalar(demo_path, sql, [CSM]) for sql in (
        "SELECT count(*) FROM health_scores h JOIN health_profiles p ON p.id = h.profile_id AND p.name = 'SMB' "
        "JOIN companies c ON c.id = h.record_id AND c.csm_id = ? WHERE h.category = 'at_risk' "
        "AND h.score_date = (SELECT max(score_date) FROM health_scores)",
        "SELECT count(*) FROM health_scores h JOIN health_profiles p ON p.id = h.profile_id AND p.name = 'SMB' "
        "JOIN companies c ON c.id = h.record_id AND c.csm_id = ? "
        "WHERE h.score_date = (SELECT max(score_date) FROM health_scores)"))  # fmt: skip
    assert "Average score" in metrics
    assert f"{owned:,} of your customers scored, with overrides in effect today" in [
        c.value for c in at.caption
    ]
    assert metrics["At risk"] == f"{100 * at_risk / owned:.1f}%"


def test_a_csm_overrides_a_score_on_the_record_page(app, demo_path):
    record = scalar(
        demo_path, "SELECT min(id) FROM companies WHERE segment = 'SMB' AND csm_id = ?", [CSM]
    )
    at = app(CSM)
    at.query_params["record"] = str(record)
    at.switch_page("app_pages/customers.py").run()
    key = "customers.health.override.0"
    at.number_input(key=f"{key}.score").set_value(90).run()
    at.button(key=f"{key}.save").click().run()
    assert "Say why the score is overridden" in at.error[0].value
    at.text_input(key=f"{key}.reason").set_value("Signed a two-year renewal").run()
    at.button(key=f"{key}.save").click().run()
    assert any(w.value.startswith("**Overridden to 90** until") and "Signed a two-year renewal" in plain(w.value)
               for w in at.warning)  # fmt: skip
    assert scalar(demo_path, "SELECT count(*) FROM health_overrides WHERE record_id = ? AND removed_at IS NULL",
                  [record]) == 1  # fmt: skip


def test_the_backtest_section_reports_auc_and_churn_by_category(app, demo_path):
    at = app(SETTINGS_MANAGER)
    at.switch_page("app_pages/settings.py").run()
    at.selectbox(key="health.bt.profile").set_value("SMB").run()
    at.selectbox(key="health.bt.prop").set_value("lifecycle_stage").run()
    at.selectbox(key="health.bt.value.lifecycle_stage").set_value("Former customer").run()
    metrics = {m.label: m.value for m in at.metric}
    churned = scalar(demo_path, "SELECT count(*) FROM health_scores h JOIN health_profiles p ON p.id = h.profile_id "
                                "AND p.name = 'SMB' JOIN companies c ON c.id = h.record_id "
                                "WHERE c.lifecycle_stage = 'Former customer' AND h.score_date = "
                                "(SELECT max(score_date) FROM health_scores)")  # fmt: skip
    assert metrics["Churned"].startswith(f"{churned:,} of ")
    assert 0.0 <= float(metrics["ROC AUC"]) <= 1.0


def test_a_profile_without_a_name_shows_test_and_preview_disabled(app):
    """Found 10: the sections are there before the profile is ready, with a hint."""
    at = app(SETTINGS_MANAGER)
    at.switch_page("app_pages/settings.py").run()
    gen = at.session_state["health.generation"]
    at.text_input(key=f"health.{gen}.name").set_value("").run()
    labels = [t.label for t in at.tabs]
    assert "Test a record" in labels and "Preview distribution" in labels
    assert any("Available once the profile is ready" in c.value for c in at.caption)
    assert (
        at.button(key="health.save.live").disabled and at.button(key="health.save.draft").disabled
    )
    assert not any(b.key == "health.publish.yes" for b in at.button)
