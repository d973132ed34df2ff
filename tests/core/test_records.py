"""Listing, previewing, editing and merging records (CUS-2, CUS-5..CUS-8, DAT-3)."""

import csv
import io
from datetime import date, timedelta

import pytest

from cs_core import follows, merges, record_detail, record_list, record_values
from cs_core.record_list import Query, Viewer
from cs_core.record_values import ValueRefused
from cs_core.users import PermissionDenied
from tests.conftest import CSM, NO_ACCESS, NOW

TODAY = NOW.date()


def one(con, sql, params=()):
    return con.execute(sql, list(params)).fetchone()[0]


def test_a_page_shows_labels_names_and_the_total(demo_con):
    q = Query("companies", [[{"property": "segment", "operator": "eq", "value": "Enterprise"}]],
              ("name", "csm_id", "renewal_date"), sort=(("name", "asc"),), owner_property="csm_id")  # fmt: skip
    page = record_list.page(demo_con, q, Viewer(CSM, NOW), number=2, size=25)
    total = one(demo_con, "SELECT count(*) FROM companies WHERE segment = 'Enterprise'")
    assert page.total == total and page.pages == -(-total // 25)
    assert list(page.rows.columns) == [
        "id",
        "Company name",
        "Customer Success Manager",
        "Renewal date",
    ]
    expected = demo_con.execute(
        "SELECT c.id, u.name FROM companies c JOIN users u ON u.id = c.csm_id WHERE segment = 'Enterprise' "
        "ORDER BY lower(c.name), c.id LIMIT 25 OFFSET 25"
    ).fetchall()
    assert (
        list(zip(page.rows["id"], page.rows["Customer Success Manager"], strict=True)) == expected
    )


def test_a_page_past_the_end_shows_the_last_page(demo_con):
    q = Query("companies", [], ("name",))
    page = record_list.page(demo_con, q, Viewer(CSM, NOW), number=99, size=100)
    assert (page.page, page.pages, len(page.rows)) == (4, 4, 100)
    with pytest.raises(ValueError, match="not 30"):
        record_list.page(demo_con, q, Viewer(CSM, NOW), size=30)


def test_export_has_every_matching_row_not_just_a_page(demo_con):
    q = Query("companies", [[{"property": "$owner", "operator": "eq", "value": "$me"}]],
              ("name", "segment"), owner_property="csm_id")  # fmt: skip
    rows = list(
        csv.reader(io.StringIO(record_list.export_csv(demo_con, q, Viewer(CSM, NOW)).decode()))
    )
    assert rows[0] == ["Record ID", "Company name", "Segment"]
    owned = demo_con.execute(
        "SELECT id, name, segment FROM companies WHERE csm_id = ? ORDER BY id", [CSM]
    ).fetchall()
    assert sorted((int(r[0]), r[1], r[2]) for r in rows[1:]) == owned


def test_edit_writes_the_value_and_its_history(demo_con, user):
    csm = user(CSM)
    old = one(demo_con, "SELECT nps FROM companies WHERE id = 1")
    change = record_values.update_property(demo_con, actor=csm, object_name="companies", record_id=1,
                                           property_name="nps", value="9", now=NOW)  # fmt: skip
    assert change == record_values.Change("nps", record_values.as_text(old), "9")
    assert one(demo_con, "SELECT nps FROM companies WHERE id = 1") == 9.0
    history = record_values.property_history(demo_con, "companies", 1, property_name="nps")
    first = history.iloc[0]
    assert (first["Property"], first["New value"], first["By"], first["Source"]) == (
        "Latest NPS score", "9", "Lucas Fischer", "Edited in the app",
    )  # fmt: skip
    # The same value again changes nothing and writes no history.
    assert record_values.update_property(demo_con, actor=csm, object_name="companies", record_id=1,
                                         property_name="nps", value=9, now=NOW) is None  # fmt: skip
    assert len(record_values.property_history(demo_con, "companies", 1, property_name="nps")) == 1


@pytest.mark.parametrize(
    ("prop", "value", "message"),
    [
        ("nps", "nine", "Latest NPS score must be a number; 'nine' is not one."),
        ("renewal_date", "31/12/2026", "Renewal date must be a date like 2026-12-31; '31/12/2026' is not one."),
        ("segment", "Huge", "Segment must be one of: SMB, Mid-Market, Enterprise."),
        ("csm_id", 999, "Customer Success Manager: there is no user with id 999."),
        ("created_at", "2026-01-01", "Create date is set by the system and cannot be edited."),
        ("name", "  ", "Company name cannot be empty."),
        ("no_such", "x", "There is no property 'no_such'."),
    ],
)  # fmt: skip
def test_invalid_values_are_refused_and_nothing_changes(demo_con, user, prop, value, message):
    before = demo_con.execute("SELECT * FROM companies WHERE id = 1").fetchall()
    history = one(demo_con, "SELECT count(*) FROM property_history")
    with pytest.raises(ValueRefused) as err:
        record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=1,
                                      property_name=prop, value=value, now=NOW)  # fmt: skip
    assert str(err.value) == message
    assert demo_con.execute("SELECT * FROM companies WHERE id = 1").fetchall() == before
    assert one(demo_con, "SELECT count(*) FROM property_history") == history


