"""The Summary's Reporting panel in AppTest (SUM-7): "+ Add report" puts a saved report on the
Summary as a chart; a sixth is refused with a message; a report is removable."""

from cs_core import db, summary_reports
from cs_core.reports import saved
from tests.conftest import CSM
from tests.pages.conftest import plain

P = "summary.reports"


def _charts(at) -> int:
    """The report charts on the Summary (its health panel has charts of its own)."""
    return sum(f"-{P}." in c.proto.id for c in at.get("plotly_chart"))


def test_a_csm_adds_reports_to_their_summary_up_to_five(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    ids = {s.name: s.id for s in saved.list_saved(cur)}
    at = app(CSM)
    assert not at.exception, [e.value for e in at.exception]
    assert "Choose up to 5 saved reports with Add report" in plain(at.main.caption[-1].value)
    at.selectbox(key=f"{P}.pick").set_value(ids["Renewals next 90 days by stage"]).run()
    at.button(key=f"{P}.add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.name for s in summary_reports.chosen(cur, CSM)] == ["Renewals next 90 days by stage"]
    assert _charts(at) == 1
    assert "**Renewals next 90 days by stage**" in [m.value for m in at.markdown]
    for name in ("Logo churn by quarter", "Tasks completed per week by owner", "Activities per week by type",
                 "Average health score over time"):  # fmt: skip
        at.selectbox(key=f"{P}.pick").set_value(ids[name]).run()
        at.button(key=f"{P}.add").click().run()
    assert _charts(at) == 5
    at.selectbox(key=f"{P}.pick").set_value(ids["Health category mix by owner"]).run()
    at.button(key=f"{P}.add").click().run()
    assert [plain(e.value) for e in at.error] == [
        "A Summary shows at most 5 reports: remove one to add another."
    ]
    assert len(summary_reports.chosen(cur, CSM)) == 5
    at.button(key=f"{P}.remove.{ids['Logo churn by quarter']}").click().run()
    assert [s.name for s in summary_reports.chosen(cur, CSM)] == [
        "Renewals next 90 days by stage", "Tasks completed per week by owner", "Activities per week by type",
        "Average health score over time"]  # fmt: skip
    assert _charts(at) == 4 and not at.exception
