"""The Feed tab's reads for ``bench.run`` (budgets set for scale M, 2M activities): one CSM's
first page, a page 20 pages deep, and a search."""

from __future__ import annotations

import time
from typing import Any

from cs_core import feed

FIRST = "feed: first page (CSM)"
DEEP = "feed: a page 20 pages deep (CSM)"
SEARCH = "feed: a search (CSM)"
DEPTH = 20
SEARCHED = "pricing"  # the subject of page views of the pricing page, in every demo scale


def first_page(ctx: Any) -> dict[str, float]:
    start = time.perf_counter()
    found = feed.page(ctx.con, user=ctx.user, now=ctx.now)
    elapsed = time.perf_counter() - start
    return {f"{FIRST} ({len(found.items)} notifications)": elapsed}


def deep_page(ctx: Any) -> dict[str, float]:
    """The 21st page; the cursor to it is found once, untimed."""
    if "feed cursor" not in ctx.cache:
        cursor = None
        for _ in range(DEPTH):
            cursor = feed.page(ctx.con, user=ctx.user, now=ctx.now, older_than=cursor).older
            if cursor is None:
                raise RuntimeError(f"the bench user's feed has fewer than {DEPTH + 1} pages")
        ctx.cache["feed cursor"] = cursor
    start = time.perf_counter()
    found = feed.page(ctx.con, user=ctx.user, now=ctx.now, older_than=ctx.cache["feed cursor"])
    elapsed = time.perf_counter() - start
    return {f"{DEEP} ({len(found.items)} notifications)": elapsed}


def search(ctx: Any) -> dict[str, float]:
    start = time.perf_counter()
    found = feed.page(ctx.con, user=ctx.user, now=ctx.now, search=SEARCHED)
    elapsed = time.perf_counter() - start
    return {f"{SEARCH} ({len(found.items)} notifications for “{SEARCHED}”)": elapsed}


def operations(operation_type) -> list:
    return [
        operation_type(FIRST, first_page, 0.05),
        operation_type(DEEP, deep_page, 0.05),
        operation_type(SEARCH, search, 0.2),
    ]
