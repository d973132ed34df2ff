"""Summary tab: the user's start page: their numbers, alerts (SUM-1), tasks (SUM-2), today's
schedule (SUM-4), health (SUM-5) and reports (SUM-7); admins may view it as another user (SUM-8)."""

import streamlit as st

from cs_core import clock, summary
from cs_core.users import Action, can
from ui import (
    auth,
    db,
    summary_alerts,
    summary_data,
    summary_health,
    summary_reports,
    summary_schedule,
    summary_tasks,
    summary_views,
)
from ui import text as ut

con = db.connection()
user = auth.require_page(con, Action.VIEW_SUMMARY)
now = clock.now()

hour = now.astimezone(clock.zone(user.time_zone)).hour
greeting = "Good morning" if hour < 12 else "Good afternoon" if hour < 18 else "Good evening"
first_name = (user.name.split() or [""])[0]
st.title(f"{greeting}, {ut.md(first_name, ut.LABEL_LIMIT)}", anchor=False)
st.caption(
    f"{user.role} · {ut.md(user.team_name or 'No team', ut.LABEL_LIMIT)} · times in {user.time_zone}"
)
viewer = user
others = summary.viewable(con, viewer=viewer)
asked = None
if others:  # the choice is the viewer's own: acting as someone else starts from themselves
    by_id = {u.id: u for u in others}
    asked = st.selectbox("View as", list(by_id), key=f"summary.view_as.{viewer.id}", format_func=lambda i: ut.short(
        "Yourself" if i == viewer.id else f"{by_id[i].name} · {by_id[i].role}"),
        help="See the Summary as another user sees it")  # fmt: skip
user = summary.subject(con, viewer=viewer, user_id=asked)
if user.id != viewer.id:
    st.info(f"Viewing as **{ut.md(user.name, ut.LABEL_LIMIT)}**: their numbers, alerts, tasks, schedule and "
            "reports, in their time zone.", icon=":material/visibility:")  # fmt: skip

if not user.has_full_access:  # U-2: a seatless super admin's Summary has no figures of their own
    if user.id == viewer.id:
        st.info(
            "You are a super admin without a service seat. Here you can view the Summary as any user "
            "(**View as** above), choose the reports below and manage the workspace settings. A service "
            "seat adds the Customers, Services, Revenue, Actions, Schedule, Feed and Dashboards tabs and "
            "lets you own customers, tasks and meetings, whose alerts and figures would then show here.",
            icon=":material/badge:",
        )
        st.page_link(
            "app_pages/settings.py", label="Workspace settings", icon=":material/settings:"
        )
    else:
        lacks = "a service seat" if not user.has_service_seat else "access to the workspace"
        st.info(f"**{ut.md(user.name, ut.LABEL_LIMIT)}** has no {lacks}, so they own no customers, tasks or "
                "meetings: their Summary shows only the reports they chose.", icon=":material/badge:")  # fmt: skip
    st.divider()
    summary_reports.panel(con, actor=viewer, owner=user)
    st.stop()

numbers = summary_data.welcome_numbers(con, user_id=user.id, now=now)
owned, tasks = numbers.owned, numbers.tasks
cols = st.columns(4)
they = "you" if user.id == viewer.id else "they"
cols[0].metric(
    f"{ut.md(numbers.object_label, ut.LABEL_LIMIT)} {they} own", f"{owned:,}", border=True
)
cols[1].metric("Open tasks", f"{tasks.open:,}", border=True)
if owned == 0:
    st.info(
        f"{they.capitalize()} don't own any {ut.md(numbers.object_label.lower(), ut.LABEL_LIMIT)} yet. Customers are "
        f"assigned through the **{ut.md(numbers.owner_label, ut.LABEL_LIMIT)}** property.",
        icon=":material/info:",
    )

summary_health.panel(con, actor=viewer, owner=user)
if can(viewer, Action.EDIT_HEALTH_PROFILES):
    st.page_link(
        "app_pages/settings.py",
        label="Edit health-score profiles",
        icon=":material/tune:",
        query_params={"section": "health"},
    )

st.divider()
summary_alerts.panel(con, actor=viewer, owner=user)
st.divider()
summary_views.panel(con, actor=viewer, owner=user)
st.divider()
summary_tasks.panel(con, actor=viewer, owner=user)
st.divider()
summary_schedule.panel(con, actor=viewer, owner=user)
st.divider()
summary_reports.panel(con, actor=viewer, owner=user)
