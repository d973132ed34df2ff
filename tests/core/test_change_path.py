"""The one change path: what follows an edit, an import, a merge or a publish runs through
cs_core.changes inside the change's own transaction, whoever makes the change."""

from datetime import timedelta

import pandas as pd
import pytest

from cs_core import changes, health, imports, merges, record_values
from cs_core.health import engine
from tests.conftest import CSM, NOW
from tests.core.test_health_engine import BASE


@pytest.fixture
def events(monkeypatch):
    """Every event that reaches the change path, in order (the path still runs)."""
    seen = []
    real = changes.apply

    def spy(cur, event, *, now):
        seen.append(event)
        return real(cur, event, now=now)

    monkeypatch.setattr(changes, "apply", spy)
    return seen


def _import(con, tmp_path, frame, object_name="companies", name="f.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return imports.import_file(con, path, object_name=object_name, actor=None, now=NOW)


def test_every_kind_of_change_goes_through_the_change_path(demo_con, user, tmp_path, events):
    record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=5,
                                  property_name="nps", value="3", now=NOW)  # fmt: skip
    merges.merge_records(
        demo_con, actor=user(CSM), object_name="companies", survivor_id=5, merged_id=6, now=NOW
    )
    _import(
        demo_con,
        tmp_path,
        pd.DataFrame({"Record ID": ["X-1"], "Company name": ["New Co"], "NPS": ["7"]}),
    )
    demo_con.execute("INSERT INTO record_external_ids VALUES ('companies', 'C-5', 5)")
    _import(demo_con, tmp_path, pd.DataFrame({"Record ID": ["C-5"], "Activity type": ["call"],
                                              "Activity date": ["2026-11-28 09:00"]}), "activities")  # fmt: skip
    health.save_profile(demo_con, actor=None, definition={**BASE, "name": "Another"}, now=NOW)
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "RecordsChanged",
        "RecordsMerged",
        "RecordsChanged",
        "ActivitiesAdded",
        "ProfilePublished",
    ]
    assert events[0] == changes.RecordsChanged("companies", (5,), frozenset({"nps"}))
    assert events[2].created and "nps" in events[2].properties
    newest = demo_con.execute("SELECT max(id) FROM activities").fetchone()[0]
    assert events[3] == changes.ActivitiesAdded(newest, newest)


def test_an_edit_and_its_rescoring_commit_together_or_not_at_all(demo_con, user, monkeypatch):
    before = demo_con.execute("SELECT nps FROM companies WHERE id = 5").fetchone()[0]
    history = demo_con.execute("SELECT count(*) FROM property_history").fetchone()[0]

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while rescoring")

    monkeypatch.setattr(engine, "store", broken)
    with pytest.raises(RuntimeError):
        record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=5,
                                      property_name="nps", value="10", now=NOW)  # fmt: skip
    assert demo_con.execute("SELECT nps FROM companies WHERE id = 5").fetchone()[0] == before
    assert demo_con.execute("SELECT count(*) FROM property_history").fetchone()[0] == history


def test_an_edit_rescores_in_its_transaction(demo_con, user):
    profile = health.get_profile(demo_con, name="SMB")
    record = demo_con.execute("SELECT min(id) FROM companies WHERE segment = 'SMB'").fetchone()[0]
    demo_con.execute("UPDATE companies SET nps = 3 WHERE id = ?", [record])
    engine.run(demo_con, profile, score_date=NOW.date(), now=NOW)
    low = demo_con.execute("SELECT score FROM health_current WHERE profile_id = ? AND record_id = ?",
                           [profile.id, record]).fetchone()[0]  # fmt: skip
    record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=record,
                                  property_name="nps", value="10", now=NOW)  # fmt: skip
    high = demo_con.execute("SELECT score FROM health_current WHERE profile_id = ? AND record_id = ?",
                            [profile.id, record]).fetchone()[0]  # fmt: skip
    assert high > low


