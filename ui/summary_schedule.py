"""The Summary tab's schedule (SUM-4): the user's meetings and tasks today in their zone, in
time order, with Start meeting links and a link to the Schedule tab."""

from __future__ import annotations

import streamlit as st

from cs_core import clock
from cs_core.users import Action, User, can
from ui import summary_data
from ui import text as ut

P = "summary.schedule"


def panel(con, *, actor: User, owner: User) -> None:
    now = clock.now()
    today = clock.local_date(now, owner.time_zone)
    found = summary_data.today_events(con, user_id=owner.id, now=now)
    head, link = st.columns([4, 1], vertical_alignment="bottom")
    head.subheader(f"Today · {today:%A %d %B}")
    if can(actor, Action.USE_WORKSPACE) and actor.id == owner.id:
        link.page_link(
            "app_pages/schedule.py", label="Open the schedule", icon=":material/calendar_month:"
        )
    if not found:
        st.caption("No meetings or tasks with a time today.")
        return
    shown, more = _window(found, now=clock.local(clock.utc_naive(now), owner.time_zone),
                          everything=st.session_state.get(f"{P}.all.{owner.id}", False))  # fmt: skip
    for event in shown:
        with st.container(key=f"{P}-{event.key}", horizontal=True, vertical_alignment="center"):
            icon = ":material/groups:" if event.kind == "meeting" else ":material/task_alt:"
            done = " · done" if event.completed else ""
            st.markdown(f"**{event.start:%H:%M}** {icon} {ut.md(event.title, 80)}{done}",
                        help=ut.tooltip(event.title, 80), width="stretch")  # fmt: skip
            if event.link:
                st.link_button("Start meeting", event.link, icon=":material/videocam:")
    if more:
        st.button(f"Show all {len(found)} of today", key=f"{P}.more", icon=":material/expand_more:",
                  on_click=st.session_state.__setitem__, args=(f"{P}.all.{owner.id}", True))  # fmt: skip
    st.caption(f"Times in {owner.time_zone}.")


SHOWN = 10  # events listed before "Show all"


def _window(found: list, *, now, everything: bool) -> tuple[list, bool]:
    """The events to list: all of a day of at most :data:`SHOWN` (or when asked), else the next
    :data:`SHOWN` from the first one not over yet; and whether some are left out."""
    if everything or len(found) <= SHOWN:
        return found, False
    naive = now.replace(tzinfo=None)
    first = next((i for i, e in enumerate(found) if e.end.replace(tzinfo=None) > naive), len(found))
    start = min(first, len(found) - SHOWN)
    return found[start : start + SHOWN], True
