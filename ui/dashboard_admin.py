"""Editing dashboards (DSH-2: add, remove, reorder reports, each a third, a half or the full
width) and the Dashboards tab itself (DSH-1: "Add dashboard" with access for everyone or chosen
teams and a confirmation; order; removal, which keeps the dashboard)."""

from __future__ import annotations

import streamlit as st

from cs_core import clock, dashboards, users
from cs_core.dashboards import WIDTHS, DashboardError
from cs_core.reports import saved
from cs_core.users import User
from ui import confirm, state
from ui import text as ut

P = "dash"


ADDING = (
    f"{P}.add.show"  # the Add dashboard dialog is open (kept across reruns until done or dismissed)
)
REMOVING = f"{P}.remove.ask"  # the dashboard id whose removal from the tab awaits confirmation
DELETING = f"{P}.delete.ask"


def _closer(flag: str):
    def close() -> None:
        st.session_state.pop(flag, None)

    return close


def _problems(key: str) -> None:
    for problem in st.session_state.get(key, []):
        ut.error(problem)


def open_add() -> None:
    st.session_state[ADDING] = True


def dialogs(con, user: User) -> None:
    """The dialogs this section opened, still open across reruns until done or dismissed."""
    if st.session_state.get(ADDING):
        _add_dialog(con, user)
    if (board_id := st.session_state.get(REMOVING)) is not None:
        placed = next((p for p in dashboards.placements(con) if p.dashboard.id == board_id), None)
        if placed is None:
            st.session_state.pop(REMOVING, None)
        else:
            _confirm_remove(con, user, placed)
    if (board_id := st.session_state.get(DELETING)) is not None:
        board = dashboards.get(con, board_id)
        if board is None:
            st.session_state.pop(DELETING, None)
        else:
            _confirm_delete(con, user, board.id, board.name)


@st.dialog("Add dashboard", on_dismiss=_closer(ADDING))
def _add_dialog(con, user: User) -> None:
    """Pick a dashboard, who sees it, and confirm that they get view access (DSH-1)."""
    boards = dashboards.list_dashboards(con)
    if not boards:
        st.info(
            "There is no dashboard yet: create one under Edit dashboards first.",
            icon=":material/info:",
        )
        return
    on_tab = {p.dashboard.id: p for p in dashboards.placements(con)}
    choice = st.selectbox("Dashboard", [b.id for b in boards], key=f"{P}.add.board",
                          format_func=lambda i: ut.short(next(b.name for b in boards if b.id == i))
                          + (" (on the tab: its access is replaced)" if i in on_tab else ""))  # fmt: skip
    who = st.radio("Give view access to", ["everyone", "teams"], key=f"{P}.add.who", horizontal=True,
                   format_func={"everyone": "Everyone", "teams": "Chosen teams"}.get)  # fmt: skip
    teams = users.list_teams(con)
    chosen = []
    if who == "teams":
        chosen = st.multiselect("Teams", list(teams), format_func=lambda t: ut.short(teams[t]), key=f"{P}.add.teams",
                                placeholder="Choose one or more teams")  # fmt: skip
    confirmed = st.checkbox("I confirm that these users get view access", key=f"{P}.add.confirm")
    if st.button("Add dashboard", type="primary", icon=":material/add:", key=f"{P}.add.go"):
        try:
            dashboards.add_to_workspace(con, actor=user, dashboard_id=choice, team_ids=tuple(chosen),
                                        everyone=who == "everyone", confirmed=confirmed, now=clock.now())  # fmt: skip
        except DashboardError as exc:
            for problem in exc.problems:
                ut.error(problem)
            return
        for key in (f"{P}.add.confirm", f"{P}.add.teams", ADDING):
            st.session_state.pop(key, None)
        state.flash("Added the dashboard to the Dashboards tab.")
        st.rerun()


