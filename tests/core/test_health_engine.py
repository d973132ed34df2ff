"""The scoring rules of spec/health-profiles.md, to the point: table-driven, exact numbers."""

import copy
from datetime import date, datetime

import pytest

from cs_core import db, health
from cs_core.health import ProfileError

DAY = date(2026, 11, 28)  # the score date; times compare at its end, 2026-11-29 00:00 UTC
# id: plan, nps, segment, open_tickets, employees
COMPANIES = {
    1: ("Enterprise", 9, "SMB", 5, None),
    2: ("Starter", None, "Enterprise", 0, None),
    3: (None, None, None, None, None),  # every fit input empty, no activity
    4: ("enterprise ", None, None, None, None),  # fit only: 40 of 60
    5: (None, None, None, None, None),  # engagement only
    6: ("Enterprise", 10, "SMB", 0, None),  # fit would be 70: clamped to 60
    7: (None, None, None, 10, None),  # fit would be -15: clamped to 0
    33: (None, None, None, None, 33), 34: (None, None, None, None, 34),
    66: (None, None, None, None, 66), 67: (None, None, None, None, 67),
}  # fmt: skip
ACTIVITIES = [
    (1, "meeting", datetime(2026, 10, 30, 0, 0, 0)),  # exactly 30 days before the end: outside
    (1, "call", datetime(2026, 10, 30, 0, 0, 1)),  # one second later: inside
    (1, "meeting", datetime(2026, 11, 28, 23, 59, 59)),  # last second of the score date: inside
    (1, "email_reply", datetime(2026, 11, 29, 0, 0, 1)),  # after the score date: never counted
    (2, "page_view", datetime(2026, 10, 14, 12, 0)),  # 45 days before the score date
    (5, "meeting", datetime(2026, 11, 20, 10, 0)),
    (5, "call", datetime(2026, 11, 21, 10, 0)),
]
FIT = {"name": "Fit", "kind": "property", "max_points": 60, "rules": [
    {"when": [{"property": "plan", "operator": "eq", "value": "Enterprise"}], "points": 40},
    {"when": [{"property": "nps", "operator": "gte", "value": 9},
              {"property": "segment", "operator": "eq", "value": "smb"}], "points": 30},
    {"when": [{"property": "open_tickets", "operator": "gt", "value": 3}], "points": -15},
]}  # fmt: skip
ENGAGEMENT = {"name": "Engagement", "kind": "engagement", "max_points": 40, "rules": [
    {"activity_types": ["meeting", "call"], "window_days": 30, "measure": "count", "operator": "gte",
     "value": 2, "points": 25},
    {"activity_types": ["email_reply", "meeting", "call"], "measure": "days_since_last", "operator": "gt",
     "value": 45, "points": -20},
    {"activity_types": ["page_view"], "window_days": 60, "measure": "count", "operator": "gte", "value": 1,
     "points": 15},
]}  # fmt: skip
BASE = {"name": "Test", "object": "companies", "status": "live", "groups": [FIT, ENGAGEMENT]}


def with_companies(empty_con):
    """The engine tests' companies and activities, in a new workspace."""

    def fill(cur):
        for cid, (plan, nps, segment, tickets, employees) in COMPANIES.items():
            cur.execute(
                "INSERT INTO companies (id, name, plan, nps, segment, open_tickets, employees, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '2026-01-01', '2026-01-01')",
                [cid, f"Co {cid}", plan, nps, segment, tickets, employees],
            )
        for i, (cid, kind, when) in enumerate(ACTIVITIES, start=1):
            cur.execute("INSERT INTO activities (id, activity_type, occurred_at, company_id) VALUES (?, ?, ?, ?)",
                        [i, kind, when, cid])  # fmt: skip

    db.write(empty_con, fill)
    return empty_con


@pytest.fixture
def con(empty_con):
    return with_companies(empty_con)


def scores(con, definition, day=DAY) -> dict[int, tuple[int, str]]:
    profile = health.save_profile(
        con, actor=None, definition=definition, now=datetime(2026, 11, 28, 12)
    )
    frame = health.compute(con, profile, score_date=day)
    return {int(r.id): (int(r.score), r.category) for r in frame.itertuples()}


def test_no_points_mode(con):
    got = scores(con, BASE)
    assert got[1] == (80, "successful")  # fit 40+30-15 = 55; 2 meetings/calls in 30 days: 25
    assert got[2] == (
        15,
        "at_risk",
    )  # nothing fits; a page view 45 days ago is in the 60-day window
    assert got[3] == (0, "at_risk")
    assert got[4] == (40, "neutral")  # "enterprise " matches Enterprise: trimmed, any case
    assert got[5] == (25, "at_risk")
    assert got[6] == (60, "neutral")  # 70 clamped to the group's 60
    assert got[7] == (0, "at_risk")  # -15 clamped to 0
    assert len(got) == len(COMPANIES)