def test_edits_need_workspace_access(demo_con, user):
    with pytest.raises(PermissionDenied):
        record_values.update_property(demo_con, actor=user(NO_ACCESS), object_name="companies",
                                      record_id=1, property_name="nps", value=1, now=NOW)  # fmt: skip


def test_preview_shows_primary_fields_activities_and_associations(demo_con, user):
    p = record_detail.preview(demo_con, object_name="companies", record_id=2, user=user(CSM))
    name, csm = demo_con.execute(
        "SELECT c.name, u.name FROM companies c JOIN users u ON u.id = c.csm_id WHERE c.id = 2"
    ).fetchone()
    assert p.title == name
    fields = {f.label: f.display for f in p.fields}
    assert fields["Customer Success Manager"] == csm
    assert len(p.activities) == min(
        10, one(demo_con, "SELECT count(*) FROM activities WHERE company_id = 2")
    )
    assert p.activities["When"].is_monotonic_decreasing
    contacts = one(demo_con, "SELECT count(*) FROM contacts WHERE company_id = 2")
    assert p.association_counts["Contacts"] == contacts
    assert p.associations["Subscriptions"]["Name"].iloc[0].startswith(name)
    assert p.following is False
    follows.set_following(
        demo_con, actor=user(CSM), object_name="companies", record_id=2, follow=True, now=NOW
    )
    assert record_detail.preview(
        demo_con, object_name="companies", record_id=2, user=user(CSM)
    ).following
    follows.set_following(
        demo_con, actor=user(CSM), object_name="companies", record_id=2, follow=False, now=NOW
    )
    assert not follows.is_following(demo_con, user=user(CSM), object_name="companies", record_id=2)


def test_record_page_groups_every_property(demo_con):
    groups = record_detail.all_fields(demo_con, "companies", 1)
    assert list(groups) == ["Company information", "Ownership", "Customer success", "System"]
    assert sum(len(f) for f in groups.values()) == 19


def _counts(con, company_id):
    return {
        "contacts": one(con, "SELECT count(*) FROM contacts WHERE company_id = ?", [company_id]),
        "activities": one(con, "SELECT count(*) FROM activities WHERE company_id = ?", [company_id]),
        "tasks": one(con, "SELECT count(*) FROM tasks WHERE object = 'companies' AND record_id = ?", [company_id]),
        "meetings": one(con, "SELECT count(*) FROM meetings WHERE object = 'companies' AND record_id = ?", [company_id]),
        "links": one(con, "SELECT count(*) FROM associations WHERE from_object = 'companies' AND from_id = ?", [company_id]),
        "history": one(con, "SELECT count(*) FROM property_history WHERE object = 'companies' AND record_id = ?", [company_id]),
    }  # fmt: skip


def test_merge_keeps_the_survivor_and_moves_everything(demo_con, user):
    demo_con.execute("UPDATE companies SET nps = NULL WHERE id = 10")
    demo_con.execute("UPDATE companies SET nps = 8 WHERE id = 11")
    survivor, merged = _counts(demo_con, 10), _counts(demo_con, 11)
    name_10, name_11 = (
        one(demo_con, "SELECT name FROM companies WHERE id = ?", [i]) for i in (10, 11)
    )
    result = merges.merge_records(demo_con, actor=user(CSM), object_name="companies", survivor_id=10,
                                  merged_id=11, now=NOW)  # fmt: skip
    assert "nps" in result.filled
    after = _counts(demo_con, 10)
    for key in ("contacts", "activities", "tasks", "meetings", "links"):
        assert after[key] == survivor[key] + merged[key], key
    # history: both records' rows, one for the filled value, one for the merge itself
    assert after["history"] == survivor["history"] + merged["history"] + len(result.filled) + 1
    assert one(demo_con, "SELECT name FROM companies WHERE id = 10") == name_10
    assert one(demo_con, "SELECT nps FROM companies WHERE id = 10") == 8.0
    assert one(demo_con, "SELECT count(*) FROM companies WHERE id = 11") == 0
    assert _counts(demo_con, 11) == dict.fromkeys(after, 0)
    orphans = one(
        demo_con, "SELECT count(*) FROM associations WHERE to_object = 'companies' AND to_id = 11"
    )
    assert orphans == 0
    history = record_values.property_history(demo_con, "companies", 10)
    merge_row = history[history["internal_name"] == merges.MERGE_PROPERTY].iloc[0]
    assert (merge_row["Old value"], merge_row["New value"], merge_row["Source"]) == (
        "11",
        name_11,
        "Merge",
    )
    assert one(demo_con, "SELECT merged_name FROM record_merges WHERE survivor_id = 10") == name_11
    # The merged record is in no view any more.
    q = Query("companies", [], ("name",))
    assert (
        11
        not in record_list.page(demo_con, q, Viewer(CSM, NOW), size=100, number=1)
        .rows["id"]
        .tolist()
    )
    assert record_list.count(demo_con, q, Viewer(CSM, NOW)) == 399