@st.dialog("Remove from the Dashboards tab?", on_dismiss=_closer(REMOVING))
def _confirm_remove(con, user: User, placement) -> None:
    st.write(
        "It is no longer shown on the tab. The dashboard and its reports are kept; add it again at any time."
    )
    ut.show(placement.dashboard.name)
    confirm.buttons(key=f"{P}.remove", label="Remove", flag=REMOVING, done=f"Removed {placement.dashboard.name!r} from the tab.",
                    run=lambda: dashboards.remove_from_workspace(con, actor=user, dashboard_id=placement.dashboard.id))  # fmt: skip


def tab_manager(con, user: User) -> None:
    """The tab's dashboards in order, who sees each, and moving or removing them."""
    placed = dashboards.placements(con)
    st.button("Add dashboard", icon=":material/add:", key=f"{P}.add.open", on_click=open_add)
    if not placed:
        st.caption("No dashboard is on the tab yet.")
    for i, p in enumerate(placed):
        a, b, c, d, e = st.columns([4, 4, 1, 1, 2], vertical_alignment="center")
        a.markdown(f"**{ut.md(p.dashboard.name, 80)}**")
        b.caption(f"Shown to: {ut.md(p.audience, 120)}")
        if c.button("", icon=":material/arrow_upward:", key=f"{P}.tab.up.{p.dashboard.id}", disabled=i == 0,
                    help="Show earlier"):  # fmt: skip
            dashboards.move_in_workspace(con, actor=user, dashboard_id=p.dashboard.id, step=-1)
            st.rerun()
        if d.button("", icon=":material/arrow_downward:", key=f"{P}.tab.down.{p.dashboard.id}",
                    disabled=i == len(placed) - 1, help="Show later"):  # fmt: skip
            dashboards.move_in_workspace(con, actor=user, dashboard_id=p.dashboard.id, step=1)
            st.rerun()
        e.button("Remove", icon=":material/visibility_off:", key=f"{P}.tab.remove.{p.dashboard.id}",
                 help="Remove from the tab (the dashboard is kept)", on_click=st.session_state.__setitem__,
                 args=(REMOVING, p.dashboard.id))  # fmt: skip


# --- a dashboard's reports ---------------------------------------------------------------------


def _load(board) -> None:
    st.session_state[f"{P}.draft"] = {"id": board.id, "name": board.name, "opened_at": board.updated_at,
                                      "tiles": [[t.report_id, t.width] for t in board.tiles]}  # fmt: skip
    st.session_state[f"{P}.gen"] = st.session_state.get(f"{P}.gen", 0) + 1
    st.session_state.pop(f"{P}.edit.problems", None)


@st.dialog("Delete this dashboard?", on_dismiss=_closer(DELETING))
def _confirm_delete(con, user: User, board_id: int, name: str) -> None:
    st.write("It is removed from the Dashboards tab too. Its reports are kept.")
    ut.show(name)

    def run() -> None:
        dashboards.delete(con, actor=user, dashboard_id=board_id)
        for key in (f"{P}.draft", f"{P}.editing"):
            st.session_state.pop(key, None)

    confirm.buttons(key=f"{P}.delete", label="Delete", icon=":material/delete:", flag=DELETING, run=run,
                    done=f"Deleted the dashboard {name!r}.")  # fmt: skip


def _create(con, user: User) -> None:
    with st.form(f"{P}.new", clear_on_submit=True, border=False):
        a, b = st.columns([3, 1], vertical_alignment="bottom")
        name = a.text_input(
            "New dashboard", placeholder="Name, e.g. Renewals review", key=f"{P}.new.name"
        )
        if b.form_submit_button("Create", icon=":material/add:"):
            try:
                board = dashboards.create(con, actor=user, name=name, now=clock.now())
            except DashboardError as exc:
                st.session_state[f"{P}.new.problems"] = list(exc.problems)
            else:
                st.session_state.pop(f"{P}.new.problems", None)
                st.session_state[f"{P}.editing"] = board.id
                _load(board)
                st.rerun()
    _problems(f"{P}.new.problems")


