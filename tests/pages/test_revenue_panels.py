"""The Revenue tab's renewals view and retention panel in AppTest (REN-1, REN-2)."""

from dataclasses import replace
from datetime import date

from cs_core import db, renewals, retention, settings, users
from tests.conftest import CSM, NOW, SETTINGS_MANAGER


def _frame(at, column: str):
    """The table that has this column (st.dataframe keys are not visible to AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def open_mode(app, user_id, mode):
    at = app(user_id)
    at.switch_page("app_pages/revenue.py").run()
    at.segmented_control(key="revenue.mode").set_value(mode).run()
    assert not at.exception
    return at


def test_a_csms_renewals_in_30_60_and_90_days_with_the_arr_at_risk(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    user = users.get_user(cur, CSM)
    at = open_mode(app, CSM, "renewals")
    for window in (30, 60, 90):
        at.segmented_control(key="revenue.renewals.window").set_value(window).run()
        expected = renewals.renewals(cur, user=user, now=NOW, window=window, owners=[CSM])
        shown = _frame(at, "Renewal date") if len(expected.rows) else None
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Accounts renewing"] == f"{len(expected.rows):,}"
        assert metrics["ARR at risk"] == f"{float(expected.arr_at_risk):,.0f}"
        assert metrics["ARR renewing"] == f"{float(expected.total_arr):,.0f}"
        if shown is not None:
            assert list(shown["Name"]) == list(expected.rows["name"])
            assert list(shown["Account"]) == [f"/customers?record={i}" for i in expected.rows["id"]]
    assert len(expected.rows) > 0 and expected.arr_at_risk > 0  # the demo exercises both


def test_the_retention_panel_shows_the_quarters_and_their_accounts(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    at = open_mode(app, SETTINGS_MANAGER, "retention")
    source = retention.default_source(cur)
    expected = retention.retention(
        cur, source=source, grain="quarter", first=date(2024, 10, 1), last=date(2026, 10, 1)
    )
    table = _frame(at, "Period")
    assert list(table["Period"]) == [p.period for p in expected.periods] == [
        "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]  # fmt: skip
    assert list(table["Start ARR"]) == [float(p.start_arr) for p in expected.periods]
    assert list(table["End ARR"]) == [float(p.end_arr) for p in expected.periods]
    assert list(table["NRR"]) == [p.shown("nrr") for p in expected.periods]
    assert all(s.endswith("%") and len(s.split(".")[1]) == 3 for s in table["GRR"])  # "91.34%"
    # The accounts behind the last quarter's new ARR.
    at.selectbox(key="revenue.retention.movement").set_value("New").run()
    last = expected.periods[-1]
    behind = _frame(at, "Open")
    assert sum(behind["End ARR"]) == float(last.new_arr) and len(behind) > 0
    new = retention.accounts(cur, source=source, start=last.start, end=last.end, movement="new")
    assert list(behind["Open"]) == [f"/customers?record={i}" for i in new["account_id"]]


def test_without_subscription_lines_retention_says_where_to_name_them(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    chosen = settings.get_revenue_settings(cur)
    no_ledger = tuple(
        replace(o, arr_property=None, start_property=None, end_property=None)
        for o in chosen.objects
    )
    settings.save_revenue_settings(cur, actor=users.get_user(cur, SETTINGS_MANAGER),
                                   value=replace(chosen, objects=no_ledger), now=NOW)  # fmt: skip
    at = open_mode(app, SETTINGS_MANAGER, "retention")
    assert [i.value for i in at.info] == [
        "No revenue object has subscription lines to compute retention from: in Settings, Revenue, name the "
        "ARR and start date properties of a revenue object."
    ]  # fmt: skip
    assert not at.dataframe
    # Renewals still list the accounts, with no ARR.
    at.segmented_control(key="revenue.mode").set_value("renewals").run()
    assert not at.exception and {m.label: m.value for m in at.metric}["ARR renewing"] == "0"