def test_a_merge_rescores_the_survivor_with_both_records_activities(demo_con, user):
    profile = health.get_profile(demo_con, name="SMB")
    a, b = (r[0] for r in demo_con.execute(
        "SELECT id FROM companies WHERE segment = 'SMB' ORDER BY id LIMIT 2").fetchall())  # fmt: skip
    merges.merge_records(
        demo_con, actor=user(CSM), object_name="companies", survivor_id=a, merged_id=b, now=NOW
    )
    stored = demo_con.execute("SELECT CAST(score AS INTEGER) FROM health_current WHERE profile_id = ? AND record_id = ?",
                              [profile.id, a]).fetchone()[0]  # fmt: skip
    fresh = health.compute(demo_con, profile, score_date=NOW.date(), record_id=a)
    assert stored == int(fresh["score"].iloc[0])
    assert demo_con.execute("SELECT count(*) FROM health_current WHERE record_id = ? AND profile_id = ?",
                            [b, profile.id]).fetchone()[0] == 0  # fmt: skip


def test_a_merged_records_id_updates_the_survivor_on_the_next_import(empty_con, tmp_path):
    con = empty_con
    con.execute("INSERT INTO users (id, name, email, has_workspace_access, has_service_seat, created_at) "
                "VALUES (4, 'Lucas', 'l@x.example', TRUE, TRUE, now()::TIMESTAMP)")  # fmt: skip
    from cs_core.users import get_user

    first = _import(con, tmp_path, pd.DataFrame({"Record ID": ["A-1", "B-2"], "Company name": ["Acme", "Acme Inc"],
                                                 "City": ["Berlin", "Paris"]}))  # fmt: skip
    assert first.created == 2
    ids = dict(con.execute("SELECT external_id, record_id FROM record_external_ids").fetchall())
    merges.merge_records(con, actor=get_user(con, 4), object_name="companies", survivor_id=ids["A-1"],
                         merged_id=ids["B-2"], now=NOW)  # fmt: skip
    again = _import(con, tmp_path, pd.DataFrame({"Record ID": ["B-2"], "Company name": ["Acme Inc"],
                                                 "City": ["Lyon"]}))  # fmt: skip
    assert (again.created, again.updated) == (0, 1)
    assert (
        con.execute("SELECT city FROM companies WHERE id = ?", [ids["A-1"]]).fetchone()[0] == "Lyon"
    )
    # A file with both of the merged ids: the second row is reported, nothing written.
    both = pd.DataFrame(
        {"Record ID": ["A-1", "B-2"], "Company name": ["Acme", "Acme Inc"], "City": ["X", "Y"]}
    )
    result = _import(con, tmp_path, both, name="both.csv")
    assert not result.written
    assert result.report[["Row", "Reason"]].values.tolist() == [
        [2, "names the same record as row 1 (the two were merged)"]
    ]


LAST_ACTIVE = {"name": "Recently active", "object": "companies", "status": "live", "groups": [
    {"name": "Activity", "kind": "property", "max_points": 100, "rules": [
        {"when": [{"property": "last_activity_at", "operator": "in_last_days", "value": 7}], "points": 100}]}]}  # fmt: skip


def test_new_activities_rescore_last_activity_rules_and_the_contacts_company(empty_con, tmp_path):
    """With contacts as the account object, a contact's call counts for its company's profiles too,
    and a profile on the last activity date sees the date the import moved."""
    from tests.core.test_health_fixes import ENGAGED, _contacts_workspace

    con = _contacts_workspace(empty_con)
    health.save_profile(con, actor=None, definition=ENGAGED, now=NOW)  # companies, engagement
    health.save_profile(con, actor=None, definition={**LAST_ACTIVE, "object": "contacts"}, now=NOW)
    before = dict(
        con.execute("SELECT profile_id, count(*) FROM health_current GROUP BY 1").fetchall()
    )
    _import(con, tmp_path, pd.DataFrame({"Record ID": ["C-1"], "Activity type": ["call"],
                                         "Activity date": ["2026-11-27 10:00"]}), "activities")  # fmt: skip
    scores = {(n, r): s for n, r, s in con.execute(
        "SELECT p.name, c.record_id, c.score FROM health_current c JOIN health_profiles p ON p.id = c.profile_id"
    ).fetchall()}  # fmt: skip
    assert scores[("Engaged", 10)] == 100.0  # the company of contact C-1, newly scored
    assert scores[("Recently active", 1)] == 100.0 and scores[("Recently active", 2)] == 0.0
    assert before  # the contacts profile scored both contacts at 0 when published