def editor(con, user: User) -> None:
    """Create a dashboard, or edit one: its name, its reports in order and their widths."""
    boards = dashboards.list_dashboards(con)
    _create(con, user)
    if not boards:
        st.info("No dashboard yet: name one above, then add reports to it.", icon=":material/info:")
        return
    ids = [b.id for b in boards]
    if st.session_state.get(f"{P}.editing") not in ids:
        st.session_state[f"{P}.editing"] = ids[0]
    by_id = {b.id: b for b in boards}
    chosen = st.selectbox(
        "Edit dashboard", ids, key=f"{P}.editing", format_func=lambda i: ut.short(by_id[i].name)
    )
    draft = st.session_state.get(f"{P}.draft")
    if not draft or draft["id"] != chosen:
        _load(by_id[chosen])
        draft = st.session_state[f"{P}.draft"]
    gen = st.session_state[f"{P}.gen"]
    draft["name"] = st.text_input(
        "Name", value=draft["name"], key=f"{P}.g{gen}.name", max_chars=200
    )
    reports = {s.id: s for s in saved.list_saved(con)}
    tiles = draft["tiles"]
    if not tiles:
        st.caption("No report on this dashboard yet: add one below.")
    for i, (rid, width) in enumerate(list(tiles)):
        a, b, c, d, e = st.columns([5, 2, 1, 1, 1], vertical_alignment="center")
        a.markdown(ut.md(reports[rid].name, 80) if rid in reports else "*(a deleted report)*")
        tiles[i][1] = b.selectbox("Width", list(WIDTHS), index=list(WIDTHS).index(width), format_func=WIDTHS.get,
                                  key=f"{P}.g{gen}.w.{rid}", label_visibility="collapsed")  # fmt: skip
        if c.button(
            "",
            icon=":material/arrow_upward:",
            key=f"{P}.g{gen}.up.{rid}",
            disabled=i == 0,
            help="Move up",
        ):
            tiles.insert(i - 1, tiles.pop(i))
            st.rerun()
        if d.button("", icon=":material/arrow_downward:", key=f"{P}.g{gen}.down.{rid}", disabled=i == len(tiles) - 1,
                    help="Move down"):  # fmt: skip
            tiles.insert(i + 1, tiles.pop(i))
            st.rerun()
        if e.button(
            "",
            icon=":material/close:",
            key=f"{P}.g{gen}.rm.{rid}",
            help="Remove from this dashboard",
        ):
            tiles.pop(i)
            st.rerun()
    free = [r for r in reports if r not in {t[0] for t in tiles}]
    if free:
        a, b = st.columns([4, 1], vertical_alignment="bottom")
        pick = a.selectbox(
            "Add a report",
            free,
            format_func=lambda r: ut.short(reports[r].name),
            key=f"{P}.g{gen}.pick",
        )
        if b.button("Add", icon=":material/add:", key=f"{P}.g{gen}.add"):
            tiles.append([pick, "half"])
            st.rerun()
    elif not reports:
        st.caption("There are no saved reports yet: build one under Reports.")
    a, b, _ = st.columns([1, 1, 4])
    if a.button("Save dashboard", type="primary", icon=":material/save:", key=f"{P}.save"):
        try:
            board = dashboards.save(con, actor=user, dashboard_id=chosen, name=draft["name"],
                                    tiles=[tuple(t) for t in tiles], opened_at=draft["opened_at"], now=clock.now())  # fmt: skip
        except DashboardError as exc:
            st.session_state[f"{P}.edit.problems"] = list(exc.problems)
        else:
            _load(board)
            state.flash(f"Saved the dashboard {board.name!r}.")
            st.rerun()
    b.button("Delete", icon=":material/delete:", key=f"{P}.delete", on_click=st.session_state.__setitem__,
             args=(DELETING, chosen))  # fmt: skip
    _problems(f"{P}.edit.problems")
