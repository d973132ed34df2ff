"""Column mappings saved by name, to reuse for the next file of the same kind."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb

from cs_core import db
from cs_core.errors import Problems
from cs_core.imports.mapping import ColumnMap
from cs_core.users import Action, User, require


class MappingError(Problems):
    """A mapping that cannot be used; ``problems`` lists every reason."""


def save_mapping(con: duckdb.DuckDBPyConnection, *, actor: User, name: str, object_name: str,
                 mapping: list[ColumnMap], now: datetime) -> int:  # fmt: skip
    """Save (or replace, by name and object) a mapping to reuse for the next file."""
    require(actor, Action.IMPORT_DATA)
    name = (name or "").strip()
    if not name:
        raise MappingError(["Give the mapping a name."])
    text = json.dumps([m.to_json() for m in mapping])

    def _save(cur):
        row = cur.execute("SELECT id FROM import_mappings WHERE object = ? AND lower(name) = lower(?)",
                          [object_name, name]).fetchone()  # fmt: skip
        if row:
            cur.execute(
                "UPDATE import_mappings SET mapping = ?, updated_at = ? WHERE id = ?",
                [text, now, row[0]],
            )
            return row[0]
        mapping_id = db.new_id(cur, "import_mappings")
        cur.execute("INSERT INTO import_mappings VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [mapping_id, name, object_name, text, actor.id, now, now])  # fmt: skip
        return mapping_id

    return db.write(con, _save)


def saved_mappings(con: duckdb.DuckDBPyConnection, object_name: str) -> dict[str, list[ColumnMap]]:
    rows = con.execute("SELECT name, mapping FROM import_mappings WHERE object = ? ORDER BY lower(name)",
                       [object_name]).fetchall()  # fmt: skip
    return {name: [ColumnMap.from_json(m) for m in json.loads(text)] for name, text in rows}


def load_mapping_file(path: str | Path) -> list[ColumnMap]:
    """A mapping saved as JSON (a list of column maps, as :meth:`ColumnMap.to_json` writes)."""
    try:
        return [ColumnMap.from_json(m) for m in json.loads(Path(path).read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError) as exc:
        raise MappingError([f"The mapping file {path} could not be read: {exc}"]) from None
