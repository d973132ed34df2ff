"""View as (SUM-8): a settings manager sees a CSM's Summary, labelled; a CSM gets no control and
cs_core refuses them."""

import pytest

from cs_core import alerts, db, summary, users
from cs_core.users import PermissionDenied
from tests.conftest import CSM, GROWTH_CSM, NOW, SETTINGS_MANAGER
from tests.pages.conftest import metric_values, plain, scalar


def test_a_settings_manager_views_the_summary_as_a_csm(app, demo_path):
    at = app(SETTINGS_MANAGER)
    assert not at.exception
    at.selectbox(key=f"summary.view_as.{SETTINGS_MANAGER}").set_value(CSM).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Viewing as **Lucas Fischer**" in plain(i.value) for i in at.info)
    owned = scalar(demo_path, "SELECT count(*) FROM companies WHERE csm_id = ?", [CSM])
    assert metric_values(at)["Companies they own"] == f"{owned:,}"
    cur = db.shared_workspace(demo_path).cursor()
    total = alerts.count_active(cur, user_id=CSM, now=NOW)
    assert f"Alerts · {total:,}" in [plain(h.value) for h in at.subheader]
    assert not [
        b for b in at.button if b.key and b.key.startswith("summary.alerts.dismiss.")
    ]  # not hers to dismiss


def test_a_csm_has_no_view_as_and_cs_core_refuses_it(app, demo_path):
    at = app(CSM)
    assert not [s.key for s in at.selectbox if s.key and s.key.startswith("summary.view_as")]
    cur = db.shared_workspace(demo_path).cursor()
    csm = users.get_user(cur, CSM)
    assert summary.viewable(cur, viewer=csm) == []
    with pytest.raises(PermissionDenied):
        summary.subject(cur, viewer=csm, user_id=GROWTH_CSM)
    assert summary.subject(cur, viewer=csm, user_id=CSM) == csm


def test_acting_as_a_csm_after_a_manager_in_one_session_shows_the_csms_own_summary(app):
    at = app(SETTINGS_MANAGER)  # her View as starts on herself
    assert at.selectbox(key=f"summary.view_as.{SETTINGS_MANAGER}").value == SETTINGS_MANAGER
    at.sidebar.selectbox(key="as").set_value(CSM).run()  # demo mode: now acting as the CSM
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value.endswith(", Lucas") and not any(
        "Viewing as" in plain(i.value) for i in at.info
    )
