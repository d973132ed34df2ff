"""Writing an import: new properties, new and updated records, history and links, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import duckdb
import pandas as pd

from cs_core import changes, clock, db
from cs_core.imports.mapping import ASSOCIATE, NEW, ColumnMap
from cs_core.imports.validation import Target
from cs_core.records import SQL_TYPES
from cs_core.sql import clean_label, ident


class RecordsChanged(ValueError):
    """Records a staged import names changed before it was written; nothing was written."""


def checkpoint(step: str) -> None:
    """Called between the steps of a write (a test replaces it to stop the process mid-write)."""


def _add_properties(cur, object_name: str, label: str, mapping: list[ColumnMap]) -> None:
    position = cur.execute("SELECT coalesce(max(position), 0) FROM properties WHERE object = ?",
                           [object_name]).fetchone()[0]  # fmt: skip
    for m in (m for m in mapping if m.action == NEW):
        position += 1
        cur.execute(
            f"ALTER TABLE {ident(object_name)} ADD COLUMN {ident(m.property)} {SQL_TYPES[m.type]}"
        )
        cur.execute(
            "INSERT INTO properties VALUES (?, ?, ?, ?, ?, ?, TRUE, FALSE, ?)",
            [object_name, m.property, clean_label(m.label if m.label is not None else m.column), m.type,
             json.dumps(list(m.options)) if m.type == "enumeration" else None, f"Imported {label.lower()} data",
             position],
        )  # fmt: skip


def write(con: duckdb.DuckDBPyConnection, *, object_name: str, object_label: str, primary: str,
          mapping: list[ColumnMap], targets: list[Target], values: pd.DataFrame, external_ids: pd.Series,
          now: datetime, actor_id: int | None, file_name: str, rejected: int,
          progress: Callable[[float, str], None] | None = None) -> dict[str, int]:  # fmt: skip
    """Write the typed ``values`` (one column per target, by property name) for these rows.

    Association columns come as raw text in ``values`` under :func:`link_column` names.

    ``external_ids`` (same index) matches rows to records imported before: those are
    updated (a blank cell leaves a value as it is), the others are created.
    """
    props = [t.name for t in targets]

    def prepare(cur) -> int:
        staging = values.copy()
        staging["_ext"] = external_ids.values if external_ids is not None else None
        cur.register("_import_rows", staging)
        existing = cur.execute(
            "SELECT s._ext, x.record_id FROM _import_rows s JOIN record_external_ids x "
            "ON x.object = ? AND x.external_id = s._ext",
            [object_name],
        ).df()
        by_ext = dict(zip(existing["_ext"], existing["record_id"], strict=True))
        is_new = staging["_ext"].map(lambda e: e not in by_ext if e is not None else True)
        fresh = int(is_new.sum())
        ids = db.allocate_ids(cur, object_name, fresh) if fresh else range(0)
        staging["_id"] = staging["_ext"].map(by_ext).astype("Int64")
        staging.loc[is_new, "_id"] = list(ids)
        staging["_new"] = is_new
        if primary in props or primary == "name":
            if primary not in staging:
                staging[primary] = None
            staging[primary] = staging[primary].where(staging[primary].notna(), staging["_ext"])
        if "created_at" not in staging:
            staging["created_at"] = None
        cur.unregister("_import_rows")
        cur.register("_import_rows", staging)
        return fresh

    return _write(con, prepare, object_name=object_name, object_label=object_label, primary=primary,
                  mapping=mapping, targets=targets, now=now, actor_id=actor_id, file_name=file_name,
                  rejected=rejected, progress=progress)  # fmt: skip


def write_staged(con: duckdb.DuckDBPyConnection, *, table: str, object_name: str, object_label: str,
                 primary: str, mapping: list[ColumnMap], targets: list[Target], now: datetime,
                 actor_id: int | None, file_name: str, rejected: int,
                 progress: Callable[[float, str], None] | None = None) -> dict[str, int]:  # fmt: skip
    """:func:`write`, for rows checked and typed into the staging ``table`` chunk by chunk (a
    large file): the same steps, in one transaction, reading the rows from the table."""

    def prepare(cur) -> int:
        # The records the staged rows name, checked now: a record merged, deleted or imported
        # since its chunk was staged refuses the import (nothing is written).
        moved = cur.execute(
            f"SELECT count(*) FROM {ident(table)} s LEFT JOIN record_external_ids x ON x.object = ? "
            "AND x.external_id = s._ext WHERE x.record_id IS DISTINCT FROM s._id",
            [object_name],
        ).fetchone()[0]  # fmt: skip
        if moved:
            raise RecordsChanged(f"{moved:,} rows name records that were merged, deleted or imported while "
                                 "the file was read. Nothing was imported; import the file again.")  # fmt: skip
        fresh = cur.execute(f"SELECT count(*) FROM {ident(table)} WHERE _new").fetchone()[0]
        first = db.allocate_ids(cur, object_name, fresh)[0] if fresh else 1
        cur.execute(
            f"CREATE OR REPLACE TEMP VIEW _import_rows AS SELECT * REPLACE "
            f"(CASE WHEN _new THEN {int(first) - 1} + _seq ELSE _id END AS _id) FROM {ident(table)}"
        )
        return fresh

    def done(cur) -> None:
        cur.execute("DROP VIEW _import_rows")

    return _write(con, prepare, object_name=object_name, object_label=object_label, primary=primary,
                  mapping=mapping, targets=targets, now=now, actor_id=actor_id, file_name=file_name,
                  rejected=rejected, progress=progress, finish=done)  # fmt: skip


def _write(con, prepare, *, object_name: str, object_label: str, primary: str, mapping: list[ColumnMap],
           targets: list[Target], now: datetime, actor_id: int | None, file_name: str, rejected: int,
           progress: Callable[[float, str], None] | None, finish=None) -> dict[str, int]:  # fmt: skip
    """The steps of an import after ``prepare(cur)`` made ``_import_rows`` (the rows with
    ``_id``, ``_new`` and ``_ext``) and returned how many records are new: one transaction."""
    say = progress or (lambda _f, _m: None)
    clock_now, now = now, clock.utc_naive(now)
    props = [t.name for t in targets]
    links = [m for m in mapping if m.action == ASSOCIATE]

    def _run(cur) -> dict[str, int]:
        _add_properties(cur, object_name, object_label, mapping)
        checkpoint("properties")
        fresh = prepare(cur)
        have = {r[0] for r in cur.execute("DESCRIBE _import_rows").fetchall()}
        cols = [c for c in dict.fromkeys([*props, primary]) if c in have]
        if "created_at" not in cols:
            cols.append("created_at")
        say(0.4, f"Creating {fresh:,} records")
        insert_cols = ", ".join(ident(c) for c in cols)
        select_cols = ", ".join(
            f"s.{ident(c)}" if c != "created_at" else "coalesce(s.created_at, ?::TIMESTAMP)"
            for c in cols
        )
        cur.execute(
            f"INSERT INTO {ident(object_name)} (id, {insert_cols}, updated_at) "
            f"SELECT s._id, {select_cols}, ?::TIMESTAMP FROM _import_rows s WHERE s._new",
            [now, now],
        )
        checkpoint("records")
        say(0.6, "Recording what changed")
        updated = _update_existing(cur, object_name, props, now, actor_id)
        cur.execute(
            "INSERT INTO record_external_ids SELECT ?, s._ext, s._id FROM _import_rows s "
            "WHERE s._new AND s._ext IS NOT NULL",
            [object_name],
        )
        _owner_history(cur, object_name, targets, now, actor_id)
        say(0.8, "Linking associated records")
        for m in links:
            _associate(cur, object_name, m, link_column(m, mapping), now)
        checkpoint("links")
        rows = cur.execute("SELECT count(*) FROM _import_rows").fetchone()[0]
        run_id = db.new_id(cur, "import_runs")
        cur.execute(
            "INSERT INTO import_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, object_name, file_name, rows, fresh, updated, rejected, actor_id, now],
        )  # fmt: skip
        cur.execute("INSERT INTO import_run_records SELECT DISTINCT ?, ?, s._id FROM _import_rows s",
                    [run_id, object_name])  # fmt: skip
        if finish is not None:
            finish(cur)
        else:
            cur.unregister("_import_rows")
        # What follows (rescoring the profiles that read these properties, or every profile
        # when records were added) commits with the import.
        event = changes.RecordsChanged(object_name, None, frozenset(props), created=fresh > 0)
        changes.apply(cur, event, now=clock_now)
        return {"created": fresh, "updated": updated, "run_id": run_id}

    result = db.write(con, _run)
    say(1.0, "Done")
    return result


def _history_rows(cur, object_name: str, prop: str, where: str, old: str, new: str, now, actor_id,
                  params: list) -> None:  # fmt: skip
    count = cur.execute(f"SELECT count(*) FROM _import_rows s JOIN {ident(object_name)} o ON o.id = s._id WHERE {where}",
                        params).fetchone()[0]  # fmt: skip
    if not count:
        return
    first = db.allocate_ids(cur, "property_history", count)[0]
    cur.execute(
        f"INSERT INTO property_history SELECT ? - 1 + row_number() OVER (ORDER BY s._id), ?, s._id, ?, "
        f"{old}, {new}, ?, ?, 'import' FROM _import_rows s JOIN {ident(object_name)} o ON o.id = s._id WHERE {where}",
        [first, object_name, prop, now, actor_id, *params],
    )


def _text(expr: str) -> str:
    return f"CASE WHEN typeof({expr}) = 'BOOLEAN' THEN lower(CAST({expr} AS VARCHAR)) ELSE regexp_replace(CAST({expr} AS VARCHAR), '\\.0$', '') END"


def _update_existing(cur, object_name: str, props: list[str], now, actor_id) -> int:
    """Changed values of existing records, each with its history row; blanks leave values as they are."""
    if not cur.execute("SELECT count(*) FROM _import_rows WHERE NOT _new").fetchone()[0]:
        return 0  # only new records: no comparison per property (seconds on a large file)
    touched = set()
    for p in props:
        if p == "created_at":
            continue
        c = ident(p)
        where = f"NOT s._new AND s.{c} IS NOT NULL AND o.{c} IS DISTINCT FROM s.{c}"
        rows = cur.execute(
            f"SELECT s._id FROM _import_rows s JOIN {ident(object_name)} o ON o.id = s._id WHERE {where}"
        ).fetchall()
        if not rows:
            continue
        touched |= {r[0] for r in rows}
        _history_rows(
            cur, object_name, p, where, _text(f"o.{c}"), _text(f"s.{c}"), now, actor_id, []
        )
        cur.execute(
            f"UPDATE {ident(object_name)} o SET {c} = s.{c}, updated_at = ? FROM _import_rows s "
            f"WHERE o.id = s._id AND NOT s._new AND s.{c} IS NOT NULL AND o.{c} IS DISTINCT FROM s.{c}",
            [now],
        )
    return len(touched)


def _owner_history(cur, object_name: str, targets: list[Target], now, actor_id) -> None:
    """The first owner of every new record, so "assigned to me" views know when it was assigned."""
    for t in targets:
        if t.type == "user":
            c = ident(t.name)
            _history_rows(cur, object_name, t.name, f"s._new AND s.{c} IS NOT NULL", "NULL",
                          f"CAST(s.{c} AS VARCHAR)", now, actor_id, [])  # fmt: skip


def link_column(m: ColumnMap, mapping: list[ColumnMap]) -> str:
    """The staging column that carries an association column's raw ids."""
    return f"_link_{mapping.index(m)}"


def _associate(cur, object_name: str, m: ColumnMap, column: str, now) -> None:
    """Both directions of a link to each record id listed (semicolon-separated) in the column."""
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _import_links AS
        SELECT DISTINCT s._id AS from_id, x.record_id AS to_id
        FROM _import_rows s, unnest(string_split(CAST(s.{ident(column)} AS VARCHAR), ';')) AS u(ext)
        JOIN record_external_ids x ON x.object = ? AND x.external_id = trim(u.ext)
        WHERE s.{ident(column)} IS NOT NULL
        """,
        [m.property],
    )
    for a, b, fa, fb in (
        (object_name, m.property, "from_id", "to_id"),
        (m.property, object_name, "to_id", "from_id"),
    ):
        cur.execute(
            f"INSERT INTO associations SELECT ?, {fa}, ?, {fb}, NULL, ? FROM _import_links "
            "ON CONFLICT (from_object, from_id, to_object, to_id) DO NOTHING",
            [a, b, now],
        )
    cur.execute("DROP TABLE _import_links")
