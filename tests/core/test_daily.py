"""The daily job: when it is due, what a run does and logs, a failing profile, the scheduler,
and the launcher that starts it with the server (no page view needed)."""

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from cs_core import daily, db, demo, health
from cs_core.daily import Schedule
from cs_core.health import engine
from tests.conftest import CSM, NOW, ROOT, SETTINGS_MANAGER


def test_slots_follow_the_schedules_zone_and_days():
    tokyo = Schedule("05:00", "Asia/Tokyo")  # 05:00 in Tokyo is 20:00 UTC the day before
    now = datetime(2026, 11, 28, 15, tzinfo=UTC)
    assert daily.last_slot(tokyo, now) == datetime(2026, 11, 27, 20)
    assert daily.next_slot(tokyo, now) == datetime(2026, 11, 28, 20)
    berlin = Schedule("05:00", "Europe/Berlin")
    assert daily.last_slot(berlin, datetime(2026, 11, 28, 3, 59, tzinfo=UTC)) == datetime(
        2026, 11, 27, 4
    )
    assert daily.last_slot(berlin, datetime(2026, 11, 28, 4, 0, tzinfo=UTC)) == datetime(
        2026, 11, 28, 4
    )
    # The week the clocks go back: 05:00 in Berlin is 04:00 UTC before, 03:00 UTC from 25 Oct on.
    assert daily.next_slot(berlin, datetime(2026, 10, 24, 12, tzinfo=UTC)) == datetime(
        2026, 10, 25, 4
    )
    assert daily.next_slot(berlin, datetime(2026, 10, 25, 12, tzinfo=UTC)) == datetime(
        2026, 10, 26, 4
    )


def test_a_run_scores_every_live_profile_expires_alerts_and_is_logged(demo_con):
    assert daily.is_due(demo_con, NOW)  # never run: the 05:00 UTC run of the day is due
    expired = demo_con.execute("SELECT count(*) FROM alerts WHERE expires_at <= ?", [NOW.replace(tzinfo=None)]
                               ).fetchone()[0]  # fmt: skip
    result = daily.run_daily(demo_con, now=NOW, trigger="schedule")
    assert (result.status, result.profiles, result.records_scored) == ("ok", 2, 400)
    assert result.alerts_expired == expired and result.errors == ()
    assert result.started_at == datetime(2026, 11, 28, 15) and result.seconds >= 0
    assert demo_con.execute("SELECT count(*) FROM alerts WHERE expires_at <= ?", [NOW.replace(tzinfo=None)]
                            ).fetchone()[0] == 0  # fmt: skip
    assert not daily.is_due(demo_con, NOW + timedelta(hours=8))  # 23:00: today's run is done
    assert daily.is_due(demo_con, datetime(2026, 11, 29, 5, 0, tzinfo=UTC))
    assert daily.last_run(demo_con) == result


def test_one_failing_profile_is_reported_and_the_others_are_scored(demo_con, monkeypatch):
    real = engine.store

    def flaky(cur, profile, **kwargs):
        if profile.name == "SMB":
            raise OverflowError("date value out of range")
        return real(cur, profile, **kwargs)

    monkeypatch.setattr(engine, "store", flaky)
    result = daily.run_daily(demo_con, now=NOW, trigger="manual")
    assert result.status == "partial" and result.profiles == 1
    assert result.errors == ("SMB: date value out of range",)
    smb = demo_con.execute("SELECT count(*) FROM companies WHERE segment = 'SMB'").fetchone()[0]
    assert result.records_scored == 400 - smb


def test_the_schedule_is_validated_and_needs_the_settings_permission(demo_con, user):
    saved = daily.save_schedule(demo_con, actor=user(SETTINGS_MANAGER), value=Schedule("6:30", "Europe/Berlin"),
                                now=NOW)  # fmt: skip
    assert saved == Schedule("06:30", "Europe/Berlin") == daily.get_schedule(demo_con)
    for bad, message in (
        (Schedule("25:00", "UTC"), "not a time of day"),
        (Schedule("05:00", "Mars/Base"), "not a time zone"),
    ):
        with pytest.raises(daily.ScheduleError, match=message):
            daily.save_schedule(demo_con, actor=user(SETTINGS_MANAGER), value=bad, now=NOW)
    from cs_core.users import PermissionDenied

    with pytest.raises(PermissionDenied):
        daily.save_schedule(demo_con, actor=user(CSM), value=Schedule(), now=NOW)


