"""Pipelines and their stages, per object."""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from cs_core import snapshot


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
    return snapshot.shared(con, "pipelines", (object_name,), ("pipelines", "stages"),
                           lambda: _list_pipelines(con, object_name), list)  # fmt: skip


def _list_pipelines(con: duckdb.DuckDBPyConnection, object_name: str) -> list[Pipeline]:
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


# --- moving a record to a stage (SRV-3, REV-3) -------------------------------------------


class MoveRefused(ValueError):
    """A stage move that cannot be made; ``missing`` names the required properties it lacks."""

    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class Move:
    record_id: int
    from_stage: int | None
    to_stage: int
    changed: tuple[str, ...]  # the properties written (required ones first, then stage_id)


def get_stage(con: duckdb.DuckDBPyConnection, stage_id: int) -> Stage | None:
    row = con.execute(
        "SELECT id, pipeline_id, label, position, probability, is_closed, required_properties "
        "FROM stages WHERE id = ?",
        [stage_id],
    ).fetchone()
    return Stage(*row[:6], tuple(json.loads(row[6]))) if row else None


def missing_for(
    con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, stage_id: int
) -> list[str]:
    """The target stage's required properties the record has no value for (what a move asks)."""
    from cs_core.record_values import get_record

    stage, record = get_stage(con, stage_id), get_record(con, object_name, record_id)
    if stage is None or record is None:
        return []
    return [p for p in stage.required_properties if _blank(record.get(p))]


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def move_record(con: duckdb.DuckDBPyConnection, *, actor, object_name: str, record_id: int, stage_id: int,
                now, expected_stage: int | None = None, values: dict | None = None,
                source: str = "ui") -> Move:  # fmt: skip
    """Move a record to a stage of its pipeline, with the values of the stage's required
    properties it lacks (``values``: property name -> typed or text value).

    One transaction: the stage and the record are read inside it, every required property
    must have a value (a move without them is refused with the list of what is missing),
    each written value and the stage get a history row (who, when: time in stage is
    reportable), and the stage is a compare-and-set from ``expected_stage`` (the stage the
    user saw): of two people moving one card at once, the later one is refused. A required
    value is asked for because the record lacks it: one that someone else set meanwhile is
    not overwritten (the move is refused with StaleEdit; the same value is no conflict).
    """
    from cs_core import changes, db
    from cs_core.record_values import StaleEdit, as_text, parse_value, write_change
    from cs_core.records import get_object, list_properties
    from cs_core.sql import ident
    from cs_core.users import Action, require

    require(actor, Action.EDIT_RECORDS)
    if get_object(con, object_name) is None:
        raise MoveRefused(f"There is no object {object_name!r}.")
    given = dict(values or {})

    def _move(cur) -> Move:
        props = {p.name: p for p in list_properties(cur, object_name)}
        if "stage_id" not in props or "pipeline_id" not in props:
            raise MoveRefused(f"{object_name} records have no pipeline stages.")
        stage = get_stage(cur, stage_id)
        if stage is None:
            raise MoveRefused("That stage does not exist any more.")
        row = cur.execute(f"SELECT * FROM {ident(object_name)} WHERE id = ?", [record_id])
        found = row.fetchone()
        if found is None:
            raise MoveRefused("That record does not exist any more (it may have been merged).")
        record = dict(zip([d[0] for d in row.description], found, strict=True))
        if record.get("pipeline_id") != stage.pipeline_id:
            raise MoveRefused(
                f"The stage “{stage.label}” belongs to another pipeline than this record's."
            )
        before = record.get("stage_id")
        if expected_stage is not None and before != expected_stage:
            raise StaleEdit("Someone moved this record to another stage meanwhile; nothing was changed. "
                            "Reload to see where it is now.")  # fmt: skip
        writes = {}
        for name in stage.required_properties:
            if name in given and not _blank(given[name]):
                new = parse_value(cur, props[name], given[name], time_zone=actor.time_zone)
                current = as_text(record.get(name))
                if not _blank(record.get(name)) and current != as_text(new):
                    # The mover was asked for it because it was empty: someone filled it since.
                    raise StaleEdit(f"{props[name].label} was set by someone else meanwhile (it is now {current}); "
                                    "nothing was changed. Reload to see it, then move the record again.")  # fmt: skip
                writes[name] = new
        missing = [
            n for n in stage.required_properties if n not in writes and _blank(record.get(n))
        ]
        if missing:
            labels = ", ".join(props[n].label if n in props else n for n in missing)
            raise MoveRefused(f"Moving to “{stage.label}” needs {labels}.", tuple(missing))
        if before == stage.id and not writes:
            return Move(record_id, before, stage.id, ())
        written = []
        for name, new in writes.items():
            if record.get(name) != new:
                write_change(cur, object_name=object_name, record_id=record_id, prop=name, old=record.get(name),
                             new=new, now=now, actor_id=actor.id, source=source)  # fmt: skip
                written.append(name)
        if before != stage.id:
            write_change(cur, object_name=object_name, record_id=record_id, prop="stage_id", old=before,
                         new=stage.id, now=now, actor_id=actor.id, source=source)  # fmt: skip
            written.append("stage_id")
        if written:
            changes.apply(
                cur, changes.RecordsChanged(object_name, (record_id,), frozenset(written)), now=now
            )
        return Move(record_id, before, stage.id, tuple(written))

    return db.write(con, _move)
