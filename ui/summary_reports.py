"""The Summary tab's Reporting panel (SUM-7): the user's chosen reports as charts, "+ Add
report" from the saved reports (at most five), and a remove button on each."""

from __future__ import annotations

import streamlit as st

from cs_core import summary_reports
from cs_core.summary_reports import MAX_REPORTS, SummaryReportError
from cs_core.users import User
from ui import dashboard_data, report_view, state
from ui import text as ut

P = "summary.reports"


def _add(con, actor: User, owner: User) -> None:
    chosen = st.session_state.get(f"{P}.pick")
    if chosen is None:
        return
    try:
        summary_reports.add(con, actor=actor, user_id=owner.id, report_id=chosen)
    except SummaryReportError as exc:
        st.session_state[f"{P}.problems"] = list(exc.problems)
    else:
        st.session_state.pop(f"{P}.problems", None)
        state.flash("Added the report to the Summary.")


def panel(con, *, actor: User, owner: User) -> None:
    """``owner``'s reports (the user whose Summary this is), changed by ``actor``."""
    with st.container(key="summary-reports"):
        _panel(con, actor=actor, owner=owner)


def _panel(con, *, actor: User, owner: User) -> None:
    shown = summary_reports.chosen(con, owner.id)
    head, add = st.columns([4, 1], vertical_alignment="bottom")
    head.subheader("Reporting")
    available = [s for s in dashboard_data.saved_reports(con) if s.id not in {r.id for r in shown}]
    with add.popover("Add report", icon=":material/add:", width="stretch"):
        if not available:
            st.caption("Every saved report is here already." if shown else
                       "There are no saved reports yet: they are built on the Dashboards tab.")  # fmt: skip
        else:
            names = {s.id: s.name for s in available}
            st.selectbox(
                "Report", list(names), format_func=lambda i: ut.short(names[i]), key=f"{P}.pick"
            )
            st.button("Add to the Summary", type="primary", key=f"{P}.add", on_click=_add, args=(con, actor, owner),
                      help=f"A Summary shows up to {MAX_REPORTS} reports")  # fmt: skip
    for problem in st.session_state.pop(f"{P}.problems", []):
        ut.error(problem)
    if not shown:
        st.caption(
            f"Choose up to {MAX_REPORTS} saved reports with Add report; they show here as charts."
        )
        return
    cells = st.columns(2)
    for i, item in enumerate(shown):
        with cells[i % 2].container(border=True):
            title, remove = st.columns([6, 1], vertical_alignment="center")
            title.markdown(f"**{ut.md(item.name, 100)}**", help=ut.tooltip(item.name, 100))
            if remove.button(
                "",
                icon=":material/close:",
                key=f"{P}.remove.{item.id}",
                help="Remove from the Summary",
            ):
                summary_reports.remove(con, actor=actor, user_id=owner.id, report_id=item.id)
                st.rerun()
            report_view.show(con, item.report, user=owner, key=f"{P}.{item.id}", height=300)
