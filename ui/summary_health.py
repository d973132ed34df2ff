"""The Summary tab's health-score summary (SUM-5, SUM-6): the average score and the share of the
user's customers in each category with "[N] customers" links, a profile dropdown when several
profiles are live (each user's choice is remembered), the score distribution and the average
score over time with the profile's version changes marked."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from cs_core import clock
from cs_core import summary as summary_core
from cs_core.health.reports import CATEGORY_LABELS
from cs_core.users import Action, PermissionDenied, User, can
from ui import charts, summary_data
from ui import text as ut
from ui.health_panel import COLORS, score_trend

P = "summary.health"


def _remember(con, actor: User, owner: User, key: str) -> None:
    try:
        summary_core.choose_health_profile(
            con, actor=actor, user_id=owner.id, profile_id=st.session_state[key]
        )
    except (summary_core.SummaryChoiceError, PermissionDenied) as exc:
        st.session_state[f"{P}.problem"] = str(exc)


def _bucket_category(low: int, high: int, bucket: int) -> str:
    middle = 10 * bucket + 5
    return "at_risk" if middle <= low else "successful" if middle >= high else "neutral"


def distribution(buckets: list[int], *, profile) -> go.Figure:
    """Customers per ten points of score, each bar in the colour of its category."""
    names = [f"{10 * b}–{10 * b + 9 if b < 9 else 100}" for b in range(10)]
    cats = [_bucket_category(profile.at_risk_max, profile.successful_min, b) for b in range(10)]
    fig = go.Figure(go.Bar(x=names, y=buckets, marker={"color": [COLORS[c] for c in cats]},
                           customdata=[CATEGORY_LABELS[c] for c in cats],
                           hovertemplate="Score %{x}: %{y} customers (%{customdata})<extra></extra>"))  # fmt: skip
    fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 20, "b": 10}, bargap=0.15,
                      xaxis={"title": "Score", "type": "category"}, yaxis={"title": "Customers", "rangemode": "tozero"})  # fmt: skip
    return fig


def panel(con, *, actor: User, owner: User) -> None:
    with st.container(key="summary-health"):
        _panel(con, actor=actor, owner=owner)


def _panel(con, *, actor: User, owner: User) -> None:
    now = clock.now()
    st.subheader("Customer health")
    if problem := st.session_state.pop(f"{P}.problem", None):
        st.error(ut.message(problem))
    day = clock.score_date(now)
    key = f"{P}.profile.{actor.id}.{owner.id}"
    data = summary_data.health_panel(
        con, user_id=owner.id, day=day, profile_id=st.session_state.get(key)
    )
    if data.shown is None:
        st.info("No health-score profile is live yet, so there are no health figures to show.",
                icon=":material/monitor_heart:")  # fmt: skip
        if can(actor, Action.EDIT_HEALTH_PROFILES):
            st.page_link("app_pages/settings.py", label="Create a health-score profile", icon=":material/add:",
                         query_params={"section": "health"})  # fmt: skip
        else:
            st.caption("A settings manager creates and publishes one in Settings, Health scores.")
        return
    shown, figures = data.shown, data.figures
    if len(data.choice.profiles) > 1:
        by_id = {p.id: (p, n) for p, n in data.choice.profiles}
        ids = list(by_id)
        if st.session_state.get(key) not in by_id:
            st.session_state[key] = shown.id
        mine = actor.id == owner.id  # viewing as someone else does not change their choice
        st.selectbox("Health-score profile", ids, key=key, format_func=lambda i: ut.short(
            f"{by_id[i][0].name} · {by_id[i][1]:,} of {'your' if mine else 'their'} customers"),
            on_change=_remember if mine else None, args=(con, actor, owner, key) if mine else None,
            help="Several profiles are live; your choice is remembered")  # fmt: skip
    else:
        st.caption(f"Profile **{ut.md(shown.name, ut.LABEL_LIMIT)}**")
    whose = "your" if actor.id == owner.id else f"{ut.md(owner.name, ut.LABEL_LIMIT)}'s"
    if not figures.count:
        st.info(f"None of {whose} customers is scored by this profile yet.", icon=":material/info:")
        return
    st.caption(f"{figures.count:,} of {whose} customers scored, with overrides in effect today")
    cols = st.columns(4)
    cols[0].metric("Average score", f"{figures.average:.1f}", border=True)
    linked = can(actor, Action.USE_WORKSPACE) and actor.id == owner.id
    for col, (cat, label) in zip(cols[1:], CATEGORY_LABELS.items(), strict=True):
        count, percent = figures.categories[cat]
        col.metric(label, f"{percent:.1f}%", help=f"{count:,} of {whose} customers", border=True)
        if linked:  # the Customers tab, filtered to exactly these
            col.page_link("app_pages/customers.py", label=f"{count:,} customers", icon=":material/arrow_forward:",
                          query_params={"health": cat, "profile": shown.name})  # fmt: skip
        else:
            col.caption(f"{count:,} customers")
    left, right = st.columns(2)
    with left:
        st.markdown("**Score distribution**")
        charts.draw(
            distribution, list(figures.distribution), profile=shown, key=f"{P}.distribution"
        )
    with right:
        st.markdown(f"**Average score, last {summary_data.TREND_DAYS} days**")
        if data.trend:
            days = [d for d, _, _ in data.trend]
            charts.draw(score_trend, days, [a for _, a, _ in data.trend], profile=shown, versions=data.versions,
                        name="Average score", height=260, key=f"{P}.trend")  # fmt: skip
            st.caption(
                "The computed scores of each daily run (overrides are not part of the history)."
            )
        else:
            st.caption(
                "No daily run has scored these customers yet: the chart starts with the first one."
            )
