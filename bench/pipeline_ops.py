"""The Services and Revenue tabs' operations for ``bench.run`` (budgets set for scale M): a
pipeline's board data, a stage move, and a table page of a pipeline with its count."""

from __future__ import annotations

import time
from typing import Any

from cs_core import boards, pipelines, record_list, users
from cs_core.record_list import Query, Viewer

BOARD = "board data: a deal pipeline (per-stage counts, totals, first 50 cards)"
MOVE = "stage move (a deal, with its history and rescoring)"
TABLE = "pipeline table page with count (deals, one pipeline)"
ADMIN_USER_ID = 1


def _pipe(ctx: Any):
    if "deal pipe" not in ctx.cache:
        ctx.cache["deal pipe"] = pipelines.list_pipelines(ctx.con, "deals")[0]
    return ctx.cache["deal pipe"]


def board_data(ctx: Any) -> dict[str, float]:
    pipe = _pipe(ctx)
    query = Query("deals", [], ("name",), sort=(("amount", "desc"),), owner_property="owner_id")
    viewer = Viewer(ADMIN_USER_ID, ctx.now, "UTC")
    start = time.perf_counter()
    found = boards.board(
        ctx.con, query, viewer, pipeline=pipe, amount_property="amount", owner_property="owner_id"
    )
    elapsed = time.perf_counter() - start
    return {f"{BOARD} ({sum(c.count for c in found):,} deals in {len(found)} stages)": elapsed}


def stage_move(ctx: Any) -> dict[str, float]:
    """Move one deal between the pipeline's first two stages (its amount set once, untimed)."""
    pipe = _pipe(ctx)
    first, second = pipe.stages[0].id, pipe.stages[1].id
    admin = ctx.cache.get("bench admin") or users.get_user(ctx.con, ADMIN_USER_ID)
    ctx.cache["bench admin"] = admin
    if "moved deal" not in ctx.cache:
        deal = ctx.con.execute(
            "SELECT min(id) FROM deals WHERE pipeline_id = ?", [pipe.id]
        ).fetchone()[0]
        ctx.con.execute("UPDATE deals SET stage_id = ?, amount = coalesce(amount, 1000), close_date = "
                        "coalesce(close_date, DATE '2027-01-31') WHERE id = ?", [first, deal])  # fmt: skip
        ctx.cache["moved deal"] = deal
    deal = ctx.cache["moved deal"]
    now_at = ctx.con.execute("SELECT stage_id FROM deals WHERE id = ?", [deal]).fetchone()[0]
    target = second if now_at == first else first
    start = time.perf_counter()
    pipelines.move_record(ctx.con, actor=admin, object_name="deals", record_id=deal, stage_id=target,
                          expected_stage=now_at, now=ctx.now)  # fmt: skip
    return {MOVE: time.perf_counter() - start}


def table_page(ctx: Any) -> dict[str, float]:
    pipe = _pipe(ctx)
    query = Query("deals", [[{"property": "pipeline_id", "operator": "eq", "value": pipe.id}]],
                  ("name", "stage_id", "amount", "owner_id", "close_date"), sort=(("name", "asc"),),
                  owner_property="owner_id")  # fmt: skip
    viewer = Viewer(ADMIN_USER_ID, ctx.now, "UTC")
    start = time.perf_counter()
    page = record_list.page(ctx.con, query, viewer, number=1, size=25)
    elapsed = time.perf_counter() - start
    return {f"{TABLE} ({page.total:,} deals, 25 shown)": elapsed}


def operations(operation_type) -> list:
    return [
        operation_type(BOARD, board_data, 0.05),
        operation_type(MOVE, stage_move, 0.02),
        operation_type(TABLE, table_page, 0.05),
    ]
