"""The filter builder, table-driven: every operator and type, empty values, injection."""

from datetime import date, datetime

import pytest

from cs_core import db, filters, records
from cs_core.filters import FilterError, compile_filter, describe, normalise

TODAY = date(2026, 11, 28)
# id, name, segment, employees, renewal_date, csm_id, last_activity_at, nps
ROWS = [
    (1, "Acme Analytics", "Enterprise", 1200, date(2027, 1, 15), 4, datetime(2026, 11, 27, 9), 9.0),
    (2, "  acme analytics ", "SMB", 12, date(2026, 12, 1), 5, datetime(2026, 8, 1, 9), None),
    (3, "Blue Harbor Logistics", "Mid-Market", 250, None, 4, None, 3.0),
    (4, "Northwind Health", "", 80, date(2026, 11, 28), None, datetime(2026, 11, 28, 23), 7.0),
    (5, "O'Brien & Sons; DROP TABLE companies", None, None, date(2025, 11, 28), 6,
     datetime(2026, 10, 29, 0), 10.0),
]  # fmt: skip


@pytest.fixture
def con(empty_con):
    def fill(cur):
        for r in ROWS:
            cur.execute(
                "INSERT INTO companies (id, name, segment, employees, renewal_date, csm_id, "
                "last_activity_at, nps, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*r, datetime(2026, 1, 1), datetime(2026, 1, 1)],
            )

    db.write(empty_con, fill)
    return empty_con


@pytest.fixture
def props(con):
    return {p.name: p for p in records.list_properties(con, "companies")}


def ids(con, props, spec, **kw):
    compiled = compile_filter(spec, props, today=TODAY, **kw)
    rows = con.execute(
        f"SELECT id FROM companies r WHERE {compiled.sql} ORDER BY id", compiled.params
    ).fetchall()
    return [r[0] for r in rows]


def c(prop, op, value=None):
    return {"property": prop, "operator": op, "value": value}


CASES = [
    # strings: case-insensitive and trimmed; blank is unknown
    (c("name", "eq", "ACME analytics"), [1, 2]),
    (c("name", "neq", "acme analytics"), [3, 4, 5]),
    (c("name", "contains", "HARBOR"), [3]),
    (c("name", "in", ["northwind health", "Acme Analytics"]), [1, 2, 4]),
    (c("name", "not_in", ["northwind health"]), [1, 2, 3, 5]),
    (c("segment", "is_known"), [1, 2, 3]),
    (c("segment", "is_unknown"), [4, 5]),
    (c("segment", "neq", "SMB"), [1, 3]),  # unknown is not "different"
    (c("segment", "not_in", ["SMB"]), [1, 3]),
    # numbers
    (c("employees", "gt", 250), [1]),
    (c("employees", "gte", "250"), [1, 3]),
    (c("employees", "lt", 80), [2]),
    (c("employees", "lte", 80), [2, 4]),
    (c("employees", "between", [12, 250]), [2, 3, 4]),
    (c("employees", "eq", 12), [2]),
    (c("employees", "neq", 12), [1, 3, 4]),
    (c("employees", "in", [12, 80]), [2, 4]),
    (c("nps", "is_unknown"), [2]),
    # dates: relative to TODAY (inclusive), and datetimes compare by their date
    (c("renewal_date", "gt", "2026-12-01"), [1]),
    (c("renewal_date", "between", ["2026-11-28", "2026-12-31"]), [2, 4]),
    (c("renewal_date", "eq", "2026-11-28"), [4]),
    (c("renewal_date", "more_than_days_ago", 30), [5]),
    # "the last N days" are the N calendar days ending today: N = 1 is today (28 Nov), N = 30 is
    # 30 Oct .. 28 Nov (29 Oct, 00:00 is the day before them)
    (c("last_activity_at", "in_last_days", 1), [4]),
    (c("last_activity_at", "in_last_days", 2), [1, 4]),
    (c("last_activity_at", "in_last_days", 30), [1, 4]),
    (c("last_activity_at", "in_last_days", 31), [1, 4, 5]),
    (c("last_activity_at", "more_than_days_ago", 30), [2]),
    # "the next N days" are the N calendar days starting today: N = 1 is today (28 Nov), N = 4
    # reaches 1 Dec, N = 49 reaches 15 Jan; a renewal a year ago is in no "next" window
    (c("renewal_date", "in_next_days", 1), [4]),
    (c("renewal_date", "in_next_days", 3), [4]),
    (c("renewal_date", "in_next_days", 4), [2, 4]),
    (c("renewal_date", "in_next_days", 48), [2, 4]),
    (c("renewal_date", "in_next_days", 49), [1, 2, 4]),
    (c("renewal_date", "in_next_days", 0), []),
    (c("last_activity_at", "in_next_days", 1), [4]),
    (c("last_activity_at", "in_next_days", 90), [4]),
    (c("last_activity_at", "lt", "2026-11-28"), [1, 2, 5]),
    # users, and "me"
    (c("csm_id", "eq", 4), [1, 3]),
    (c("csm_id", "in", [5, 6]), [2, 5]),
    (c("csm_id", "neq", 4), [2, 5]),
    (c("csm_id", "eq", "$me"), [2]),
    (c("$owner", "eq", "$me"), [2]),
    (c("csm_id", "is_unknown"), [4]),
]


