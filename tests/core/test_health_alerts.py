"""Category changes raise alerts for the owner, which expire after 14 days (HS-6, SUM-1)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from cs_core import alerts, health, record_values
from tests.conftest import CSM, without_health_profiles

PROFILE = {
    "name": "NPS", "object": "companies", "status": "live",
    "groups": [{"name": "Voice", "kind": "property", "max_points": 100, "rules": [
        {"when": [{"property": "nps", "operator": "gte", "value": 9}], "points": 100},
        {"when": [{"property": "nps", "operator": "between", "value": [5, 8]}], "points": 50},
    ]}],
}  # fmt: skip
T1 = datetime(2026, 11, 20, 6, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _only_this_profile(demo_con):
    """The demo's own profiles would score and alert too: these tests start without them."""
    without_health_profiles(demo_con)


def _company_of(con, csm: int) -> int:
    return con.execute("SELECT min(id) FROM companies WHERE csm_id = ?", [csm]).fetchone()[0]


def test_a_category_change_alerts_the_owner_until_it_expires(demo_con, user):
    company = _company_of(demo_con, CSM)
    demo_con.execute("UPDATE companies SET nps = 10 WHERE id = ?", [company])
    profile = health.save_profile(demo_con, actor=None, definition=PROFILE, now=T1)
    first = health.run(demo_con, profile, score_date=date(2026, 11, 20), now=T1)
    assert first.alerts == 0  # nothing to compare with yet
    # The CSM edits the NPS: the record is rescored at once, and its category drops.
    t2 = T1 + timedelta(days=1)
    record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=company,
                                  property_name="nps", value="3", now=t2)  # fmt: skip
    score = demo_con.execute("SELECT score, category FROM health_scores WHERE record_id = ? AND score_date = ?",
                             [company, date(2026, 11, 21)]).fetchone()  # fmt: skip
    assert score == (0.0, "at_risk")
    shown = alerts.active_alerts(demo_con, user_id=CSM, now=t2)
    assert shown[["record_id", "From", "To"]].values.tolist() == [
        [company, "successful", "at_risk"]
    ]
    name = demo_con.execute("SELECT name FROM companies WHERE id = ?", [company]).fetchone()[0]
    assert shown["Customer"].tolist() == [name]
    assert alerts.active_alerts(demo_con, user_id=CSM + 1, now=t2).empty  # only the owner's
    assert (
        len(alerts.active_alerts(demo_con, user_id=CSM, now=t2 + timedelta(days=13, hours=23))) == 1
    )
    assert alerts.active_alerts(demo_con, user_id=CSM, now=t2 + timedelta(days=14)).empty


def test_drafts_raise_no_alerts(demo_con):
    company = _company_of(demo_con, CSM)
    draft = {**PROFILE, "name": "Draft NPS", "status": "draft"}
    demo_con.execute("UPDATE companies SET nps = 10 WHERE id = ?", [company])
    profile = health.save_profile(demo_con, actor=None, definition=draft, now=T1)
    health.run(demo_con, profile, score_date=date(2026, 11, 20), now=T1)
    demo_con.execute("UPDATE companies SET nps = 1 WHERE id = ?", [company])
    assert (
        health.run(
            demo_con, profile, score_date=date(2026, 11, 21), now=T1 + timedelta(days=1)
        ).alerts
        == 0
    )
    assert demo_con.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0


def test_many_alerts_can_be_active(demo_con):
    demo_con.execute("UPDATE companies SET nps = 10")
    profile = health.save_profile(demo_con, actor=None, definition=PROFILE, now=T1)
    health.run(demo_con, profile, score_date=date(2026, 11, 20), now=T1)
    demo_con.execute("UPDATE companies SET nps = 1 WHERE csm_id = ?", [CSM])
    result = health.run(
        demo_con, profile, score_date=date(2026, 11, 21), now=T1 + timedelta(days=1)
    )
    owned = demo_con.execute("SELECT count(*) FROM companies WHERE csm_id = ?", [CSM]).fetchone()[0]
    assert result.alerts == owned > 25
    assert len(alerts.active_alerts(demo_con, user_id=CSM, now=T1 + timedelta(days=1))) == owned


def test_imported_activities_rescore_the_accounts(demo_con, tmp_path):
    from cs_core import imports

    engagement = {"name": "Calls", "object": "companies", "status": "live", "groups": [
        {"name": "E", "kind": "engagement", "max_points": 100, "rules": [
            {"activity_types": ["call"], "window_days": 7, "measure": "count", "operator": "gte", "value": 5,
             "points": 100}]}]}  # fmt: skip
    profile = health.save_profile(demo_con, actor=None, definition=engagement, now=T1)
    health.run(demo_con, profile, score_date=T1.date(), now=T1)
    demo_con.execute("INSERT INTO record_external_ids VALUES ('companies', 'ACME-1', 1)")
    path = tmp_path / "calls.csv"
    path.write_text("Record ID,Activity type,Activity date\n" + "".join(
        f"ACME-1,call,2026-11-19 1{i}:00\n" for i in range(5)))  # fmt: skip
    imports.import_file(demo_con, path, object_name="activities", actor=None, now=T1)
    assert demo_con.execute("SELECT score FROM health_scores WHERE profile_id = ? AND record_id = 1 AND score_date = ?",
                            [profile.id, T1.date()]).fetchone()[0] == 100  # fmt: skip


def test_alerts_of_a_full_run_get_their_own_ids_after_those_already_raised(demo_con, user):
    demo_con.execute("UPDATE companies SET nps = 10")
    profile = health.save_profile(demo_con, actor=None, definition=PROFILE, now=T1)
    health.run(demo_con, profile, score_date=date(2026, 11, 20), now=T1)
    first, second = demo_con.execute(
        "SELECT id FROM companies WHERE csm_id IS NOT NULL ORDER BY id LIMIT 2").fetchall()  # fmt: skip
    t2 = T1 + timedelta(days=1)
    record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=first[0],
                                  property_name="nps", value="6", now=t2)  # fmt: skip
    demo_con.execute("UPDATE companies SET nps = 1 WHERE csm_id IS NOT NULL")
    result = health.run(
        demo_con, profile, score_date=date(2026, 11, 22), now=t2 + timedelta(days=1)
    )
    owned = demo_con.execute("SELECT count(*) FROM companies WHERE csm_id IS NOT NULL").fetchone()[
        0
    ]
    assert result.alerts == owned
    rows = demo_con.execute(
        "SELECT id, record_id, old_category, new_category FROM alerts ORDER BY id"
    ).fetchall()
    assert len({r[0] for r in rows}) == len(rows) == owned + 1
    # The edit's alert came first; the run's follow in record order, from the one before.
    assert rows[0][1:] == (first[0], "successful", "neutral")
    assert rows[1][1:] == (first[0], "neutral", "at_risk")
    assert rows[2][1:] == (second[0], "successful", "at_risk")
    assert [r[0] for r in rows] == list(range(rows[0][0], rows[0][0] + owned + 1))
    # The next alert takes the next id.
    record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=first[0],
                                  property_name="nps", value="10", now=t2 + timedelta(days=2))  # fmt: skip
    assert demo_con.execute("SELECT max(id) FROM alerts").fetchone()[0] == rows[-1][0] + 1
