"""The daily job: every live health profile recomputed and expired alerts cleared, each morning.

The running app does it (a scheduler thread started with the server, not by a page view)
at a time set in settings, default 05:00 in the workspace's time zone; a run missed while
the app was down runs when it starts. Every run is logged in ``job_runs`` (when, how long,
records scored, errors), which Settings shows. One profile that fails is reported and
skipped; the others are scored. ``python -m cs_core daily --db PATH`` runs the same job
while the app is stopped.
"""

from __future__ import annotations

import json
import threading
import time as timer
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time

import duckdb

from cs_core import alerts, clock, db
from cs_core.settings_store import UNSEEN, save
from cs_core.users import Action, User, require

JOB = "daily_health"
SETTING = "daily_job"
DEFAULT_TIME = "05:00"
POLL_SECONDS = 30.0
_RUNNING = threading.Lock()  # one run at a time in this process (scheduled or "Run now")


class ScheduleError(ValueError):
    """A schedule that cannot be saved; the message says why."""


@dataclass(frozen=True)
class Schedule:
    time: str = DEFAULT_TIME  # HH:MM, in time_zone
    time_zone: str = "UTC"

    def at(self) -> clock_time:
        hours, minutes = self.time.split(":")
        return clock_time(int(hours), int(minutes))


@dataclass(frozen=True)
class JobRun:
    id: int
    trigger: str
    started_at: datetime  # stored UTC
    finished_at: datetime | None
    status: str  # running, ok, partial (some profiles failed), failed
    profiles: int
    records_scored: int
    alerts_raised: int
    alerts_expired: int
    errors: tuple[str, ...]

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def get_schedule(con: duckdb.DuckDBPyConnection) -> Schedule:
    row = con.execute("SELECT value FROM settings WHERE key = ?", [SETTING]).fetchone()
    return Schedule(**json.loads(row[0])) if row else Schedule()


def check_schedule(value: Schedule) -> Schedule:
    try:
        hours, minutes = (int(part) for part in str(value.time).split(":"))
        if not (0 <= hours < 24 and 0 <= minutes < 60):
            raise ValueError
    except ValueError:
        raise ScheduleError(
            f"{value.time!r} is not a time of day; use HH:MM, e.g. 05:00."
        ) from None
    try:
        clock.zone(value.time_zone)
    except clock.ClockError as exc:
        raise ScheduleError(str(exc)) from None
    return Schedule(f"{hours:02d}:{minutes:02d}", value.time_zone)


def save_schedule(con: duckdb.DuckDBPyConnection, *, actor: User, value: Schedule, now: datetime,
                  expected=UNSEEN) -> Schedule:  # fmt: skip
    """Set when the daily job runs (settings managers); with ``expected`` (the schedule the
    editor opened), refused when someone saved it since."""
    require(actor, Action.MANAGE_SETTINGS)
    checked = check_schedule(value)
    save(con, SETTING, asdict(checked), actor, clock.utc_naive(now), expected=expected,
         current=get_schedule, refused=ScheduleError)  # fmt: skip
    return checked


def _slot(schedule: Schedule, day: date) -> datetime:
    """The stored (UTC) instant of the run on ``day`` in the schedule's zone."""
    local = datetime.combine(day, schedule.at(), tzinfo=clock.zone(schedule.time_zone))
    return clock.utc_naive(local)


def last_slot(schedule: Schedule, now: datetime) -> datetime:
    """The latest scheduled moment at or before ``now`` (stored UTC)."""
    today = clock.local_date(now, schedule.time_zone)
    moment = clock.utc_naive(now)
    for back in range(3):
        slot = _slot(schedule, today - timedelta(days=back))
        if slot <= moment:
            return slot
    raise AssertionError("a day has a slot")


def next_slot(schedule: Schedule, now: datetime) -> datetime:
    """The first scheduled moment after ``now`` (stored UTC)."""
    today = clock.local_date(now, schedule.time_zone)
    moment = clock.utc_naive(now)
    for ahead in range(3):
        slot = _slot(schedule, today + timedelta(days=ahead))
        if slot > moment:
            return slot
    raise AssertionError("a day has a slot")


