"""Reports as code (spec/reports.md): every rule of the definition and of the result, on a
hand-made workspace, and the spec's own example on the real Telco customers."""

from datetime import UTC, date, datetime

import pytest

from cs_core import db, imports, reports
from cs_core.reports import ReportError
from tests.core.test_health_telco import TELCO

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
STAMP = datetime(2026, 1, 1)
# id: name, segment, employees, nps, csm, customer_since
COMPANIES = {
    1: ("Acme", "SMB", 10, 9, 10, date(2025, 12, 29)),  # a Monday: ISO week 2026-W01 starts here
    2: ("Globex", "SMB", 30, 7, 10, date(2026, 1, 4)),  # Sunday of that same week
    3: ("Initech", "Enterprise", 500, None, 11, date(2026, 1, 5)),
    4: ("Umbrella", "Enterprise", 700, 3, None, date(2026, 4, 1)),
    5: ("Hooli", "  ", 40, 8, 11, None),  # a blank segment: the empty group
}


def _rep(**fields):
    return reports.parse({"name": "r", "source": "object:companies", **fields})


def _fill(cur):
    for uid, name in ((10, "Kei"), (11, "Ana")):
        cur.execute("INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)",
                    [uid, name, f"{name.lower()}@example.com", STAMP])  # fmt: skip
    for cid, (name, segment, employees, nps, csm, since) in COMPANIES.items():
        cur.execute("INSERT INTO companies (id, name, segment, employees, nps, csm_id, customer_since, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [cid, name, segment, employees, nps, csm, since, STAMP, STAMP])  # fmt: skip


@pytest.fixture
def con(empty_con):
    db.write(empty_con, _fill)
    return empty_con


def _run(con, **fields):
    return reports.run(con, _rep(**fields), now=NOW).as_json()


def test_zero_dimensions_always_give_one_row(con):
    assert _run(con, measure={"op": "count"}) == {"columns": ["value"], "rows": [[5]]}
    none = [[{"property": "employees", "operator": "gt", "value": 10_000}]]
    assert _run(con, measure={"op": "count"}, filters=none)["rows"] == [[0]]
    assert _run(con, measure={"op": "count_distinct", "property": "segment"}, filters=none)[
        "rows"
    ] == [[0]]
    assert _run(con, measure={"op": "avg", "property": "nps"}, filters=none)["rows"] == [[None]]


def test_ops_skip_empty_values_and_median_of_an_even_count_is_the_mean_of_the_middle_two(con):
    assert _run(con, measure={"op": "count_distinct", "property": "segment"})["rows"] == [
        [2]
    ]  # blank skipped
    assert _run(con, measure={"op": "avg", "property": "nps"})["rows"] == [[6.75]]  # (9+7+3+8)/4
    assert _run(con, measure={"op": "median", "property": "nps"})["rows"] == [[7.5]]  # 3 7 | 8 9
    assert _run(con, measure={"op": "sum", "property": "employees"})["rows"] == [[1280.0]]
    assert _run(con, measure={"op": "min", "property": "nps"})["rows"] == [[3.0]]
    assert _run(con, measure={"op": "max", "property": "employees"})["rows"] == [[700.0]]


def test_one_dimension_with_the_empty_group_last(con):
    found = _run(con, measure={"op": "count"}, dimensions=[{"property": "segment"}])
    assert found == {
        "columns": ["segment", "value"],
        "rows": [["Enterprise", 2], ["SMB", 2], [None, 1]],
    }
    by_csm = _run(
        con, measure={"op": "sum", "property": "employees"}, dimensions=[{"property": "csm_id"}]
    )
    assert by_csm["rows"] == [["Ana", 540.0], ["Kei", 40.0], [None, 700.0]]  # users by name


def test_date_grains(con):
    week = _run(
        con, measure={"op": "count"}, dimensions=[{"property": "customer_since", "grain": "week"}]
    )
    assert week == {"columns": ["customer_since_week", "value"],
                    "rows": [["2025-12-29", 2], ["2026-01-05", 1], ["2026-03-30", 1], [None, 1]]}  # fmt: skip
    quarter = _run(
        con,
        measure={"op": "count"},
        dimensions=[{"property": "customer_since", "grain": "quarter"}],
    )
    assert quarter["rows"] == [["2025-Q4", 1], ["2026-Q1", 2], ["2026-Q2", 1], [None, 1]]
    month = _run(
        con, measure={"op": "count"}, dimensions=[{"property": "customer_since", "grain": "month"}]
    )
    assert month["rows"] == [["2025-12", 1], ["2026-01", 2], ["2026-04", 1], [None, 1]]
    year = _run(
        con, measure={"op": "count"}, dimensions=[{"property": "customer_since", "grain": "year"}]
    )
    assert year["rows"] == [["2025", 1], ["2026", 3], [None, 1]]
    day = _run(
        con, measure={"op": "count"}, dimensions=[{"property": "created_at", "grain": "day"}]
    )
    assert day["rows"] == [["2026-01-01", 5]]


def test_measure_desc_with_two_dimensions_and_a_limit(con):
    two = dict(measure={"op": "sum", "property": "employees"}, dimensions=[{"property": "segment"}, {"property": "csm_id"}],
               sort="measure_desc")  # fmt: skip
    # Segments by their total: Enterprise (1,200), then SMB and the empty group (40 each: tied,
    # so by key, the empty group last); inside a segment, its rows by their own sum.
    assert _run(con, **two)["rows"] == [["Enterprise", None, 700.0], ["Enterprise", "Ana", 500.0],
                                        ["SMB", "Kei", 40.0], [None, "Ana", 40.0]]  # fmt: skip
    assert _run(con, **two, limit=1)["rows"] == [
        ["Enterprise", None, 700.0],
        ["Enterprise", "Ana", 500.0],
    ]
    one = _run(
        con,
        measure={"op": "count"},
        dimensions=[{"property": "segment"}],
        sort="measure_desc",
        limit=2,
    )
    assert one["rows"] == [["Enterprise", 2], ["SMB", 2]]
    dim = _run(
        con, measure={"op": "count"}, dimensions=[{"property": "segment"}, {"property": "csm_id"}]
    )
    assert dim["rows"] == [
        ["Enterprise", "Ana", 1],
        ["Enterprise", None, 1],
        ["SMB", "Kei", 2],
        [None, "Ana", 1],
    ]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (dict(source="object:nope", measure={"op": "count"}), "there is no object 'nope'"),
        (dict(source="sql:drop", measure={"op": "count"}), "Unknown source 'sql:drop'"),
        (dict(measure={"op": "mode", "property": "nps"}), "Unknown op 'mode'"),
        (dict(measure={"op": "sum", "property": "segment"}), "sum needs a number property; 'Segment' is"),
        (dict(measure={"op": "count"}, dimensions=[{"property": "segment", "grain": "month"}]),
         "A grain groups a date or datetime"),
        (dict(measure={"op": "count"}, dimensions=[{"property": "x"}] * 3), "at most two dimensions"),
        (dict(measure={"op": "count"}, chart="number", dimensions=[{"property": "segment"}]),
         "A number chart has no dimensions."),
        (dict(measure={"op": "count"}, limit=0), "limit is a positive whole number"),
        (dict(measure={"op": "count"}, sort="random"), "Unknown sort 'random'"),
        (dict(measure={"op": "count"}, chart="radar"), "Unknown chart 'radar'"),
        (dict(measure={"op": "count"}, dimensions=[{"property": "secret"}]), "Unknown property 'secret' to group by."),
        (dict(measure={"op": "count"}, filters=[[{"property": "nps", "operator": "resembles", "value": 1}]]),
         "Filters:"),
    ],
)  # fmt: skip
def test_a_bad_definition_is_refused_naming_the_problem(con, fields, problem):
    with pytest.raises(ReportError) as err:
        reports.run(con, _rep(**fields), now=NOW)
    assert any(problem in p for p in err.value.problems), err.value.problems


