"""A report drawn (DSH-3): its plotly chart in the workspace's theme, or its single number with
the previous period, its table, and its CSV through the one CSV writer. Used by dashboards, the
report builder's preview and the Summary tab."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cs_core import clock, csvfile
from cs_core.reports import presentation, results
from cs_core.reports.definition import Report, ReportError
from cs_core.reports.presentation import Table
from cs_core.users import User
from ui import charts, db
from ui import text as ut

# The workspace's chart theme: one palette, the same fonts and margins everywhere.
COLORWAY = ["#0f766e", "#2563eb", "#d97706", "#7c3aed", "#db2777", "#16a34a", "#64748b", "#dc2626", "#0891b2",
            "#ca8a04"]  # fmt: skip
CATEGORY_COLORS = {"At risk": "#dc2626", "Neutral": "#d97706", "Successful": "#16a34a"}
CONFIG = {"displayModeBar": False}


def frame(tbl: Table) -> pd.DataFrame:
    """The table a person reads, and the CSV they download (the same frame)."""
    return pd.DataFrame([list(r) for r in tbl.rows], columns=list(tbl.columns))


def _fmt(tbl: Table) -> str:
    return ".1%" if tbl.is_ratio else ",.4~r"


def _layout(fig: go.Figure, tbl: Table, *, height: int) -> go.Figure:
    fig.update_layout(
        colorway=COLORWAY, height=height, margin={"t": 30, "b": 10, "l": 10, "r": 10},
        font={"family": "sans-serif", "size": 12}, legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "title": None},
        plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)",
        yaxis={"tickformat": ".1~%" if tbl.is_ratio else "~s", "gridcolor": "rgba(128,128,128,0.2)",
               "rangemode": "tozero", "title": tbl.columns[-1]},
        xaxis={"type": "category", "title": tbl.columns[0] if len(tbl.columns) > 1 else None},
    )  # fmt: skip
    return fig


MAX_SERIES = 10  # more series than this: the largest ten, the rest as "Other"
ADDITIVE = ("count", "sum")


def _series(tbl: Table, filled: bool, op: str) -> dict[str | None, tuple[list, list]]:
    """{series label: (x labels, values)}; the second dimension makes the series. Beyond
    MAX_SERIES, the largest by total stay and the rest are summed into "Other" (counts and
    sums) or left out (an average of averages would be wrong)."""
    if filled:
        rows = presentation.zero_filled(tbl)
    else:
        rows = [(row[0], row[1] if len(row) > 2 else None, row[-1]) for row in tbl.rows]
    totals: dict = {}
    for _, name, v in rows:
        totals[name] = totals.get(name, 0) + (v or 0)
    kept = (
        set(sorted(totals, key=lambda n: -totals[n])[:MAX_SERIES])
        if len(totals) > MAX_SERIES
        else set(totals)
    )
    out: dict = {}
    other: dict = {}
    for x, name, v in rows:
        x = presentation.NO_VALUE if x is None else x
        if name in kept:
            xs, ys = out.setdefault(name, ([], []))
            xs.append(x)
            ys.append(v)
        elif op in ADDITIVE:
            other[x] = other.get(x, 0) + (v or 0)
    if other:
        out[f"Other ({len(totals) - len(kept)})"] = (list(other), list(other.values()))
    return out


def figure(report: Report, tbl: Table, *, height: int = 320) -> go.Figure:
    """The plotly figure of a bar, stacked bar, line, area or pie report."""
    fig = go.Figure()
    hover = f"%{{x}}: %{{y:{_fmt(tbl)}}}<extra>%{{fullData.name}}</extra>"
    if report.chart == "pie":
        labels = [" · ".join(str(v) for v in row[:-1]) or tbl.columns[-1] for row in tbl.rows]
        colors = [CATEGORY_COLORS.get(str(label)) for label in labels]
        fig.add_pie(labels=labels, values=[row[-1] or 0 for row in tbl.rows], hole=0.45, sort=False,
                    marker={"colors": colors if all(colors) else None}, textinfo="percent",
                    hovertemplate="%{label}: %{value:,.4~r} (%{percent})<extra></extra>")  # fmt: skip
        return _layout(fig, tbl, height=height)
    filled = report.chart in ("line", "area")
    series = (
        _series(tbl, filled, report.op)
        if report.dimensions
        else {None: ([tbl.columns[-1]], [tbl.rows[0][-1]])}
    )
    for name, (xs, ys) in series.items():
        label = tbl.columns[-1] if name is None else str(name)
        color = CATEGORY_COLORS.get(label)
        if report.chart in ("bar", "stacked_bar", "table", "number"):
            fig.add_bar(name=label, x=xs, y=ys, hovertemplate=hover, marker_color=color)
        else:
            fig.add_scatter(name=label, x=xs, y=ys, mode="lines+markers" if len(xs) < 40 else "lines",
                            stackgroup="one" if report.chart == "area" else None, line={"color": color},
                            hovertemplate=hover)  # fmt: skip
    fig.update_layout(barmode="stack" if report.chart == "stacked_bar" else "group",
                      showlegend=len(series) > 1)  # fmt: skip
    return _layout(fig, tbl, height=height)


def number_text(value, *, ratio: bool) -> str:
    if value is None:
        return "—"
    if ratio:
        return f"{value:.1%}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _number(con, report: Report, tbl: Table, *, user: User | None) -> None:
    value = tbl.rows[0][-1] if tbl.rows else None
    before_at = presentation.previous_now(report, clock.now())
    delta, note = None, "No earlier period to compare: add a filter such as “in the last 30 days”."
    if before_at is not None:
        before = results.result(con, report, now=before_at, user=user).rows[0][-1]
        days = presentation.comparison_days(report)
        note = f"The {days} days before: {number_text(before, ratio=tbl.is_ratio)}"
        if before is not None and value is not None:
            delta = number_text(value - before, ratio=tbl.is_ratio)
            delta = delta if delta.startswith("-") else f"+{delta}"
    st.metric(tbl.columns[-1], number_text(value, ratio=tbl.is_ratio), delta=delta)
    st.caption(note)


def show(con, report: Report, *, user: User | None, key: str, height: int = 320, tools: bool = True) -> Table | None:  # fmt: skip
    """Draw ``report`` (chart or number, a table on request, its CSV); a report that cannot run
    says why. Returns its table."""
    try:
        tbl, data = _shown(con, report, user=user)
    except ReportError as exc:
        ut.error("This report cannot run: " + " ".join(exc.problems))
        return None
    as_table = report.chart == "table"
    if tools:
        a, b = st.columns([3, 2], vertical_alignment="center")
        if report.chart not in ("table", "number"):
            as_table = a.toggle("Table", key=f"{key}.as_table", help="Show the figures as a table")
        # Written when pressed (deferred), not on every run of a page of several reports.
        b.download_button("CSV", lambda: csvfile.to_bytes(data), file_name=f"{_file_name(report.name)}.csv",
                          mime="text/csv", icon=":material/download:", key=f"{key}.csv",
                          help="Download the table as CSV")  # fmt: skip
    if not tbl.rows or (report.dimensions and not len(data)):
        st.info("No rows match this report's filters.", icon=":material/info:")
    elif report.chart == "number" and not as_table:
        _number(con, report, tbl, user=user)
    elif as_table:
        st.dataframe(data, hide_index=True, width="stretch", key=f"{key}.table")
    else:
        charts.draw(figure, report, tbl, height=height, key=f"{key}.chart", config=CONFIG)
    return tbl


def _shown(con, report: Report, *, user: User | None) -> tuple[Table, pd.DataFrame]:
    """The report's table and frame, kept until a table the report reads is written (its
    labels included: the catalog, users, pipelines and stages are among them), so a team's
    edits elsewhere, many a minute, leave a dashboard as it was; shared by the viewers it is
    the same for (cs_core.reports.results.viewer_key)."""
    now = clock.now()
    viewer = results.viewer_key(report, user)
    return _read(con, repr(report), viewer, clock.local_date(now, viewer[0]),
                 _report=report, _user=user, _now=now)  # fmt: skip


@db.cached()
def _read(con, definition: str, viewer: tuple, day, *, _report: Report, _user: User | None,
          _now) -> tuple[Table, pd.DataFrame]:  # fmt: skip
    tbl = presentation.table(con, _report, results.result(con, _report, now=_now, user=_user))
    return tbl, frame(tbl)


def _file_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    return "-".join(part for part in cleaned.split("-") if part) or "report"