def test_activities_for_a_record_merged_after_the_check_go_to_the_survivor(demo_con, user):
    from cs_core.imports import events

    demo_con.execute(
        "INSERT INTO record_external_ids VALUES ('companies', 'X-5', 5), ('companies', 'X-6', 6)"
    )
    merges.merge_records(
        demo_con, actor=user(CSM), object_name="companies", survivor_id=5, merged_id=6, now=NOW
    )
    values = pd.DataFrame(
        {"activity_type": ["call"], "occurred_at": [pd.Timestamp("2026-11-27 10:00")]}
    )
    events.write(demo_con, object_name="activities", account_object="companies", values=values,
                 external=pd.Series(["X-6"]), now=NOW, actor_id=None, file_name="f.csv", rejected=0)  # fmt: skip
    newest = demo_con.execute(
        "SELECT company_id, record_id FROM activities ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert newest == (5, 5)
    demo_con.execute("DELETE FROM record_external_ids WHERE external_id = 'X-5'")
    count = demo_con.execute("SELECT count(*) FROM activities").fetchone()[0]
    with pytest.raises(events.RecordsGone, match="merged or deleted"):
        events.write(demo_con, object_name="activities", account_object="companies", values=values,
                     external=pd.Series(["X-5"]), now=NOW, actor_id=None, file_name="f.csv", rejected=0)  # fmt: skip
    assert demo_con.execute("SELECT count(*) FROM activities").fetchone()[0] == count


def test_the_daily_job_scores_with_rules_published_while_it_ran(demo_con, monkeypatch):
    from cs_core import daily
    from cs_core.health import profiles

    listed = profiles.list_profiles(demo_con, live_only=True)  # read before the publish below
    smb = health.get_profile(demo_con, name="SMB")
    stricter = {**smb.definition, "thresholds": {"at_risk_max": 10, "successful_min": 90}}
    v2 = health.save_profile(demo_con, actor=None, definition=stricter, now=NOW)
    monkeypatch.setattr(profiles, "list_profiles", lambda *a, **k: listed)
    later = NOW + timedelta(days=1)
    daily.run_daily(demo_con, now=later, trigger="manual")
    assert demo_con.execute("SELECT DISTINCT profile_version FROM health_scores WHERE profile_id = ? "
                            "AND score_date = ?", [smb.id, later.date()]).fetchall() == [(v2.version,)]  # fmt: skip


def test_the_daily_job_skips_a_profile_taken_back_to_draft_while_it_ran(demo_con, monkeypatch):
    from cs_core import daily
    from cs_core.health import profiles

    listed = profiles.list_profiles(demo_con, live_only=True)  # before the change below
    smb = health.get_profile(demo_con, name="SMB")
    health.save_profile(
        demo_con, actor=None, definition={**smb.definition, "status": "draft"}, now=NOW
    )
    monkeypatch.setattr(profiles, "list_profiles", lambda *a, **k: listed)
    result = daily.run_daily(demo_con, now=NOW, trigger="manual")
    assert (result.status, result.profiles) == ("ok", 1)


def test_a_draft_with_stored_scores_is_not_edited_in_place(con_with_companies):
    con = con_with_companies
    draft = health.save_profile(con, actor=None, definition={**BASE, "status": "draft"}, now=NOW)
    engine.run(con, draft, score_date=NOW.date(), now=NOW)  # e.g. health recompute --profile
    edited = health.save_profile(con, actor=None, definition={**BASE, "status": "draft", "missing_data":
                                                              "redistribute"}, now=NOW)  # fmt: skip
    assert edited.version == 2
    assert con.execute("SELECT DISTINCT profile_version FROM health_scores").fetchall() == [(1,)]


def test_the_score_export_lists_a_merge_survivor_once(demo_con, user):
    from cs_core.health import reports

    demo_con.execute(
        "INSERT INTO record_external_ids VALUES ('companies', 'X-A', 5), ('companies', 'X-B', 6)"
    )
    merges.merge_records(
        demo_con, actor=user(CSM), object_name="companies", survivor_id=5, merged_id=6, now=NOW
    )
    frame = reports.export(demo_con, health.get_profile(demo_con, name="SMB"))
    assert frame["record_id"].is_unique
    if 5 in set(frame["record_id"]):
        assert frame.set_index("record_id").loc[5, "external_id"] == "X-A"


@pytest.fixture
def con_with_companies(empty_con):
    from tests.core.test_health_engine import with_companies

    return with_companies(empty_con)