def test_every_problem_is_named_at_once():
    with pytest.raises(ReportError) as err:
        reports.parse(
            {"source": "object:companies", "measure": {"op": "mode"}, "chart": "radar", "limit": -1}
        )
    assert len(err.value.problems) == 4  # name, op, limit, chart


def test_the_specs_example_on_the_telco_customers(empty_con):
    imports.import_file(
        empty_con, TELCO, object_name="companies", actor=None, now=datetime(2026, 11, 1, tzinfo=UTC)
    )
    found = reports.run(empty_con, reports.parse({
        "name": "Monthly charges by contract", "source": "object:companies",
        "filters": [[{"property": "tenure", "operator": "gte", "value": 12}]],
        "measure": {"op": "avg", "property": "monthly_charges"}, "dimensions": [{"property": "contract"}],
        "sort": "dimension", "limit": None, "chart": "bar"}), now=NOW).as_json()  # fmt: skip
    assert found["columns"] == ["contract", "value"]
    expected = [
        ["Month-to-month", 74.52346212506355],
        ["One year", 67.41254558716265],
        ["Two year", 61.813233496332515],
    ]
    assert [r[0] for r in found["rows"]] == [r[0] for r in expected]
    for (_, got), (_, want) in zip(found["rows"], expected, strict=True):
        assert got == pytest.approx(
            want, rel=1e-12
        )  # full double precision, summed in another order


