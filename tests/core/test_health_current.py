"""Each record's current score is kept apart from the dated history (HS-1, HS-2).

A full run replaces a profile's current scores; a record rescored on its own (after an
edit or a new activity) replaces only its own, whatever day the last full run was.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from cs_core import health, record_list, record_values
from cs_core.health import reports
from cs_core.health.explain import current_health, record_health
from cs_core.record_list import Query, Viewer
from tests.conftest import CSM, NOW, without_health_profiles

PROFILE = {
    "name": "NPS", "object": "companies", "status": "live",
    "record_filter": [{"property": "plan", "operator": "is_known"}],
    "groups": [{"name": "Voice", "kind": "property", "max_points": 100, "rules": [
        {"when": [{"property": "nps", "operator": "gte", "value": 9}], "points": 100},
        {"when": [{"property": "nps", "operator": "between", "value": [5, 8]}], "points": 50},
    ]}],
}  # fmt: skip
DAY1 = date(2026, 11, 20)
T1 = datetime(2026, 11, 20, 6, tzinfo=UTC)


@pytest.fixture
def profile(demo_con):
    without_health_profiles(demo_con)
    demo_con.execute("UPDATE companies SET nps = 10, plan = 'pro'")
    saved = health.save_profile(demo_con, actor=None, definition=PROFILE, now=T1)
    health.run(demo_con, saved, score_date=DAY1, now=T1)
    return saved


def _current(con, profile_id: int) -> list[tuple]:
    return con.execute("SELECT record_id, score_date, CAST(score AS INTEGER), category FROM health_current "
                       "WHERE profile_id = ? ORDER BY record_id", [profile_id]).fetchall()  # fmt: skip


def test_an_edit_days_after_the_full_run_rescores_only_that_record(demo_con, user, profile):
    companies = demo_con.execute("SELECT count(*) FROM companies").fetchone()[0]
    assert reports.summary(demo_con, profile, day=T1.date()).count == companies == 400
    record = demo_con.execute("SELECT min(id) FROM companies WHERE csm_id = ?", [CSM]).fetchone()[0]
    record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=record,
                                  property_name="nps", value="6", now=T1 + timedelta(days=3))  # fmt: skip
    # Every record still has its current score; only the edited one changed.
    found = reports.summary(demo_con, profile, day=T1.date())
    assert found.count == 400
    assert found.categories["successful"][0] == 399 and found.categories["neutral"][0] == 1
    current = _current(demo_con, profile.id)
    assert len(current) == 400
    assert [r for r in current if r[1] != DAY1] == [(record, date(2026, 11, 23), 50, "neutral")]
    # The history has the full run's day and the edit's one row.
    assert demo_con.execute("SELECT score_date, count(*) FROM health_scores GROUP BY 1 ORDER BY 1").fetchall() == [
        (DAY1, 400), (date(2026, 11, 23), 1)]  # fmt: skip
    # The Customers table and the CLI export read the current scores too.
    known = [[{"property": "health_score", "operator": "is_known"}]]
    q = Query(object="companies", columns=["name", "health_score"], spec=known)
    assert (
        record_list.count(demo_con, q, Viewer(None, datetime(2026, 11, 23, 12, tzinfo=UTC))) == 400
    )
    assert len(reports.export(demo_con, profile)) == 400
    assert record_health(demo_con, "companies", record)[0].previous_score == 100


def test_a_record_that_leaves_the_profile_loses_its_current_score(demo_con, user, profile):
    record = demo_con.execute("SELECT min(id) FROM companies WHERE csm_id = ?", [CSM]).fetchone()[0]
    record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=record,
                                  property_name="plan", value="", now=T1 + timedelta(days=1))  # fmt: skip
    assert record not in [r[0] for r in _current(demo_con, profile.id)]
    assert len(_current(demo_con, profile.id)) == 399
    assert record_health(demo_con, "companies", record) == []
    # Its past scores stay in the history.
    assert (
        demo_con.execute(
            "SELECT count(*) FROM health_scores WHERE record_id = ?", [record]
        ).fetchone()[0]
        == 1
    )


def test_a_backfill_writes_history_but_leaves_current_scores_and_raises_no_alert(demo_con, profile):
    demo_con.execute("UPDATE companies SET nps = 1")
    before = _current(demo_con, profile.id)
    result = health.run(demo_con, profile, score_date=DAY1 - timedelta(days=7), now=T1)
    assert (result.scored, result.alerts) == (400, 0)
    assert _current(demo_con, profile.id) == before
    record = before[0][0]
    one = health.run(
        demo_con, profile, score_date=DAY1 - timedelta(days=3), now=T1, record_id=record
    )
    assert (one.scored, one.alerts) == (1, 0)
    assert _current(demo_con, profile.id) == before
    assert demo_con.execute(
        "SELECT score_date, CAST(score AS INTEGER) FROM health_scores WHERE record_id = ? "
        "ORDER BY 1",
        [record],
    ).fetchall() == [  # fmt: skip
        (DAY1 - timedelta(days=7), 0),
        (DAY1 - timedelta(days=3), 0),
        (DAY1, 100),
    ]
    assert demo_con.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0


def test_a_full_run_before_one_records_later_rescore_moves_every_other_current_score(
    demo_con, user, profile
):
    """A record rescored after an edit on the 23rd keeps that score when the full run of the
    22nd comes (late); every other record's current score is the 22nd's, with its alerts."""
    record = demo_con.execute("SELECT min(id) FROM companies WHERE csm_id = ?", [CSM]).fetchone()[0]
    record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=record,
                                  property_name="nps", value="6", now=T1 + timedelta(days=3))  # fmt: skip
    demo_con.execute("UPDATE companies SET nps = 7 WHERE id > 390")
    late = DAY1 + timedelta(days=2)
    result = health.run(demo_con, profile, score_date=late, now=T1 + timedelta(days=3))
    current = _current(demo_con, profile.id)
    assert len(current) == 400
    assert [r for r in current if r[1] != late] == [
        (record, DAY1 + timedelta(days=3), 50, "neutral")
    ]
    assert [r[0] for r in current if r[3] == "neutral"] == [record, *range(391, 401)]
    # The 22nd's changes are alerts (ten records went from successful to neutral); the record
    # scored later has its own alert from the edit, and none from this run.
    assert result.alerts == 10
    assert demo_con.execute(
        "SELECT count(*) FROM alerts WHERE record_id = ?", [record]
    ).fetchone()[0] == 1  # fmt: skip
    # Each current score is its record's latest history row.
    assert demo_con.execute(
        "SELECT count(*) FROM health_current c WHERE c.profile_id = ? AND c.score_date <> "
        "(SELECT max(h.score_date) FROM health_scores h WHERE h.profile_id = c.profile_id AND h.record_id = c.record_id)",
        [profile.id],
    ).fetchone()[0] == 0  # fmt: skip


def test_a_full_run_replaces_the_current_scores_whole(demo_con, profile):
    demo_con.execute("UPDATE companies SET plan = NULL WHERE id <= 10")
    demo_con.execute("UPDATE companies SET nps = 7 WHERE id > 390")
    health.run(demo_con, profile, score_date=DAY1 + timedelta(days=1), now=T1 + timedelta(days=1))
    current = _current(demo_con, profile.id)
    assert len(current) == 390 and min(r[0] for r in current) == 11
    assert {r[1] for r in current} == {DAY1 + timedelta(days=1)}
    assert [r[0] for r in current if r[3] == "neutral"] == list(range(391, 401))


def _engagement_profile(object_name: str) -> dict:
    return {
        "name": f"Engagement of {object_name}", "object": object_name, "status": "draft",
        "missing_data": "redistribute",
        "groups": [{"name": "E", "kind": "engagement", "max_points": 100, "rules": [
            {"activity_types": ["email_open", "email_click"], "window_days": 30, "measure": "count",
             "operator": "gte", "value": 2, "points": 60},
            {"activity_types": ["call", "meeting"], "measure": "days_since_last", "operator": "lte",
             "value": 45, "points": 40},
        ]}],
    }  # fmt: skip


@pytest.mark.parametrize(
    "make", [
        lambda con: health.get_profile(con, name="Enterprise and Mid-Market"),
        lambda con: health.get_profile(con, name="SMB"),
        lambda con: health.save_profile(con, actor=None, definition=_engagement_profile("contacts"), now=NOW),
        lambda con: health.save_profile(con, actor=None, definition=_engagement_profile("subscriptions"), now=NOW),
    ], ids=["enterprise", "smb", "contacts", "custom object"],
)  # fmt: skip
def test_one_record_scoring_gives_the_full_runs_row(demo_con, make):
    """The one-record query (index read, no grouping) scores exactly as the full run does."""
    # Some activities on subscriptions, so the custom object's engagement rules have something to read.
    demo_con.execute(
        "INSERT INTO activities (id, activity_type, occurred_at, object, record_id) "
        "SELECT 10000000 + s.id * 10 + k, CASE WHEN k % 2 = 0 THEN 'email_open' ELSE 'call' END, "
        "TIMESTAMP '2026-11-27 10:00' - INTERVAL (k * 9) DAY, 'subscriptions', s.id "
        "FROM subscriptions s, range(0, CAST(s.id % 6 AS BIGINT)) t(k)"
    )
    profile = make(demo_con)
    full = health.compute(demo_con, profile, score_date=NOW.date()).set_index("id")
    assert full["score"].nunique() > 2, "a sample with more than two different scores"
    for record_id in full.index[:: max(1, len(full) // 60)]:
        one = health.compute(demo_con, profile, score_date=NOW.date(), record_id=int(record_id))
        assert one.set_index("id").loc[record_id].to_dict() == full.loc[record_id].to_dict(), (
            record_id
        )


def test_an_edit_rescores_only_in_profiles_that_read_the_property(demo_con, user, profile):
    record = demo_con.execute("SELECT min(id) FROM companies WHERE csm_id = ?", [CSM]).fetchone()[0]
    later = T1 + timedelta(days=2)
    record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=record,
                                  property_name="city", value="Lyon", now=later)  # fmt: skip
    assert (
        demo_con.execute(
            "SELECT count(*) FROM health_scores WHERE score_date = ?", [later.date()]
        ).fetchone()[0]
        == 0
    )
    # The record filter reads the plan: an edit of it rescores (here the score stays 100).
    record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=record,
                                  property_name="plan", value="starter", now=later)  # fmt: skip
    assert demo_con.execute("SELECT record_id, CAST(score AS INTEGER) FROM health_scores WHERE score_date = ?",
                            [later.date()]).fetchall() == [(record, 100)]  # fmt: skip
    assert profile.reads == {"plan", "nps"}


def test_an_import_of_scored_properties_rescores_the_records(demo_con, profile, tmp_path):
    from cs_core import imports

    ids = [
        r[0] for r in demo_con.execute("SELECT id FROM companies ORDER BY id LIMIT 3").fetchall()
    ]
    for n, record_id in enumerate(ids):
        demo_con.execute(
            "INSERT INTO record_external_ids VALUES ('companies', ?, ?)", [f"ACME-{n}", record_id]
        )
    path = tmp_path / "nps.csv"
    path.write_text("Record ID,Latest NPS score\nACME-0,7\nACME-1,2\nACME-2,10\n")
    later = T1 + timedelta(days=1)
    result = imports.import_file(demo_con, path, object_name="companies", actor=None, now=later)
    assert (result.updated, result.written) == (2, True)  # ACME-2 had 10 already
    current = {r[0]: r[2:] for r in _current(demo_con, profile.id)}
    assert [current[i] for i in ids] == [(50, "neutral"), (0, "at_risk"), (100, "successful")]
    assert len(current) == 400 and {r[1] for r in _current(demo_con, profile.id)} == {later.date()}


@pytest.mark.parametrize("name", ["Enterprise and Mid-Market", "SMB"])
def test_a_one_record_run_stores_what_the_full_run_stores(demo_con, name):
    """Same score, category and explanation text (the one-record run writes its details
    from Python, the full run from SQL)."""
    profile = health.get_profile(demo_con, name=name)
    day, at = NOW.date(), NOW.replace(tzinfo=None)
    health.run(demo_con, profile, score_date=day, now=NOW)
    stored = ("SELECT record_id, score, category, details, profile_version, computed_at FROM health_scores "
              "WHERE profile_id = ? AND score_date = ? ORDER BY record_id")  # fmt: skip
    full = demo_con.execute(stored, [profile.id, day]).fetchall()
    for record_id, *_ in full[::7]:
        health.run(demo_con, profile, score_date=day, now=NOW, record_id=record_id)
    assert demo_con.execute(stored, [profile.id, day]).fetchall() == full
    assert {r[5] for r in full} == {at}
    assert '"rules":[' in full[0][3] and " " not in full[0][3]


def test_the_preview_line_has_the_current_score_and_the_one_before(demo_con):
    record = demo_con.execute("SELECT min(record_id) FROM health_current").fetchone()[0]
    history = demo_con.execute(
        "SELECT p.name, h.score_date, CAST(h.score AS INTEGER), h.category FROM health_scores h "
        "JOIN health_profiles p ON p.id = h.profile_id WHERE h.record_id = ? ORDER BY h.score_date",
        [record]).fetchall()  # fmt: skip
    assert len(history) == 32  # 26 weekly scores and the last week's daily ones (one date in both)
    (line,) = current_health(demo_con, "companies", record, day=NOW.date())
    assert (line.profile_name, line.score_date, line.score, line.category) == history[-1]
    assert line.previous_score == history[-2][2]
    # Rescored ten days later: the score before it is then older than a week.
    profile = health.get_profile(demo_con, name=history[-1][0])
    later = NOW + timedelta(days=10)
    health.run(demo_con, profile, score_date=later.date(), now=later, record_id=record)
    (line,) = current_health(demo_con, "companies", record, day=NOW.date())
    assert (line.score_date, line.previous_score) == (later.date(), history[-1][2])
