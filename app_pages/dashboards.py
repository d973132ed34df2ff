"""Dashboards tab (DSH-1..DSH-3): the dashboards shared with the user, in the order chosen, each
report drawn as its chart (or table) with its CSV; for those who may edit reports (U-4), the
report builder, dashboard editing and the tab's "Add dashboard"."""

import streamlit as st

from cs_core.users import Action, can
from ui import auth, dashboard_admin, dashboard_data, db, report_builder, report_view
from ui import text as ut

P = "dashboards"
COLUMNS = {"third": 4, "half": 6, "full": 12}  # a row is 12 units wide
HEIGHTS = {"third": 280, "half": 320, "full": 360}

con = db.connection()
user = auth.require_page(con, Action.USE_WORKSPACE)
editor = can(user, Action.EDIT_REPORTS)
SECTIONS = {"view": "Dashboards", "reports": "Reports", "edit": "Edit dashboards"}
section = "view"
if editor:
    section = st.segmented_control("Section", list(SECTIONS), format_func=SECTIONS.get, default="view",
                                   key=f"{P}.section", label_visibility="collapsed") or "view"  # fmt: skip


def _rows(tiles):
    """Tiles packed into rows of 12 units, in order."""
    row, used = [], 0
    for tile in tiles:
        width = COLUMNS.get(tile.width, 6)
        if row and used + width > 12:
            yield row
            row, used = [], 0
        row.append(tile)
        used += width
    if row:
        yield row


def _dashboard(board) -> None:
    if not board.tiles:
        st.info("This dashboard has no reports yet." + (" Add some under Edit dashboards." if editor else ""),
                icon=":material/info:")  # fmt: skip
        return
    reports = {s.id: s for s in dashboard_data.saved_reports(con)}
    for row in _rows(board.tiles):
        units = [COLUMNS.get(t.width, 6) for t in row]
        spare = 12 - sum(units)
        cells = st.columns(units + ([spare] if spare else []))
        for cell, tile in zip(cells, row, strict=False):
            found = reports.get(tile.report_id)
            if found is None:
                continue
            with cell.container(border=True):
                st.markdown(f"**{ut.md(found.name, 120)}**", help=ut.tooltip(found.name, 120))
                if found.report.description:
                    st.caption(ut.md(found.report.description, 300))
                report_view.show(con, found.report, user=user, key=f"{P}.{board.id}.{tile.report_id}",
                                 height=HEIGHTS.get(tile.width, 320))  # fmt: skip


if section == "reports":
    ut.title("Reports")
    report_builder.builder(con, user=user)
elif section == "edit":
    ut.title("Edit dashboards")
    dashboard_admin.editor(con, user)
    st.divider()
    st.subheader("On the Dashboards tab")
    dashboard_admin.tab_manager(con, user)
else:
    shown = dashboard_data.placements(con, user)
    head, add = st.columns([5, 1], vertical_alignment="bottom")
    if editor:
        add.button(
            "Add dashboard",
            icon=":material/add:",
            key=f"{P}.add",
            on_click=dashboard_admin.open_add,
        )
    if not shown:
        with head:
            ut.title("Dashboards")
        st.info("No dashboard is shared with you yet."
                + (" Build reports under Reports, put them on a dashboard under Edit dashboards, then add it here "
                   "with Add dashboard." if editor else " Ask your CS operations team to share one."),
                icon=":material/space_dashboard:")  # fmt: skip
    else:
        ids = [p.dashboard.id for p in shown]
        names = {p.dashboard.id: p.dashboard.name for p in shown}
        if st.session_state.get(f"{P}.current") not in ids:
            st.session_state[f"{P}.current"] = ids[0]
        with head:
            ut.title(names[st.session_state[f"{P}.current"]])
        if len(ids) > 1:
            st.segmented_control("Dashboard", ids, format_func=lambda i: ut.short(names[i], 40), key=f"{P}.current",
                                 label_visibility="collapsed")  # fmt: skip
        current = st.session_state.get(f"{P}.current") or ids[0]
        _dashboard(next(p.dashboard for p in shown if p.dashboard.id == current))
if editor:
    dashboard_admin.dialogs(con, user)