def test_the_command_line_runs_a_file_and_a_saved_report_and_exports_csv(tmp_path):
    import json

    from tests.core.test_cli import run

    path = tmp_path / "w.duckdb"
    made = db.open_workspace(str(path))
    db.write(made, _fill)
    made.close()
    spec = {"name": "Employees by segment", "source": "object:companies", "measure": {"op": "sum", "property": "employees"},
            "dimensions": [{"property": "segment"}], "chart": "bar"}  # fmt: skip
    file = tmp_path / "report.json"
    file.write_text(json.dumps(spec))
    out = run(
        "report", "run", str(file), "--db", str(path), "--json", "--now", "2026-06-01T12:00:00Z"
    )
    assert json.loads(out.stdout) == {"columns": ["segment", "value"],
                                      "rows": [["Enterprise", 1200.0], ["SMB", 40.0], [None, 40.0]]}  # fmt: skip
    target = db.open_workspace(str(path))
    db.write(target, lambda cur: cur.execute("INSERT INTO reports VALUES (1, 'Saved one', NULL, ?, ?, ?)",
                                             [json.dumps({**spec, "name": "Saved one"}), STAMP, STAMP]))  # fmt: skip
    db.write(
        target,
        lambda cur: cur.execute("UPDATE companies SET segment = '=HYPERLINK(\"x\")' WHERE id = 1"),
    )
    target.close()
    csv = tmp_path / "out.csv"
    out = run("report", "export", "--name", "Saved one", "--db", str(path), "--out", str(csv))
    assert "4 rows written" in out.stdout
    # Acme's segment is now a formula: its own group, first by code point, neutralised.
    assert csv.read_bytes().decode().splitlines() == [
        "segment,value", '"\'=HYPERLINK(""x"")",10.0', "Enterprise,1200.0", "SMB,30.0", ",40.0"]  # fmt: skip
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**spec, "measure": {"op": "sum", "property": "segment"}}))
    refused = run("report", "run", str(bad), "--db", str(path), code=1)
    assert "sum needs a number property; 'Segment' is an enumeration property." in refused.output


def test_tasks_activities_health_and_retention_sources_on_the_demo(demo_con):
    from tests.conftest import NOW as DEMO_NOW

    def run_(spec):
        return reports.run(demo_con, reports.parse({"name": "r", **spec}), now=DEMO_NOW).as_json()[
            "rows"
        ]

    tasks = run_({"source": "tasks", "measure": {"op": "count"}, "dimensions": [{"property": "owner"}],
                  "filters": [[{"property": "status", "operator": "eq", "value": "open"}]]})  # fmt: skip
    expected = demo_con.execute(
        "SELECT u.name, count(*) FROM tasks t LEFT JOIN users u ON u.id = t.owner_id WHERE t.status = 'open' "
        "GROUP BY 1 ORDER BY 1 NULLS LAST").fetchall()  # fmt: skip
    assert tasks == [list(r) for r in expected]
    monthly = run_({"source": "activities", "measure": {"op": "count"},
                    "dimensions": [{"property": "occurred_at", "grain": "month"}, {"property": "activity_type"}]})  # fmt: skip
    expected = demo_con.execute(
        "SELECT strftime(occurred_at, '%Y-%m'), activity_type, count(*) FROM activities GROUP BY ALL "
        "ORDER BY 1, 2").fetchall()  # fmt: skip
    assert monthly == [list(r) for r in expected]
    history = run_({"source": "health:SMB", "measure": {"op": "avg", "property": "score"},
                    "dimensions": [{"property": "score_date", "grain": "month"}]})  # fmt: skip
    expected = demo_con.execute(
        "SELECT strftime(h.score_date, '%Y-%m'), avg(h.score) FROM health_scores h JOIN health_profiles p "
        "ON p.id = h.profile_id WHERE p.name = 'SMB' GROUP BY 1 ORDER BY 1").fetchall()  # fmt: skip
    assert [r[0] for r in history] == [r[0] for r in expected]
    assert [r[1] for r in history] == pytest.approx([r[1] for r in expected], rel=1e-12)
    nrr = run_({"source": "retention:subscriptions", "measure": {"op": "nrr"},
                "dimensions": [{"property": "period", "grain": "quarter"}], "from": "2025-01-01", "to": "2026-01-01"})  # fmt: skip
    from cs_core import retention

    found = retention.retention(demo_con, source=retention.default_source(demo_con), grain="quarter",
                                first=date(2025, 1, 1), last=date(2026, 1, 1))  # fmt: skip
    assert nrr == [[p.period, p.nrr] for p in found.periods] and len(nrr) == 4