@pytest.mark.parametrize(
    ("cond", "expected"), CASES, ids=[f"{c['property']}-{c['operator']}" for c, _ in CASES]
)
def test_each_operator_selects_exactly(con, props, cond, expected):
    assert ids(con, props, [[cond]], me=5, owner="csm_id") == expected


def test_and_inside_a_group_or_between_groups(con, props):
    spec = [
        [c("csm_id", "eq", 4), c("employees", "gt", 500)],
        [c("segment", "eq", "smb")],
    ]
    assert ids(con, props, spec) == [1, 2]


def test_empty_spec_and_empty_groups_match_everything(con, props):
    assert ids(con, props, []) == [1, 2, 3, 4, 5]
    assert ids(con, props, [[], []]) == [1, 2, 3, 4, 5]
    assert ids(con, props, None) == [1, 2, 3, 4, 5]


def test_a_flat_condition_list_is_one_group():
    assert normalise([c("name", "eq", "x")]) == [[c("name", "eq", "x")]]
    assert normalise('[[{"property": "name", "operator": "is_known"}]]') == [
        [{"property": "name", "operator": "is_known"}]
    ]


def test_values_are_parameters_never_sql(con, props):
    evil = "x'); DROP TABLE companies; --"
    assert ids(con, props, [[c("name", "eq", evil)]]) == []
    assert ids(con, props, [[c("name", "contains", "drop table")]]) == [5]
    compiled = compile_filter([[c("name", "eq", evil)]], props, today=TODAY)
    assert "DROP" not in compiled.sql
    assert con.execute("SELECT count(*) FROM companies").fetchone()[0] == 5


@pytest.mark.parametrize(
    ("cond", "message"),
    [
        (c('name" = name OR "1', "eq", "x"), "There is no property 'name\" = name OR \"1' to filter on."),
        (c("no_such", "eq", "x"), "There is no property 'no_such' to filter on."),
        (c("name", "gt", "b"), "Company name cannot be filtered with 'gt' (a string property)."),
        (c("employees", "contains", "1"), "Number of employees cannot be filtered with 'contains'"),
        (c("name", "drop", "x"), "cannot be filtered with 'drop'"),
        (c("employees", "gt", "a lot"), "Number of employees needs a number, not 'a lot'."),
        (c("employees", "gt", True), "needs a number"),
        (c("renewal_date", "lt", "next week"), "Renewal date needs a date (YYYY-MM-DD), not 'next week'."),
        (c("renewal_date", "in_last_days", "ten"), "the number of days must be a whole number"),
        (c("renewal_date", "in_last_days", -3), "the number of days cannot be negative"),
        (c("employees", "between", [10]), "'between' needs a low and a high value."),
        (c("employees", "between", [100, 10]), "the low value is above the high value."),
        (c("name", "in", []), "choose at least one value."),
        (c("name", "eq", "  "), "enter a value to compare with."),
        (c("csm_id", "eq", "$me"), "'me' needs a signed-in user."),
        (c("csm_id", "eq", "Lucas"), "needs a user or id"),
        (c("$owner", "eq", 1), "This object has no owner property in settings."),
    ],
)  # fmt: skip
def test_bad_conditions_are_refused_with_a_message(props, cond, message):
    with pytest.raises(FilterError) as err:
        compile_filter([[cond]], props, today=TODAY)
    assert message in str(err.value)


