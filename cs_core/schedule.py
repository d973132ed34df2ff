"""The Schedule tab's events: a user's meetings and tasks over days of a time zone (SCH-1..SCH-3).

Days are calendar days in the zone asked for (the user's by default, or one picked on the
tab): an event belongs to the days its local start falls on or that it overlaps. Times
come back as wall-clock times of that zone, so the calendar shows them as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from cs_core import clock
from cs_core.record_values import record_names
from cs_core.users import User

TASK_MINUTES = 30  # how long a task with a due time looks on the calendar


@dataclass(frozen=True)
class Event:
    kind: str  # "meeting" or "task"
    id: int
    title: str
    start: datetime  # wall-clock time in the zone asked for
    end: datetime
    record: tuple[str, int] | None
    record_name: str | None
    attendees: tuple[str, ...] = ()
    location: str | None = None
    link: str | None = None
    notes: str | None = None
    completed: bool = False
    task_type: str | None = None

    @property
    def key(self) -> str:
        """Unique across meetings and tasks (the calendar's event id)."""
        return f"{self.kind[0]}{self.id}"


def events(con: duckdb.DuckDBPyConnection, *, user: User, first: date, last: date,
           time_zone: str | None = None) -> list[Event]:  # fmt: skip
    """The user's meetings and tasks with a due time from local day ``first`` to ``last``
    (inclusive) in ``time_zone`` (default: the user's), in time order, a meeting with its link
    to start it. What only a clicked event's summary shows (its record's name, attendees,
    notes) is left to :func:`detail`."""
    zone = time_zone or user.time_zone
    if last < first:
        raise ValueError("The last day comes before the first.")
    start, end = clock.day_start(first, zone), clock.day_start(last + timedelta(days=1), zone)
    begin, finish = clock.local_sql("start_at", zone), clock.local_sql("end_at", zone)
    due = clock.local_sql("due_at", zone)
    rows = con.execute(
        f"""
        SELECT 'meeting', id, title, {begin}, {finish}, FALSE, meeting_link FROM meetings
        WHERE owner_id = $user AND start_at < $end AND end_at > $start
        UNION ALL
        SELECT 'task', id, title, {due}, {due} + INTERVAL (CAST($minutes AS INTEGER)) MINUTE, status = 'completed',
               NULL FROM tasks WHERE owner_id = $user AND due_at >= $start AND due_at < $end
        """,
        {"user": user.id, "start": start, "end": end, "minutes": TASK_MINUTES},
    ).fetchall()  # fmt: skip
    rows.sort(key=lambda r: (r[3], r[0], r[1]))
    return [Event(kind, eid, title, start_at, end_at, None, None, link=_safe_link(link), completed=done)
            for kind, eid, title, start_at, end_at, done, link in rows]  # fmt: skip


def detail(
    con: duckdb.DuckDBPyConnection, *, user: User, key: str, time_zone: str | None = None
) -> Event | None:
    """One of the user's events by its key ("m12", "t7") with everything its summary shows:
    the record and its name, attendees, location, a link to start the meeting, notes."""
    zone = time_zone or user.time_zone
    kind, number = {"m": "meeting", "t": "task"}.get(key[:1]), key[1:]
    if kind is None or not number.isdigit() or len(number) > 18:
        return None
    if kind == "meeting":
        row = con.execute(
            "SELECT id, title, start_at, end_at, object, record_id, attendees, location, meeting_link, notes, "
            "FALSE, NULL FROM meetings WHERE id = ? AND owner_id = ?", [int(number), user.id]).fetchone()  # fmt: skip
    else:
        row = con.execute(
            "SELECT id, title, due_at, due_at + INTERVAL (CAST(? AS INTEGER)) MINUTE, object, record_id, NULL, NULL, "
            "NULL, notes, status = 'completed', task_type FROM tasks WHERE id = ? AND owner_id = ?",
            [TASK_MINUTES, int(number), user.id]).fetchone()  # fmt: skip
    if row is None or row[2] is None:
        return None
    eid, title, begin, finish, obj, rid, attendees, location, link, notes, done, task_type = row
    record = (obj, rid) if obj is not None and rid is not None else None
    name = record_names(con, {record}).get(record) if record else None
    return Event(kind=kind, id=eid, title=title, start=clock.local(begin, zone), end=clock.local(finish, zone),
                 record=record, record_name=name, attendees=tuple(_attendees(attendees)), location=location,
                 link=_safe_link(link), notes=notes, completed=bool(done), task_type=task_type)  # fmt: skip


def _attendees(stored: str | None) -> list[str]:
    if not stored:
        return []
    try:
        found = json.loads(stored)
    except json.JSONDecodeError:
        return [stored]
    return [str(a) for a in found] if isinstance(found, list) else [str(found)]


def _safe_link(link: str | None) -> str | None:
    """A meeting link a browser may open: http(s) only (no javascript: or data: links)."""
    if not link:
        return None
    text = link.strip()
    return text if text.lower().startswith(("https://", "http://")) else None


def week_range(day: date, *, first_weekday: int = 0) -> tuple[date, date]:
    """The week (Monday first by default) that holds ``day``."""
    start = day - timedelta(days=(day.weekday() - first_weekday) % 7)
    return start, start + timedelta(days=6)


def month_grid(day: date) -> tuple[date, date]:
    """The whole weeks a month view of ``day``'s month shows (Monday first)."""
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return week_range(first)[0], week_range(nxt - timedelta(days=1))[1]


def now_local(now: datetime, time_zone: str) -> datetime:
    return clock.local(clock.utc_naive(now), time_zone)
