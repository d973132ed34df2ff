"""Time the workspace's key operations at a data scale and print a table.

    python -m bench.run --scale demo|S|M|L [--repeat N] [--rebuild] [--port P]
                        [--phase PHASE ...] [--only SUBSTRING ...]

The scale's workspace is generated once into bench/workspaces/<scale>.duckdb and
reused afterwards (``--rebuild`` makes a fresh one). Every operation is listed in
``OPERATIONS`` below; to benchmark something new, add one line there. ``--phase`` and
``--only`` (each repeatable) run a part of them: those of the phases named, those whose
name contains one of the substrings (case-insensitive).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from bench import (
    feed_ops,
    health_pandas,
    pipeline_ops,
    report_ops,
    retention_ops,
    summary_ops,
    task_ops,
)
from cs_core import (
    clock,
    db,
    health,
    record_detail,
    record_list,
    records,
    settings,
    users,
    views,
)
from cs_core.demo import SCALES, create_demo_workspace, is_empty
from cs_core.demo import health as demo_health
from cs_core.health import engine as health_engine
from cs_core.health import explain as health_explain
from cs_core.health import reports as health_reports

ROOT = Path(__file__).resolve().parent.parent
WORKSPACES = ROOT / "bench" / "workspaces"
SEED = 7
CSM_USER_ID = 4  # a CSM in every demo scale
# Debian's Chromium and the flags it needs here (shared with tests/e2e).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
GREETING = re.compile(r"Good (morning|afternoon|evening)")  # the Summary page heading
START_TIMEOUT_S = 90.0
MAIN_TABLES = (
    "users",
    "companies",
    "contacts",
    "subscriptions",
    "deals",
    "services",
    "tasks",
    "meetings",
    "activities",
    "sequence_enrollments",
    "associations",
    "property_history",
)
# One-off generation of the scale's own workspace (timed only when it is built).
GENERATE_BUDGETS_S = {"M": 60.0}

HEALTHY = "server healthy after start"
FIRST_PAGE = "first page served after start"
WARM_PAGE = "page for a new session, server running"


# --- what the operations get -----------------------------------------------------------


@dataclass
class Context:
    """What an operation may use. ``con`` is open only during the "query" phase."""

    scale: str
    path: Path
    now: datetime
    port: int | None = None
    con: duckdb.DuckDBPyConnection | None = None
    user: users.User | None = None
    customer_settings: settings.CustomerSettings | None = None
    browser: Any = None  # a Playwright Browser when Chromium is present, else None
    cache: dict[str, Any] = field(default_factory=dict)  # set-up kept between runs

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def viewer(self) -> record_list.Viewer:
        """CSM user 4 looking, now, in UTC (the bench's figures do not depend on a zone)."""
        return record_list.Viewer(CSM_USER_ID, self.now, "UTC")


Timings = Mapping[str, float] | None


@dataclass(frozen=True)
class Operation:
    """One benchmarked operation.

    ``run(ctx)`` is timed as a whole, unless it returns its own timings
    (``{row name: seconds}``) to report several moments of one run, or to leave
    set-up out of the figure. ``budget`` is in seconds: a number for the row
    named ``name`` (or ``name (detail)``, so a self-timed row can say what it
    measured, e.g. how many rows), or a mapping of row name to seconds.
    ``scale_budgets`` replaces ``budget`` at the scales it names (e.g. ``{"L": 3.0}``).
    Phases: "generate" and "file" run with no connection held (the file is free),
    "query" with ``ctx.con`` open, "server" with the file free for the app.
    ``finish(ctx, results)``, if given, runs once after the last run, to name or
    judge rows from the figures of all runs (e.g. a ratio of two medians).
    """

    name: str
    run: Callable[[Context], Timings]
    budget: float | Mapping[str, float] | None = None
    phase: str = "query"
    scale_budgets: Mapping[str, float | Mapping[str, float] | None] | None = (
        None  # None: not judged there
    )
    finish: Callable[[Context, Results], None] | None = None
    repeats: int | None = None  # runs without --repeat (default: DEFAULT_REPEATS[phase])

    def budget_for(self, row: str, scale: str | None = None) -> float | None:
        budget = self.budget
        if self.scale_budgets and scale in self.scale_budgets:
            budget = self.scale_budgets[scale]
        if isinstance(budget, Mapping):
            return budget.get(row)
        return budget if row == self.name or row.startswith(f"{self.name} (") else None


DEFAULT_REPEATS = {"generate": 3, "file": 5, "query": 5, "server": 3}
PHASES = tuple(DEFAULT_REPEATS)  # in the order they run


# --- the operations --------------------------------------------------------------------


def generate_demo(ctx: Context) -> Timings:
    """A fresh demo-scale workspace in a temporary file (the first-start experience)."""
    with tempfile.TemporaryDirectory(prefix="cs-bench-") as tmp:
        start = time.perf_counter()
        create_demo_workspace(str(Path(tmp) / "demo.duckdb"), scale="demo", seed=SEED, now=ctx.now)
        return {"generate demo workspace": time.perf_counter() - start}


def open_workspace(ctx: Context) -> Timings:
    db.open_workspace(ctx.path).close()
    return None


def app_start(ctx: Context) -> Timings:
    """Start `streamlit run` on the workspace; time health ok and the Summary page drawn."""
    port = ctx.port or free_port()
    if port_in_use(port):
        raise RuntimeError(f"Port {port} is in use already; pass another with --port.")
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "ui.launch", "--server.port"]  # as make run starts it
    cmd += [str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    env = {**os.environ, "CS_WORKSPACE_DB": str(ctx.path)}
    out: dict[str, float] = {}
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(url, proc, log, deadline=start + START_TIMEOUT_S)
            out[HEALTHY] = time.perf_counter() - start
            if ctx.browser is not None:
                open_summary(ctx.browser, url)
                out[FIRST_PAGE] = time.perf_counter() - start
                # A new session on the now-running server: the browser loading the
                # front end plus the script's run, without the server's start-up.
                again = time.perf_counter()
                open_summary(ctx.browser, url)
                out[WARM_PAGE] = time.perf_counter() - again
        finally:
            stop(proc)
    return out


# The Customers tab's list of accounts: a view as a CSM opens it, every account by
# name, and an export of about 10,000 accounts at scale M (10,553 with seed 7).
VIEW_COLUMNS = ("name", "csm_id", "segment", "renewal_date", "last_activity_at", "created_at")
VIEW_SPEC = [
    [{"property": "$owner", "operator": "eq", "value": "$me"}],
    [
        {"property": "segment", "operator": "eq", "value": "Enterprise"},
        {"property": "last_activity_at", "operator": "in_last_days", "value": 30},
    ],
]
EXPORT_SPEC = [
    [
        {"property": "segment", "operator": "eq", "value": "Enterprise"},
        {"property": "plan", "operator": "eq", "value": "Enterprise"},
    ]
]
VIEW = "open a view: filter + sort + page + count"
ALL_BY_NAME = "open a view: no filter, sort by name, page 1"
PREVIEW = "record preview"
EXPORT = "export a view to CSV"


def account_query(ctx: Context, spec: list) -> record_list.Query:
    return record_list.Query(
        ctx.customer_settings.object,
        spec,
        VIEW_COLUMNS,
        sort=(("name", "asc"),),
        owner_property=ctx.customer_settings.owner_property,
    )


def open_view(name: str, spec: list) -> Callable[[Context], Timings]:
    """Page 1 (50 rows) of a view, with its count; the row says how many records match."""

    def run(ctx: Context) -> Timings:
        query = account_query(ctx, spec)
        start = time.perf_counter()
        page = record_list.page(ctx.con, query, ctx.viewer, number=1, size=50)
        elapsed = time.perf_counter() - start
        return {f"{name} ({page.total:,} match)": elapsed}

    return run


# The standard "Owned by me" view with the Customers tab's default columns and the health
# columns (score and category in effect, and the profile when several are live), sorted by
# name, 25 rows: timed against a hand-written query for the same page, in the same runs.
VIEW_HEALTH = "open a view with health columns: page of 25 + count"
VIEW_HEALTH_MAX_RATIO = 1.5  # record_list.page within this multiple of the hand-written query
HEALTH_PAGE_SIZE = 25
# What the hand-written query below is written for: the demo's customer settings.
HAND_COLUMNS = ("name", "csm_id", "renewal_date", "last_activity_at", "created_at",
                record_list.HEALTH_SCORE, record_list.HEALTH_CATEGORY)  # fmt: skip
HAND_VIEW_COUNT = "SELECT count(*) FROM companies WHERE csm_id = $me"
# The page's 25 rows first, then only their scores (the lowest live profile id wins where
# two score one record), with an active override's score and its category from the thresholds.
HAND_VIEW_PAGE = """
WITH page_rows AS (
    SELECT id, name, csm_id, renewal_date, last_activity_at, created_at FROM companies
    WHERE csm_id = $me ORDER BY lower(name) NULLS LAST, id LIMIT $size
), scores AS (
    SELECT DISTINCT ON (c.record_id) c.record_id, p.name AS profile,
           CASE WHEN c.override_until >= $day THEN c.override_score ELSE c.score END AS score,
           CASE WHEN NOT coalesce(c.override_until >= $day, FALSE) THEN c.category
                WHEN c.override_score <= CAST(p.definition->>'$.thresholds.at_risk_max' AS INTEGER)
                    THEN 'at_risk'
                WHEN c.override_score >= CAST(p.definition->>'$.thresholds.successful_min' AS INTEGER)
                    THEN 'successful'
                ELSE 'neutral' END AS category
    FROM health_current c
    JOIN health_profiles p ON p.id = c.profile_id AND p.status = 'live' AND p.object = 'companies'
    WHERE c.record_id IN (SELECT id FROM page_rows)
    ORDER BY c.record_id, c.profile_id
)
SELECT r.id, r.name, u.name, r.renewal_date, r.last_activity_at, r.created_at, s.score,
       CASE s.category WHEN 'at_risk' THEN 'At risk' WHEN 'neutral' THEN 'Neutral'
                       WHEN 'successful' THEN 'Successful' END{profile}
FROM page_rows r LEFT JOIN users u ON u.id = r.csm_id LEFT JOIN scores s ON s.record_id = r.id
ORDER BY lower(r.name) NULLS LAST, r.id
"""


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    found = fn()
    return time.perf_counter() - start, found


def time_pair(
    ctx: Context, key: str, ours: Callable[[], Any], hand: Callable[[], Any]
) -> tuple[float, Any]:
    """Time ``ours`` and ``hand`` in one run (in turn first, run by run); the hand-written
    figure is kept in ``ctx.cache[key]``. Returns our time and result."""
    runs = ctx.cache.setdefault(key, [])
    if len(runs) % 2 == 0:
        seconds, found = timed(ours)
        runs.append(timed(hand)[0])
    else:
        runs.append(timed(hand)[0])
        seconds, found = timed(ours)
    return seconds, found


def against_hand(
    prefix: str, key: str, max_ratio: float | None = None
) -> Callable[[Context, Results], None]:
    """A ``finish`` naming the row that starts with ``prefix`` by both medians and their ratio;
    with ``max_ratio``, the ratio is its budget."""

    def finish(ctx: Context, results: Results) -> None:
        name = next((n for n in results.rows if n.startswith(prefix)), None)
        hand = ctx.cache.get(key)
        if name is None or not results.rows[name].times or not hand:
            return
        ours, theirs = statistics.median(results.rows[name].times), statistics.median(hand)
        ratio = ours / theirs
        figures = f"{fmt_duration(ours)} vs hand-written {fmt_duration(theirs)}: {ratio:.2f}x"
        new = f"{name[:-1]}; {figures})" if name.endswith(")") else f"{name} ({figures})"
        row = results.rename(name, new)
        if max_ratio is not None:
            row.budget_text = f"<= {max_ratio:g}x hand-written"
            row.note = "yes" if ratio <= max_ratio else "NO"

    return finish


def health_view(ctx: Context) -> record_list.Query:
    """The "Owned by me" view with the Customers tab's default columns and health columns."""
    if "health view" not in ctx.cache:
        cs = ctx.customer_settings
        props = record_list.listing_properties(ctx.con, cs.object)
        columns = views.default_columns(
            ctx.con, cs.object, cs.owner_property, cs.renewal_date_property
        )
        columns += [c for c in record_list.HEALTH_COLUMNS if c in props]
        spec = views.STANDARD_VIEWS["owned_by_me"][1]
        ctx.cache["health view"] = record_list.Query(
            cs.object,
            spec,
            tuple(columns),
            sort=(("name", "asc"),),
            owner_property=cs.owner_property,
        )
    return ctx.cache["health view"]


def hand_view_page(ctx: Context, with_profile: bool) -> tuple[int, Any]:
    """(count, page) by the hand-written queries."""
    total = ctx.con.execute(HAND_VIEW_COUNT, {"me": CSM_USER_ID}).fetchone()[0]
    sql = HAND_VIEW_PAGE.format(profile=", s.profile" if with_profile else "")
    params = {"me": CSM_USER_ID, "size": HEALTH_PAGE_SIZE, "day": clock.score_date(ctx.now)}
    return total, ctx.con.execute(sql, params).df()


def check_hand_view(ctx: Context, query: record_list.Query, with_profile: bool) -> None:
    """Untimed, once: the hand-written queries give record_list.page's count and rows."""
    import pandas as pd

    expected = (*HAND_COLUMNS, *([record_list.HEALTH_PROFILE] if with_profile else []))
    if (query.object, query.columns) != ("companies", expected):
        raise RuntimeError(f"the hand-written query lists companies {expected}, "
                           f"not {query.object} {query.columns}")  # fmt: skip
    page = record_list.page(ctx.con, query, ctx.viewer, number=1, size=HEALTH_PAGE_SIZE)
    total, rows = hand_view_page(ctx, with_profile)
    rows.columns = page.rows.columns
    if total != page.total:
        raise RuntimeError(f"hand-written count {total:,}, record_list.page {page.total:,}")
    try:
        pd.testing.assert_frame_equal(page.rows, rows, check_dtype=False)
    except AssertionError as exc:
        raise RuntimeError(f"hand-written page differs from record_list.page: {exc}") from None


def open_health_view(ctx: Context) -> Timings:
    """record_list.page of the health view, and the hand-written queries, in one run."""
    query = health_view(ctx)
    with_profile = record_list.HEALTH_PROFILE in query.columns
    if "health view checked" not in ctx.cache:
        check_hand_view(ctx, query, with_profile)
        ctx.cache["health view checked"] = True
    seconds, page = time_pair(
        ctx, "health view hand",
        lambda: record_list.page(ctx.con, query, ctx.viewer, number=1, size=HEALTH_PAGE_SIZE),
        lambda: hand_view_page(ctx, with_profile),
    )  # fmt: skip
    return {f"{VIEW_HEALTH} ({page.total:,} match)": seconds}


class CountingConnection:
    """A connection that counts the statements run through it (``statements``)."""

    def __init__(self, con: Any, counter: list[int] | None = None) -> None:
        self._con = con
        self._counter = counter if counter is not None else [0]

    @property
    def statements(self) -> int:
        return self._counter[0]

    def _count(self, name: str) -> Callable:
        method = getattr(self._con, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._counter[0] += 1
            return method(*args, **kwargs)

        return call

    def __getattr__(self, name: str) -> Any:
        if name in ("execute", "executemany", "sql", "query"):
            return self._count(name)
        if name == "cursor":
            return lambda: CountingConnection(self._con.cursor(), self._counter)
        return getattr(self._con, name)


def busiest_account(ctx: Context) -> tuple[int, int]:
    """(id, activities) of the account with the most activities, looked up once."""
    if "busiest" not in ctx.cache:
        ctx.cache["busiest"] = ctx.con.execute(
            "SELECT company_id, count(*) FROM activities WHERE company_id IS NOT NULL "
            "GROUP BY company_id ORDER BY count(*) DESC, company_id LIMIT 1"
        ).fetchone()
    return ctx.cache["busiest"]


def preview_busiest(ctx: Context) -> Timings:
    """The preview of the account with the most activities, its health line included (the
    lookup is not timed)."""
    record_id, n = busiest_account(ctx)

    def preview(con: Any) -> Any:
        found = record_detail.preview(
            con, object_name="companies", record_id=record_id, user=ctx.user
        )
        health_explain.current_health(con, "companies", record_id, day=ctx.today)
        return found

    if "preview statements" not in ctx.cache:  # once, untimed, through a counting proxy
        counting = CountingConnection(ctx.con)
        preview(counting)
        ctx.cache["preview statements"] = counting.statements
    start = time.perf_counter()
    found = preview(ctx.con)
    elapsed = time.perf_counter() - start
    if found is None:
        raise RuntimeError(f"company {record_id} has no preview")
    k = ctx.cache["preview statements"]
    return {f"{PREVIEW} (company with {n:,} activities; {k} SQL statements)": elapsed}


def export_view(ctx: Context) -> Timings:
    """Every record of the export view as CSV; the row says how many (counted untimed)."""
    query = account_query(ctx, EXPORT_SPEC)
    if "export rows" not in ctx.cache:
        ctx.cache["export rows"] = record_list.count(ctx.con, query, ctx.viewer)
    start = time.perf_counter()
    record_list.export_csv(ctx.con, query, ctx.viewer)
    elapsed = time.perf_counter() - start
    return {f"{EXPORT} ({ctx.cache['export rows']:,} rows)": elapsed}


IMPORT = "import 100,000 companies from CSV"
IMPORT_ROWS = 100_000
_IMPORT_SCRIPT = """
import contextlib, json, resource, sys, time
from datetime import UTC, datetime
from cs_core import db, imports
held = []  # how long each write transaction held the write lock
real = db.transaction
@contextlib.contextmanager
def timed(con):
    began = time.perf_counter()
    with real(con) as cur:
        yield cur
    held.append(time.perf_counter() - began)
db.transaction = timed
con = db.open_workspace(sys.argv[1])
start = time.perf_counter()
result = imports.import_file(con, sys.argv[2], object_name="companies", actor=None, now=datetime.now(UTC),
                             max_bytes=10**12)
seconds = time.perf_counter() - start
assert result.written and result.created == int(sys.argv[3]), result.summary()
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "longest_write": max(held), "writes": len(held)}))
"""


def _company_file(ctx: Context, rows: int, name: str) -> Path:
    """A CRM-style company file: the Telco columns, repeated to ``rows`` rows, unique ids."""
    folder = ctx.cache.setdefault("import dir", Path(tempfile.mkdtemp(prefix="cs-bench-import-")))
    source = folder / name
    if not source.exists():
        import pandas as pd

        telco = pd.read_csv(
            ROOT / "tests" / "data" / "telco-customer-churn.csv", dtype=str, keep_default_na=False
        )
        copies = pd.concat([telco] * -(-rows // len(telco)), ignore_index=True).head(rows)
        copies["customerID"] = [f"{i:07d}-{c}" for i, c in enumerate(copies["customerID"])]
        copies.to_csv(source, index=False)
        del copies
    return source


def _import_run(ctx: Context, source: Path, rows: int) -> dict:
    """The import of ``source`` into a new workspace in a process of its own (its peak memory
    is its own), with the longest write transaction it held."""
    target = source.parent / f"workspace-{time.monotonic_ns()}.duckdb"
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_SCRIPT, str(target), str(source), str(rows)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    target.unlink(missing_ok=True)
    Path(f"{target}.wal").unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"import failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout[done.stdout.rindex("{") :])


def import_companies(ctx: Context) -> Timings:
    """100k companies from CSV into a new workspace; the row names the peak memory."""
    figures = _import_run(ctx, _company_file(ctx, IMPORT_ROWS, "companies.csv"), IMPORT_ROWS)
    peak = ctx.cache.setdefault("import peak MB", round(figures["peak_mb"], -2))  # one row name
    return {f"{IMPORT} (peak memory about {peak:,.0f} MB)": figures["seconds"]}


LARGE_IMPORT = "import a 300 MB CSV"
LARGE_IMPORT_ROWS = 2_200_000  # Telco-style rows of about 136 bytes


def import_large_file(ctx: Context) -> Timings:
    """A 300 MB company file, imported in chunks; the row names its size, the peak memory and
    the longest time the import held the write lock."""
    source = _company_file(ctx, LARGE_IMPORT_ROWS, "companies-300mb.csv")
    figures = _import_run(ctx, source, LARGE_IMPORT_ROWS)
    facts = ctx.cache.setdefault(
        "large import", (source.stat().st_size / 1e6, figures["peak_mb"], figures["longest_write"],
                         figures["writes"]))  # fmt: skip
    size, peak, longest, writes = facts
    return {f"{LARGE_IMPORT} ({size:,.0f} MB, {LARGE_IMPORT_ROWS:,} rows; peak memory {peak:,.0f} MB; "
            f"longest write {longest:.1f} s of {writes} transactions)": figures["seconds"]}  # fmt: skip


# Health scores, with the demo's two live profiles (every demo scale has them; a bench
# workspace from before they existed gets them once, untimed). Each full recompute
# replaces today's scores of the profile in the bench workspace.
ENTERPRISE = demo_health.ENTERPRISE["name"]  # "Enterprise and Mid-Market"
SMB = demo_health.SMB["name"]
ONE_RECORD = "health: one-record recompute"
OWNER_SUMMARY = "health: summary for one owner"
PANDAS = "health: same profile in pandas"
PANDAS_CHECK = "health: pandas scores equal DuckDB's"
PANDAS_MIN_RATIO = 3.0  # DuckDB at least this many times faster than pandas at M


def full_recompute_name(profile_name: str) -> str:
    return f"health: full recompute ({profile_name})"


def score_only_name(profile_name: str) -> str:
    return f"health: score without storing ({profile_name})"


def health_profile(ctx: Context, name: str) -> health.Profile:
    """The demo profile by name, looked up once (and added first if the workspace lacks it)."""
    key = f"health profile {name}"
    if key not in ctx.cache:
        profile = health.get_profile(ctx.con, name=name)
        if profile is None:
            say("    no health profiles in this workspace: adding the demo's two (untimed)")
            demo_health.add_profiles(ctx.con, now=ctx.now, history=False)
            profile = health.get_profile(ctx.con, name=name)
        if profile is None:
            raise RuntimeError(f"no health profile named {name!r}")
        ctx.cache[key] = profile
    return ctx.cache[key]


def full_recompute(profile_name: str) -> Callable[[Context], Timings]:
    """Score every record of the profile for today and store the scores (and alerts)."""

    def run(ctx: Context) -> Timings:
        profile = health_profile(ctx, profile_name)
        start = time.perf_counter()
        health_engine.run(ctx.con, profile, score_date=ctx.today, now=ctx.now)
        return {full_recompute_name(profile_name): time.perf_counter() - start}

    return run


def score_only(ctx: Context) -> Timings:
    """The Enterprise profile's scores as a data frame, nothing stored (engine.compute):
    what the pandas row below does, to tell scoring from storing in the full recompute."""
    profile = health_profile(ctx, ENTERPRISE)
    start = time.perf_counter()
    health_engine.compute(ctx.con, profile, score_date=ctx.today)
    return {score_only_name(ENTERPRISE): time.perf_counter() - start}


def busiest_scored(ctx: Context, profile: health.Profile) -> tuple[int, int]:
    """(id, activities) of the company with the most activities that the profile scores."""
    if "busiest scored" not in ctx.cache:
        scored = health_engine.compute(ctx.con, profile, score_date=ctx.today)[["id"]]
        counts = ctx.con.execute(
            "SELECT company_id AS id, count(*) AS n FROM activities "
            "WHERE company_id IS NOT NULL GROUP BY 1"
        ).df()
        both = scored.merge(counts, on="id", how="left").fillna({"n": 0})
        top = both.sort_values(["n", "id"], ascending=[False, True]).iloc[0]
        ctx.cache["busiest scored"] = (int(top["id"]), int(top["n"]))
    return ctx.cache["busiest scored"]


def one_record_recompute(ctx: Context) -> Timings:
    """Rescore and store one record (as after an edit); the busiest scored company."""
    profile = health_profile(ctx, ENTERPRISE)
    record_id, n = busiest_scored(ctx, profile)
    start = time.perf_counter()
    health_engine.run(ctx.con, profile, score_date=ctx.today, now=ctx.now, record_id=record_id)
    elapsed = time.perf_counter() - start
    return {f"{ONE_RECORD} (company with {n:,} activities)": elapsed}


def owner_summary(ctx: Context) -> Timings:
    """The Summary tab's health figures for CSM user 4's accounts."""
    profile = health_profile(ctx, ENTERPRISE)
    start = time.perf_counter()
    found = health_reports.summary(ctx.con, profile, day=ctx.today, owner_id=CSM_USER_ID)
    elapsed = time.perf_counter() - start
    return {f"{OWNER_SUMMARY} (user {CSM_USER_ID}, {found.count:,} scored)": elapsed}


ALL_OWNERS = "health: summary over all owners"
# The same figures by hand: one scan of the profile's current scores (an active override's
# score and its category from the thresholds), grouped by 10-point bucket.
HAND_SUMMARY = """
SELECT least(CAST(score AS INTEGER) // 10, 9) AS bucket, count(*), CAST(sum(score) AS BIGINT),
       count(*) FILTER (WHERE category = 'at_risk'), count(*) FILTER (WHERE category = 'neutral'),
       count(*) FILTER (WHERE category = 'successful')
FROM (SELECT CASE WHEN override_until >= $day THEN override_score ELSE score END AS score,
             CASE WHEN NOT coalesce(override_until >= $day, FALSE) THEN category
                  WHEN override_score <= $low THEN 'at_risk'
                  WHEN override_score >= $high THEN 'successful' ELSE 'neutral' END AS category
      FROM health_current WHERE profile_id = $profile)
GROUP BY bucket
"""


def hand_summary(ctx: Context, profile: health.Profile) -> health_reports.Summary:
    params = {"day": ctx.today, "low": profile.at_risk_max, "high": profile.successful_min,
              "profile": profile.id}  # fmt: skip
    rows = ctx.con.execute(HAND_SUMMARY, params).fetchall()
    count, total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    per = [sum(r[i] for r in rows) for i in (3, 4, 5)]
    buckets = [0] * 10
    for r in rows:
        buckets[r[0]] += r[1]
    percent = {c: (k, health_reports.round_half_up(100 * k, count) if count else 0.0)
               for c, k in zip(health_reports.CATEGORIES, per, strict=True)}  # fmt: skip
    average = health_reports.round_half_up(total, count) if count else None
    return health_reports.Summary(count, average, percent, buckets)


def all_owner_summary(ctx: Context) -> Timings:
    """The Enterprise profile's health figures over every owner's records, and the same by a
    hand-written query (checked equal once, untimed), in one run."""
    profile = health_profile(ctx, ENTERPRISE)

    def ours() -> health_reports.Summary:
        return health_reports.summary(ctx.con, profile, day=ctx.today, owner_id=None)

    if "all-owner checked" not in ctx.cache:
        if ours() != (theirs := hand_summary(ctx, profile)):
            raise RuntimeError(
                f"hand-written summary {theirs} differs from reports.summary {ours()}"
            )
        ctx.cache["all-owner checked"] = True
    seconds, found = time_pair(ctx, "all-owner hand", ours, lambda: hand_summary(ctx, profile))
    return {f"{ALL_OWNERS} ({found.count:,} scored)": seconds}


def pandas_matches(ctx: Context) -> tuple[int, int]:
    """(records, differing) over both demo profiles: pandas' scores against DuckDB's."""
    total = differ = 0
    for name in (ENTERPRISE, SMB):
        profile = health_profile(ctx, name)
        ours = health_engine.compute(ctx.con, profile, score_date=ctx.today)
        theirs = health_pandas.scores(ctx.con, profile, score_date=ctx.today)
        both = ours[["id", "score", "category"]].merge(
            theirs, on="id", how="outer", suffixes=("", "_pandas"), indicator=True
        )
        bad = (
            (both["_merge"] != "both")
            | (both["score"] != both["score_pandas"])
            | (both["category"] != both["category_pandas"])
        )
        total += len(both)
        differ += int(bad.sum())
    return total, differ


def pandas_same_profile(ctx: Context) -> Timings:
    """The Enterprise profile scored in pandas, loading its data from DuckDB; checked once."""
    profile = health_profile(ctx, ENTERPRISE)
    if "pandas check" not in ctx.cache:
        ctx.cache["pandas check"] = pandas_matches(ctx)  # once, untimed
    start = time.perf_counter()
    health_pandas.scores(ctx.con, profile, score_date=ctx.today)
    return {PANDAS: time.perf_counter() - start}


def judge_pandas(ctx: Context, results: Results) -> None:
    """Name the pandas row by its ratios to DuckDB's full recompute (judged) and to its
    scoring without storing (for information); report the check."""
    total, differ = ctx.cache["pandas check"]
    check = results.row(f"{PANDAS_CHECK} ({total:,} records, both profiles)", None)
    check.budget_text = "all equal"
    if differ:
        check.note = f"FAILED: {differ:,} of {total:,} differ"
        results.failed = True
    else:
        check.note = "yes"
    duck = results.rows.get(full_recompute_name(ENTERPRISE))
    if duck is None or not duck.times:
        return
    pandas_median = statistics.median(results.rows[PANDAS].times)
    ratio = pandas_median / statistics.median(duck.times)
    name = f"{PANDAS} ({ratio:.1f}x the DuckDB time"
    scoring = results.rows.get(score_only_name(ENTERPRISE))
    if scoring is not None and scoring.times:
        name += f"; {pandas_median / statistics.median(scoring.times):.1f}x its scoring alone"
    row = results.rename(PANDAS, name + ")")
    row.budget_text = f">= {PANDAS_MIN_RATIO:g}x DuckDB"
    row.note = "yes" if ratio >= PANDAS_MIN_RATIO else "NO"


# --- page interactions in Chromium ---------------------------------------------------------
# The app on a copy of the scale's workspace, the Customers tab open as CSM user 4 at
# 1440x900; four interactions, each timed in the page from the press of the mouse button to
# the first frame that shows their result, and the Streamlit runs each one caused summed from
# the app's CS_TIMING_LOG ("<unix time> <ms> <ms waiting for a turn> <thread CPU ms> <page>" at the end of every run).
INTERACTIONS = "page interactions in Chromium"
INTERACTION_STEPS = ("open a view", "apply a filter", "open a preview", "save an edit")
CLICK_TO_CONTENT = "click to content: "
SERVER_TIME = "server time: "
INTERACTION_BUDGETS = {
    **{CLICK_TO_CONTENT + s: 1.0 for s in INTERACTION_STEPS},
    **{SERVER_TIME + s: 0.3 for s in INTERACTION_STEPS},
}
INTERACTION_REPEATS = 5
FIRST_VIEW = "Owned by me"  # the view the tab opens on
OTHER_VIEW = "Assigned to me in the last 30 days"
QUICK_LABEL, QUICK_CHOICE, QUICK_ANY = "Last activity date", "Last 30 days", "Any time"
EDIT_LABEL = "Open tickets"  # a number property of companies
VIEWPORT = {"width": 1440, "height": 900}
GRID_HEADER_PX, GRID_ROW_PX = 38, 35  # st.dataframe's header and row heights (ui/record_table)
STEP_TIMEOUT_MS = 30_000

# Armed before each click: the time of the next mouse press (window.__bench.clickAt) and of
# the first animation frame, after it, in which the awaited content is on the page and not
# stale (window.__bench.doneAt), in Unix milliseconds like the timing log's.
ARM_JS = """(spec) => {
    const b = window.__bench = {clickAt: null, doneAt: null};
    const fresh = (el) => !el.closest('[data-stale="true"]');
    const text = (el) => (el.innerText || '').trim();
    const count = () => [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
        .some(e => fresh(e) && text(e) === spec.count);
    for (const t of document.querySelectorAll('[data-testid="stToast"]')) t.dataset.benchOld = '1';
    const checks = {
        view: () => count() && [...document.querySelectorAll('h1')]
            .some(h => fresh(h) && text(h) === spec.title),
        filter: count,
        preview: () => [...document.querySelectorAll('.st-key-customers-preview h3')]
            .some(h => fresh(h) && text(h).startsWith(spec.name)),
        toast: () => [...document.querySelectorAll('[data-testid="stToast"]')]
            .some(t => !t.dataset.benchOld && text(t).includes(spec.toast)),
        none: () => true,
    };
    const check = checks[spec.kind];
    window.addEventListener('pointerdown', () => { if (b.clickAt === null) b.clickAt = Date.now(); },
                            {capture: true, once: true});
    const frame = () => {
        if (b.clickAt !== null && check()) { b.doneAt = Date.now(); return; }
        requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}"""


@dataclass
class Step:
    """One timed interaction: ms from the press to the content, the runs it caused."""

    click_ms: float
    runs: list[tuple[float, float]]  # (end as Unix seconds, ms) of each run
    clicked_at: float  # Unix seconds
    shown_at: float

    @property
    def server_ms(self) -> float:
        return sum(ms for _, ms in self.runs)

    @property
    def server_ms_by_content(self) -> float:
        """The runs that had ended when the content showed (a run may end after it shows)."""
        return sum(ms for end, ms in self.runs if end <= self.shown_at)

    @property
    def to_first_run_ms(self) -> float:
        """From the press to the start of the first run (the browser and the request)."""
        end, ms = self.runs[0]
        return (end - ms / 1000 - self.clicked_at) * 1000

    @property
    def between_runs_ms(self) -> float:
        """Time between the runs (a run asking for a rerun, the next one starting)."""
        span = self.runs[-1][0] - (self.runs[0][0] - self.runs[0][1] / 1000)
        return span * 1000 - self.server_ms

    @property
    def after_runs_ms(self) -> float:
        """From the last run's end to the content (negative: shown while it still ran)."""
        return (self.shown_at - self.runs[-1][0]) * 1000


@dataclass
class Interactions:
    """The app, its page and what the runs share (kept in ctx.cache between runs)."""

    folder: Path
    proc: subprocess.Popen
    server_log: Any
    timing_log: Path
    context: Any = None
    page: Any = None
    counts: dict[str, str] = field(default_factory=dict)  # state -> "N companies"
    runs: int = 0
    steps: dict[str, list[Step]] = field(default_factory=dict)

    def close(self) -> None:
        if self.context is not None:
            with contextlib.suppress(Exception):  # the browser may be gone already
                self.context.close()
            self.context = None
        stop(self.proc)
        self.server_log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _start_interactions(ctx: Context) -> Interactions:
    """A copy of the workspace (the edits stay out of the scale's file), the app on it with the
    timing log on and the clock and the daily job off, the Customers tab open as user 4."""
    folder = Path(tempfile.mkdtemp(prefix="cs-bench-pages-"))
    workspace = folder / ctx.path.name
    subprocess.run(["cp", "--sparse=always", str(ctx.path), str(workspace)], check=True)
    wal = ctx.path.with_name(ctx.path.name + ".wal")
    if wal.exists():
        subprocess.run(["cp", str(wal), str(workspace) + ".wal"], check=True)
    port = ctx.port or free_port()
    if port_in_use(port):
        raise RuntimeError(f"Port {port} is in use already; pass another with --port.")
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "ui.launch", "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    env = {k: v for k, v in os.environ.items() if k not in (clock.NOW_VARIABLE, "CS_DEMO_USER")}
    timing_log = folder / "timing.log"
    # The daily job is off: a missed run would score every account during the measurements.
    env.update(CS_WORKSPACE_DB=str(workspace), CS_TIMING_LOG=str(timing_log), CS_SCHEDULER="off")
    server_log = open(folder / "server.log", "w+b")  # noqa: SIM115 (closed in close())
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT)
    session = Interactions(folder, proc, server_log, timing_log)
    try:
        wait_healthy(url, proc, server_log, deadline=time.perf_counter() + START_TIMEOUT_S)
        session.context = ctx.browser.new_context(viewport=VIEWPORT)
        page = session.page = session.context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(f"{url}/customers?as={CSM_USER_ID}")
        page.get_by_role("heading", name=FIRST_VIEW, exact=True).wait_for()
        _settle(session)
        acting = page.get_by_role("combobox", name="Acting as").input_value()
        if not acting.startswith("Lucas Fischer"):
            raise RuntimeError(f"the page acts as {acting!r}, not as Lucas Fischer")
        # Once, untimed: each state's count line (what the timed runs wait for), which also
        # warms the server up as a user who has used the tab a little.
        session.counts[FIRST_VIEW] = _count_text(page)
        _open_view(session, OTHER_VIEW, None)
        session.counts[OTHER_VIEW] = _count_text(page)
        _open_view(session, FIRST_VIEW, session.counts[FIRST_VIEW])
        _choose_quick(session, QUICK_CHOICE, None)
        session.counts[QUICK_CHOICE] = _count_text(page)
        _choose_quick(session, QUICK_ANY, session.counts[FIRST_VIEW])
        # A timed step waits for its count line: it has to differ from the one before.
        for state in (OTHER_VIEW, QUICK_CHOICE):
            if session.counts[state] == session.counts[FIRST_VIEW]:
                raise RuntimeError(f"“{state}” shows {session.counts[state]} like “{FIRST_VIEW}”: "
                                   "its count line cannot tell when it has been drawn")  # fmt: skip
    except BaseException:
        session.server_log.seek(0)
        tail = session.server_log.read().decode(errors="replace")[-1500:]
        session.close()
        if tail.strip():
            say(f"    server output:\n{tail}")
        raise
    return session


QUIET_S = 0.25  # no run ended for this long, the script not running: the page is settled


def _logged_runs(session: Interactions) -> list[tuple[float, float]]:
    """(end as Unix seconds, ms) of every run in the timing log so far (whole lines only)."""
    if not session.timing_log.exists():
        return []
    text = session.timing_log.read_text()
    lines = text.splitlines() if text.endswith("\n") else text.splitlines()[:-1]
    return [(float(f[0]), float(f[1])) for f in (line.split() for line in lines)]


def _settle(session: Interactions, since: float | None = None) -> None:
    """Wait for the runs an action started to end. With ``since`` (Unix seconds, taken before
    the action), first for a run to end after it (a click on the table reaches the server
    about 150 ms after the press); then until the script is not running and no run has ended
    for QUIET_S (a run asking for another)."""
    page = session.page
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    idle = page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')

    def last_end() -> float:
        runs = _logged_runs(session)
        return runs[-1][0] if runs else 0.0

    if since is None:
        page.wait_for_timeout(150)
    while since is not None and last_end() < since:
        if time.monotonic() > deadline:
            raise RuntimeError("no Streamlit run ended after the action")
        page.wait_for_timeout(20)
    while True:
        idle.wait_for(state="attached")
        seen = last_end()
        page.wait_for_timeout(QUIET_S * 1000)
        if last_end() == seen and idle.count():
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the page did not settle")


def _count_text(page: Any) -> str:
    line = page.get_by_test_id("stMarkdownContainer").filter(
        has_text=re.compile(r"^[\d,]+ compan(y|ies)$")
    )
    line.wait_for()
    return line.inner_text().strip()


def _timed(session: Interactions, spec: dict, click: Callable[[], None]) -> Step:
    """Arm the page, ``click()``, wait for the content and for the runs to end; the step."""
    page = session.page
    page.evaluate(ARM_JS, spec)
    click()
    page.wait_for_function("() => window.__bench.doneAt !== null", timeout=STEP_TIMEOUT_MS)
    clicked, shown = page.evaluate("() => [window.__bench.clickAt, window.__bench.doneAt]")
    clicked_at, shown_at = clicked / 1000, shown / 1000
    since = clicked_at - 0.002  # the browser's clock has whole milliseconds
    _settle(session, since)
    # Every run that ended after the press, up to now (no other session uses the app): a run
    # writes its line when it ends, which may be after the content showed.
    runs = [(end, ms) for end, ms in _logged_runs(session) if end >= since]
    return Step(shown - clicked, runs, clicked_at, shown_at)


def _open_view(session: Interactions, name: str, count: str | None) -> Step:
    page = session.page
    button = page.get_by_role("button", name=name, exact=True)
    button.wait_for()
    spec = {"kind": "view", "title": name, "count": count} if count else {"kind": "none"}
    step = _timed(session, spec, button.click)
    page.get_by_role("heading", name=name, exact=True).wait_for()
    return step


def _choose_quick(session: Interactions, choice: str, count: str | None) -> Step:
    """Open the quick filter's list (untimed: it opens in the browser), click ``choice``."""
    page = session.page
    page.get_by_role("combobox", name=QUICK_LABEL, exact=True).first.click()
    page.keyboard.type(choice)
    option = page.get_by_role("option", name=choice, exact=True)
    option.wait_for()
    spec = {"kind": "filter", "count": count} if count else {"kind": "none"}
    step = _timed(session, spec, option.click)
    expect_value = page.get_by_role("combobox", name=QUICK_LABEL, exact=True).first
    if expect_value.input_value() != choice:
        raise RuntimeError(f"the {QUICK_LABEL} filter shows {expect_value.input_value()!r}")
    return step


def _row_point(session: Interactions, index: int) -> tuple[float, float]:
    """Where row ``index``'s checkbox is, the row scrolled to the upper part of the window
    first, below the app's top bar (as tests/e2e's click_row does)."""
    page = session.page
    grid = page.get_by_test_id("stDataFrame").first
    offset = GRID_HEADER_PX + index * GRID_ROW_PX + GRID_ROW_PX / 2
    height = VIEWPORT["height"]
    for _ in range(5):
        box = grid.bounding_box()
        y = box["y"] + offset
        if 120 <= y <= height - 40:
            return box["x"] + 15, y
        page.mouse.move(box["x"] + box["width"] / 2, height / 2)
        page.mouse.wheel(0, y - height / 3)
        page.wait_for_timeout(300)
    raise RuntimeError(f"row {index} of the table could not be scrolled into view")


def _open_preview(session: Interactions, index: int) -> tuple[Step, str]:
    """Tick row ``index``'s checkbox; the step and the record's name."""
    page = session.page
    x, y = _row_point(session, index)
    cell = page.get_by_test_id("stDataFrame").first.get_by_test_id(f"glide-cell-1-{index}")
    name = cell.inner_text().strip()
    if not name:
        raise RuntimeError(f"row {index} of the table has no name")
    spec = {"kind": "preview", "name": name[:50]}
    step = _timed(session, spec, lambda: page.mouse.click(x, y))
    return step, name


def _close_preview(session: Interactions, index: int) -> None:
    """Close the preview, then untick row ``index``: a row left ticked would open the preview
    of whichever record is in that row when another view or filter is shown."""
    page = session.page
    since = time.time()
    page.locator(".st-key-customers-preview-close").get_by_role("button").first.click()
    page.locator(".st-key-customers-preview").wait_for(state="detached")
    _settle(session, since)
    point = _row_point(session, index)
    since = time.time()
    page.mouse.click(*point)
    _settle(session, since)
    page.get_by_role("button", name=OTHER_VIEW, exact=True).wait_for()
    if page.locator(".st-key-customers-preview").count():
        raise RuntimeError("unticking the row opened the preview again")


def _prepare_edit(session: Interactions) -> Any:
    """In the open preview: the "Edit a property" expander open, the property chosen; the
    value's text box."""
    page = session.page
    panel = page.locator(".st-key-customers-preview")
    expander = panel.get_by_test_id("stExpander").filter(has_text="Edit a property").first
    expander.get_by_text("Edit a property", exact=True).first.click()
    expander.locator("details[open]").wait_for()
    prop = page.locator(".st-key-customers-edit-prop").get_by_role("combobox")
    prop.wait_for()
    if prop.input_value() != EDIT_LABEL:  # the choice is kept from one record to the next
        prop.click()
        page.keyboard.type(EDIT_LABEL)
        since = time.time()
        page.get_by_role("option", name=EDIT_LABEL, exact=True).click()
        _settle(session, since)
    if prop.input_value() != EDIT_LABEL:
        raise RuntimeError(f"the property to edit is {prop.input_value()!r}, not {EDIT_LABEL}")
    return panel.locator("[class*='st-key-customers-edit-value-'] input")


def _save_edit(session: Interactions, box: Any) -> tuple[Step, str]:
    """Type the value plus one (committed with Enter, untimed), then click Save."""
    page = session.page
    box.wait_for()
    old = box.input_value().strip()
    new = str(int(float(old)) + 1 if old else 1)
    since = time.time()
    box.fill(new)
    box.press("Enter")
    _settle(session, since)
    save = page.locator(".st-key-customers-edit-save button")
    step = _timed(session, {"kind": "toast", "toast": f"{EDIT_LABEL} saved."}, save.click)
    shown = box.input_value().strip()
    if shown != new:
        raise RuntimeError(f"{EDIT_LABEL} shows {shown!r} after saving {new!r}")
    return step, new


def page_interactions(ctx: Context) -> Timings:
    """One round of the four interactions (the app is started at the first round and stopped
    by ``finish_interactions``, or when a round fails)."""
    if ctx.browser is None:
        return {}
    session = ctx.cache.get(INTERACTIONS)
    try:
        if session is None:
            session = ctx.cache[INTERACTIONS] = _start_interactions(ctx)
        index = session.runs
        session.runs += 1
        steps: dict[str, Step] = {}
        steps["open a view"] = _open_view(session, OTHER_VIEW, session.counts[OTHER_VIEW])
        _open_view(session, FIRST_VIEW, session.counts[FIRST_VIEW])  # back, untimed
        steps["apply a filter"] = _choose_quick(session, QUICK_CHOICE, session.counts[QUICK_CHOICE])
        _choose_quick(session, QUICK_ANY, session.counts[FIRST_VIEW])
        # A row of its own each round (another record), the preview closed again after,
        # except for the edit: it is saved in the preview of this round's record.
        steps["open a preview"], _name = _open_preview(session, index % 10)
        box = _prepare_edit(session)
        steps["save an edit"], _value = _save_edit(session, box)
        _close_preview(session, index % 10)
    except BaseException:
        ctx.cache.pop(INTERACTIONS, None)
        if session is not None:
            session.close()
        raise
    out: dict[str, float] = {}
    for name, step in steps.items():
        session.steps.setdefault(name, []).append(step)
        out[CLICK_TO_CONTENT + name] = step.click_ms / 1000
        out[SERVER_TIME + name] = step.server_ms / 1000
    return out


def finish_interactions(ctx: Context, results: Results) -> None:
    """Stop the app; name each server-time row by its runs per interaction, and say on stderr
    where each interaction's time went (medians over the rounds)."""
    session = ctx.cache.pop(INTERACTIONS, None)
    if session is None:
        return
    session.close()
    med = statistics.median
    for name, steps in session.steps.items():
        counts = sorted({len(s.runs) for s in steps})
        runs = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
        row = SERVER_TIME + name
        if row in results.rows:
            results.rename(row, f"{row} ({runs} run{'s' if runs != '1' else ''} each)")
        ran = [s for s in steps if s.runs]
        if not ran:
            continue
        typical = sorted(ran, key=lambda s: s.click_ms)[len(ran) // 2]
        say(
            f"    {name}: click to content {med(s.click_ms for s in steps):.0f} ms = press to the "
            f"first run {med(s.to_first_run_ms for s in ran):.0f} ms + server "
            f"{med(s.server_ms for s in ran):.0f} ms in {runs} run(s) (e.g. "
            f"{' + '.join(f'{ms:.0f}' for _, ms in typical.runs)} ms) + between runs "
            f"{med(s.between_runs_ms for s in ran):.0f} ms + last run's end to content "
            f"{med(s.after_runs_ms for s in ran):+.0f} ms; server time of the runs ended by the "
            f"time the content showed {med(s.server_ms_by_content for s in ran):.0f} ms"
        )


# The registry: (name, callable, budget in seconds, phase). Add new operations here.
OPERATIONS: list[Operation] = [
    Operation(
        "generate demo workspace", generate_demo, {"generate demo workspace": 10.0}, "generate"
    ),
    Operation(IMPORT, import_companies, 10.0, "generate"),
    Operation(LARGE_IMPORT, import_large_file, None, "generate"),
    Operation("open workspace", open_workspace, None, "file"),
    Operation(
        "records.count_owned (CSM)",
        lambda ctx: records.count_owned(
            ctx.con,
            ctx.customer_settings.object,
            owner_property=ctx.customer_settings.owner_property,
            user_id=CSM_USER_ID,
        ),
    ),
    Operation(
        "settings.get_customer_settings", lambda ctx: settings.get_customer_settings(ctx.con)
    ),
    Operation("settings.get_revenue_settings", lambda ctx: settings.get_revenue_settings(ctx.con)),
    # Budgets set for scale M (100,000 accounts), shown and judged on every scale.
    Operation(VIEW, open_view(VIEW, VIEW_SPEC), 0.05),
    Operation(ALL_BY_NAME, open_view(ALL_BY_NAME, []), 0.05),
    # Judged on its ratio to the hand-written query timed in the same runs, at every scale.
    Operation(
        VIEW_HEALTH,
        open_health_view,
        finish=against_hand(VIEW_HEALTH, "health view hand", VIEW_HEALTH_MAX_RATIO),
    ),
    Operation(PREVIEW, preview_busiest, 0.025),
    # The Actions and Schedule tabs (budgets set for M).
    *task_ops.operations(Operation),
    # The Services and Revenue tabs (budgets set for M).
    *pipeline_ops.operations(Operation),
    # Renewals and retention (budgets set for M).
    *retention_ops.operations(Operation),
    # The Feed tab (budgets set for M).
    *feed_ops.operations(Operation),
    # Reports and dashboards (budgets set for M).
    *report_ops.operations(Operation),
    # The Summary tab (budgets set for M and L).
    *summary_ops.operations(Operation),
    Operation(EXPORT, export_view, 1.0),
    Operation(
        full_recompute_name(ENTERPRISE),
        full_recompute(ENTERPRISE),
        0.3,
        scale_budgets={"L": 3.0},
    ),
    Operation(full_recompute_name(SMB), full_recompute(SMB)),
    Operation(score_only_name(ENTERPRISE), score_only),
    # Set for M. At L the account's activities (903 for the busiest) are fetched one by one
    # through the index from 20M rows, which alone takes about 5 ms: shown, not judged.
    Operation(ONE_RECORD, one_record_recompute, 0.01, scale_budgets={"L": None}),
    Operation(OWNER_SUMMARY, owner_summary, 0.02),
    # Set for L (about 450,000 scored); shown, not judged, at the other scales.
    Operation(
        ALL_OWNERS,
        all_owner_summary,
        scale_budgets={"L": 0.05},
        finish=against_hand(ALL_OWNERS, "all-owner hand"),
    ),
    # After the full recompute and scoring above: their medians are the pandas row's yardsticks.
    Operation(PANDAS, pandas_same_profile, finish=judge_pandas),
    Operation("app start-up", app_start, {FIRST_PAGE: 3.0}, "server"),
    # Set for M (100,000 accounts); shown, not judged, at the other scales.
    Operation(
        INTERACTIONS,
        page_interactions,
        phase="server",
        scale_budgets={"M": INTERACTION_BUDGETS},
        finish=finish_interactions,
        repeats=INTERACTION_REPEATS,
    ),
]


# --- helpers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_healthy(url: str, proc: subprocess.Popen, log, *, deadline: float) -> None:
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"streamlit exited with code {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as resp:
                if resp.status == 200 and resp.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url}/_stcore/health did not answer ok within {START_TIMEOUT_S:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def open_summary(browser, url: str) -> None:
    """Open the app in a new browser session and wait until the Summary heading shows."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit", timeout=START_TIMEOUT_S * 1000)
        page.get_by_text(GREETING).first.wait_for(timeout=START_TIMEOUT_S * 1000)
    finally:
        context.close()


def launch_browser():
    """(playwright, browser) with Debian's Chromium, or (None, None) when it is absent."""
    if not CHROMIUM.exists():
        return None, None
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    return pw, browser


def fmt_duration(seconds: float) -> str:
    if seconds < 0.001:
        return f"{seconds * 1000:.3f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- running ---------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    budget: float | None = None
    times: list[float] = field(default_factory=list)
    note: str = ""
    budget_text: str = ""  # a budget that is not a time (the note then says if it was met)

    def cells(self) -> list[str]:
        budget = f"< {self.budget:g} s" if self.budget is not None else self.budget_text or "-"
        if not self.times:
            return [self.name, "0", "-", "-", "-", budget, self.note or "-"]
        median = statistics.median(self.times)
        within = "-" if self.budget is None else ("yes" if median < self.budget else "NO")
        if self.note:
            within = self.note
        return [
            self.name,
            str(len(self.times)),
            fmt_duration(median),
            fmt_duration(min(self.times)),
            fmt_duration(max(self.times)),
            budget,
            within,
        ]


class Results:
    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.failed = False

    def row(self, name: str, budget: float | None) -> Row:
        return self.rows.setdefault(name, Row(name, budget))

    def rename(self, old: str, new: str) -> Row:
        """Give a row a new name, keeping its place in the table."""
        self.rows = {(new if k == old else k): r for k, r in self.rows.items()}
        self.rows[new].name = new
        return self.rows[new]

    def measure(self, op: Operation, ctx: Context, repeats: int) -> None:
        say(f"  {op.name} × {repeats}")
        for _ in range(repeats):
            start = time.perf_counter()
            try:
                timings = op.run(ctx)
            except Exception as exc:  # a benchmark reports a failure and carries on
                self.failed = True
                budget = op.budget_for(op.name, ctx.scale)
                self.row(op.name, budget).note = f"FAILED: {exc}".splitlines()[0]
                say(f"    failed: {exc}")
                return
            elapsed = time.perf_counter() - start
            if timings is None or not isinstance(timings, Mapping):
                timings = {op.name: elapsed}
            for name, seconds in timings.items():
                self.row(name, op.budget_for(name, ctx.scale)).times.append(seconds)
        if op.finish is not None:
            op.finish(ctx, self)


def ensure_workspace(scale: str, rebuild: bool, now: datetime, results: Results) -> Path:
    """The scale's workspace file: reused when present, else generated (and timed once)."""
    path = WORKSPACES / f"{scale}.duckdb"
    if path.exists() and not rebuild:
        con = db.open_workspace(path)
        try:
            empty = is_empty(con)
        finally:
            con.close()
        if not empty:
            say(
                f"Reusing {path.relative_to(ROOT)}: generation of the {scale} workspace skipped "
                f"(pass --rebuild to generate it again)."
            )
            return path
        say(f"{path.relative_to(ROOT)} holds no data (an interrupted run?); generating it.")
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    name = f"generate workspace ({scale})"
    say(f"  {name} × 1")
    start = time.perf_counter()
    create_demo_workspace(str(path), scale=scale, seed=SEED, now=now)
    results.row(name, GENERATE_BUDGETS_S.get(scale)).times.append(time.perf_counter() - start)
    return path


def machine_facts() -> list[tuple[str, str]]:
    try:
        cpus = f"{os.cpu_count()} ({len(os.sched_getaffinity(0))} usable)"
    except AttributeError:
        cpus = str(os.cpu_count())
    facts = [
        ("cpu count", cpus),
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("duckdb", duckdb.__version__),
        ("streamlit", importlib.metadata.version("streamlit")),
        ("platform", platform.platform()),
    ]
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
        facts.append(("memory", f"{kb / 1024 / 1024:.1f} GiB"))
    except (OSError, ValueError, IndexError):
        pass
    return facts


def row_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    present = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    return [
        (t, con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
        for t in MAIN_TABLES
        if t in present
    ]


def table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(
        "-" * (w + 1) + ":" if i in right else "-" * (w + 2) for i, w in enumerate(widths)
    )
    return "\n".join([line(headers), rule + "|", *(line(r) for r in rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="M")
    parser.add_argument(
        "--repeat",
        type=int,
        metavar="N",
        help="runs per operation (default: 3 for generation and app start-up, 5 for the rest)",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="generate the scale's workspace again"
    )
    parser.add_argument(
        "--port", type=int, metavar="P", help="port for the app start-up runs (default: a free one)"
    )
    parser.add_argument(
        "--phase",
        action="append",
        choices=PHASES,
        help="run only the operations of this phase (repeatable; default: every phase)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="SUBSTRING",
        help="run only the operations whose name contains SUBSTRING (case-insensitive; repeatable)",
    )
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")

    def selected(op: Operation) -> bool:
        if args.phase and op.phase not in args.phase:
            return False
        return not args.only or any(s.lower() in op.name.lower() for s in args.only)

    now = datetime.now(UTC)
    results = Results()
    say(f"Benchmark at scale {args.scale} ({SCALES[args.scale]})")
    try:
        path = ensure_workspace(args.scale, args.rebuild, now, results)
    except db.WorkspaceError as exc:
        say(str(exc))
        return 2
    ctx = Context(scale=args.scale, path=path, now=now, port=args.port)

    def repeats(op: Operation) -> int:
        return args.repeat or op.repeats or DEFAULT_REPEATS[op.phase]

    def run_phase(phase: str) -> None:
        for op in OPERATIONS:
            if op.phase == phase and selected(op):
                results.measure(op, ctx, repeats(op))

    run_phase("generate")
    run_phase("file")

    ctx.con = db.open_workspace(path)
    try:
        counts = row_counts(ctx.con)
        ctx.user = users.get_user(ctx.con, CSM_USER_ID)
        ctx.customer_settings = settings.get_customer_settings(ctx.con)
        run_phase("query")
    finally:
        ctx.con.close()  # one process per file: the app needs it next
        ctx.con = None

    serving = [op for op in OPERATIONS if op.phase == "server" and selected(op)]
    pw, no_browser = None, ""
    try:
        if serving:
            pw, ctx.browser = launch_browser()
            no_browser = "" if pw else f"skipped: no {CHROMIUM}"
    except Exception as exc:  # a broken Chromium still lets the server be timed
        pw, no_browser = None, f"skipped: Chromium did not start ({exc})".splitlines()[0]
    try:
        run_phase("server")
    finally:
        if pw is not None:
            ctx.browser.close()
            pw.stop()
        ctx.browser = None
    if no_browser:
        for op in serving:
            name = FIRST_PAGE if op.run is app_start else op.name
            results.row(name, op.budget_for(name, ctx.scale)).note = no_browser

    print()
    print(f"Machine ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
    print(table(["fact", "value"], [[k, v] for k, v in machine_facts()], set()))
    print()
    print(f"Workspace {path.relative_to(ROOT)} (scale {args.scale}, seed {SEED})")
    print(table(["table", "rows"], [[t, f"{n:,}"] for t, n in counts], {1}))
    print()
    print(f"Timings at scale {args.scale}")
    headers = ["operation", "runs", "median", "min", "max", "budget", "within budget?"]
    if not results.rows:
        print("No operation matched --phase and --only.")
        return 1
    print(table(headers, [r.cells() for r in results.rows.values()], {1, 2, 3, 4}))
    print()
    print("Budgets are judged on the median. App start-up is timed from launching streamlit;")
    print("the first page counts until the Summary heading shows in Chromium. Health: the full")
    print(
        "recompute's budget is 3 s at scale L; pandas should take 3x DuckDB's full recompute or more."
    )
    print("The view with health columns should take at most 1.5x a hand-written query for the same")
    print(
        "page and count, timed in the same runs; the all-owner summary names its hand-written median."
    )
    over = [r.name for r in results.rows.values() if r.cells()[-1] == "NO"]
    if over:
        print(f"Over budget: {', '.join(over)}")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
