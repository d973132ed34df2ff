"""A pipeline as a board: per stage, how many records match, their amount total and the
first cards (SRV-3, REV-3). Two queries whatever the number of stages: the counts and
totals grouped by stage, and each stage's first cards by a window over the matches."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from cs_core.pipelines import Pipeline, Stage
from cs_core.record_list import Query, Viewer, where_sql
from cs_core.record_values import title_sql
from cs_core.records import list_properties
from cs_core.sql import col, ident

CARDS = 50  # cards a column shows before "load more"


AMOUNTS = ("amount", "arr")  # the properties a column totals, the first the object has


def amount_property(props: dict) -> str | None:
    """The number property a board totals: the object's amount, else its ARR."""
    return next((n for n in AMOUNTS if n in props and props[n].type == "number"), None)


@dataclass(frozen=True)
class BoardColumn:
    stage: Stage
    count: int
    total: float | None  # the amount property's sum (None: no amount property)
    cards: pd.DataFrame  # id, name, amount, owner_id, in the board's order


def board(con: duckdb.DuckDBPyConnection, query: Query, viewer: Viewer, *, pipeline: Pipeline,
          amount_property: str | None = None, owner_property: str | None = None,
          shown: dict[int, int] | None = None) -> list[BoardColumn]:  # fmt: skip
    """The pipeline's stages in order with the records ``query`` matches in each (its filters
    and sort); ``shown`` (stage id -> n) shows more than the first :data:`CARDS` of a stage."""
    if pipeline.object != query.object:
        raise ValueError("The pipeline belongs to another object.")
    props = {p.name: p for p in list_properties(con, query.object)}
    amount = (
        amount_property
        if amount_property in props and props[amount_property].type == "number"
        else None
    )
    owner = (
        owner_property if owner_property in props and props[owner_property].type == "user" else None
    )
    where = where_sql(con, query, viewer)
    table = ident(query.object)
    scope = f"{where.sql} AND r.pipeline_id = ?"
    params = [*where.params, pipeline.id]
    total = f"sum({col('r', amount)})" if amount else "NULL"
    counts = {s: (n, t) for s, n, t in con.execute(
        f"SELECT r.stage_id, count(*), {total} FROM {table} r WHERE {scope} GROUP BY r.stage_id", params
    ).fetchall()}  # fmt: skip
    order = [f"{col('r', n)} {'DESC' if d == 'desc' else 'ASC'} NULLS LAST" for n, d in query.sort
             if n in props and props[n].type not in ("user", "pipeline", "stage")]  # fmt: skip
    order_sql = ", ".join([*order, "r.id"])
    limits = [(s.id, max(CARDS, (shown or {}).get(s.id, CARDS))) for s in pipeline.stages]
    rows = con.execute(
        f"SELECT id, stage_id, name, amount, owner_id FROM (SELECT r.id, r.stage_id, {title_sql(con, query.object)} AS name, "
        f"{col('r', amount) if amount else 'NULL'} AS amount, {col('r', owner) if owner else 'NULL'} AS owner_id, "
        f"row_number() OVER (PARTITION BY r.stage_id ORDER BY {order_sql}) AS k FROM {table} r WHERE {scope}) c "
        "JOIN (SELECT unnest(?::BIGINT[]) AS stage, unnest(?::BIGINT[]) AS n) l ON l.stage = c.stage_id "
        "WHERE c.k <= l.n ORDER BY c.stage_id, c.k",
        [*params, [s for s, _ in limits], [n for _, n in limits]],
    ).df()  # fmt: skip
    out = []
    for stage in pipeline.stages:
        n, t = counts.get(stage.id, (0, None))
        mine = rows[rows["stage_id"] == stage.id].drop(columns=["stage_id"]).reset_index(drop=True)
        out.append(
            BoardColumn(
                stage, int(n), (float(t) if t is not None else 0.0) if amount else None, mine
            )
        )
    return out
