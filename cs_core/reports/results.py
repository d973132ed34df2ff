"""Report results as the app asks for them: each query within the workspace's time limit (a
setting, 10 s by default) and cached on the versions of the tables the report reads, so an
edit to tasks leaves a chart of companies cached (cs_core.table_versions)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from time import monotonic, sleep

import duckdb

from cs_core import clock, db, filters, table_versions
from cs_core.records import list_objects
from cs_core.reports import engine, retention_source
from cs_core.reports.definition import Report, ReportError
from cs_core.settings_store import UNSEEN, save, stored
from cs_core.users import Action, User, require

DEFAULT_LIMIT_S = 10.0
LIMIT_RANGE_S = (1.0, 300.0)
SETTINGS_KEY = "reports"
# Read by every source: names (users, teams, pipelines, stages) and the catalog and settings.
COMMON = ("users", "teams", "objects", "properties", "settings", "pipelines", "stages")
CACHE_SIZE = 512

_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def time_limit(con: duckdb.DuckDBPyConnection) -> float:
    """Seconds a report's query may run before it is stopped."""
    found = stored(con, SETTINGS_KEY) or {}
    return float(found.get("time_limit_seconds", DEFAULT_LIMIT_S))


def save_time_limit(con: duckdb.DuckDBPyConnection, *, actor: User, seconds: float, now: datetime,
                    expected=UNSEEN) -> None:  # fmt: skip
    """Set the time limit; with ``expected`` (:func:`time_limit` when the editor opened it),
    refused when someone saved it since."""
    require(actor, Action.MANAGE_SETTINGS)
    low, high = LIMIT_RANGE_S
    if not isinstance(seconds, int | float) or not low <= seconds <= high:
        raise ReportError([f"The time limit is between {low:g} and {high:g} seconds."])
    save(con, SETTINGS_KEY, {"time_limit_seconds": float(seconds)}, actor, clock.utc_naive(now),
         expected=expected, current=time_limit, refused=lambda m: ReportError([m]))  # fmt: skip


def tables_read(con: duckdb.DuckDBPyConnection, report: Report) -> set[str]:
    """The tables whose versions key the report's cached result: those its query reads (as
    :mod:`cs_core.reports.engine` builds it), so a write to any other leaves it kept. A chart
    of activities is kept through a team's task and property edits; one whose filters look up
    property history is not."""
    tables = set(COMMON)
    kind, target = report.kind, report.target
    tables |= filters.tables_looked_up(report.filters)  # only when a filter looks them up
    if kind == "object":
        tables.add(target)
    elif kind == "tasks":
        tables.add("tasks")
        if engine.uses(report, "record"):  # the task's record's name, of any object
            tables |= {o.name for o in list_objects(con, enabled_only=False)}
    elif kind == "activities":
        tables.add("activities")
        if engine.uses(report, "record"):  # the activity's contact or company by name
            tables |= {"contacts", "companies"}
    elif kind == "health":
        from cs_core.health.profiles import get_profile

        profile = get_profile(con, name=target)
        tables |= {"health_scores", "health_current", "health_profiles", "health_profile_versions"}
        if profile is not None:
            tables.add(profile.object)
        else:  # refused by the engine; keyed on every object meanwhile
            tables |= {o.name for o in list_objects(con, enabled_only=False)}
    elif kind == "retention":  # its lines and the links to their accounts (never their rows)
        tables |= {target, *retention_source.READS}
    return {t for t in tables if t}


def viewer_key(report: Report, user: User | None) -> tuple[str, int | None]:
    """Whom a report's result is for: the viewer's time zone (days and weeks are theirs), and
    the viewer themself only when the filters name the acting user (``$me``). Everyone in one
    zone shares the rest: a team's CSMs opening the leadership dashboard run its reports once,
    not once each."""
    zone = user.time_zone if user else engine.WORKSPACE_ZONE
    return zone, (user.id if user is not None and filters.uses_me(report.filters) else None)


def result(con: duckdb.DuckDBPyConnection, report: Report, *, now: datetime, user: User | None = None,
           cached: bool = True) -> engine.Result:  # fmt: skip
    """The report's result, from the cache when none of its tables changed since it was
    computed for the same viewer (:func:`viewer_key`) and day; refused with a message when it
    runs too long."""
    key = None
    if cached:
        viewer = viewer_key(report, user)
        versions = table_versions.versions(con, tables_read(con, report))
        key = (db.database_path(con), repr(report), viewer, clock.local_date(now, viewer[0]),
               versions)  # fmt: skip
        with _lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
    found = run_with_limit(con, report, now=now, user=user, seconds=time_limit(con))
    if key is not None:
        with _lock:
            _cache[key] = found
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return found


def run_with_limit(con: duckdb.DuckDBPyConnection, report: Report, *, now: datetime, user: User | None,
                   seconds: float) -> engine.Result:  # fmt: skip
    """:func:`engine.run` on its own cursor, interrupted after ``seconds``."""
    cur = con.cursor()
    timer = _Watchdog(seconds, cur.interrupt)
    try:
        return engine.run(cur, report, now=now, user=user)
    except duckdb.InterruptException:
        raise ReportError([
            f"{report.name!r} took longer than {seconds:g} seconds, the time limit for a report's query, and "
            "was stopped. Narrow its filters, or ask a settings manager to raise the limit (Settings, Reports)."
        ]) from None  # fmt: skip
    finally:
        timer.cancel()
        cur.close()


class _Watchdog(threading.Thread):
    """Calls ``fn`` after ``seconds`` unless cancelled first. It sleeps in short steps on the
    monotonic clock rather than waiting on a timed lock (threading.Timer): a timed wait measures
    absolute time, which a moved clock (faketime in the test suite, an NTP step) stretches
    without end."""

    def __init__(self, seconds: float, fn) -> None:
        super().__init__(name="report-time-limit", daemon=True)
        self._end, self._fn, self._cancelled = monotonic() + seconds, fn, False
        self.start()

    def run(self) -> None:
        while not self._cancelled and (left := self._end - monotonic()) > 0:
            sleep(min(left, 0.05))
        if not self._cancelled:
            self._fn()

    def cancel(self) -> None:
        self._cancelled = True


def clear() -> None:
    """Forget every cached result, and the retention periods reports share."""
    with _lock:
        _cache.clear()
    retention_source.forget()
