"""The Summary tab's tasks (SUM-2): due today, overdue and due tomorrow in the user's zone, each
with its count, its first few tasks (completed in place) and a link to the Actions tab's view."""

from __future__ import annotations

import streamlit as st

from cs_core import clock, task_actions
from cs_core.record_list import Viewer
from cs_core.task_actions import Selection
from cs_core.tasks import TASK_VIEWS, TaskRefused
from cs_core.users import Action, PermissionDenied, User, can
from ui import state, summary_data
from ui import text as ut

P = "summary.tasks"
SHOWN = 3  # tasks listed per bucket; "Show all" opens the rest
BUCKETS = ("today", "overdue", "tomorrow")


def _complete(con, actor: User, task_id: int, title: str) -> None:
    try:
        task_actions.complete(
            con, actor=actor, selection=Selection(ids=(task_id,)), now=clock.now()
        )
    except (TaskRefused, PermissionDenied) as exc:
        st.session_state[f"{P}.problem"] = str(exc)
    else:
        state.flash(f"Completed {title!r}.")


def panel(con, *, actor: User, owner: User) -> None:
    """``owner``'s buckets; ``actor`` completes tasks when they may edit them."""
    viewer = Viewer(owner.id, clock.now(), owner.time_zone)
    editable = actor.id == owner.id and can(actor, Action.EDIT_RECORDS)
    linked = can(actor, Action.USE_WORKSPACE) and actor.id == owner.id
    st.subheader("Tasks")
    if problem := st.session_state.pop(f"{P}.problem", None):
        ut.error(problem)
    found = summary_data.task_buckets(
        con, user_id=owner.id, now=viewer.now, keys=BUCKETS, shown=SHOWN
    )
    cells = st.columns(len(BUCKETS))
    for cell, key in zip(cells, BUCKETS, strict=True):
        label, _ = TASK_VIEWS[key]
        total, rows = getattr(found.counts, key), found.first[key]
        with cell.container(border=True, key=f"{P}-{key}"):
            st.metric(label, f"{total:,}")
            if not total:
                st.caption("Nothing here.")
            for task_id, title, due_utc in rows:
                due = clock.shown(due_utc, owner.time_zone)
                # One row block (not columns: three blocks a row, every run).
                with st.container(
                    horizontal=True, vertical_alignment="center", gap="small", wrap=False
                ):
                    if editable:
                        st.button("", icon=":material/check_circle:", key=f"{P}.done.{task_id}", help="Mark complete",
                                  on_click=_complete, args=(con, actor, int(task_id), str(title)))  # fmt: skip
                    st.markdown(f"{ut.md(title, 60)}  \n:gray[{ut.md(due)}]", help=ut.tooltip(title, 60),
                                width="stretch")  # fmt: skip
            if linked and total > len(rows):
                st.page_link("app_pages/actions.py", label=f"Show all {total:,}", icon=":material/arrow_forward:",
                             query_params={"view": key})  # fmt: skip
