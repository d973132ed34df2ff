"""Alerts: a customer's health category changed (SUM-1, HS-6). They expire after 14 days."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from cs_core import clock
from cs_core.record_values import title_sql
from cs_core.records import list_objects
from cs_core.sql import ident
from cs_core.users import Action, PermissionDenied, User, require


def active_alerts(
    con: duckdb.DuckDBPyConnection,
    *,
    user_id: int,
    now: datetime,
    limit: int = 200,
    offset: int = 0,
) -> pd.DataFrame:
    """The user's alerts that have not expired, newest first (more than 25 can be active)."""
    # Tables come from the object catalog, never from stored alert rows.
    catalog = {o.name for o in list_objects(con, enabled_only=False)}
    objects = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT object FROM alerts WHERE user_id = ?", [user_id]
        ).fetchall()
        if r[0] in catalog
    ]
    if not objects:
        return pd.DataFrame(
            columns=["id", "object", "record_id", "Customer", "From", "To", "Raised"]
        )
    parts = [
        f'SELECT a.id, a.object, a.record_id, {title_sql(con, o, "r")} AS "Customer", a.old_category AS "From", '
        f'a.new_category AS "To", a.raised_at AS "Raised" FROM alerts a JOIN {ident(o)} r ON r.id = a.record_id '
        "WHERE a.object = ? AND a.user_id = ? AND a.expires_at > ?"
        for o in objects
    ]
    params = [p for o in objects for p in (o, user_id, clock.utc_naive(now))]
    return con.execute(
        " UNION ALL ".join(parts) + ' ORDER BY "Raised" DESC, id DESC LIMIT ? OFFSET ?',
        [*params, limit, offset],
    ).df()


def count_active(con: duckdb.DuckDBPyConnection, *, user_id: int, now: datetime) -> int:
    """How many of the user's alerts have not expired."""
    return con.execute(
        "SELECT count(*) FROM alerts WHERE user_id = ? AND expires_at > ?",
        [user_id, clock.utc_naive(now)],
    ).fetchone()[0]


def dismiss(con: duckdb.DuckDBPyConnection, *, actor: User, alert_id: int) -> bool:
    """Remove one of the actor's own alerts (True when it was still there); another user's
    alert is refused, also to one viewing their Summary (SUM-8 shows, it does not dismiss)."""
    from cs_core import db

    require(actor, Action.VIEW_SUMMARY)

    def _dismiss(cur) -> bool:
        if db.affected(
            cur, "DELETE FROM alerts WHERE id = ? AND user_id = ?", [alert_id, actor.id]
        ):
            return True
        if cur.execute("SELECT 1 FROM alerts WHERE id = ?", [alert_id]).fetchone():
            raise PermissionDenied(f"{actor.name} may dismiss only their own alerts.")
        return False

    return db.write(con, _dismiss)


def expire(cur: duckdb.DuckDBPyConnection, *, now: datetime) -> int:
    """Delete the alerts that have expired (inside a write transaction); returns how many."""
    return cur.execute(
        "DELETE FROM alerts WHERE expires_at <= ?", [clock.utc_naive(now)]
    ).fetchone()[0]