def test_saved_reports_for_those_who_may_edit_them(demo_con):
    from cs_core.reports import saved
    from cs_core.users import PermissionDenied, get_user
    from tests.conftest import CSM, SETTINGS_MANAGER
    from tests.conftest import NOW as DEMO_NOW

    manager, csm = get_user(demo_con, SETTINGS_MANAGER), get_user(demo_con, CSM)
    spec = {"name": "Open tasks by owner", "source": "tasks", "measure": {"op": "count"},
            "dimensions": [{"property": "owner"}], "chart": "bar"}  # fmt: skip
    with pytest.raises(PermissionDenied):
        saved.save(demo_con, actor=csm, definition=spec, now=DEMO_NOW)
    first = saved.save(demo_con, actor=manager, definition=spec, now=DEMO_NOW)
    assert (first.name, first.owner_id, first.report.source) == (
        "Open tasks by owner",
        SETTINGS_MANAGER,
        "tasks",
    )
    with pytest.raises(ReportError, match="There is already a report named 'open tasks by owner'"):
        saved.save(
            demo_con,
            actor=manager,
            definition={**spec, "name": "open tasks by owner"},
            now=DEMO_NOW,
        )
    with pytest.raises(ReportError, match="Unknown property 'nope' to group by."):
        saved.save(demo_con, actor=manager, definition={**spec, "dimensions": [{"property": "nope"}]}, now=DEMO_NOW,
                   report_id=first.id, opened_at=first.updated_at)  # fmt: skip
    later = DEMO_NOW.replace(hour=16)
    renamed = saved.save(demo_con, actor=manager, definition={**spec, "name": "Tasks by owner"}, now=later,
                         report_id=first.id, opened_at=first.updated_at)  # fmt: skip
    assert renamed.name == "Tasks by owner"
    with pytest.raises(
        ReportError, match="Someone saved this report since you opened it"
    ):  # a stale editor
        saved.save(demo_con, actor=manager, definition={**spec, "chart": "pie"}, now=later, report_id=first.id,
                   opened_at=first.updated_at)  # fmt: skip
    copy = saved.duplicate(demo_con, actor=manager, report_id=first.id, now=later)
    again = saved.duplicate(demo_con, actor=manager, report_id=first.id, now=later)
    assert (copy.name, again.name) == ("Copy of Tasks by owner", "Copy of Tasks by owner (2)")
    saved.delete(demo_con, actor=manager, report_id=copy.id)
    mine = [s.name for s in saved.list_saved(demo_con) if "Tasks by owner" in s.name]
    assert mine == ["Copy of Tasks by owner (2)", "Tasks by owner"]


