"""The Summary tab for ``bench.run``: everything its panels read for one CSM, uncached, through
the cs_core calls the panels make (budgets: 50 ms at M, 200 ms at L); and the page's server
render in Streamlit's AppTest (budget 500 ms at M)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from bench import report_ops
from cs_core import (
    alerts,
    clock,
    record_list,
    records,
    schedule,
    settings,
    summary,
    summary_reports,
    tasks,
    views,
)
from cs_core.health import reports as health_reports
from cs_core.health.profiles import version_changes
from cs_core.record_list import Query, Viewer
from cs_core.reports import results

DATA = "summary: all data for one user"
RENDER = "summary: page render (AppTest)"
DATA_BUDGETS_S = {"M": 0.05, "L": 0.2}
RENDER_BUDGET_S = 0.5
TREND_DAYS = 90  # as ui.summary_data
BUCKET_SHOWN = 3  # the tasks each bucket lists, as ui.summary_tasks
ALERTS_PAGE = 25


def summary_data(con: Any, user: Any, now: Any) -> dict[str, int]:
    """What the Summary's panels read for ``user``, in their order; a few counts to show."""
    chosen = settings.get_customer_settings(con)
    owned = records.count_owned(
        con, chosen.object, owner_property=chosen.owner_property, user_id=user.id
    )
    day = clock.score_date(now)
    choice = summary.health_profile(con, user_id=user.id)
    scored = 0
    if choice.chosen is not None:
        scored = health_reports.summary(con, choice.chosen, day=day, owner_id=user.id).count
        health_reports.average_by_day(
            con, choice.chosen, since=day - timedelta(days=TREND_DAYS), owner_id=user.id
        )
        version_changes(con, choice.chosen.id)
    alert_count = alerts.count_active(con, user_id=user.id, now=now)
    alerts.active_alerts(con, user_id=user.id, now=now, limit=ALERTS_PAGE, offset=0)
    viewer = Viewer(user.id, now, user.time_zone)
    queries = [Query(chosen.object, v.filters, tuple(v.columns), owner_property=chosen.owner_property)
               for v in views.default_views(con, chosen.object)]  # fmt: skip
    record_list.counts(con, queries, viewer)
    tasks.buckets(
        con, user=user, now=now, keys=("today", "overdue", "tomorrow"), shown=BUCKET_SHOWN
    )
    today = clock.local_date(now, user.time_zone)
    events = schedule.events(con, user=user, first=today, last=today)
    for item in summary_reports.chosen(con, user.id):
        results.result(con, item.report, now=now, user=user)
    return {"owned": owned, "scored": scored, "alerts": alert_count, "events": len(events)}


def data(ctx: Any) -> dict[str, float]:
    results.clear()  # the chosen reports' results are read, not taken from the cache
    start = time.perf_counter()
    found = summary_data(ctx.con, ctx.user, ctx.now)
    elapsed = time.perf_counter() - start
    shown = ", ".join(f"{v:,} {k}" for k, v in found.items())
    return {f"{DATA} ({shown})": elapsed}


def render(ctx: Any) -> dict[str, float]:
    """A new session as the CSM: the Summary's first run is timed (the readers' caches warm
    after the first session, as for a CSM opening it again)."""
    from streamlit.testing.v1 import AppTest

    path = report_ops.dashboard_workspace(ctx)  # a copy the app may open beside ctx.con
    with report_ops.app_environment(ctx, path):
        report_ops.quiet_streamlit()
        if "summary warmed" not in ctx.cache:
            _session(AppTest)
            ctx.cache["summary warmed"] = True
        return {RENDER: _session(AppTest)}


def _session(app_test: Any) -> float:
    at = app_test.from_file(
        str(report_ops.ROOT / "streamlit_app.py"), default_timeout=report_ops.APPTEST_TIMEOUT_S
    )
    at.session_state["as"] = report_ops.VIEWER_ID
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    problems = [str(e.value) for e in (*at.exception, *at.error)]
    if problems:
        raise RuntimeError(f"the Summary failed: {problems[0]}")
    if "Customer health" not in [h.value for h in at.subheader]:
        raise RuntimeError("the Summary shows no health panel")
    return elapsed


def close(ctx: Any, found: Any) -> None:
    ctx.cache.pop("summary warmed", None)
    report_ops.close_dashboard(ctx, found)


def operations(operation_type) -> list:
    return [
        operation_type(DATA, data, scale_budgets=DATA_BUDGETS_S),
        operation_type(RENDER, render, scale_budgets={"M": RENDER_BUDGET_S}, finish=close),
    ]
