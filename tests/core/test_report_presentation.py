"""A report as people read it (DSH-3): titles and labels instead of codes, zero-filled time
buckets for line and area charts, a single number's previous period."""

from datetime import UTC, datetime

import pytest

from cs_core.reports import engine, presentation
from cs_core.reports.definition import parse
from cs_core.reports.engine import Result
from tests.conftest import NOW


@pytest.mark.parametrize(
    ("grain", "first", "last", "expected"),
    [
        ("day", "2026-02-27", "2026-03-01", ["2026-02-27", "2026-02-28", "2026-03-01"]),
        ("week", "2025-12-22", "2026-01-05", ["2025-12-22", "2025-12-29", "2026-01-05"]),
        ("month", "2025-11", "2026-02", ["2025-11", "2025-12", "2026-01", "2026-02"]),
        ("quarter", "2025-Q3", "2026-Q2", ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]),
        ("year", "2024", "2026", ["2024", "2025", "2026"]),
    ],
)
def test_every_bucket_of_a_grain_between_two_keys(grain, first, last, expected):
    assert presentation.buckets(grain, first, last) == expected


def _table(report, rows):
    return presentation.Table(("x", "s", "v")[: len(report.dimensions)] + ("v",), tuple(rows), tuple(rows),
                              tuple(d.grain for d in report.dimensions), False)  # fmt: skip


def test_line_charts_fill_missing_buckets_with_zero_per_series():
    report = parse({"name": "r", "source": "tasks", "measure": {"op": "count"}, "chart": "line",
                    "dimensions": [{"property": "created_at", "grain": "month"}, {"property": "owner"}]})  # fmt: skip
    rows = [("2026-01", "Ana", 2), ("2026-03", "Ana", 1), ("2026-02", "Kei", 4)]
    assert presentation.zero_filled(_table(report, rows)) == [
        ("2026-01", "Ana", 2), ("2026-02", "Ana", 0), ("2026-03", "Ana", 1),
        ("2026-01", "Kei", 0), ("2026-02", "Kei", 4), ("2026-03", "Kei", 0),
    ]  # fmt: skip
    plain = parse(
        {
            "name": "r",
            "source": "tasks",
            "measure": {"op": "count"},
            "dimensions": [{"property": "owner"}],
        }
    )
    assert presentation.zero_filled(_table(plain, [("Ana", 3)])) == [
        ("Ana", None, 3)
    ]  # not a time: as it is


def test_labels_not_codes(demo_con):
    report = parse({"name": "Mix", "source": "health:Enterprise and Mid-Market", "measure": {"op": "count"},
                    "dimensions": [{"property": "category"}, {"property": "latest"}]})  # fmt: skip
    result = Result(
        ("category", "latest", "value"),
        (("at_risk", True, 3), ("successful", False, 1), (None, None, 2)),
    )
    tbl = presentation.table(demo_con, report, result)
    assert tbl.columns == ("Category", "Latest score", "Count")
    assert tbl.rows == (
        ("At risk", "Yes", 3),
        ("Successful", "No", 1),
        ("(no value)", "(no value)", 2),
    )
    deals = parse({"name": "d", "source": "object:deals", "measure": {"op": "sum", "property": "amount"},
                   "dimensions": [{"property": "stage_id"}, {"property": "close_date", "grain": "quarter"}]})  # fmt: skip
    stage = demo_con.execute("SELECT id FROM stages WHERE label = 'Negotiation'").fetchone()[0]
    tbl = presentation.table(demo_con, deals, Result(("stage_id", "close_date_quarter", "value"),
                                                     ((stage, "2026-Q4", 5.0),)))  # fmt: skip
    assert tbl.columns == ("Deal stage", "Close date (quarter)", "Sum of Amount")
    assert tbl.rows == (("Renewals · Negotiation", "2026-Q4", 5.0),)


def test_a_number_compares_with_the_window_before_its_relative_date_filter(demo_con):
    spec = {"name": "Calls", "source": "activities", "measure": {"op": "count"}, "chart": "number",
            "filters": [[{"property": "activity_type", "operator": "eq", "value": "call"},
                         {"property": "occurred_at", "operator": "in_last_days", "value": 30}]]}  # fmt: skip
    report = parse(spec)
    assert presentation.comparison_days(report) == 30
    before = presentation.previous_now(report, NOW)
    assert before == datetime(2026, 10, 29, 15, 0, tzinfo=UTC)
    now_value = engine.run(demo_con, report, now=NOW).rows[0][0]
    then_value = engine.run(demo_con, report, now=before).rows[0][0]
    calls = demo_con.execute(
        "SELECT count(*) FILTER (WHERE occurred_at::DATE > DATE '2026-10-29' AND occurred_at::DATE <= DATE '2026-11-28'), "
        "count(*) FILTER (WHERE occurred_at::DATE > DATE '2026-09-29' AND occurred_at::DATE <= DATE '2026-10-29') "
        "FROM activities WHERE activity_type = 'call'").fetchone()  # fmt: skip
    assert (now_value, then_value) == calls and calls[0] > 0 and calls[1] > 0
    assert presentation.comparison_days(parse({**spec, "filters": []})) is None
