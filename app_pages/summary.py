"""Summary tab: the user's start page: their numbers, alerts (SUM-1), tasks (SUM-2), today's
schedule (SUM-4), health (SUM-5) and reports (SUM-7); admins may view it as another user (SUM-8)."""

import streamlit as st

from cs_core import clock, summary
from cs_core.health.reports import CATEGORY_LABELS
from cs_core.users import Action, can
from ui import (
    auth,
    db,
    summary_alerts,
    summary_data,
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

numbers = summary_data.welcome_numbers(con, user_id=user.id, now=now)
owned, tasks = numbers.owned, numbers.tasks
cols = st.columns(4)
cols[0].metric(f"{ut.md(numbers.object_label, ut.LABEL_LIMIT)} you own", f"{owned:,}", border=True)
cols[1].metric("Open tasks", f"{tasks.open:,}", border=True)

if owned == 0:
    st.info(
        f"You don't own any {ut.md(numbers.object_label.lower(), ut.LABEL_LIMIT)} yet. Customers are "
        f"assigned through the **{ut.md(numbers.owner_label, ut.LABEL_LIMIT)}** property.",
        icon=":material/info:",
    )
if not viewer.has_full_access:
    st.caption(
        "You can see this Summary tab and workspace settings; the other tabs need a service seat."
    )

# Health of the user's customers, per live profile (the full panel comes with SUM-5).
health_rows = summary_data.health_numbers(con, user_id=user.id, object_name=numbers.object_name,
                                          day=clock.score_date(now))  # fmt: skip
if health_rows:
    st.subheader("Customer health")
    for name, figures in health_rows:
        st.caption(
            f"Profile **{ut.md(name, ut.LABEL_LIMIT)}** · {figures.count:,} of your customers scored"
        )
        cols = st.columns(4)
        cols[0].metric(
            "Average score",
            "—" if figures.average is None else f"{figures.average:.1f}",
            border=True,
        )
        for col, (cat, label) in zip(cols[1:], CATEGORY_LABELS.items(), strict=True):
            count, percent = figures.categories[cat]
            col.metric(label, f"{percent:.1f}%", help=f"{count:,} of your customers", border=True)
            if (
                can(viewer, Action.USE_WORKSPACE) and viewer.id == user.id
            ):  # the Customers tab, filtered
                col.page_link("app_pages/customers.py", label=f"{count:,} customers", icon=":material/arrow_forward:",
                              query_params={"health": cat, "profile": name})  # fmt: skip
            else:
                col.caption(f"{count:,} customers")
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
