"""The one change path: what follows an edit, an import, a merge or a publish runs through
cs_core.changes inside the change's own transaction, whoever makes the change."""

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
    assert events[3] == changes.ActivitiesAdded("companies", (5,))


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