def test_redistribute_mode_leaves_out_groups_without_inputs(con):
    got = scores(con, {**BASE, "missing_data": "redistribute"})
    assert got[1] == (80, "successful")
    assert got[2] == (15, "at_risk")  # both groups have inputs
    assert 3 not in got  # every group left out: no score
    assert got[4] == (67, "successful")  # 40 of 60 = 66.67, rounded to 67: the successful edge
    assert got[5] == (63, "neutral")  # 25 of 40 = 62.5, rounded half up
    assert got[7] == (0, "at_risk")  # open_tickets known: fit counts, at 0


def test_days_since_last_with_no_activity_is_empty(con):
    rule = {
        "activity_types": ["note"],
        "measure": "days_since_last",
        "operator": "is_unknown",
        "points": 100,
    }
    known = {**rule, "operator": "is_known"}
    got = scores(con, {**BASE, "groups": [{"name": "E", "kind": "engagement", "max_points": 100,
                                           "rules": [rule]}]})  # fmt: skip
    assert {v[0] for v in got.values()} == {100}
    got = scores(con, {**BASE, "name": "T2", "groups": [{"name": "E", "kind": "engagement", "max_points": 100,
                                                         "rules": [known]}]})  # fmt: skip
    assert {v[0] for v in got.values()} == {0}
    since = {"activity_types": ["page_view"], "measure": "days_since_last", "operator": "eq", "value": 45,
             "points": 100}  # fmt: skip
    got = scores(con, {**BASE, "name": "T3", "groups": [{"name": "E", "kind": "engagement", "max_points": 100,
                                                         "rules": [since]}]})  # fmt: skip
    assert [k for k, v in got.items() if v[0] == 100] == [2]


@pytest.mark.parametrize(
    ("thresholds", "expected"),
    [({"at_risk_max": 33, "successful_min": 67},
      {33: "at_risk", 34: "neutral", 66: "neutral", 67: "successful"}),
     ({"at_risk_max": 0, "successful_min": 34},
      {33: "neutral", 34: "successful", 66: "successful", 67: "successful"})],
)  # fmt: skip
def test_thresholds_at_their_edges(con, thresholds, expected):
    rules = [
        {"when": [{"property": "employees", "operator": "eq", "value": n}], "points": n}
        for n in expected
    ]
    definition = {**BASE, "thresholds": thresholds, "record_filter": [
        {"property": "employees", "operator": "is_known"}],
        "groups": [{"name": "Size", "kind": "property", "max_points": 100, "rules": rules}]}  # fmt: skip
    got = scores(con, definition)
    assert {k: v[1] for k, v in got.items()} == expected
    assert {k: v[0] for k, v in got.items()} == {n: n for n in expected}


def test_the_record_filter_decides_what_is_scored(con):
    got = scores(
        con, {**BASE, "record_filter": [{"property": "segment", "operator": "eq", "value": "SMB"}]}
    )
    assert sorted(got) == [1, 6]


def test_a_stored_run_replaces_its_date_and_keeps_others(con):
    profile = health.save_profile(con, actor=None, definition=BASE, now=datetime(2026, 11, 1))
    health.run(con, profile, score_date=date(2026, 11, 27), now=datetime(2026, 11, 27, 6))
    health.run(con, profile, score_date=DAY, now=datetime(2026, 11, 28, 6))
    health.run(con, profile, score_date=DAY, now=datetime(2026, 11, 28, 7))
    rows = con.execute(
        "SELECT score_date, count(*) FROM health_scores GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert rows == [
        (date(2026, 11, 1), 11),
        (date(2026, 11, 27), 11),
        (DAY, 11),
    ]  # published on the 1st
    details = con.execute(
        "SELECT details FROM health_scores WHERE record_id = 1 AND score_date = ?", [DAY]
    ).fetchone()[0]
    explained = health.explain_details(details, profile)
    assert [(g["group"], g["points"], g["included"]) for g in explained["groups"]] == [
        ("Fit", 55, True), ("Engagement", 25, True)]  # fmt: skip
    assert [r["matched"] for r in explained["groups"][0]["rules"]] == [True, True, True]
    assert [r["matched"] for r in explained["groups"][1]["rules"]] == [True, False, False]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["groups"][0].update(max_points=50), "The groups' max_points add up to 90, not 100."),
        (lambda d: d["groups"][0]["rules"][0]["when"][0].update(property="tier"),
         "Group 1 (Fit), rule 1: There is no property 'tier' to filter on."),
        (lambda d: d["groups"][0]["rules"][1]["when"][0].update(operator="contains"),
         "Group 1 (Fit), rule 2: Latest NPS score cannot be filtered with 'contains' (a number property)."),
        (lambda d: d.update(thresholds={"at_risk_max": 70, "successful_min": 60}),
         "thresholds need whole numbers with 0 <= at_risk_max < successful_min <= 100."),
        (lambda d: d["groups"][1]["rules"][0].update(activity_types=["fax"]), "activity_types must list some of"),
        (lambda d: d["groups"][1]["rules"][0].pop("window_days"), "a count needs window_days"),
        (lambda d: d["groups"][1]["rules"][0].update(operator="contains"), "operator 'contains' does not fit"),
        (lambda d: d.update(missing_data="guess"), "missing_data must be no_points or redistribute"),
        (lambda d: d.update(object="planets"), "There is no object 'planets' to score."),
    ],
)  # fmt: skip
def test_invalid_profiles_are_refused_with_the_problem_named(con, change, problem):
    definition = copy.deepcopy(BASE)
    change(definition)
    with pytest.raises(ProfileError) as err:
        health.validate(con, definition)
    assert any(problem in p for p in err.value.problems), err.value.problems


