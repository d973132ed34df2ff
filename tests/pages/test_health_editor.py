"""The profile editor (HS-3, HS-4, U-3): who may use it, test a record, publish, see the scores."""

from datetime import UTC, datetime

import pytest

from cs_core import db, health, users
from cs_core.users import PermissionDenied
from tests.conftest import CSM, SEATLESS_ADMIN, SETTINGS_MANAGER
from tests.core.test_health_engine import BASE
from tests.pages.conftest import scalar, tab_scripts


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
    assert any(m.value.startswith("- Fit: **") for m in at.markdown)
    at.button(key="health.save.draft").click().run()
    assert scalar(demo_path, "SELECT status || ' v' || version FROM health_profiles WHERE name = 'Renewal risk'") == (
        "draft v1")  # fmt: skip
    assert scalar(demo_path, "SELECT count(*) FROM health_scores h JOIN health_profiles p ON p.id = h.profile_id "
                             "WHERE p.name = 'Renewal risk'") == 0  # a draft is not scored on the tabs  # fmt: skip
    at.button(key="health.save.live").click().run()
    assert not at.exception
    scored = scalar(demo_path, "SELECT count(*) FROM health_scores h JOIN health_profiles p ON p.id = h.profile_id "
                               "WHERE p.name = 'Renewal risk'")  # fmt: skip
    assert scored == 400
    assert [t.value for t in at.toast] == [
        "“Renewal risk” is live (version 1): 400 records scored."
    ]
    # The Customers table shows scores.
    at.switch_page("app_pages/customers.py").run()
    table = at.dataframe(key="customers.table").value
    assert table["Health score"].notna().all()
