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
    for event in found:
        with st.container(key=f"{P}-{event.key}"):
            a, b, c = st.columns([1, 5, 2], vertical_alignment="center")
            a.markdown(f"**{event.start:%H:%M}**")
            icon = ":material/groups:" if event.kind == "meeting" else ":material/task_alt:"
            done = " · done" if event.completed else ""
            b.markdown(f"{icon} {ut.md(event.title, 80)}{done}", help=ut.tooltip(event.title, 80))
            if event.link:
                c.link_button("Start meeting", event.link, icon=":material/videocam:")
    st.caption(f"Times in {owner.time_zone}.")
