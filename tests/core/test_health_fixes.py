"""Health engine divergences from the spec, each pinned: 'me', versions that were live, activity
bounded by the score date, contacts and custom objects as accounts, one rounding, overrides."""

import json
from datetime import datetime, timedelta

import pandas as pd
import pytest

from cs_core import activities, db, health, imports, record_list, settings, users
from cs_core.health import ProfileError, overrides, profiles, reports
from cs_core.health.explain import current_health
from cs_core.record_list import HEALTH_CATEGORY, HEALTH_SCORE, Query, Viewer
from tests.conftest import CSM, NOW
from tests.core.test_health_engine import BASE, DAY, with_companies

ENGAGED = {"name": "Engaged", "object": "companies", "status": "live", "missing_data": "redistribute",
           "groups": [{"name": "Engagement", "kind": "engagement", "max_points": 100, "rules": [
               {"activity_types": ["call"], "window_days": 30, "measure": "count", "operator": "gte",
                "value": 1, "points": 100}]}]}  # fmt: skip


@pytest.fixture
def con(empty_con):
    return with_companies(empty_con)


def test_a_profile_that_compares_with_me_is_refused_when_saved(con):
    rule = {"when": [{"property": "csm_id", "operator": "eq", "value": "$me"}], "points": 10}
    bad = {**BASE, "groups": [{**BASE["groups"][0], "rules": [rule]}, BASE["groups"][1]]}
    with pytest.raises(ProfileError) as err:
        health.save_profile(con, actor=None, definition=bad, now=NOW)
    assert any("cannot compare with 'me'" in p for p in err.value.problems)
    with pytest.raises(ProfileError):
        health.save_profile(con, actor=None, definition={**BASE, "record_filter": [
            {"property": "csm_id", "operator": "in", "value": [4, "$me"]}]}, now=NOW)  # fmt: skip


def test_the_owner_token_scores_the_owners_records(con):
    con.execute("UPDATE companies SET csm_id = 4 WHERE id IN (1, 2)")
    definition = {**BASE, "record_filter": [{"property": "$owner", "operator": "eq", "value": 4}]}
    saved = health.save_profile(con, actor=None, definition=definition, now=NOW)
    assert sorted(health.compute(con, saved, score_date=DAY)["id"]) == [1, 2]
    assert "$owner" in saved.reads


def test_live_then_draft_then_edited_is_a_new_version_and_the_old_one_stays(con):
    v1 = health.save_profile(con, actor=None, definition=BASE, now=datetime(2026, 11, 1))
    assert (v1.version, v1.status) == (1, "live")
    history_v1 = con.execute(
        "SELECT count(*) FROM health_scores WHERE profile_version = 1"
    ).fetchone()[0]
    assert history_v1 == 11  # publishing scored it
    draft = health.save_profile(
        con, actor=None, definition={**BASE, "status": "draft"}, now=datetime(2026, 11, 2)
    )
    assert draft.version == 1  # a status change is not new rules
    edited_rules = {
        **BASE,
        "status": "draft",
        "thresholds": {"at_risk_max": 20, "successful_min": 80},
    }
    edited = health.save_profile(
        con, actor=None, definition=edited_rules, now=datetime(2026, 11, 3)
    )
    assert edited.version == 2
    again = health.save_profile(con, actor=None, definition={**edited_rules, "missing_data": "redistribute"},
                                now=datetime(2026, 11, 4))  # fmt: skip
    assert again.version == 2  # a draft never live is edited in place
    live = health.save_profile(con, actor=None, definition={**edited_rules, "missing_data": "redistribute",
                                                            "status": "live"}, now=datetime(2026, 11, 5))  # fmt: skip
    assert live.version == 2
    versions = dict(
        con.execute("SELECT version, definition FROM health_profile_versions").fetchall()
    )
    assert json.loads(versions[1])["thresholds"] == {"at_risk_max": 33, "successful_min": 67}
    assert json.loads(versions[2])["thresholds"] == {"at_risk_max": 20, "successful_min": 80}
    assert profiles.published(con, live.id, 1) and profiles.published(con, live.id, 2)
    # The version-1 history still says version 1.
    assert (
        con.execute("SELECT count(*) FROM health_scores WHERE profile_version = 1").fetchone()[0]
        == 11
    )


def test_a_backfill_sees_no_activity_after_its_date(con):
    # Company 1's only activity of these types is on 28 Nov; scored as of 27 Nov it has none.
    con.execute("DELETE FROM activities WHERE company_id = 1 AND occurred_at < '2026-11-28'")
    groups = {
        **ENGAGED["groups"][0],
        "rules": [{**ENGAGED["groups"][0]["rules"][0], "activity_types": ["meeting"]}],
    }
    profile = health.save_profile(con, actor=None, definition={**ENGAGED, "status": "draft", "groups": [groups]},
                                  now=NOW)  # fmt: skip
    on_the_day = health.compute(con, profile, score_date=DAY)
    before = health.compute(con, profile, score_date=DAY - timedelta(days=1))
    assert 1 in set(on_the_day["id"])  # its meeting on the 28th counts then
    assert 1 not in set(before["id"])  # the group had no input yet: left out, no score


