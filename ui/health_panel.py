"""A record's health: score, category, trend chart, points per rule, and what changed (HS-7)."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cs_core import clock
from cs_core.health import overrides
from cs_core.health.explain import RecordHealth, current_health, record_health
from cs_core.health.reports import CATEGORY_LABELS
from cs_core.users import PermissionDenied, User
from ui import charts, state
from ui import text as ut

COLORS = {"at_risk": "#dc2626", "neutral": "#d97706", "successful": "#16a34a"}


def badge(category: str) -> str:
    color = {"at_risk": "red", "neutral": "orange", "successful": "green"}[category]
    return f":{color}-badge[{CATEGORY_LABELS[category]}]"


def summary_line(
    con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *, day: date
) -> None:
    """One line per live profile for the preview: the score in effect, its category, the change."""
    for h in current_health(con, object_name, record_id, day=day):
        words = change_words(h.computed_score, h.previous_score)
        delta = "" if words is None else f" ({words} since the previous score)"
        marked = f" · overridden, computed {h.computed_score}" if h.overridden else ""
        name = ut.md(h.profile_name, ut.LABEL_LIMIT)
        st.markdown(f"**Health {h.score}** {badge(h.category)} · {name}{delta}{marked}")


def change_words(score: int, previous: int | None) -> str | None:
    """The change since the previous score in words: "+15", "−5", "no change" (None: no
    previous score)."""
    if previous is None:
        return None
    diff = score - previous
    return "no change" if diff == 0 else f"{diff:+d}".replace("-", "\u2212")


def trend(h: RecordHealth) -> go.Figure:
    """The record's scores by day (HS-5)."""
    frame = h.history
    days = [pd.Timestamp(d).date() for d in frame["score_date"]]
    return score_trend(
        days, list(frame["score"]), profile=h.profile, versions=h.versions, name="Score"
    )


def score_trend(
    days: list[date], scores: list, *, profile, versions, name: str, height: int = 280
) -> go.Figure:
    """Scores by day with the profile's category bands, each profile version change after the
    first as a dotted line named in the legend; one day shows as a point in its week."""
    fig = go.Figure()
    low, high = profile.at_risk_max, profile.successful_min
    for y0, y1, cat in ((0, low, "at_risk"), (low, high, "neutral"), (high, 100, "successful")):
        fig.add_hrect(y0=y0, y1=y1, fillcolor=COLORS[cat], opacity=0.07, line_width=0)
    fig.add_trace(go.Scatter(x=days, y=scores, mode="lines+markers", name=name, line={"color": "#0f766e"},
                             hovertemplate="%{x|%d %b %Y}: %{y}<extra></extra>"))  # fmt: skip
    for version, saved in versions[1:]:
        day = pd.Timestamp(saved).date()
        fig.add_trace(go.Scatter(x=[day, day], y=[0, 100], mode="lines", name=f"Profile version {version}",
                                 line={"color": "#64748b", "dash": "dot", "width": 1},
                                 hovertemplate=f"Version {version} from %{{x|%d %b %Y}}<extra></extra>"))  # fmt: skip
    first, last = (min(days), max(days)) if days else (None, None)
    xaxis: dict = {"type": "date", "tickformat": "%d %b %Y", "hoverformat": "%d %b %Y"}
    if first is not None and (last - first).days < 7:  # a point or a few days: a week around them
        middle = first + (last - first) / 2
        xaxis["range"] = [middle - timedelta(days=4), middle + timedelta(days=4)]
        xaxis["dtick"] = 86_400_000  # one tick a day
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 20, "b": 10}, yaxis={"range": [0, 100]},
                      xaxis=xaxis, showlegend=len(versions) > 1,
                      legend={"orientation": "h", "y": -0.25})  # fmt: skip
    return fig