def test_merge_refusals(demo_con, user):
    with pytest.raises(merges.MergeRefused, match="two different records"):
        merges.merge_records(
            demo_con, actor=user(CSM), object_name="companies", survivor_id=3, merged_id=3, now=NOW
        )
    with pytest.raises(merges.MergeRefused, match="does not exist"):
        merges.merge_records(
            demo_con,
            actor=user(CSM),
            object_name="companies",
            survivor_id=3,
            merged_id=9999,
            now=NOW,
        )
    with pytest.raises(PermissionDenied):
        merges.merge_records(
            demo_con,
            actor=user(NO_ACCESS),
            object_name="companies",
            survivor_id=3,
            merged_id=4,
            now=NOW,
        )
    assert one(demo_con, "SELECT count(*) FROM companies") == 400


def test_date_values_are_stored_as_dates(demo_con, user):
    record_values.update_property(demo_con, actor=user(CSM), object_name="companies", record_id=5,
                                  property_name="renewal_date", value="2027-02-01", now=NOW)  # fmt: skip
    assert one(demo_con, "SELECT renewal_date FROM companies WHERE id = 5") == date(2027, 2, 1)
    assert one(demo_con, "SELECT updated_at FROM companies WHERE id = 5") == NOW.replace(
        tzinfo=None
    )
    assert isinstance(timedelta(days=1), timedelta)


def test_a_yes_no_property_reads_yes_and_no_in_the_table(demo_con):
    """Booleans show as Yes / No (empty stays empty), not True / False."""
    from cs_core import db

    def add(cur):
        cur.execute("ALTER TABLE companies ADD COLUMN partner BOOLEAN")
        cur.execute("INSERT INTO properties VALUES ('companies', 'partner', 'Partner', 'boolean', NULL, "
                    "'Imported', TRUE, FALSE, 999)")  # fmt: skip
        cur.execute("UPDATE companies SET partner = (id % 3 = 0) WHERE id <= 6")

    db.write(demo_con, add)
    q = Query("companies", [[{"property": "partner", "operator": "is_known"}]], ("name", "partner"))
    rows = record_list.page(demo_con, q, Viewer(CSM, NOW), size=25).rows
    by_id = dict(zip(rows["id"], rows["Partner"], strict=True))
    assert by_id == {1: "No", 2: "No", 3: "Yes", 4: "No", 5: "No", 6: "Yes"}


def test_history_reads_as_people_read_it(demo_con, user):
    """Found 7: user names instead of ids, "(empty)", sources in words, times in the zone."""
    from cs_core import db

    csm = user(CSM)
    db.write(
        demo_con,
        lambda cur: cur.execute("UPDATE companies SET csm_id = NULL, nps = NULL WHERE id = 2"),
    )
    record_values.update_property(demo_con, actor=csm, object_name="companies", record_id=2,
                                  property_name="csm_id", value=CSM, now=NOW)  # fmt: skip
    record_values.update_property(demo_con, actor=csm, object_name="companies", record_id=2,
                                  property_name="nps", value="7", now=NOW)  # fmt: skip
    history = record_values.property_history(demo_con, "companies", 2, time_zone="Asia/Tokyo")
    rows = history[history["code"] == "ui"][["Property", "Old value", "New value", "Source"]]
    assert sorted(map(tuple, rows.values.tolist())) == [
        ("Customer Success Manager", "(empty)", "Lucas Fischer", "Edited in the app"),
        ("Latest NPS score", "(empty)", "7", "Edited in the app"),
    ]
    assert str(history["When"].iloc[0]) == "2026-11-29 00:00:00"  # 15:00 UTC is midnight in Tokyo


def test_an_imported_change_names_its_file_and_day(demo_con):
    import pandas as pd

    from cs_core import imports

    frame = pd.DataFrame(
        {"Company name": ["Imported Co"], "Customer Success Manager": ["Lucas Fischer"]}
    )
    mapping = imports.suggest_mapping(demo_con, frame, object_name="companies")
    result = imports.run_import(demo_con, frame, mapping, object_name="companies", actor=None, now=NOW,
                                file_name="q4 accounts.csv")  # fmt: skip
    assert result.created == 1, result.report
    record = one(demo_con, "SELECT id FROM companies WHERE name = 'Imported Co'")
    history = record_values.property_history(demo_con, "companies", record)
    assert history[["Old value", "New value", "By", "Source"]].values.tolist() == [
        ["(empty)", "Lucas Fischer", "System", "Import of q4 accounts.csv on 28 Nov 2026"]
    ]


