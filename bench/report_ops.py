"""Reports and dashboards for ``bench.run`` (budgets set for scale M): each starter report of the
demo (cs_core/demo/reports.py) run uncached, and the "CS leadership" dashboard drawn by the
Dashboards tab in Streamlit's AppTest, on a copy of the workspace that has the starter set."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cs_core import clock, db, health
from cs_core.demo import health as demo_health
from cs_core.demo import reports as demo_reports
from cs_core.reports import results
from cs_core.reports.definition import Report, parse

ROOT = Path(__file__).resolve().parent.parent
REPORT_BUDGET_S = 0.1
QUERY_LIMIT_S = 60.0  # run_with_limit's time limit: high, so a slow report is timed, not stopped
AUTHOR_ID = 3  # a settings manager in every demo scale (may edit reports)
VIEWER_ID = 4  # a CSM in every demo scale
DASHBOARD = "dashboard: CS leadership render (AppTest)"
FIRST_RENDER = "dashboard: CS leadership render (AppTest, first render)"
DASHBOARD_BUDGET_S = 1.0
APPTEST_TIMEOUT_S = 60.0
PAGE = "app_pages/dashboards.py"
# The starter set's names (they do not depend on the pipeline id) and the dashboard's name.
NAMES = [d["name"] for d in demo_reports.starter_reports(0)]
BOARD_NAME = "CS leadership"


def report_row(name: str) -> str:
    return f"report: {name}"


def renewals_pipeline(ctx: Any) -> int:
    """The Renewals pipeline's id in the workspace (looked up once)."""
    if "renewals pipeline" not in ctx.cache:
        found = ctx.con.execute(
            "SELECT id FROM pipelines WHERE object = 'deals' AND label = 'Renewals' ORDER BY id"
        ).fetchone()
        if found is None:
            raise RuntimeError("the workspace has no Renewals pipeline of deals")
        ctx.cache["renewals pipeline"] = found[0]
    return ctx.cache["renewals pipeline"]


def ensure_profiles(ctx: Any) -> None:
    """The demo's health profiles, added once (untimed) to a workspace built before them."""
    if "report profiles" in ctx.cache:
        return
    if health.get_profile(ctx.con, name=demo_reports.PROFILE) is None:
        demo_health.add_profiles(ctx.con, now=ctx.now, history=False)
    ctx.cache["report profiles"] = True


def starter_report(ctx: Any, name: str) -> Report:
    """The starter report ``name``, parsed from cs_core/demo/reports.py (not the workspace's
    saved reports: a bench workspace may predate them)."""
    key = f"starter report {name}"
    if key not in ctx.cache:
        ensure_profiles(ctx)
        (definition,) = [
            d for d in demo_reports.starter_reports(renewals_pipeline(ctx)) if d["name"] == name
        ]
        ctx.cache[key] = parse(definition)
    return ctx.cache[key]


def run_report(name: str) -> Callable[[Any], dict[str, float]]:
    """Time one starter report, uncached (run_with_limit bypasses the results cache, and the
    retention periods two retention reports share are forgotten first); a result
    without rows, or whose values are all empty, fails the row (a demo-data defect)."""

    def run(ctx: Any) -> dict[str, float]:
        report = starter_report(ctx, name)
        results.clear()
        start = time.perf_counter()
        found = results.run_with_limit(
            ctx.con, report, now=ctx.now, user=ctx.user, seconds=QUERY_LIMIT_S
        )
        elapsed = time.perf_counter() - start
        if not found.rows or all(row[-1] is None for row in found.rows):
            raise RuntimeError(f"the starter report {name!r} gives no figures at this scale")
        rows = len(found.rows)
        return {f"{report_row(name)} ({rows:,} row{'' if rows == 1 else 's'})": elapsed}

    return run


# --- the dashboard in AppTest ----------------------------------------------------------


