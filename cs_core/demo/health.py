"""The demo's two live health-score profiles, and their history so charts and alerts are populated."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import duckdb

from cs_core import clock
from cs_core.health import engine, profiles


def _rule(props_ops: list[tuple[str, str, object]], points: int) -> dict:
    return {
        "when": [{"property": p, "operator": o, "value": v} for p, o, v in props_ops],
        "points": points,
    }


def _eng(
    types: list[str], measure: str, op: str, value: int, points: int, window: int | None = None
) -> dict:
    rule = {
        "activity_types": types,
        "measure": measure,
        "operator": op,
        "value": value,
        "points": points,
    }
    return {**rule, "window_days": window} if window else rule


ENTERPRISE = {
    "name": "Enterprise and Mid-Market", "object": "companies", "status": "live", "missing_data": "no_points",
    "thresholds": {"at_risk_max": 33, "successful_min": 67},
    "record_filter": [{"property": "segment", "operator": "in", "value": ["Enterprise", "Mid-Market"]}],
    "groups": [
        {"name": "Fit and sentiment", "kind": "property", "max_points": 50, "rules": [
            _rule([("plan", "eq", "Enterprise")], 15), _rule([("nps", "gte", 9)], 20),
            _rule([("nps", "lte", 6)], -15), _rule([("open_tickets", "lte", 1)], 15),
            _rule([("open_tickets", "gt", 3)], -15)]},
        {"name": "Engagement", "kind": "engagement", "max_points": 50, "rules": [
            _eng(["meeting", "call"], "count", "gte", 2, 25, 30),
            _eng(["email_reply", "meeting", "call"], "days_since_last", "gt", 30, -20),
            _eng(["page_view"], "count", "gte", 3, 15, 14),
            _eng(["email_open", "email_click"], "count", "gte", 3, 10, 30)]},
    ],
}  # fmt: skip
SMB = {
    "name": "SMB", "object": "companies", "status": "live", "missing_data": "redistribute",
    "thresholds": {"at_risk_max": 33, "successful_min": 67},
    "record_filter": [{"property": "segment", "operator": "eq", "value": "SMB"}],
    "groups": [
        {"name": "Fit and sentiment", "kind": "property", "max_points": 40, "rules": [
            _rule([("nps", "gte", 9)], 20), _rule([("open_tickets", "gt", 2)], -15),
            _rule([("plan", "eq", "Professional")], 10), _rule([("lifecycle_stage", "eq", "Evangelist")], 15),
            _rule([("open_tickets", "eq", 0)], 10)]},
        {"name": "Product engagement", "kind": "engagement", "max_points": 60, "rules": [
            _eng(["email_open"], "count", "gte", 2, 20, 30), _eng(["page_view"], "count", "gte", 2, 20, 14),
            _eng(["form_submission"], "count", "gte", 1, 10, 60),
            _eng(["email_reply", "call", "meeting", "page_view"], "days_since_last", "gt", 21, -20),
            _eng(["meeting", "call"], "count", "gte", 1, 15, 60)]},
    ],
}  # fmt: skip


def add_profiles(con: duckdb.DuckDBPyConnection, *, now: datetime, history: bool) -> None:
    """Save both profiles and score them: today, or weekly for 26 weeks and daily for the last week."""
    today = clock.score_date(now)
    days = [today]
    if history:
        days = sorted(
            {today - timedelta(weeks=w) for w in range(26)}
            | {today - timedelta(days=d) for d in range(7)}
        )

    def at(day):
        return datetime.combine(day, time(5, 0), UTC) if day != today else now

    # Published on the first day (publishing scores that day), then scored on each later one.
    saved = [
        profiles.save_profile(con, actor=None, definition=d, now=at(days[0]))
        for d in (ENTERPRISE, SMB)
    ]
    for day in days[1:]:
        for profile in saved:
            engine.run(con, profile, score_date=day, now=at(day))
