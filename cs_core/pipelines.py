"""Pipelines and their stages, per object."""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Stage:
    id: int
    pipeline_id: int
    label: str
    position: int
    probability: float | None
    is_closed: bool
    required_properties: tuple[str, ...]


@dataclass(frozen=True)
class Pipeline:
    id: int
    object: str
    label: str
    stages: tuple[Stage, ...]


def list_pipelines(con: duckdb.DuckDBPyConnection, object_name: str) -> list[Pipeline]:
    """The object's pipelines in display order, each with its stages."""
    pipes = con.execute(
        "SELECT id, object, label FROM pipelines WHERE object = ? ORDER BY position, id",
        [object_name],
    ).fetchall()
    if not pipes:
        return []
    stage_rows = con.execute(
        "SELECT id, pipeline_id, label, position, probability, is_closed, required_properties "
        "FROM stages WHERE list_contains(?, pipeline_id) ORDER BY position, id",
        [[p[0] for p in pipes]],
    ).fetchall()
    by_pipe: dict[int, list[Stage]] = {}
    for r in stage_rows:
        by_pipe.setdefault(r[1], []).append(Stage(*r[:6], tuple(json.loads(r[6]))))
    return [Pipeline(p[0], p[1], p[2], tuple(by_pipe.get(p[0], []))) for p in pipes]
