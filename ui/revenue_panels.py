"""The Revenue tab's renewals view (REN-1) and retention panel (REN-2)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cs_core import clock, csvfile, renewals, retention, users
from cs_core.retention import RetentionError
from cs_core.users import User
from ui import text as ut

P = "revenue"


def _money(value) -> str:
    return f"{float(value):,.0f}"


def renewals_view(con: duckdb.DuckDBPyConnection, *, user: User) -> None:
    """Accounts renewing in the next 30 / 60 / 90 days, their ARR and the ARR at risk."""
    a, b = st.columns([2, 3])
    window = a.segmented_control("Renewing in the next", list(renewals.WINDOWS), default=90, key=f"{P}.renewals.window",
                                 format_func=lambda n: f"{n} days") or 90  # fmt: skip
    scopes = {"mine": "My accounts", "team": "My team", "all": "Everyone"}
    scope = b.segmented_control("Accounts", list(scopes), default="mine", format_func=scopes.get,
                                key=f"{P}.renewals.scope") or "mine"  # fmt: skip
    owners: list[int] | None = [user.id]
    if scope == "team":
        owners = [
            u.id
            for u in users.list_users(con)
            if user.team_id is not None and u.team_id == user.team_id
        ]
        owners = owners or [user.id]
    elif scope == "all":
        owners = None
    try:
        found = renewals.renewals(
            con, user=user, now=clock.now(), window=int(window), owners=owners
        )
    except ValueError as exc:
        ut.info(exc)
        return
    cols = st.columns(3)
    cols[0].metric("Accounts renewing", f"{len(found.rows):,}", border=True)
    cols[1].metric("ARR renewing", _money(found.total_arr), border=True)
    cols[2].metric("ARR at risk", _money(found.arr_at_risk), border=True,
                   help="ARR today of the renewing accounts whose health is at risk")  # fmt: skip
    if found.rows.empty:
        st.info(f"No account renews in the next {window} days.", icon=":material/event_available:")
        return
    shown = pd.DataFrame({
        "Account": [f"/customers?record={i}" for i in found.rows["id"]], "Name": found.rows["name"],
        "Owner": found.rows["owner"], "Renewal date": pd.to_datetime(found.rows["renewal_date"]).dt.date,
        "Health": found.rows["category"], "ARR today": [float(v) for v in found.rows["arr"]],
    })  # fmt: skip
    st.dataframe(
        shown, hide_index=True, width="stretch", key=f"{P}.renewals.table",
        column_config={"Account": st.column_config.LinkColumn("Account", display_text="Open", width=60),
                       "ARR today": st.column_config.NumberColumn("ARR today", format="localized")},
    )  # fmt: skip
    export = shown.drop(columns=["Account"]).assign(**{"Record ID": list(found.rows["id"])})
    st.download_button("Export CSV", csvfile.to_bytes(export), file_name=f"renewals-{window}-days.csv",
                       mime="text/csv", icon=":material/download:", key=f"{P}.renewals.export")  # fmt: skip


def _quarters_back(today: date, n: int) -> tuple[date, date]:
    """The range of the last ``n`` whole quarters before the current one."""
    current = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    index = current.year * 12 + current.month - 1 - 3 * n
    return date(index // 12, index % 12 + 1, 1), current


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _ratios_chart(periods) -> go.Figure:
    """GRR and NRR as lines on their own scale; logo churn as bars on the right axis."""
    names = [p.period for p in periods]
    fig = go.Figure()
    for label, ratio in (("GRR", "grr"), ("NRR", "nrr")):
        fig.add_scatter(name=label, x=names, y=[getattr(p, ratio) for p in periods], mode="lines+markers",
                        text=[p.shown(ratio) for p in periods], hovertemplate=f"{label} %{{x}}: %{{text}}<extra></extra>")  # fmt: skip
    fig.add_bar(name="Logo churn", x=names, y=[p.logo_churn for p in periods], yaxis="y2", opacity=0.45,
                text=[p.shown("logo_churn") for p in periods],
                hovertemplate="Logo churn %{x}: %{text}<extra></extra>", textposition="none")  # fmt: skip
    fig.update_layout(
        height=320, margin={"t": 20, "b": 20, "l": 10, "r": 10}, legend={"orientation": "h"},
        yaxis={"tickformat": ".0%", "title": "GRR, NRR"},
        yaxis2={"tickformat": ".1%", "title": "Logo churn", "overlaying": "y", "side": "right", "rangemode": "tozero",
                "showgrid": False},
    )  # fmt: skip
    return fig


def _waterfall(period) -> go.Figure:
    """start → +expansion → −contraction → −churn → +new → end, the axis zoomed to the
    bars so small movements stay visible; labels and hover show whole amounts."""
    steps = [("Start ARR", float(period.start_arr), "absolute"), ("Expansion", float(period.expansion), "relative"),
             ("Contraction", -float(period.contraction), "relative"), ("Churn", -float(period.churned_arr), "relative"),
             ("New", float(period.new_arr), "relative"), ("End ARR", float(period.end_arr), "total")]  # fmt: skip
    levels, level = [], 0.0
    for _, value, measure in steps:
        level = value if measure != "relative" else level + value
        levels.append(level)
    low, high = min(levels), max(levels)
    pad = max((high - low) * 0.25, high * 0.01, 1.0)
    fig = go.Figure(go.Waterfall(
        x=[s[0] for s in steps], y=[s[1] for s in steps], measure=[s[2] for s in steps],
        text=[_money(abs(s[1])) for s in steps], textposition="outside", connector={"line": {"width": 1}},
        hovertemplate="%{x}: %{text}<extra></extra>",
    ))  # fmt: skip
    fig.update_layout(height=340, margin={"t": 30, "b": 20, "l": 10, "r": 10}, showlegend=False,
                      yaxis={"range": [max(low - pad, 0), high + pad], "tickformat": ",.0f"})  # fmt: skip
    return fig


def retention_panel(con: duckdb.DuckDBPyConnection, *, user: User, object_name: str) -> None:
    """GRR, NRR and logo churn per period, the ARR movements of one period, and its accounts."""
    today = clock.local_date(clock.now(), user.time_zone)
    a, b, c = st.columns([1.3, 1.5, 1.5])
    grain = a.segmented_control("Per", ["quarter", "month"], default="quarter", key=f"{P}.retention.grain",
                                format_func=str.title) or "quarter"  # fmt: skip
    first_default, last_default = _quarters_back(today, 8)
    first = b.date_input("From", value=first_default, key=f"{P}.retention.from")
    last = c.date_input("To (first day after)", value=last_default, key=f"{P}.retention.to")
    try:
        source = retention.default_source(con, object_name)
        found = retention.retention(con, source=source, grain=grain, first=first, last=last)
    except RetentionError as exc:
        ut.error(exc)
        return
    if not found.periods:
        st.info("No whole period starts in this range.", icon=":material/date_range:")
        return
    names = [p.period for p in found.periods]
    st.plotly_chart(
        _ratios_chart(found.periods), key=f"{P}.retention.ratios", config={"displayModeBar": False}
    )
    table = pd.DataFrame([
        {"Period": p.period, "GRR": p.shown("grr"), "NRR": p.shown("nrr"), "Logo churn": p.shown("logo_churn"),
         "Start ARR": float(p.start_arr), "Expansion": float(p.expansion), "Contraction": float(p.contraction),
         "Churned ARR": float(p.churned_arr), "New ARR": float(p.new_arr), "End ARR": float(p.end_arr),
         "Accounts at start": p.accounts_start, "Accounts churned": p.accounts_churned}
        for p in found.periods
    ])  # fmt: skip
    money = {c: st.column_config.NumberColumn(c, format="localized") for c in
             ("Start ARR", "Expansion", "Contraction", "Churned ARR", "New ARR", "End ARR")}  # fmt: skip
    st.dataframe(
        table, hide_index=True, width="stretch", key=f"{P}.retention.table", column_config=money
    )
    st.caption(f"{found.unassigned_lines:,} lines without an account and {found.invalid_lines:,} invalid lines are "
               "left out.")  # fmt: skip
    chosen = st.selectbox("Period", names, index=len(names) - 1, key=f"{P}.retention.period")
    period = found.periods[names.index(chosen)]
    event = st.plotly_chart(_waterfall(period), key=f"{P}.retention.waterfall", on_select="rerun",
                            selection_mode="points", config={"displayModeBar": False})  # fmt: skip
    movements = {
        "Expansion": "expansion",
        "Contraction": "contraction",
        "Churn": "churned",
        "New": "new",
    }
    # A click on a bar chooses its movement below; the chart keeps its selection across
    # reruns, so only a new click does (a choice made in the box afterwards stays).
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else []
    clicked = points[0].get("x") if points else None
    if clicked != st.session_state.get(f"{P}.retention.clicked"):
        st.session_state[f"{P}.retention.clicked"] = clicked
        if clicked in movements:
            st.session_state[f"{P}.retention.movement"] = clicked
    label = st.selectbox("Accounts behind", list(movements), key=f"{P}.retention.movement",
                         help="Or click a bar of the chart.")  # fmt: skip
    behind = retention.accounts(
        con, source=source, start=period.start, end=period.end, movement=movements[label]
    )
    st.caption(
        f"{len(behind):,} account{'s' if len(behind) != 1 else ''} · {ut.md(label.lower())} in {chosen}"
    )
    if not behind.empty:
        st.dataframe(
            pd.DataFrame({"Open": [f"/customers?record={i}" for i in behind["account_id"]], "Account": behind["name"],
                          "Start ARR": [float(v) for v in behind["start_arr"]],
                          "End ARR": [float(v) for v in behind["end_arr"]]}),
            hide_index=True, width="stretch", key=f"{P}.retention.accounts",
            column_config={"Open": st.column_config.LinkColumn("Open", display_text="Open", width=60),
                           "Start ARR": st.column_config.NumberColumn("Start ARR", format="localized"),
                           "End ARR": st.column_config.NumberColumn("End ARR", format="localized")},
        )  # fmt: skip
