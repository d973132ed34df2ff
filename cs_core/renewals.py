"""Renewals (REN-1): the accounts whose renewal date falls in the next N days in the user's
time zone, with owner, health category in effect and ARR today, and the ARR at risk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import duckdb
import pandas as pd

from cs_core import clock
from cs_core.health.reports import CATEGORY_LABELS, current_health_sql
from cs_core.record_values import title_sql
from cs_core.records import list_properties
from cs_core.retention import MONEY, Source, _lines_sql, first_ledger
from cs_core.settings import get_customer_settings
from cs_core.sql import col, id_list, ident
from cs_core.users import User

WINDOWS = (30, 60, 90)


@dataclass(frozen=True)
class Renewals:
    rows: pd.DataFrame  # id, name, owner_id, owner, renewal_date, category, health, arr
    arr_at_risk: Decimal
    total_arr: Decimal


def renewals(con: duckdb.DuckDBPyConnection, *, user: User, now: datetime, window: int = 90,
             owners: list[int] | None = None, source: Source | None = None) -> Renewals:  # fmt: skip
    """Account records renewing in ``[today, today + window days)`` (today in the user's
    zone), soonest first; ``owners`` keeps those of these owners (the account owner
    property of the customer settings)."""
    if window not in WINDOWS:
        raise ValueError(f"A renewals window is {', '.join(map(str, WINDOWS))} days.")
    chosen = get_customer_settings(con)
    obj = chosen.object
    props = {p.name: p for p in list_properties(con, obj)}
    renewal = chosen.renewal_date_property
    if not renewal or renewal not in props:
        raise ValueError("No renewal date property is chosen in the customer settings.")
    if source is None:
        source = first_ledger(con, account_object=obj)
    today = clock.local_date(now, user.time_zone)
    owner = col("r", chosen.owner_property) if chosen.owner_property in props else "NULL"
    if source is not None:  # only the lines of the accounts renewing
        lines, line_params = _lines_sql(con, source, of_accounts="SELECT id FROM due")
    else:  # no ledger: no ARR
        lines, line_params = (
            "SELECT 0 AS account, CAST(0 AS DECIMAL(38, 2)) AS arr, NULL::DATE AS s, NULL::DATE AS e, FALSE AS valid",
            [],
        )
    health, health_params = current_health_sql(
        obj, day=clock.score_date(now), within="SELECT id FROM due"
    )
    mine = f" AND {owner} IN ({id_list(owners)})" if owners else ""
    frame = con.execute(
        f"""
        WITH due AS (SELECT r.id, {title_sql(con, obj)} AS name, {owner} AS owner_id, r.{ident(renewal)} AS renewal_date
                     FROM {ident(obj)} r WHERE r.{ident(renewal)} >= ? AND r.{ident(renewal)} < ?{mine}),
        arr AS (SELECT account, sum(arr) AS arr FROM ({lines}) WHERE valid AND account > 0 AND s <= ?
                AND (e IS NULL OR ? < e) GROUP BY account)
        SELECT d.id, d.name, d.owner_id, u.name AS owner, d.renewal_date, h.category, h.score AS health,
               CAST(coalesce(a.arr, 0) AS {MONEY}) AS arr
        FROM due d LEFT JOIN users u ON u.id = d.owner_id LEFT JOIN arr a ON a.account = d.id
        LEFT JOIN ({health}) h ON h.record_id = d.id
        ORDER BY d.renewal_date, lower(d.name), d.id
        """,
        [today, today + timedelta(days=window), *line_params, today, today, *health_params],
    ).df()  # fmt: skip
    frame["arr"] = [Decimal(str(v)) for v in frame["arr"]]
    at_risk = sum(
        (a for a, c in zip(frame["arr"], frame["category"], strict=True) if c == "at_risk"),
        Decimal(0),
    )
    frame["category"] = frame["category"].map(
        lambda c: CATEGORY_LABELS.get(c) if isinstance(c, str) else None
    )
    return Renewals(frame, at_risk, sum(frame["arr"], Decimal(0)))
