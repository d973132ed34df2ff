"""The one time module: the clock entry points read, and conversions between UTC and a zone.

Functions elsewhere take ``now`` (a time-zone-aware datetime) from their caller. The
database stores naive UTC timestamps (the workspace connection runs in UTC);
"today", day boundaries and dates on screen are taken in the acting user's zone.
Health-score dates are UTC calendar days, as spec/health-profiles.md compares
activity "as UTC instants at the end of the score date".
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NOW_VARIABLE = "CS_NOW"  # a fixed clock for the app (tests, reproducible screenshots)


class ClockError(ValueError):
    """A time or zone that cannot be used; the message says which and why."""


def parse_moment(text: str) -> datetime:
    """An ISO timestamp (``2026-11-28T15:00:00Z``, ``...+01:00``, or naive = UTC) as aware UTC."""
    try:
        moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ClockError(
            f"{text!r} is not a timestamp; use ISO form, e.g. 2026-11-28T15:00:00Z."
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def now() -> datetime:
    """The current time, aware, in UTC: for entry points only (the CLI, the app, the daily job).

    ``CS_NOW`` (an ISO timestamp) fixes it, so a test or a demo does not depend on the real date.
    """
    fixed = os.environ.get(NOW_VARIABLE)
    return parse_moment(fixed) if fixed else datetime.now(UTC)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ClockError(
            f"{name!r} is not a time zone (use a name such as Europe/Berlin)."
        ) from None


def utc_naive(moment: datetime) -> datetime:
    """As stored: naive UTC. A naive ``moment`` is taken to be UTC already."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def as_utc(stored: datetime) -> datetime:
    """A stored (naive UTC) timestamp as an aware UTC datetime."""
    return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


def local_date(moment: datetime, time_zone: str | None) -> date:
    """The calendar date of ``moment`` in ``time_zone`` (a naive moment is UTC)."""
    return as_utc(moment).astimezone(zone(time_zone)).date()


def day_start(day: date, time_zone: str | None) -> datetime:
    """The stored (naive UTC) instant at which ``day`` begins in ``time_zone``."""
    return utc_naive(datetime.combine(day, time.min, tzinfo=zone(time_zone)))


def day_bounds(day: date, time_zone: str | None) -> tuple[datetime, datetime]:
    """[start, end) of ``day`` in ``time_zone`` as stored instants (23 or 25 hours across DST)."""
    return day_start(day, time_zone), day_start(day + timedelta(days=1), time_zone)


def score_date(moment: datetime) -> date:
    """The health-score date of a moment: its UTC calendar date."""
    return as_utc(moment).date()


def end_of_score_date(day: date) -> datetime:
    """The stored instant that ends a score date (UTC midnight after it)."""
    return datetime.combine(day + timedelta(days=1), time.min)


def shown(stored: datetime | None, time_zone: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored timestamp as the user reads it, in their zone ("" for none)."""
    if stored is None:
        return ""
    return as_utc(stored).astimezone(zone(time_zone)).strftime(fmt)


def local(stored: datetime | None, time_zone: str | None) -> datetime | None:
    """A stored (UTC) timestamp as wall-clock time in ``time_zone`` (naive, as shown)."""
    if stored is None:
        return None
    return as_utc(stored).astimezone(zone(time_zone)).replace(tzinfo=None)


def local_sql(expr: str, time_zone: str | None) -> str:
    """SQL turning a stored (UTC) timestamp expression into wall-clock time in ``time_zone``.

    The zone is checked (a known zone name) and quoted; UTC needs no conversion.
    """
    name = zone(time_zone).key
    if name in ("UTC", "Etc/UTC"):
        return expr
    quoted = "'" + name.replace("'", "''") + "'"
    return f"timezone({quoted}, CAST({expr} AS TIMESTAMPTZ))"
