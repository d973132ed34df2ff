"""Turns for page runs (cs_core.admission): a few at once, in order; a turn is given up by a run
that waits for the write turn or runs long; background work at the lowest priority.

No timed waits: threads are observed by polling the gate in short sleeps (a moved clock
stretches a timed lock, see cs_core.admission)."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from cs_core import admission, db

POLL_S, POLLS = 0.005, 2_000  # up to 10 s


def until(condition, what: str) -> None:
    for _ in range(POLLS):
        if condition():
            return
        time.sleep(POLL_S)
    raise AssertionError(f"never happened: {what}")


class Runner(threading.Thread):
    """A page run: takes a turn, records it, holds it until told to leave."""

    def __init__(self, gate: admission.Gate, name: str, log: list[str]) -> None:
        super().__init__(name=name, daemon=True)
        self.gate, self.log, self.done = gate, log, threading.Event()
        self.entered = False
        self.start()

    def run(self) -> None:
        self.gate.enter()
        self.entered = True
        self.log.append(self.name)
        self.done.wait()
        self.gate.leave()

    def finish(self) -> None:
        self.done.set()
        self.join()


def test_at_most_the_limit_run_at_once_and_the_others_go_in_the_order_they_came():
    gate, log = admission.Gate(2), []
    a, b = Runner(gate, "a", log), Runner(gate, "b", log)
    until(lambda: gate.running == 2, "two runs hold turns")
    c = Runner(gate, "c", log)
    until(lambda: gate.waiting == 1, "c waits")
    d = Runner(gate, "d", log)
    until(lambda: gate.waiting == 2, "d waits behind c")
    assert not c.entered and not d.entered
    b.finish()
    until(lambda: c.entered, "c goes when b ends")
    assert not d.entered and gate.running == 2
    a.finish()
    until(lambda: d.entered, "d goes when a ends")
    c.finish(), d.finish()
    assert set(log[:2]) == {"a", "b"} and log[2:] == ["c", "d"]
    assert (gate.running, gate.waiting) == (0, 0)


def test_a_turn_held_too_long_is_given_up_and_the_run_carries_on():
    moment = [100.0]
    gate, log = admission.Gate(1, clock=lambda: moment[0], long_s=1.0), []
    long = Runner(gate, "long", log)
    until(lambda: gate.running == 1, "the long run holds the turn")
    short = Runner(gate, "short", log)
    until(lambda: gate.waiting == 1, "the next run waits")
    moment[0] += 0.9
    assert gate.let_long_go() == 0 and not short.entered
    moment[0] += 0.1
    assert gate.let_long_go() == 1
    until(lambda: short.entered, "the next run goes once the long one gave up its turn")
    assert gate.given_up == 1 and gate.running == 1
    # The long run ending frees nothing more: the one turn is the short run's.
    long.finish()
    assert gate.running == 1
    third = Runner(gate, "third", log)
    until(lambda: gate.waiting == 1, "a third run waits for the short run's turn")
    short.finish()
    until(lambda: third.entered, "the third goes after the short run")
    third.finish()
    assert (gate.running, gate.waiting) == (0, 0)


def test_a_run_waiting_for_the_write_turn_gives_its_turn_to_the_next(tmp_path, monkeypatch):
    gate = admission.Gate(1)
    monkeypatch.setattr(admission, "_gate", gate)
    con = db.open_workspace(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE t (n INTEGER)")
    writing, release = threading.Event(), threading.Event()

    def long_write() -> None:  # the daily job: no turn, the write turn held
        with db.transaction(con) as cur:
            cur.execute("INSERT INTO t VALUES (1)")
            writing.set()
            release.wait()

    job = threading.Thread(target=long_write, daemon=True)
    job.start()
    writing.wait()
    wrote = threading.Event()

    def edit() -> None:  # a page run with a turn, writing
        gate.enter()
        with db.transaction(con) as cur:
            cur.execute("INSERT INTO t VALUES (2)")
        wrote.set()
        gate.leave()

    editor = threading.Thread(target=edit, daemon=True)
    editor.start()
    until(lambda: gate.given_up == 1, "the editing run gives up its turn while it waits")
    log: list[str] = []
    reader = Runner(gate, "reader", log)
    until(lambda: reader.entered, "a reading run goes while the edit waits for the write turn")
    assert not wrote.is_set()
    reader.finish()
    release.set()
    job.join(), editor.join()
    assert wrote.is_set()
    assert sorted(r[0] for r in con.execute("SELECT n FROM t").fetchall()) == [1, 2]
    assert (gate.running, gate.waiting) == (0, 0)
    con.close()


def test_a_write_turn_taken_at_once_keeps_the_runs_turn(tmp_path, monkeypatch):
    gate = admission.Gate(1)
    monkeypatch.setattr(admission, "_gate", gate)
    con = db.open_workspace(str(tmp_path / "w.duckdb"))
    gate.enter()
    with db.transaction(con) as cur:
        cur.execute("CREATE TABLE t (n INTEGER)")
    assert gate.holding() and gate.given_up == 0
    gate.leave()
    assert gate.running == 0
    con.close()


def test_no_limit_lets_every_run_go():
    gate = admission.Gate(0)
    log: list[str] = []
    runners = [Runner(gate, str(n), log) for n in range(5)]
    until(lambda: len(log) == 5, "five runs at once")
    for r in runners:
        r.finish()


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(admission.LIMIT_VARIABLE, "3")
    assert admission.default_limit() == 3
    monkeypatch.setenv(admission.LIMIT_VARIABLE, "0")
    assert admission.default_limit() == 0
    monkeypatch.delenv(admission.LIMIT_VARIABLE)
    assert admission.default_limit() == max(2, os.cpu_count() or 2)
    monkeypatch.setenv(admission.LIMIT_VARIABLE, "two")
    with pytest.raises(ValueError, match="CS_CONCURRENT_RUNS='two' is not a whole number"):
        admission.default_limit()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are Linux's")
def test_background_work_runs_at_the_lowest_priority_and_the_caller_keeps_its_own():
    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    mine = niceness()
    assert admission.in_background(niceness) == admission.BACKGROUND_NICE
    assert niceness() == mine

    def fails():
        raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="the disk is full"):
        admission.in_background(fails)
