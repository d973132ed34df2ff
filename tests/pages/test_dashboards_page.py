"""The Dashboards tab in AppTest (DSH-1..DSH-3): an analyst builds a report, saves it, puts it on
a dashboard and adds that to the tab for one team; only that team sees it; a definition edited
by hand opens in the builder unchanged."""

import json

from cs_core import dashboards, db, users
from cs_core.reports import saved
from tests.conftest import ANALYST, CSM, GROWTH_CSM
from tests.pages.conftest import plain, tab_scripts

P = "reports"
GROWTH = 2  # the demo's Growth CS team


def _open(app, user_id):
    at = app(user_id)
    at.switch_page("app_pages/dashboards.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _key(at, suffix: str) -> str:
    """The builder's widget key ending in ``suffix`` (keys carry a generation and the source)."""
    keys = [w.key for kind in (at.selectbox, at.text_input, at.text_area) for w in kind if w.key]
    found = [k for k in keys if k.startswith(f"{P}.g") and k.endswith(suffix)]
    assert len(found) == 1, (suffix, found)
    return found[0]


def _builder(at, **values):
    at.segmented_control(key="dashboards.section").set_value("reports").run()
    for suffix, value in values.items():
        at.selectbox(key=_key(at, suffix)).set_value(value).run() if suffix != ".name" else \
            at.text_input(key=_key(at, suffix)).set_value(value).run()  # fmt: skip
        assert not at.exception, [e.value for e in at.exception]
    return at


def _has(at, key):
    """Whether a widget with this key is on the page."""
    return key in [w.key for w in at.segmented_control]


def test_an_analyst_builds_a_report_puts_it_on_a_dashboard_and_shares_it_with_one_team(
    app, demo_path
):
    at = _open(app, ANALYST)
    assert "dashboards.py" in tab_scripts(at)
    _builder(at, **{".name": "Deals by stage"})
    at.selectbox(key=_key(at, ".source")).set_value("object:deals").run()
    at.selectbox(key=_key(at, ".dim0")).set_value("stage_id").run()
    at.selectbox(key=_key(at, ".chart")).set_value("bar").run()
    assert not at.exception and len(at.get("plotly_chart")) == 1  # the live preview
    at.button(key=f"{P}.save").click().run()
    cur = db.shared_workspace(demo_path).cursor()
    (report,) = [s for s in saved.list_saved(cur) if s.name == "Deals by stage"]
    assert report.owner_id == ANALYST
    assert report.report.as_json() == {"name": "Deals by stage", "description": None, "source": "object:deals",
                                       "filters": [], "measure": {"op": "count"},
                                       "dimensions": [{"property": "stage_id"}], "sort": "dimension", "limit": None,
                                       "chart": "bar"}  # fmt: skip

    at.segmented_control(key="dashboards.section").set_value("edit").run()
    at.text_input(key="dash.new.name").set_value("Growth review")
    at.button(key="FormSubmitter:dash.new-Create").click().run()
    assert not at.exception, [e.value for e in at.exception]
    gen = at.session_state["dash.gen"]
    at.selectbox(key=f"dash.g{gen}.pick").set_value(report.id).run()
    at.button(key=f"dash.g{gen}.add").click().run()
    at.button(key="dash.save").click().run()
    (board,) = [b for b in dashboards.list_dashboards(cur) if b.name == "Growth review"]
    assert [t.report_id for t in board.tiles] == [report.id]

    at.button(key="dash.add.open").click().run()
    at.selectbox(key="dash.add.board").set_value(board.id).run()
    at.radio(key="dash.add.who").set_value("teams").run()
    at.multiselect(key="dash.add.teams").set_value([GROWTH]).run()
    at.button(key="dash.add.go").click().run()  # not confirmed yet: refused, nothing added
    assert any("I confirm that these users get view access" in plain(e.value) for e in at.error)
    assert board.id not in [p.dashboard.id for p in dashboards.placements(cur)]
    at.checkbox(key="dash.add.confirm").check().run()
    at.button(key="dash.add.go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    placed = {p.dashboard.id: p for p in dashboards.placements(cur)}
    assert placed[board.id].audience == "Growth CS"

    other = _open(app, CSM)  # Enterprise CS: not for them
    assert not _has(other, "dashboards.current") and [plain(t.value) for t in other.title] == [
        "CS leadership"
    ]
    growth = _open(app, GROWTH_CSM)
    assert list(growth.segmented_control(key="dashboards.current").options) == [
        "CS leadership",
        "Growth review",
    ]
    growth.segmented_control(key="dashboards.current").set_value(board.id).run()
    assert [plain(t.value) for t in growth.title] == ["Growth review"]
    assert len(growth.get("plotly_chart")) == 1 and not growth.exception


def test_a_definition_edited_by_hand_opens_in_the_builder_unchanged(app):
    hand = {"name": "Open tasks by owner and month", "description": "Edited in a text editor",
            "source": "tasks", "filters": [[{"property": "status", "operator": "eq", "value": "open"},
                                            {"property": "due_at", "operator": "in_next_days", "value": 30}],
                                           [{"property": "priority", "operator": "eq", "value": "high"}]],
            "measure": {"op": "count_distinct", "property": "record"},
            "dimensions": [{"property": "owner"}, {"property": "due_at", "grain": "month"}],
            "sort": "measure_desc", "limit": 5, "chart": "stacked_bar"}  # fmt: skip
    at = _builder(_open(app, ANALYST))
    at.text_area(key=_key(at, ".json")).set_value(json.dumps(hand, indent=4)).run()
    at.button(key=f"{P}.json.apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[f"{P}.def"] == hand
    at.run()  # and it stays so as the builder's widgets run again
    assert at.session_state[f"{P}.def"] == hand
    assert at.selectbox(key=_key(at, ".source")).value == "tasks"
    assert at.selectbox(key=_key(at, ".dim1")).value == "due_at"
    assert json.loads(at.text_area(key=_key(at, ".json")).value) == hand


def test_a_bad_json_is_refused_naming_each_problem_and_the_builder_keeps_its_definition(app):
    at = _builder(_open(app, ANALYST), **{".name": "Kept"})
    bad = {
        "name": "x",
        "source": "object:companies",
        "measure": {"op": "sum", "property": "name"},
        "chart": "radar",
    }
    at.text_area(key=_key(at, ".json")).set_value(json.dumps(bad)).run()
    at.button(key=f"{P}.json.apply").click().run()
    shown = [plain(e.value) for e in at.error]
    assert shown == [
        "Unknown chart 'radar': one of bar, stacked_bar, line, area, pie, number, table."
    ]
    assert at.session_state[f"{P}.def"]["name"] == "Kept"


def test_a_csm_sees_dashboards_but_no_builder(app):
    at = _open(app, CSM)
    assert not _has(at, "dashboards.section")
    assert [plain(t.value) for t in at.title] == ["CS leadership"]
    assert len(at.get("plotly_chart")) == 7


def test_csms_of_one_zone_share_the_dashboards_figures_and_another_zone_gets_its_own(
    app, monkeypatch
):
    """Lucas (4) and Priya (3) work in Europe/Berlin, Mei (5) in Asia/Singapore: the leadership
    dashboard's seven reports (no filter on the acting user) are made into tables once for the
    first two, and again for Mei, whose days and weeks are another zone's."""
    from cs_core.reports import presentation

    made = []
    real = presentation.table
    monkeypatch.setattr(presentation, "table", lambda *a, **k: made.append(1) or real(*a, **k))
    _open(app, CSM)
    assert len(made) == 7
    at = _open(app, 3)
    assert len(at.get("plotly_chart")) == 7 and len(made) == 7
    _open(app, 5)
    assert len(made) == 14


def test_the_tabs_dashboards_and_reports_are_read_again_only_when_they_change(
    app, demo_path, monkeypatch
):
    from tests.conftest import NOW

    read = {"placements": 0, "saved": 0}
    real_placements, real_saved = dashboards.placements, saved.list_saved

    def placements(*a, **k):
        read["placements"] += 1
        return real_placements(*a, **k)

    def list_saved(*a, **k):
        read["saved"] += 1
        return real_saved(*a, **k)

    monkeypatch.setattr(dashboards, "placements", placements)
    monkeypatch.setattr(saved, "list_saved", list_saved)
    at = _open(app, CSM)
    at.run()  # a rerun that changed nothing (a chart's table toggled)
    assert read == {"placements": 1, "saved": 1}
    con = db.shared_workspace(demo_path).cursor()
    (placed,) = real_placements(con)
    board = placed.dashboard
    dashboards.save(con, actor=users.get_user(con, ANALYST), dashboard_id=board.id, name="CS leadership weekly",
                    tiles=[(t.report_id, t.width) for t in board.tiles], opened_at=board.updated_at, now=NOW)  # fmt: skip
    at.run()
    assert read["placements"] == 2 and [plain(t.value) for t in at.title] == [
        "CS leadership weekly"
    ]


def test_a_single_number_shows_the_period_before_and_the_change(app, demo_path):
    spec = {"name": "Calls in the last 30 days", "description": None, "source": "activities",
            "filters": [[{"property": "activity_type", "operator": "eq", "value": "call"},
                         {"property": "occurred_at", "operator": "in_last_days", "value": 30}]],
            "measure": {"op": "count"}, "dimensions": [], "sort": "dimension", "limit": None, "chart": "number"}  # fmt: skip
    at = _builder(_open(app, ANALYST))
    at.text_area(key=_key(at, ".json")).set_value(json.dumps(spec)).run()
    at.button(key=f"{P}.json.apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # The fixed clock is 28 Nov 2026, 15:00 UTC; the analyst's days are Kolkata's (UTC+5:30).
    now, before = (
        _calls(demo_path, "2026-10-29", "2026-11-28"),
        _calls(demo_path, "2026-09-29", "2026-10-29"),
    )
    (metric,) = at.metric
    assert (metric.label, metric.value) == ("Count", f"{now:,}")
    assert metric.delta == f"{now - before:+,}"
    assert f"The 30 days before: {before:,}" in [plain(c.value) for c in at.main.caption]


def _calls(path, after: str, until: str) -> int:
    from tests.pages.conftest import scalar

    return scalar(path, "SELECT count(*) FROM activities WHERE activity_type = 'call' AND "
                        "(occurred_at AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Kolkata')::DATE > ?::DATE AND "
                        "(occurred_at AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Kolkata')::DATE <= ?::DATE",
                  [after, until])  # fmt: skip


def test_a_chart_draws_the_ten_largest_series_and_the_rest_as_other():
    from cs_core.reports.presentation import Table
    from ui.report_view import _series

    rows = tuple(("2026-01", f"Owner {i:02d}", i) for i in range(1, 13)) + (
        ("2026-02", "Owner 02", 0.5),
    )
    tbl = Table(("Week", "Owner", "Count"), rows, rows, ("week", None), False)
    drawn = _series(tbl, False, "count")
    assert list(drawn)[:10] == [
        f"Owner {i:02d}" for i in range(3, 13)
    ]  # the largest, in the result's order
    assert drawn["Other (2)"] == (["2026-01", "2026-02"], [1 + 2, 0.5])  # owners 01 and 02
    assert "Other (2)" not in _series(tbl, False, "avg")  # averages are not summed
    assert len(_series(tbl, False, "avg")) == 10


def test_deleting_a_report_and_removing_a_dashboard_from_the_tab_ask_first(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    ids = {s.name: s.id for s in saved.list_saved(cur)}
    at = _builder(_open(app, ANALYST))
    at.selectbox(key=f"{P}.open").set_value(ids["Logo churn by quarter"]).run()
    at.button(key=f"{P}.delete").click().run()
    assert saved.get(cur, ids["Logo churn by quarter"]) is not None  # asked, not yet deleted
    at.button(key=f"{P}.delete.no").click().run()
    assert saved.get(cur, ids["Logo churn by quarter"]) is not None
    at.button(key=f"{P}.delete").click().run()
    at.button(key=f"{P}.delete.yes").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert saved.get(cur, ids["Logo churn by quarter"]) is None
    (board,) = dashboards.list_dashboards(cur)
    assert "Logo churn by quarter" not in [t.report_name for t in board.tiles]
    at.segmented_control(key="dashboards.section").set_value("edit").run()
    at.button(key=f"dash.tab.remove.{board.id}").click().run()
    at.button(key="dash.remove.yes").click().run()
    assert dashboards.placements(cur) == [] and dashboards.get(cur, board.id) is not None  # kept
    assert "No dashboard is shared with you yet." in plain(_open(app, CSM).info[0].value)


def test_a_ratio_axis_shows_a_decimal_where_whole_percents_would_repeat():
    """Logo churn of 1-3 %: the axis ticks are 0.5 % apart, and must not read "1%, 1%, 2%, 2%"."""
    import plotly.graph_objects as go

    from cs_core.reports.presentation import Table
    from ui.report_view import _layout

    rows = (("2026-Q1", 0.012), ("2026-Q2", 0.024))
    tbl = Table(("Quarter", "Logo churn"), rows, rows, ("quarter",), True)
    assert _layout(go.Figure(), tbl, height=300).layout.yaxis.tickformat == ".1~%"
