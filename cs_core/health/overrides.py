"""Manual overrides of a health score, with a reason and an expiry (HS-8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from cs_core import clock, db
from cs_core.users import Action, User, require

MAX_DAYS = 365


class OverrideRefused(ValueError):
    """An override that cannot be set; the message says why."""


@dataclass(frozen=True)
class Override:
    id: int
    score: int
    reason: str
    expires_on: date
    by: str | None
    created_at: datetime


_naive = clock.utc_naive


def active_override(con: duckdb.DuckDBPyConnection, *, profile_id: int, record_id: int,
                    now: datetime) -> Override | None:  # fmt: skip
    row = con.execute(
        "SELECT o.id, o.score, o.reason, o.expires_on, u.name, o.created_at FROM health_overrides o "
        "LEFT JOIN users u ON u.id = o.created_by WHERE o.profile_id = ? AND o.record_id = ? "
        "AND o.removed_at IS NULL AND o.expires_on >= ? ORDER BY o.created_at DESC LIMIT 1",
        [profile_id, record_id, clock.score_date(now)],
    ).fetchone()
    return Override(*row) if row else None


def set_override(con: duckdb.DuckDBPyConnection, *, actor: User, profile_id: int, record_id: int, score: int,
                 reason: str, expires_on: date, now: datetime) -> Override:  # fmt: skip
    require(actor, Action.EDIT_RECORDS)
    today = clock.score_date(now)
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
        raise OverrideRefused("An override score is a whole number from 0 to 100.")
    reason = (reason or "").strip()
    if not reason:
        raise OverrideRefused("Say why the score is overridden; the reason is shown beside it.")
    if not today < expires_on <= today + timedelta(days=MAX_DAYS):
        raise OverrideRefused(f"An override ends after today and within {MAX_DAYS} days.")

    def _set(cur):
        cur.execute("UPDATE health_overrides SET removed_at = ? WHERE profile_id = ? AND record_id = ? "
                    "AND removed_at IS NULL", [_naive(now), profile_id, record_id])  # fmt: skip
        cur.execute("INSERT INTO health_overrides VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    [db.new_id(cur, "health_overrides"), profile_id, record_id, score, reason, expires_on,
                     actor.id, _naive(now)])  # fmt: skip
        _mark(cur, profile_id, record_id, score, expires_on)

    db.write(con, _set)
    return active_override(con, profile_id=profile_id, record_id=record_id, now=now)


def remove_override(con: duckdb.DuckDBPyConnection, *, actor: User, profile_id: int, record_id: int,
                    now: datetime) -> None:  # fmt: skip
    require(actor, Action.EDIT_RECORDS)

    def _remove(cur):
        cur.execute("UPDATE health_overrides SET removed_at = ? WHERE profile_id = ? AND record_id = ? "
                    "AND removed_at IS NULL", [_naive(now), profile_id, record_id])  # fmt: skip
        _mark(cur, profile_id, record_id, None, None)

    db.write(con, _remove)


def _mark(cur, profile_id: int, record_id: int, score: int | None, until: date | None) -> None:
    """The current score's copy of its active override (what reads of the score in effect use)."""
    cur.execute("UPDATE health_current SET override_score = ?, override_until = ? WHERE profile_id = ? "
                "AND record_id = ?", [score, until, profile_id, record_id])  # fmt: skip