def test_merge_comparison_shows_both_records_and_the_result(demo_con, user):
    """Found 14: the two records side by side, differences marked, and what the one kept holds."""
    from cs_core import db

    db.write(demo_con, lambda cur: cur.execute(
        "UPDATE companies SET nps = CASE id WHEN 10 THEN NULL ELSE 8 END, segment = 'SMB' WHERE id IN (10, 11)"))  # fmt: skip
    rows = {r.label: r for r in merges.compare(demo_con, object_name="companies", first_id=10, second_id=11,
                                               survivor_id=10)}  # fmt: skip
    nps = rows["Latest NPS score"]
    assert (nps.first, nps.second, nps.kept, nps.differs) == ("", "8", "8", True)
    segment = rows["Segment"]
    assert (segment.first, segment.second, segment.kept, segment.differs) == (
        "SMB",
        "SMB",
        "SMB",
        False,
    )
    name = rows["Company name"]
    assert name.kept == name.first and name.differs
    # Keeping the other one: its name stays.
    other = {r.label: r for r in merges.compare(demo_con, object_name="companies", first_id=10, second_id=11,
                                                survivor_id=11)}  # fmt: skip
    assert other["Company name"].kept == name.second
    # The merge does exactly what the comparison said.
    merges.merge_records(
        demo_con, actor=user(CSM), object_name="companies", survivor_id=10, merged_id=11, now=NOW
    )
    kept = record_values.get_record(demo_con, "companies", 10)
    assert (kept["nps"], kept["name"]) == (8.0, name.first)


def test_the_records_of_an_import_are_a_filter(demo_con):
    """Found 14: after an import, "the records imported from FILE" is one filter away."""
    import pandas as pd

    from cs_core import imports
    from cs_core.filters import IMPORT_RUN

    frame = pd.DataFrame(
        {"Record ID": ["q-1", "q-2", "q-3"], "Company name": ["One Co", "Two Co", "Three Co"]}
    )
    mapping = imports.suggest_mapping(demo_con, frame, object_name="companies")
    first = imports.run_import(demo_con, frame, mapping, object_name="companies", actor=None, now=NOW,
                               file_name="first.csv")  # fmt: skip
    again = frame.assign(**{"Company name": ["One Co", "Two Co renamed", "Three Co"]}).head(2)
    second = imports.run_import(demo_con, again, mapping, object_name="companies", actor=None, now=NOW,
                                file_name="second.csv")  # fmt: skip
    assert (first.created, second.updated) == (3, 1) and first.run_id != second.run_id
    run = imports.import_run(demo_con, second.run_id)
    assert (run.object, run.file_name, run.records) == ("companies", "second.csv", 2)

    def names(run_id):
        q = Query("companies", [[{"property": IMPORT_RUN, "operator": "eq", "value": run_id}]], ("name",),
                  sort=(("name", "asc"),))  # fmt: skip
        return record_list.page(demo_con, q, Viewer(CSM, NOW)).rows["Company name"].tolist()

    assert names(first.run_id) == ["One Co", "Three Co", "Two Co renamed"]
    assert names(second.run_id) == ["One Co", "Two Co renamed"]
    with pytest.raises(record_list.filters.FilterError, match="names one import"):
        names("1; DROP TABLE companies")


def test_a_preview_is_a_few_statements(demo_con, user):
    """Found 17: the preview fetches in a few queries (it issued 18)."""

    class Counting:
        def __init__(self, con):
            self.con, self.statements = con, 0

        def execute(self, *args, **kwargs):
            self.statements += 1
            return self.con.execute(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(self.con, name)

    busiest = one(demo_con, "SELECT from_id FROM associations WHERE from_object = 'companies' "
                            "GROUP BY 1 ORDER BY count(DISTINCT to_object) DESC, 1 LIMIT 1")  # fmt: skip
    counting = Counting(demo_con)
    p = record_detail.preview(counting, object_name="companies", record_id=busiest, user=user(CSM))
    assert len(p.associations) >= 2 and p.fields
    assert counting.statements <= 9
    # The same links and counts as asking per object.
    for label, frame in p.associations.items():
        other = one(demo_con, "SELECT name FROM objects WHERE label_plural = ?", [label])
        expected = one(demo_con, "SELECT count(*) FROM associations WHERE from_object = 'companies' AND from_id = ? "
                                 "AND to_object = ?", [busiest, other])  # fmt: skip
        assert p.association_counts[label] == expected and len(frame) == min(10, expected)
