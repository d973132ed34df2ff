"""Follow-ups on a contact (FED-5, CUS-5): log a call, log an email, write a note, schedule a
meeting. Each is saved on the contact (its timeline shows it, with its company's) as an
activity done by the user, and goes through the one change path in the same
transaction, so the health scores that count calls, emails, notes or meetings move at
once. (A task for the contact is :func:`cs_core.tasks.create_task` with the contact as
its record.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from cs_core import activities, changes, clock, db
from cs_core.users import Action, User, require

KINDS = {"call": "Call", "email": "Email", "note": "Note"}
MAX_SUBJECT = 200
MAX_BODY = 10_000
MAX_ATTENDEES = 50
DURATIONS = (15, 30, 45, 60, 90, 120)


class FollowUpRefused(ValueError):
    """A follow-up that cannot be saved; the message names the problem. Nothing is written."""


@dataclass(frozen=True)
class Logged:
    activity_id: int
    meeting_id: int | None
    rescored: int  # records whose health scores were computed again


def _contact(cur: duckdb.DuckDBPyConnection, contact_id: int) -> int | None:
    """The contact's company (None: none); refused when the contact is gone."""
    row = cur.execute("SELECT company_id FROM contacts WHERE id = ?", [contact_id]).fetchone()
    if row is None:
        raise FollowUpRefused("That contact does not exist any more.")
    return row[0]


def _text(value: str | None, what: str, limit: int, *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise FollowUpRefused(f"Give the {what}.")
    if len(text) > limit:
        raise FollowUpRefused(f"The {what} has at most {limit:,} characters ({len(text):,} given).")
    return text or None


def _add_activity(cur, *, actor: User, kind: str, contact_id: int, company_id: int | None, when: datetime,
                  subject: str | None, body: str | None, now: datetime) -> tuple[int, int]:  # fmt: skip
    """The activity row, the records' last activity dates, and what follows (rescoring)."""
    activity_id = db.new_id(cur, "activities")
    cur.execute(
        "INSERT INTO activities (id, activity_type, occurred_at, contact_id, company_id, user_id, subject, body) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [activity_id, kind, when, contact_id, company_id, actor.id, subject, body],
    )  # fmt: skip
    if when <= clock.utc_naive(now):  # a meeting still to come is not an activity yet
        cur.execute("UPDATE contacts SET last_activity_at = greatest(coalesce(last_activity_at, ?), ?) WHERE id = ?",
                    [when, when, contact_id])  # fmt: skip
        if company_id is not None:
            cur.execute("UPDATE companies SET last_activity_at = greatest(coalesce(last_activity_at, ?), ?) "
                        "WHERE id = ?", [when, when, company_id])  # fmt: skip
    followed = changes.apply(cur, changes.ActivitiesAdded(activity_id, activity_id), now=now)
    return activity_id, followed.rescored


def log(con: duckdb.DuckDBPyConnection, *, actor: User, contact_id: int, kind: str, now: datetime,
        subject: str | None = None, body: str | None = None, occurred_at: datetime | None = None) -> Logged:  # fmt: skip
    """Log a call or an email, or write a note, on the contact (at ``occurred_at``, default
    now; not later than now)."""
    require(actor, Action.EDIT_RECORDS)
    if kind not in KINDS:
        raise FollowUpRefused(f"A follow-up is one of: {', '.join(KINDS.values())}, or a meeting.")
    if kind not in activities.LOGGED:  # the one list of what users log
        raise FollowUpRefused(f"{kind!r} is not logged by users.")
    subject = _text(subject, "subject", MAX_SUBJECT)
    body = _text(
        body, "note" if kind == "note" else "description", MAX_BODY, required=kind == "note"
    )
    when = clock.utc_naive(occurred_at or now)
    if when > clock.utc_naive(now):
        raise FollowUpRefused(
            f"A {KINDS[kind].lower()} is logged when it happened, not in the future."
        )
    if subject is None:
        subject = (body or "").splitlines()[0][:80] if kind == "note" else KINDS[kind]

    def _write(cur) -> Logged:
        company = _contact(cur, contact_id)
        activity_id, rescored = _add_activity(cur, actor=actor, kind=kind, contact_id=contact_id,
                                              company_id=company, when=when, subject=subject, body=body, now=now)  # fmt: skip
        return Logged(activity_id, None, rescored)

    return db.write(con, _write)


def schedule_meeting(con: duckdb.DuckDBPyConnection, *, actor: User, contact_id: int, title: str,
                     start: datetime, minutes: int, now: datetime, attendees: list[str] | None = None,
                     notes: str | None = None) -> Logged:  # fmt: skip
    """A meeting with the contact, owned by the actor (it shows on their Schedule tab), and
    its activity on the contact at its start (counted by engagement rules once it is due)."""
    require(actor, Action.EDIT_RECORDS)
    title = _text(title, "meeting's title", MAX_SUBJECT, required=True)
    notes = _text(notes, "meeting's notes", MAX_BODY)
    if start.tzinfo is None:
        raise FollowUpRefused("A meeting's start needs its time zone.")
    if minutes not in DURATIONS:
        raise FollowUpRefused(f"A meeting lasts {', '.join(map(str, DURATIONS))} minutes.")
    people = [p.strip() for p in (attendees or []) if p and p.strip()]
    if len(people) > MAX_ATTENDEES:
        raise FollowUpRefused(f"A meeting has at most {MAX_ATTENDEES} attendees.")
    if any(len(p) > MAX_SUBJECT for p in people):
        raise FollowUpRefused(f"An attendee is at most {MAX_SUBJECT} characters.")
    begin = clock.utc_naive(start)
    end = begin + timedelta(minutes=minutes)
    stamp = clock.utc_naive(now)

    def _write(cur) -> Logged:
        company = _contact(cur, contact_id)
        meeting_id = db.new_id(cur, "meetings")
        cur.execute(
            "INSERT INTO meetings (id, title, start_at, end_at, owner_id, object, record_id, attendees, notes, "
            "created_at) VALUES (?, ?, ?, ?, ?, 'contacts', ?, ?, ?, ?)",
            [meeting_id, title, begin, end, actor.id, contact_id, json.dumps(people), notes,
             stamp],
        )  # fmt: skip
        activity_id, rescored = _add_activity(cur, actor=actor, kind="meeting", contact_id=contact_id,
                                              company_id=company, when=begin, subject=title, body=notes, now=now)  # fmt: skip
        return Logged(activity_id, meeting_id, rescored)

    return db.write(con, _write)