@contextlib.contextmanager
def app_environment(ctx: Any, path: Path) -> Iterator[None]:
    """The app's environment for an in-process AppTest run on ``path`` (the workspace file and
    the bench's "now"), restored afterwards: the server phase passes os.environ on."""
    wanted = {"CS_WORKSPACE_DB": str(path), clock.NOW_VARIABLE: ctx.now.isoformat()}
    dropped = ("CS_DEMO_USER",)
    saved = {k: os.environ.get(k) for k in (*wanted, *dropped)}
    os.environ.update(wanted)
    for key in dropped:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _remove(folder: Path, path: Path) -> None:
    db.close_shared(path)
    shutil.rmtree(folder, ignore_errors=True)


def dashboard_workspace(ctx: Any) -> Path:
    """A copy of the workspace with the starter set and the "CS leadership" dashboard shared with
    everyone (added once, untimed), so the app's connection to it does not clash with
    ``ctx.con``; removed after the last run (or at exit)."""
    if "dashboard workspace" in ctx.cache:
        return ctx.cache["dashboard workspace"]
    ensure_profiles(ctx)
    pipeline = renewals_pipeline(ctx)
    ctx.con.execute("CHECKPOINT")  # everything in the file itself before it is copied
    folder = Path(tempfile.mkdtemp(prefix="cs-bench-dashboard-"))
    path = folder / ctx.path.name
    atexit.register(_remove, folder, path)
    subprocess.run(["cp", "--sparse=always", str(ctx.path), str(path)], check=True)
    wal = ctx.path.with_name(ctx.path.name + ".wal")
    if wal.exists():
        subprocess.run(["cp", str(wal), f"{path}.wal"], check=True)
    con = db.open_workspace(path)
    try:
        boards = con.execute("SELECT count(*) FROM dashboards WHERE name = ?", [BOARD_NAME])
        if boards.fetchone()[0] == 0:
            demo_reports.add(con, now=ctx.now, author_id=AUTHOR_ID, renewals_pipeline=pipeline)
    finally:
        con.close()
    ctx.cache["dashboard workspace"] = path
    return path


def render(path: Path) -> float:
    """A new session as CSM user 4 (its first page drawn, untimed), then the Dashboards tab:
    the seconds of that run, checked to show every tile's chart without an error."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S)
    at.session_state["as"] = VIEWER_ID
    at.run()
    at.switch_page(PAGE)
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    problems = [str(e.value) for e in (*at.exception, *at.error)]
    if problems:
        raise RuntimeError(f"the Dashboards tab failed: {problems[0]}")
    titles = [t.value for t in at.title]
    if BOARD_NAME not in titles:
        raise RuntimeError(f"the Dashboards tab shows {titles}, not {BOARD_NAME!r}")
    charts = len(at.get("plotly_chart"))
    if charts != len(NAMES):
        raise RuntimeError(f"the dashboard drew {charts} charts, not {len(NAMES)}")
    return elapsed


def quiet_streamlit() -> None:
    """Streamlit's "missing ScriptRunContext" warnings (calls outside a script run) off."""
    for name in ("streamlit", "streamlit.runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(name).setLevel(logging.ERROR)


def dashboard_render(ctx: Any) -> dict[str, float]:
    """The Dashboards tab's server render of "CS leadership" for a new session: first with the
    report results cache emptied (each report's query runs: as after a write to its tables),
    then again for another new session (every result from the cache)."""
    path = dashboard_workspace(ctx)
    with app_environment(ctx, path):
        if "dashboard warmed" not in ctx.cache:  # once: imports, the connection, the pages
            quiet_streamlit()
            render(path)
            ctx.cache["dashboard warmed"] = True
        results.clear()
        first = render(path)
        warm = render(path)
    return {FIRST_RENDER: first, DASHBOARD: warm}


def close_dashboard(ctx: Any, _results: Any) -> None:
    """After the last run: the app's connection to the copy closed, the copy removed."""
    path = ctx.cache.pop("dashboard workspace", None)
    ctx.cache.pop("dashboard warmed", None)
    if path is not None:
        results.clear()
        _remove(path.parent, path)


def operations(operation_type) -> list:
    return [
        *(operation_type(report_row(n), run_report(n), REPORT_BUDGET_S) for n in NAMES),
        operation_type(
            DASHBOARD,
            dashboard_render,
            {DASHBOARD: DASHBOARD_BUDGET_S, FIRST_RENDER: DASHBOARD_BUDGET_S},
            finish=close_dashboard,
        ),
    ]