@pytest.mark.parametrize("spec", ["{not json", {"property": "name"}, [["not a condition"]], [5]])
def test_malformed_specs_are_refused(props, spec):
    with pytest.raises(FilterError):
        compile_filter(spec, props, today=TODAY)


def test_describe_says_a_condition_in_words(props):
    assert (
        describe(c("renewal_date", "lt", "2027-01-01"), props)
        == "Renewal date is before 2027-01-01"
    )
    assert (
        describe(c("employees", "between", [10, 50]), props)
        == "Number of employees is between 10 and 50"
    )
    assert (
        describe(c("$owner", "eq", "$me"), props, owner="csm_id")
        == "Customer Success Manager is me"
    )
    assert (
        describe(c("segment", "in", ["SMB", "Enterprise"]), props)
        == "Segment is any of SMB, Enterprise"
    )
    assert (
        describe(c("last_activity_at", "in_last_days", 30), props)
        == "Last activity date is in the last 30 days"
    )
    assert (
        describe(c("renewal_date", "in_next_days", 90), props)
        == "Renewal date is in the next 90 days"
    )


def test_applicable_skips_half_written_conditions_and_says_why(props):
    from cs_core.filters import applicable

    spec = [[c("segment", "eq", "SMB"), c("name", "eq", None)], [c("employees", "gt", "many")]]
    kept, problems = applicable(spec, props, today=TODAY)
    assert kept == [[c("segment", "eq", "SMB")]]
    assert problems == ["Company name: enter a value to compare with.",
                        "Number of employees needs a number, not 'many'."]  # fmt: skip


VALUES = ("$me", ["$me", 5], [5, "$me"], 5, 4, [4, 5], "x", 30, [0, 1], [1, 30], True, "2026-01-01",
          None, {"object": "companies", "id": 1})  # fmt: skip


def test_uses_me_is_true_for_every_filter_whose_records_depend_on_the_acting_user(props):
    """Sound: a spec that compiles differently for two acting users is one that uses_me names
    (a result cached without the user would be wrong for one of them); and exact on these
    cases: a spec that does not name the user compiles the same for both."""
    from cs_core.filters import OPERATORS_BY_TYPE, uses_me

    differing = same = 0
    for prop in props.values():
        for op in OPERATORS_BY_TYPE[prop.type]:
            for value in VALUES:
                for spec in ([[c(prop.name, op, value)]],
                             [[c("employees", "gt", 10)], [c(prop.name, op, value), c("name", "is_known")]]):  # fmt: skip
                    try:
                        as_4 = compile_filter(spec, props, today=TODAY, me=4)
                        as_6 = compile_filter(spec, props, today=TODAY, me=6)
                    except FilterError:
                        continue
                    if as_4 != as_6:
                        differing += 1
                        assert uses_me(spec), spec
                    else:
                        same += 1
                        assert uses_me(spec) == (value == "$me" or "$me" in (value if isinstance(value, list) else [])
                                                 or op == "assigned_to_me_in_last_days"), spec  # fmt: skip
    assert differing >= 10 and same >= 100  # the cases reached both sides
    assert uses_me([]) is False and uses_me(None) is False
    assert (
        uses_me("not json") is True
    )  # unreadable: counted as naming the user (and refused when run)


def test_a_filter_names_the_tables_it_looks_up_beside_the_records_own():
    """What a cache keyed on a query's tables adds for its filter (cs_core.reports.results)."""
    assigned = {"property": "$owner", "operator": "assigned_to_me_in_last_days", "value": 30}
    run = {"property": filters.IMPORT_RUN, "operator": "eq", "value": 4}
    plain = {"property": "segment", "operator": "eq", "value": "Enterprise"}
    assert filters.tables_looked_up([[plain]]) == set()
    assert filters.tables_looked_up([[plain], [assigned]]) == {"property_history"}
    assert filters.tables_looked_up([assigned, plain]) == {"property_history"}  # one flat group
    assert filters.tables_looked_up([[run]]) == {"import_run_records"}
    assert filters.tables_looked_up("not json") == {"property_history", "import_run_records"}