def test_a_changed_live_profile_is_a_new_version(con):
    first = health.save_profile(con, actor=None, definition=BASE, now=datetime(2026, 11, 1))
    same = health.save_profile(con, actor=None, definition=BASE, now=datetime(2026, 11, 2))
    changed = copy.deepcopy(BASE)
    changed["groups"][0]["rules"][0]["points"] = 35
    newer = health.save_profile(con, actor=None, definition=changed, now=datetime(2026, 11, 3))
    assert (first.version, same.version, newer.version) == (1, 1, 2)
    assert [v for v, _ in health.profiles.version_changes(con, first.id)] == [1, 2]


# Company 1 has 2 meetings/calls in the 30-day window; company 5 has 2; company 2 has none (0).
@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [("eq", 2, {1, 5}), ("neq", 2, set(COMPANIES) - {1, 5}), ("gt", 1, {1, 5}), ("gte", 3, set()),
     ("lt", 1, set(COMPANIES) - {1, 5}), ("lte", 2, set(COMPANIES)), ("between", [1, 2], {1, 5}),
     ("is_known", None, set(COMPANIES)), ("is_unknown", None, set())],
)  # fmt: skip
def test_every_engagement_operator_on_a_count(con, operator, value, expected):
    rule = {"activity_types": ["meeting", "call"], "window_days": 30, "measure": "count", "operator": operator,
            "points": 100}  # fmt: skip
    if value is not None:
        rule["value"] = value
    got = scores(con, {**BASE, "name": f"op {operator}", "groups": [
        {"name": "E", "kind": "engagement", "max_points": 100, "rules": [rule]}]})  # fmt: skip
    assert {k for k, v in got.items() if v[0] == 100} == expected


def test_publish_check_counts_records_overlaps_and_records_without_data(con):
    """What the editor shows before publishing (HS-4): scored records by category, records a
    live profile already scores, and records with no data for any group."""
    from cs_core.health.profiles import Profile
    from cs_core.health.reports import publish_check

    draft_definition = health.validate(con, {**BASE, "status": "draft"})
    draft = Profile(None, "Test", "companies", "draft", 0, draft_definition)
    alone = publish_check(con, draft, day=DAY)
    assert alone.records == len(COMPANIES) and sum(alone.categories.values()) == len(COMPANIES)
    assert (alone.overlap, alone.overlap_profiles) == (0, ())
    # 3, 33, 34, 66 and 67 have neither a fit value nor an activity.
    assert alone.no_data == 5 and not alone.mostly_without_data
    # Another live profile scoring the SMB companies (1 and 6) overlaps on those two.
    other = {
        **BASE,
        "name": "Other",
        "record_filter": [{"property": "segment", "operator": "eq", "value": "SMB"}],
    }
    health.save_profile(con, actor=None, definition=other, now=datetime(2026, 11, 28, 12))
    check = publish_check(con, draft, day=DAY)
    assert (check.overlap, check.overlap_profiles) == (2, ("Other",))
    # Rules on a property nobody has filled: most records have no data.
    empty = copy.deepcopy(draft_definition)
    empty["groups"] = [{**FIT, "rules": [{"when": [{"property": "annual_revenue", "operator": "gt", "value": 1}],
                                          "points": 10}], "max_points": 100}]  # fmt: skip
    blank = publish_check(
        con, Profile(None, "Blank", "companies", "draft", 0, health.validate(con, empty)), day=DAY
    )
    assert blank.no_data == blank.records == len(COMPANIES) and blank.mostly_without_data