def _job_run(row) -> JobRun:
    return JobRun(*row[:9], tuple(json.loads(row[9])))


_SELECT = (
    "SELECT id, trigger, started_at, finished_at, status, profiles, records_scored, alerts_raised, "
    "alerts_expired, errors FROM job_runs WHERE job = ?"
)


def last_run(con: duckdb.DuckDBPyConnection) -> JobRun | None:
    row = con.execute(_SELECT + " ORDER BY started_at DESC, id DESC LIMIT 1", [JOB]).fetchone()
    return _job_run(row) if row else None


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[JobRun]:
    rows = con.execute(
        _SELECT + " ORDER BY started_at DESC, id DESC LIMIT ?", [JOB, limit]
    ).fetchall()
    return [_job_run(r) for r in rows]


def is_due(con: duckdb.DuckDBPyConnection, now: datetime) -> bool:
    """True when no run has started since the latest scheduled moment."""
    slot = last_slot(get_schedule(con), now)
    found = con.execute(
        "SELECT count(*) FROM job_runs WHERE job = ? AND started_at >= ? AND status <> ?",
        [JOB, slot, INTERRUPTED],
    ).fetchone()[0]
    return found == 0


INTERRUPTED = "interrupted"
INTERRUPTED_MESSAGE = (
    "The app stopped while this run was under way (a crash, a restart or a kill): the profiles "
    "it had finished kept their scores, and the next run scores every profile again."
)


def _close_interrupted(con: duckdb.DuckDBPyConnection) -> None:
    """Runs logged as running while none runs in this process (the run lock is held by the
    caller, and one process at a time opens the file) were cut short by the process's end:
    say so, and let the slot count as not run."""
    running = "SELECT count(*) FROM job_runs WHERE job = ? AND status = 'running'"
    if not con.execute(running, [JOB]).fetchone()[0]:
        return  # (the usual case: no write)
    db.write(
        con,
        lambda cur: cur.execute(
            "UPDATE job_runs SET status = ?, errors = ? WHERE job = ? AND status = 'running'",
            [INTERRUPTED, json.dumps([INTERRUPTED_MESSAGE]), JOB],
        ),
    )


class AlreadyRunning(RuntimeError):
    """A daily run is under way in this process."""


def run_daily(con: duckdb.DuckDBPyConnection, *, now: datetime, trigger: str,
              only_if_due: bool = False) -> JobRun | None:  # fmt: skip
    """Recompute every live profile for today (each in its own transaction) and expire alerts.

    With ``only_if_due`` (the scheduler), nothing runs (None) unless a run is due; the check is
    made while holding the run lock, so a "Run now" just before cannot make it run twice.
    """
    from cs_core.health.profiles import list_profiles

    if not _RUNNING.acquire(blocking=False):
        raise AlreadyRunning("The daily run is under way already; its result shows when it ends.")
    try:
        _close_interrupted(con)
        if only_if_due and not is_due(con, now):
            return None
        started, began = clock.utc_naive(now), timer.perf_counter()

        def _start(cur) -> int:
            run_id = db.new_id(cur, "job_runs")
            cur.execute(
                "INSERT INTO job_runs (id, job, trigger, started_at, status) VALUES (?, ?, ?, ?, 'running')",
                [run_id, JOB, trigger, started],
            )
            return run_id

        run_id = db.write(con, _start)
        errors: list[str] = []
        profiles = scored = raised = 0
        day = clock.score_date(now)
        for profile in list_profiles(con, live_only=True):
            try:
                result = db.write(con, _score_if_live, profile.id, day=day, now=now)
            except Exception as exc:  # one profile's fault must not stop the others
                errors.append(f"{profile.name}: {exc}")
                continue
            if result is None:  # taken back to draft (or deleted) while the job ran
                continue
            profiles += 1
            scored += result.scored
            raised += result.alerts
        try:
            expired = db.write(con, lambda cur: alerts.expire(cur, now=now))
        except Exception as exc:
            errors.append(f"Expiring alerts: {exc}")
            expired = 0
        status = "ok" if not errors else ("partial" if profiles else "failed")
        finished = started + timedelta(seconds=timer.perf_counter() - began)
        db.write(
            con,
            lambda cur: cur.execute(
                "UPDATE job_runs SET finished_at = ?, status = ?, profiles = ?, records_scored = ?, "
                "alerts_raised = ?, alerts_expired = ?, errors = ? WHERE id = ?",
                [finished, status, profiles, scored, raised, expired, json.dumps(errors), run_id],
            ),
        )
        return next(r for r in recent_runs(con, 20) if r.id == run_id)
    finally:
        _RUNNING.release()