def _contacts_workspace(empty_con):
    con = empty_con
    con.execute("INSERT INTO users (id, name, email, has_workspace_access, has_service_seat, can_manage_settings, "
                "created_at) VALUES (1, 'Ana', 'ana@x.example', TRUE, TRUE, TRUE, now()::TIMESTAMP)")  # fmt: skip
    con.execute(
        "INSERT INTO companies (id, name, created_at, updated_at) VALUES (10, 'Acme', '2026-01-01', '2026-01-01')"
    )
    con.execute("INSERT INTO contacts (id, first_name, last_name, company_id, owner_id, created_at, updated_at) "
                "VALUES (1, 'Jo', 'Lee', 10, 1, '2026-01-01', '2026-01-01'), "
                "(2, 'Mo', 'Kay', 10, 1, '2026-01-01', '2026-01-01')")  # fmt: skip
    con.execute(
        "INSERT INTO record_external_ids VALUES ('contacts', 'C-1', 1), ('contacts', 'C-2', 2)"
    )
    settings._save(con, "customers", {"object": "contacts", "owner_property": "owner_id",
                                      "renewal_date_property": None}, users.get_user(con, 1), NOW)  # fmt: skip
    return con


def test_with_contacts_as_accounts_imported_activities_score(empty_con, tmp_path):
    con = _contacts_workspace(empty_con)
    health.save_profile(con, actor=None, definition={**ENGAGED, "object": "contacts"}, now=NOW)
    path = tmp_path / "calls.csv"
    pd.DataFrame({"Record ID": ["C-1"], "Activity type": ["call"], "Activity date": ["2026-11-27 10:00"]}).to_csv(
        path, index=False)  # fmt: skip
    result = imports.import_file(con, path, object_name="activities", actor=None, now=NOW)
    assert result.written and result.created == 1
    assert con.execute("SELECT contact_id, company_id FROM activities").fetchall() == [(1, 10)]
    scores = dict(con.execute("SELECT record_id, score FROM health_current").fetchall())
    assert scores == {1: 100.0}  # contact 2 has no call: its only group is left out


def test_a_custom_objects_records_count_their_associated_contacts_activities(empty_con):
    con = empty_con
    from cs_core.records import custom_object_ddl

    db.write(con, lambda cur: [cur.execute(s, p) for s, p in custom_object_ddl(
        cur, name="workspaces", label="Workspace", label_plural="Workspaces", properties=[])])  # fmt: skip
    con.execute("INSERT INTO workspaces (id, name, created_at, updated_at) VALUES "
                "(1, 'W1', '2026-01-01', '2026-01-01'), (2, 'W2', '2026-01-01', '2026-01-01')")  # fmt: skip
    con.execute(
        "INSERT INTO contacts (id, first_name, created_at, updated_at) VALUES (7, 'Jo', '2026-01-01', '2026-01-01')"
    )
    con.execute("INSERT INTO associations VALUES ('workspaces', 1, 'contacts', 7, NULL, now()::TIMESTAMP), "
                "('contacts', 7, 'workspaces', 1, NULL, now()::TIMESTAMP)")  # fmt: skip
    con.execute("INSERT INTO activities (id, activity_type, occurred_at, contact_id) VALUES "
                "(1, 'call', '2026-11-27 10:00', 7)")  # fmt: skip
    con.execute("INSERT INTO activities (id, activity_type, occurred_at, object, record_id) VALUES "
                "(2, 'call', '2026-11-26 10:00', 'workspaces', 2)")  # fmt: skip
    profile = health.save_profile(con, actor=None, definition={**ENGAGED, "object": "workspaces", "status": "draft"},
                                  now=NOW)  # fmt: skip
    assert health.compute(con, profile, score_date=DAY)[["id", "score"]].values.tolist() == [
        [1, 100],
        [2, 100],
    ]
    # One record's activities, through the index, are the same as the whole run's.
    for record in (1, 2):
        own, params = activities.of_record("workspaces", record)
        one = {
            r[0]
            for r in con.execute(f"SELECT a.id FROM activities a WHERE {own}", params).fetchall()
        }
        linked, lparams = activities.linked("workspaces")
        every = {
            r[0]
            for r in con.execute(
                f"SELECT a.id FROM ({linked}) a WHERE a.rid = ?", [*lparams, record]
            ).fetchall()
        }
        assert one == every == {record}