def _override(con, h: RecordHealth, record_id: int, user: User, key: str) -> None:
    """Show an active override beside the computed score, and set or remove one."""
    now = clock.now()
    active = overrides.active_override(con, profile_id=h.profile.id, record_id=record_id, now=now)
    if active:
        st.warning(f"**Overridden to {active.score}** until {active.expires_on:%d %b %Y} by "
                   f"{ut.md(active.by or 'a user', ut.LABEL_LIMIT)}: {ut.md(active.reason, ut.VALUE_LIMIT)}. "
                   f"The computed score is {h.score}.", icon=":material/edit_note:")  # fmt: skip
    with st.expander("Override this score", icon=":material/edit_note:"):
        a, b = st.columns(2)
        score = a.number_input(
            "Score", 0, 100, value=active.score if active else h.score, step=1, key=f"{key}.score"
        )
        until = b.date_input(
            "Until", value=clock.score_date(now) + timedelta(days=30), key=f"{key}.until"
        )
        reason = st.text_input(
            "Reason", key=f"{key}.reason", placeholder="e.g. exec sponsor confirmed the renewal"
        )
        c, d = st.columns(2)
        if c.button("Save override", key=f"{key}.save", type="primary"):
            try:
                overrides.set_override(con, actor=user, profile_id=h.profile.id, record_id=record_id,
                                       score=int(score), reason=reason, expires_on=until, now=now)  # fmt: skip
            except (overrides.OverrideRefused, PermissionDenied) as exc:
                ut.error(exc)
            else:
                state.flash("Override saved.")
                st.rerun()
        if active and d.button("Remove override", key=f"{key}.remove"):
            overrides.remove_override(
                con, actor=user, profile_id=h.profile.id, record_id=record_id, now=now
            )
            state.flash("Override removed.")
            st.rerun()


def health_tab(con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *, prefix: str,
               user: User) -> None:  # fmt: skip
    entries = record_health(con, object_name, record_id)
    if not entries:
        st.info("No live health-score profile scores this record. A CS settings manager can create one; "
                "its score, trend and the points each rule gave will show here.", icon=":material/favorite:")  # fmt: skip
        return
    in_effect = {
        c.profile_id: c
        for c in current_health(con, object_name, record_id, day=clock.score_date(clock.now()))
    }
    for i, h in enumerate(entries):
        with st.container(border=True):
            a, b, c = st.columns([1, 1, 2])
            effect = in_effect.get(h.profile.id)
            overridden = bool(effect and effect.overridden)
            a.metric(
                "Health score (overridden)" if overridden else "Health score",
                effect.score if overridden else h.score,
                delta=None
                if h.previous_score is None
                else (h.score - h.previous_score or "no change"),
                delta_color="off" if h.previous_score in (None, h.score) else "normal",
                delta_arrow="off" if h.previous_score == h.score else "auto",
                delta_description="since the previous score"
                if h.previous_score is not None
                else None,
                help=f"Computed score {h.score}; the override is in effect until it ends."
                if overridden
                else "The change since the previous score",
            )
            category = effect.category if overridden else h.category
            b.markdown(
                f"**Category**\n\n{badge(category)}"
                + (f"\n\ncomputed {h.score} · {CATEGORY_LABELS[h.category]}" if overridden else "")
            )
            c.caption(f"Profile **{ut.md(h.profile.name, ut.LABEL_LIMIT)}** (version {h.profile.version}), "
                      f"scored {h.score_date:%d %b %Y}. "
                      f"At risk up to {h.profile.at_risk_max}, successful from {h.profile.successful_min}.")  # fmt: skip
            _override(con, h, record_id, user, f"{prefix}.health.override.{i}")
            charts.draw(trend, h, key=f"{prefix}.health.trend.{i}")
            if h.previous_score is not None:
                st.markdown(
                    f"**What changed since the previous score** ({change_words(h.score, h.previous_score)})\n\n"
                    + (
                        "\n".join(f"- {ut.md(t, ut.VALUE_LIMIT)}" for t in h.changes)
                        if h.changes
                        else "No rule started or stopped matching."
                    )
                )
            for g in h.groups:
                left_out = (
                    ""
                    if g["included"]
                    else " (left out: no input data; its weight went to the others)"
                )
                st.markdown(
                    f"**{ut.md(g['group'], ut.LABEL_LIMIT)}**: {g['points']} of {g['max_points']} points{left_out}"
                )
                st.markdown("\n".join(
                    f"- {':material/check_circle:' if r['matched'] else ':material/radio_button_unchecked:'} "
                    f"{ut.md(r['text'], ut.VALUE_LIMIT)}: {'+' if r['points'] > 0 else ''}{r['points']}"
                    + ("" if r["matched"] else " (not met)")
                    for r in g["rules"]))  # fmt: skip