def run_now(con: duckdb.DuckDBPyConnection, *, actor: User, now: datetime) -> JobRun:
    """The daily job started by a user ("Run now" in Settings): settings managers only. The
    scheduler and the command line run :func:`run_daily` as the system."""
    require(actor, Action.MANAGE_SETTINGS)
    return run_daily(con, now=now, trigger="manual")


def _score_if_live(cur: duckdb.DuckDBPyConnection, profile_id: int, *, day: date, now: datetime):
    """One profile's run, with the profile as it is in this transaction (None: no longer live)."""
    from cs_core.health.engine import store
    from cs_core.health.profiles import get_profile

    profile = get_profile(cur, profile_id=profile_id)
    if profile is None or profile.status != "live":
        return None
    return store(cur, profile, score_date=day, now=now)


class Scheduler:
    """A thread that runs the daily job when it is due (checking every ``poll`` seconds)."""

    def __init__(self, connect: Callable[[], duckdb.DuckDBPyConnection], *,
                 now: Callable[[], datetime] = clock.now, poll: float = POLL_SECONDS,
                 report: Callable[[JobRun], None] | None = None):  # fmt: skip
        self._connect, self._now, self._poll, self._report = connect, now, poll, report
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="daily-job", daemon=True)
        self.last_error: str | None = None

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def check(self, *, first: bool = False) -> JobRun | None:
        """Run the job if it is due now; at start, a due run is one that was missed."""
        cur = self._connect().cursor()
        try:
            return run_daily(
                cur, now=self._now(), trigger="missed" if first else "schedule", only_if_due=True
            )
        except AlreadyRunning:
            return None
        finally:
            cur.close()

    def _loop(self) -> None:
        first = True
        while not self._stop.is_set():
            try:
                done = self.check(first=first)
                self.last_error = None
                if done is not None and self._report is not None:
                    self._report(done)
            except Exception as exc:  # keep the thread alive; Settings shows the error
                self.last_error = str(exc)
            first = False
            self._pause(self._poll)

    def _pause(self, seconds: float) -> None:
        # Short sleeps rather than Event.wait(timeout): a timed wait measures absolute time,
        # which a moved clock (faketime in the test suite, an NTP step) can stretch without end.
        end = timer.monotonic() + seconds
        while not self._stop.is_set() and (left := end - timer.monotonic()) > 0:
            timer.sleep(min(left, 0.25))


_SCHEDULERS: dict[str, Scheduler] = {}
_SCHEDULERS_LOCK = threading.Lock()


def start_scheduler(path: str, **options) -> Scheduler:
    """The process's scheduler for the workspace at ``path``, started once."""
    with _SCHEDULERS_LOCK:
        found = _SCHEDULERS.get(path)
        if found is None or not found.running:
            found = _SCHEDULERS[path] = Scheduler(
                lambda: db.shared_workspace(path), **options
            ).start()
        return found


def scheduler_for(path: str) -> Scheduler | None:
    """The running scheduler of this process for ``path``, if any."""
    found = _SCHEDULERS.get(path)
    return found if found is not None and found.running else None
