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
        _mark(cur, profile_id, record_id, score, expires_on, now)

    db.write(con, _set)
    return active_override(con, profile_id=profile_id, record_id=record_id, now=now)


def remove_override(con: duckdb.DuckDBPyConnection, *, actor: User, profile_id: int, record_id: int,
                    now: datetime) -> None:  # fmt: skip
    require(actor, Action.EDIT_RECORDS)

    def _remove(cur):
        cur.execute("UPDATE health_overrides SET removed_at = ? WHERE profile_id = ? AND record_id = ? "
                    "AND removed_at IS NULL", [_naive(now), profile_id, record_id])  # fmt: skip
        _mark(cur, profile_id, record_id, None, None, now)

    db.write(con, _remove)


def _mark(cur, profile_id: int, record_id: int, score: int | None, until: date | None,
          now: datetime | None = None) -> None:  # fmt: skip
    """The current score's copy of its active override (what reads of the score in effect use);
    when the category in effect changes with it, the owner gets an alert as for a new score."""
    day = clock.score_date(now) if now is not None else None
    before = _category_in_effect(cur, profile_id, record_id, day) if day else None
    cur.execute("UPDATE health_current SET override_score = ?, override_until = ? WHERE profile_id = ? "
                "AND record_id = ?", [score, until, profile_id, record_id])  # fmt: skip
    after = _category_in_effect(cur, profile_id, record_id, day) if day else None
    if before is not None and after is not None and before != after:
        _alert(cur, profile_id, record_id, before, after, now)


def _category_in_effect(cur, profile_id: int, record_id: int, day: date) -> str | None:
    from cs_core.health.reports import in_effect_sql

    effect, params = in_effect_sql(day=day)
    row = cur.execute(f"SELECT category FROM ({effect}) WHERE profile_id = ? AND record_id = ?",
                      [*params, profile_id, record_id]).fetchone()  # fmt: skip
    return row[0] if row else None


def _alert(cur, profile_id: int, record_id: int, before: str, after: str, now: datetime) -> None:
    """The record owner's alert that its category in effect changed (live profiles only)."""
    from cs_core.health.engine import ALERT_DAYS, owner_property
    from cs_core.sql import col, ident

    found = cur.execute(
        "SELECT object, status FROM health_profiles WHERE id = ?", [profile_id]
    ).fetchone()
    if found is None or found[1] != "live":
        return
    obj = found[0]
    owner = owner_property(cur, obj)
    if owner is None:
        return
    row = cur.execute(
        f"SELECT {col('r', owner)} FROM {ident(obj)} r WHERE r.id = ?", [record_id]
    ).fetchone()
    if row is None or row[0] is None:
        return
    at = _naive(now)
    cur.execute("INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [db.new_id(cur, "alerts"), row[0], obj, record_id, profile_id, before, after, at,
                 at + timedelta(days=ALERT_DAYS)])  # fmt: skip