def test_summary_figures_round_half_up_alike(con):
    profile = health.save_profile(con, actor=None, definition={**BASE, "status": "draft"}, now=NOW)
    rows = [
        (profile.id, i, DAY, 1, 0.0 if i > 1 else 1.0, "at_risk" if i > 1 else "neutral")
        for i in range(1, 17)
    ]
    con.executemany(
        "INSERT INTO health_current (profile_id, record_id, score_date, score, category) VALUES (?, ?, ?, ?, ?)",
        [r[:3] + r[4:] for r in rows],
    )
    found = reports.summary(con, profile, day=DAY)
    # 1 of 16 records is neutral: 6.25 % is 6.3 (half up), 93.75 % is 93.8; the mean 1/16 = 0.0625 is 0.1.
    assert found.categories["neutral"] == (1, 6.3) and found.categories["at_risk"] == (15, 93.8)
    assert found.average == 0.1
    assert reports.round_half_up(1, 4) == 0.3 and reports.round_half_up(5, 200, 2) == 0.03


def test_an_override_is_the_score_in_effect_everywhere_until_it_expires(demo_con, user):
    profile = health.get_profile(demo_con, name="SMB")
    record, computed, category = demo_con.execute(
        "SELECT record_id, CAST(score AS INTEGER), category FROM health_current WHERE profile_id = ? "
        "AND category = 'at_risk' ORDER BY record_id LIMIT 1", [profile.id]).fetchone()  # fmt: skip
    owner = demo_con.execute("SELECT csm_id FROM companies WHERE id = ?", [record]).fetchone()[0]
    before = reports.summary(demo_con, profile, day=NOW.date(), owner_id=owner)
    overrides.set_override(demo_con, actor=user(CSM), profile_id=profile.id, record_id=record, score=90,
                           reason="Exec sponsor renewed", expires_on=NOW.date() + timedelta(days=10), now=NOW)  # fmt: skip
    after = reports.summary(demo_con, profile, day=NOW.date(), owner_id=owner)
    assert after.categories["at_risk"][0] == before.categories["at_risk"][0] - 1
    assert after.categories["successful"][0] == before.categories["successful"][0] + 1
    (line,) = current_health(demo_con, "companies", record, day=NOW.date())
    assert (line.score, line.category, line.computed_score, line.overridden) == (
        90,
        "successful",
        computed,
        True,
    )
    q = Query("companies", [[{"property": HEALTH_CATEGORY, "operator": "eq", "value": "successful"},
                             {"property": "name", "operator": "eq", "value": demo_con.execute(
                                 "SELECT name FROM companies WHERE id = ?", [record]).fetchone()[0]}]],
              ("name", HEALTH_SCORE, HEALTH_CATEGORY))  # fmt: skip
    page = record_list.page(demo_con, q, Viewer(CSM, NOW)).rows
    assert record in set(page["id"]) and page.set_index("id").loc[record, "Health score"] == 90
    # The day after it ends, the computed score is back.
    later = NOW.date() + timedelta(days=11)
    (line,) = current_health(demo_con, "companies", record, day=later)
    assert (line.score, line.category, line.overridden) == (computed, category, False)
    assert reports.summary(demo_con, profile, day=later, owner_id=owner) == before


def test_every_run_and_preview_uses_the_one_activity_rule(demo_con):
    """The preview's activity count and the engine's count agree for companies and contacts."""
    from cs_core import record_detail

    for obj, rid in (("companies", 5), ("contacts", 12)):
        linked, params = activities.linked(obj)
        whole = demo_con.execute(
            f"SELECT count(*) FROM ({linked}) a WHERE a.rid = ?", [*params, rid]
        ).fetchone()[0]
        assert record_detail.activity_count(demo_con, obj, rid) == whole > 0


def test_each_current_score_carries_exactly_its_active_override(demo_con, user):
    profile = health.get_profile(demo_con, name="SMB")
    ids = [r[0] for r in demo_con.execute("SELECT record_id FROM health_current WHERE profile_id = ? "
                                          "ORDER BY record_id LIMIT 3", [profile.id]).fetchall()]  # fmt: skip
    until = NOW.date() + timedelta(days=5)
    for score, rid in zip((10, 50, 90), ids, strict=True):
        overrides.set_override(demo_con, actor=user(CSM), profile_id=profile.id, record_id=rid, score=score,
                               reason="Checked with the customer", expires_on=until, now=NOW)  # fmt: skip
    overrides.remove_override(
        demo_con, actor=user(CSM), profile_id=profile.id, record_id=ids[1], now=NOW
    )

    def carried():
        return demo_con.execute(
            "SELECT record_id, override_score, override_until FROM health_current WHERE profile_id = ? "
            "AND override_score IS NOT NULL ORDER BY record_id", [profile.id]).fetchall()  # fmt: skip

    expected = [(ids[0], 10.0, until), (ids[2], 90.0, until)]
    assert carried() == expected
    health.run(demo_con, profile, score_date=NOW.date(), now=NOW)  # a full run keeps them
    assert carried() == expected
    health.run(
        demo_con, profile, score_date=NOW.date(), now=NOW, record_id=ids[0]
    )  # and a one-record run
    assert carried() == expected