def test_the_command_line_saves_a_file_as_a_report_and_lists_them(tmp_path):
    import json

    from tests.core.test_cli import run

    path = tmp_path / "w.duckdb"
    made = db.open_workspace(str(path))
    db.write(made, _fill)
    made.close()
    spec = {"name": "Employees by segment", "source": "object:companies", "measure": {"op": "sum", "property": "employees"},
            "dimensions": [{"property": "segment"}], "chart": "bar"}  # fmt: skip
    file = tmp_path / "report.json"
    file.write_text(json.dumps(spec))
    assert (
        run("report", "save", str(file), "--db", str(path)).stdout.strip()
        == "Saved report 'Employees by segment' (id 1)."
    )
    file.write_text(
        json.dumps({**spec, "chart": "pie"})
    )  # edited in version control, saved again: same report
    assert (
        run("report", "save", str(file), "--db", str(path)).stdout.strip()
        == "Updated report 'Employees by segment' (id 1)."
    )
    listed = json.loads(run("report", "list", "--db", str(path), "--json").stdout)
    assert listed == [
        {"id": 1, "name": "Employees by segment", "source": "object:companies", "chart": "pie"}
    ]
    assert run("report", "list", "--db", str(path)).stdout.splitlines() == [
        "id\tname\tsource\tchart", "1\tEmployees by segment\tobject:companies\tpie"]  # fmt: skip
    file.write_text(json.dumps({**spec, "name": "Other", "dimensions": [{"property": "nope"}]}))
    refused = run("report", "save", str(file), "--db", str(path), code=1)
    assert "The report was not saved:\n- Unknown property 'nope' to group by." in refused.output
    refused = run(
        "report", "save", str(file), "--db", str(path), "--as", "nobody@example.com", code=2
    )
    assert "there is no active user with the email 'nobody@example.com'" in refused.output
    assert len(json.loads(run("report", "list", "--db", str(path), "--json").stdout)) == 1


def test_number_keys_sort_numerically_empty_groups_do_not_appear_and_an_op_over_no_values_is_null(
    con,
):
    by_nps = _run(con, measure={"op": "count"}, dimensions=[{"property": "nps"}])
    assert by_nps["rows"] == [
        [3.0, 1],
        [7.0, 1],
        [8.0, 1],
        [9.0, 1],
        [None, 1],
    ]  # 3 < 7 < 8 < 9, not text order
    enterprise = [
        [{"property": "segment", "operator": "eq", "value": " enterprise "}]
    ]  # trimmed, any case
    found = _run(
        con,
        measure={"op": "avg", "property": "nps"},
        dimensions=[{"property": "csm_id"}],
        filters=enterprise,
    )
    # Initech (Ana) has no NPS: Ana's average is over no values; Umbrella has no CSM: NPS 3.
    # Kei owns no Enterprise company: no row for Kei (no zero-filling).
    assert found["rows"] == [["Ana", None], [None, 3.0]]


def test_datetimes_are_bucketed_in_the_workspace_zone_by_their_instant(empty_con):
    # Stored UTC: 23:30 on 31 March is March and Q1, ten past midnight on 1 April is April and Q2;
    # a Sunday late evening belongs to the week of the Monday before.
    moments = [datetime(2026, 3, 31, 23, 30), datetime(2026, 4, 1, 0, 10), datetime(2026, 4, 5, 23, 59),
               datetime(2026, 4, 6, 0, 0)]  # fmt: skip

    def fill(cur):
        cur.execute(
            "INSERT INTO users (id, name, email, created_at) VALUES (7, 'Kei', 'k@example.com', ?)",
            [STAMP],
        )
        for i, moment in enumerate(moments, start=1):
            cur.execute("INSERT INTO activities (id, activity_type, occurred_at, user_id) VALUES (?, ?, ?, ?)",
                        [i, "call" if i % 2 else "email", moment, 7 if i < 4 else None])  # fmt: skip

    db.write(empty_con, fill)

    def run(**fields):
        spec = {"name": "a", "source": "activities", "measure": {"op": "count"}, **fields}
        return reports.run(empty_con, reports.parse(spec), now=NOW).as_json()["rows"]

    assert run(dimensions=[{"property": "occurred_at", "grain": "month"}]) == [
        ["2026-03", 1],
        ["2026-04", 3],
    ]
    assert run(dimensions=[{"property": "occurred_at", "grain": "quarter"}]) == [
        ["2026-Q1", 1],
        ["2026-Q2", 3],
    ]
    assert run(dimensions=[{"property": "occurred_at", "grain": "week"}]) == [
        ["2026-03-30", 3],
        ["2026-04-06", 1],
    ]
    assert run(dimensions=[{"property": "occurred_at", "grain": "day"}, {"property": "activity_type"}]) == [
        ["2026-03-31", "call", 1], ["2026-04-01", "email", 1], ["2026-04-05", "call", 1], ["2026-04-06", "email", 1]]  # fmt: skip
    assert run(dimensions=[{"property": "user"}], sort="measure_desc") == [["Kei", 3], [None, 1]]
