"""Retention and renewals for ``bench.run`` (budgets set for scale M: 100k accounts and their
subscription lines): eight quarters of retention, a renewals window for one owner."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from cs_core import renewals, retention

QUARTERS = "retention: eight quarters (GRR, NRR, logo churn, movements)"
RENEWALS = "renewals: 90 days for one owner, with ARR today and health"


def eight_quarters(ctx: Any) -> dict[str, float]:
    source = ctx.cache.get("ledger") or retention.default_source(ctx.con)
    ctx.cache["ledger"] = source
    today = ctx.today
    current = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    first = date(current.year - 2, current.month, 1)
    start = time.perf_counter()
    found = retention.retention(ctx.con, source=source, grain="quarter", first=first, last=current)
    elapsed = time.perf_counter() - start
    accounts = found.periods[-1].accounts_start if found.periods else 0
    return {
        f"{QUARTERS} ({len(found.periods)} quarters, {accounts:,} accounts at the last start)": elapsed
    }


def renewals_window(ctx: Any) -> dict[str, float]:
    start = time.perf_counter()
    found = renewals.renewals(ctx.con, user=ctx.user, now=ctx.now, window=90, owners=[ctx.user.id])
    elapsed = time.perf_counter() - start
    return {f"{RENEWALS} ({len(found.rows):,} accounts)": elapsed}


def operations(operation_type) -> list:
    return [
        operation_type(QUARTERS, eight_quarters, 0.2),
        operation_type(RENEWALS, renewals_window, 0.05),
    ]
