"""Per-table data versions: each committed write transaction bumps the version of every table
it wrote, so a cache of results that read tables A and B is cleared by a write to A or B and
by nothing else (a task saved does not clear a chart of companies).

The transaction's cursor is wrapped (:class:`Tracked`), and each statement it runs is read for
the table it writes. A statement whose target cannot be read this way (DDL, COPY, a CTE that
writes) bumps the ``*`` version, which every key includes: an unknown write clears every
cache rather than leaving one stale.
"""

from __future__ import annotations

import re

import duckdb

from cs_core import kill_points, snapshot

_WRITES = re.compile(
    r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+"
    r'(?:main\.)?"?([A-Za-z_][A-Za-z0-9_]*)"?',
    re.IGNORECASE,
)
_READS = re.compile(
    r"^\s*(?:SELECT|SET|RESET|PRAGMA|SHOW|DESCRIBE|EXPLAIN|BEGIN|COMMIT|ROLLBACK|CHECKPOINT|FROM|VALUES)\b",
    re.IGNORECASE,
)
_WRITE_WORDS = re.compile(r"\b(?:INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|COPY)\b", re.IGNORECASE)
EVERY = snapshot.EVERY  # the version every key includes: bumped by a write whose table is unknown
UNTRACKED = frozenset({"counters"})  # ids and versions themselves


def written_table(sql: str) -> str | None:
    """The table a statement writes, ``None`` for a read, :data:`EVERY` when it cannot tell."""
    text = sql.lstrip()
    while text.startswith("--"):  # leading comment lines
        text = text.split("\n", 1)[1].lstrip() if "\n" in text else ""
    found = _WRITES.match(text)
    if found:
        return found.group(1).lower()
    if _READS.match(text):
        return None
    if text[:4].upper() == "WITH" and not _WRITE_WORDS.search(text):
        return None
    return EVERY


class Tracked:
    """A cursor that notes the tables its statements write (``touched``)."""

    __slots__ = ("_cur", "touched")

    def __init__(self, cur: duckdb.DuckDBPyConnection):
        self._cur = cur
        self.touched: set[str] = set()

    def _note(self, sql) -> None:
        table = written_table(sql) if isinstance(sql, str) else EVERY
        if table is not None:
            kill_points.reached(f"write.{table}")
            if table not in UNTRACKED:
                self.touched.add(table)

    def execute(self, sql, *args, **kwargs):
        self._note(sql)
        return self._cur.execute(sql, *args, **kwargs)

    def executemany(self, sql, *args, **kwargs):
        self._note(sql)
        return self._cur.executemany(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cur, name)


def bump(cur: duckdb.DuckDBPyConnection, tables: set[str]) -> None:
    """Raise the versions of ``tables`` (inside the transaction that wrote them)."""
    for table in sorted(tables):
        cur.execute(
            "INSERT INTO counters VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1",
            [f"table.{table}"],
        )


def versions(con: duckdb.DuckDBPyConnection, tables) -> tuple[int, ...]:
    """The versions of ``tables`` and of :data:`EVERY`: a cache key that changes exactly
    when one of them was written (the counters a page run pinned, see cs_core.snapshot)."""
    tables = list(tables)
    snapshot.note(tables)
    pinned = snapshot.table_versions(con, tables)
    if pinned is not None:
        return pinned
    names = [EVERY, *sorted({t.lower() for t in tables})]
    found = dict(
        con.execute(
            "SELECT name, value FROM counters WHERE name IN (SELECT 'table.' || unnest(?))",
            [names],
        ).fetchall()
    )
    return tuple(found.get(f"table.{n}", 0) for n in names)