def test_the_scheduler_runs_a_missed_run_at_start_then_waits(demo_path):
    clock_now = [NOW]
    sched = daily.Scheduler(
        lambda: db.shared_workspace(demo_path), now=lambda: clock_now[0], poll=0.05
    )
    try:
        sched.start()
        deadline = time.monotonic() + 30
        con = db.shared_workspace(demo_path)
        while daily.last_run(con) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        first = daily.last_run(con)
        assert first is not None and first.trigger == "missed"
        time.sleep(0.3)  # checked again several times: nothing more is due today
        assert len(daily.recent_runs(con)) == 1
        clock_now[0] = datetime(2026, 11, 29, 5, 1, tzinfo=UTC)  # the next morning
        while len(daily.recent_runs(con)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r.trigger for r in daily.recent_runs(con)] == ["schedule", "missed"]
    finally:
        sched.stop()
        db.close_shared(demo_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lines_until(proc, marker: str, *, deadline: float) -> list[str]:
    """The server's output lines up to the first that contains ``marker`` (or the deadline)."""
    lines: list[str] = []
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    while time.monotonic() < deadline:
        if sel.select(timeout=0.5):
            line = proc.stdout.readline().decode()
            if not line:
                break
            lines.append(line.strip())
            if marker in line:
                break
    return lines


def test_the_launcher_starts_the_daily_job_with_the_server_before_any_page_view(tmp_path):
    path = tmp_path / "w.duckdb"
    demo.create_demo_workspace(str(path), now=NOW - timedelta(days=1))
    port = _free_port()
    env = {**os.environ, "CS_WORKSPACE_DB": str(path), "CS_NOW": NOW.isoformat()}
    cmd = [
        sys.executable,
        "-m",
        "ui.launch",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        # No page is opened: the scheduler finds the missed run (the workspace is from yesterday,
        # today's 05:00 UTC slot has passed) and reports it on its own.
        lines = _lines_until(proc, "Daily health run", deadline=time.monotonic() + 90)
        assert any(
            line.startswith("Daily health run (missed): ok, 2 profiles, 400 records")
            for line in lines
        ), lines
        # The server serves too (on a loaded machine it may still be starting: asked for 30 s).
        deadline, answer = time.monotonic() + 30, None
        while answer is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_stcore/health", timeout=5
                ) as r:
                    answer = r.read()
            except OSError:
                time.sleep(0.2)
        assert answer == b"ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    con = db.open_workspace(str(path))
    try:
        runs = daily.recent_runs(con)
        assert [(r.trigger, r.status) for r in runs] == [("missed", "ok")]
        assert runs[0].records_scored == 400
        assert health.get_profile(con, name="SMB") is not None
    finally:
        con.close()


def test_a_run_cut_short_by_the_process_is_marked_interrupted_and_runs_again(demo_con):
    """A run logged as running when none runs in the process (it was killed with its process):
    the next check says it was interrupted and runs the day again, instead of counting it."""
    daily.run_daily(demo_con, now=NOW, trigger="missed")
    killed_at = NOW + timedelta(minutes=5)  # after today's slot, like the run just made
    db.write(demo_con, lambda cur: cur.execute(
        "INSERT INTO job_runs (id, job, trigger, started_at, status) VALUES (?, ?, 'schedule', ?, 'running')",
        [db.new_id(cur, "job_runs"), daily.JOB, killed_at.replace(tzinfo=None)],
    ))  # fmt: skip
    db.write(demo_con, lambda cur: cur.execute("DELETE FROM job_runs WHERE status = 'ok'"))
    assert not daily.is_due(demo_con, NOW + timedelta(minutes=10))  # one may be under way

    again = daily.run_daily(
        demo_con, now=NOW + timedelta(minutes=10), trigger="missed", only_if_due=True
    )
    assert again is not None and again.status == "ok" and again.records_scored > 0
    runs = daily.recent_runs(demo_con)
    assert [(r.trigger, r.status) for r in runs] == [("missed", "ok"), ("schedule", "interrupted")]
    assert runs[1].errors == (daily.INTERRUPTED_MESSAGE,)
    assert runs[1].finished_at is None
