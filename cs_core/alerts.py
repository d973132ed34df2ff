"""Alerts: a customer's health category changed (SUM-1, HS-6). They expire after 14 days."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

from cs_core.record_values import title_sql


def _naive(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


def active_alerts(
    con: duckdb.DuckDBPyConnection, *, user_id: int, now: datetime, limit: int = 200
) -> pd.DataFrame:
    """The user's alerts that have not expired, newest first (more than 25 can be active)."""
    objects = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT object FROM alerts WHERE user_id = ?", [user_id]
        ).fetchall()
    ]
    if not objects:
        return pd.DataFrame(
            columns=["id", "object", "record_id", "Customer", "From", "To", "Raised"]
        )
    parts = [
        f'SELECT a.id, a.object, a.record_id, {title_sql(con, o, "r")} AS "Customer", a.old_category AS "From", '
        f'a.new_category AS "To", a.raised_at AS "Raised" FROM alerts a JOIN "{o}" r ON r.id = a.record_id '
        "WHERE a.object = ? AND a.user_id = ? AND a.expires_at > ?"
        for o in objects
    ]
    params = [p for o in objects for p in (o, user_id, _naive(now))]
    return con.execute(
        " UNION ALL ".join(parts) + ' ORDER BY "Raised" DESC, id DESC LIMIT ?', [*params, limit]
    ).df()
