"""Turns for page runs: at most a few run at once, the others wait in order.

On a small server, twenty sessions' page runs at once share its cores and one interpreter lock,
so every run takes as long as the crowd: under a team's load (bench/load.py) a page that
takes 0.1 s alone took 1 s. Runs taking turns, a few at a time (as many as there are
cores, at least two), each finishes at its own speed and the waiting is short and in order.

A turn is for short work. A run gives its turn up, and carries on without one:

- when it waits for the write turn (``db.transaction``) that another thread holds, so a long
  write (an import, the daily job) never stops the readers behind two waiting writers;
- when it has held its turn for :data:`LONG_S` (a report near its time limit, a recompute
  started from Settings, an import): the next run in line starts, the long one carries on.

A thread that never took a turn (the daily job, the command line, tests) is not counted.
``CS_CONCURRENT_RUNS`` sets how many runs go at once; 0 lets every run go.

Background work (a backup's folding of the log into its copy) runs at the lowest CPU
priority: :func:`in_background`.

Waits are untimed waits on a condition and the overseer of long turns sleeps in short
steps on the monotonic clock: no timed lock, which a moved clock (faketime) stretches.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from typing import TypeVar

T = TypeVar("T")
LIMIT_VARIABLE = "CS_CONCURRENT_RUNS"
LONG_S = 1.0  # a turn held this long is given up (the run carries on)
STEP_S = 0.05  # how often the overseer looks


def default_limit() -> int:
    """``CS_CONCURRENT_RUNS`` when set (0: no limit), else as many as there are cores, at least 2."""
    raw = os.environ.get(LIMIT_VARIABLE, "").strip()
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            raise ValueError(
                f"{LIMIT_VARIABLE}={raw!r} is not a whole number; set how many page runs may go at "
                "once (0 for no limit)."
            ) from None
    return max(2, os.cpu_count() or 2)


class _Turn:
    __slots__ = ("since", "held")

    def __init__(self, since: float) -> None:
        self.since, self.held = since, True


class Gate:
    """At most ``limit`` turns held at once; waiters go in the order they came."""

    def __init__(self, limit: int, *, clock: Callable[[], float] = time.monotonic,
                 long_s: float = LONG_S) -> None:  # fmt: skip
        self.limit, self.long_s, self._clock = limit, long_s, clock
        self._cond = threading.Condition()
        self._held: set[_Turn] = set()
        self._queue: deque[object] = deque()
        self._local = threading.local()
        self.given_up = 0  # turns given up, long or waiting for the write turn (for the bench)

    # the state, for tests and the bench
    @property
    def running(self) -> int:
        return len(self._held)

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def holding(self) -> bool:
        """Whether this thread holds a turn now."""
        turn = getattr(self._local, "turn", None)
        return turn is not None and turn.held

    def enter(self) -> None:
        """Take a turn for this thread, waiting for one; a thread holds one turn at most."""
        if self.limit <= 0 or getattr(self._local, "turn", None) is not None:
            return
        asked = self._clock()
        with self._cond:
            if len(self._held) >= self.limit or self._queue:
                ticket = object()
                self._queue.append(ticket)
                try:
                    while self._queue[0] is not ticket or len(self._held) >= self.limit:
                        self._cond.wait()
                finally:
                    self._queue.remove(ticket)
                    self._cond.notify_all()  # the next in line may go too
            turn = _Turn(self._clock())
            self._held.add(turn)
        self._local.turn = turn
        self._local.waited = turn.since - asked

    def waited(self) -> float:
        """How long this thread waited for its last turn, in seconds."""
        return getattr(self._local, "waited", 0.0)

    def leave(self) -> None:
        """End this thread's turn (if it still holds it), letting the next in line go."""
        turn = getattr(self._local, "turn", None)
        self._local.turn = None
        if turn is not None:
            self._give_up(turn)

    def give_up(self) -> None:
        """Stop counting this thread's run (it waits for another thread); it keeps going."""
        turn = getattr(self._local, "turn", None)
        if turn is not None:
            self._give_up(turn, count=True)

    def _give_up(self, turn: _Turn, *, count: bool = False) -> None:
        with self._cond:
            if turn.held:
                turn.held = False
                self._held.discard(turn)
                self.given_up += count
                self._cond.notify_all()

    def let_long_go(self) -> int:
        """Give up every turn held for :attr:`long_s` or more (the overseer's step); how many."""
        now = self._clock()
        with self._cond:
            long = [t for t in self._held if now - t.since >= self.long_s]
            for turn in long:
                turn.held = False
                self._held.discard(turn)
            if long:
                self.given_up += len(long)
                self._cond.notify_all()
            return len(long)


_gate: Gate | None = None
_gate_lock = threading.Lock()


def gate() -> Gate:
    """The process's gate for page runs (made, with its overseer, at the first use)."""
    global _gate
    with _gate_lock:
        if _gate is None:
            _gate = Gate(default_limit())
            if _gate.limit > 0:
                threading.Thread(
                    target=_oversee, args=(_gate,), name="run-turns", daemon=True
                ).start()
        return _gate


def _oversee(of: Gate) -> None:
    while True:
        time.sleep(STEP_S)
        of.let_long_go()


def enter() -> None:
    gate().enter()


def leave() -> None:
    if _gate is not None:
        _gate.leave()


def waited() -> float:
    """How long this thread's run waited for its turn (seconds; for the timing log)."""
    return _gate.waited() if _gate is not None else 0.0


def before_waiting() -> None:
    """Before this thread waits for another (the write turn): its turn goes to the next run."""
    if _gate is not None:
        _gate.give_up()


# --- background work ----------------------------------------------------------------------

BACKGROUND_NICE = 19  # the lowest CPU priority (Linux): the sessions' runs go first


def in_background(work: Callable[[], T]) -> T:
    """``work()`` on a thread of its own at the lowest CPU priority, waited for: a backup's work on
    its copy takes the cores the sessions leave, instead of half of them. Its result,
    or its exception. Where threads have no priority of their own it runs as it is.

    A thread of its own because a thread's priority can be lowered but not raised again
    without privileges: the caller's thread (a session's) keeps its own."""
    done: dict[str, object] = {}

    def run() -> None:
        with suppress(AttributeError, OSError):  # not Linux, or not allowed: normal priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
        try:
            done["value"] = work()
        except BaseException as exc:  # handed to the caller, who waits below
            done["error"] = exc

    worker = threading.Thread(target=run, name="background-work", daemon=True)
    worker.start()
    worker.join()
    if "error" in done:
        raise done["error"]  # type: ignore[misc]
    return done["value"]  # type: ignore[return-value]
