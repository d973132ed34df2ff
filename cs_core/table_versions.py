"""Per-table data versions: each committed write transaction bumps the version of every table
it wrote, so a cache of results that read tables A and B is cleared by a write to A or B and
by nothing else (a task saved does not clear a chart of companies).

The transaction's cursor is wrapped (:class:`Tracked`), and each statement it runs is read for
the table it writes. A statement whose target cannot be read this way (DDL, COPY, a CTE that
writes) bumps the ``*`` version, which every key includes: an unknown write clears every
cache rather than leaving one stale.

Owners: a write may say whose rows it changes (:func:`owned`: a task's owner, an account's
owner, before and after, a rescored account's scores and alerts by its owner). Each write of
a table bumps ``table.T`` and either ``table.T@O`` for each owner it declared or, when any
write of T in the transaction declared none, ``table.T@*``. A read of one user's rows (cs_core.snapshot.scoped) is keyed on ``T@*`` and
``T@<user>``, so it is kept through another CSM's completed task.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext

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
    """A cursor that notes the tables its statements write (``touched``) and, for the tables
    every write of which said whose rows it changed, those owners (:meth:`owners`)."""

    __slots__ = ("_cur", "touched", "_declared", "_undeclared", "_covering")

    def __init__(self, cur: duckdb.DuckDBPyConnection):
        self._cur = cur
        self.touched: set[str] = set()
        self._declared: dict[str, set[int]] = {}
        self._undeclared: set[str] = set()
        self._covering: dict[str, frozenset[int]] = {}

    def _note(self, sql) -> None:
        table = written_table(sql) if isinstance(sql, str) else EVERY
        if table is not None:
            kill_points.reached(f"write.{table}")
            if table not in UNTRACKED:
                self.touched.add(table)
                covering = self._covering.get(table)
                if covering is None:
                    self._undeclared.add(table)
                else:
                    self._declared.setdefault(table, set()).update(covering)

    @contextmanager
    def owned(self, table: str, owners: Iterable[int | None]) -> Iterator[None]:
        """The writes of ``table`` in the block change rows of ``owners`` only (every owner a
        changed row has before the write and after it)."""
        table = table.lower()
        before = self._covering.get(table)
        self._covering[table] = frozenset(o for o in owners if o is not None)
        try:
            yield
        finally:
            if before is None:
                del self._covering[table]
            else:
                self._covering[table] = before

    def owners(self) -> dict[str, set[int]]:
        """Per table whose every write declared its owners: those owners."""
        return {t: o for t, o in self._declared.items() if t not in self._undeclared}

    def execute(self, sql, *args, **kwargs):
        self._note(sql)
        return self._cur.execute(sql, *args, **kwargs)

    def executemany(self, sql, *args, **kwargs):
        self._note(sql)
        return self._cur.executemany(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cur, name)


def owned(cur, table: str, owners: Iterable[int | None] | None):
    """:meth:`Tracked.owned` on a write transaction's cursor; nothing when ``owners`` is None
    (the writer cannot say: every owner's reads go again) or on another cursor (it bumps no
    versions)."""
    if owners is None or not isinstance(cur, Tracked):
        return nullcontext()
    return cur.owned(table, owners)


@contextmanager
def owned_rows(cur, tables: Iterable[str], owners: Iterable[int | None] | None) -> Iterator[None]:
    """:func:`owned` for each of ``tables``."""
    with ExitStack() as stack:
        for table in tables:
            stack.enter_context(owned(cur, table, owners))
        yield


def bump(cur: duckdb.DuckDBPyConnection, tables: set[str],
         owners: dict[str, set[int]] | None = None) -> None:  # fmt: skip
    """Raise the versions of ``tables`` (inside the transaction that wrote them): each one's,
    and its declared owners' (``owners``) or else its any-owner version."""
    names = []
    for table in sorted(tables):
        declared = (owners or {}).get(table)
        scoped = (
            [f"{table}@{o}" for o in sorted(declared)] if declared is not None else [f"{table}@*"]
        )
        names += [f"table.{table}", *(f"table.{n}" for n in scoped)]
    if names:
        cur.execute(
            "INSERT INTO counters SELECT unnest(?), 1 ON CONFLICT (name) DO UPDATE SET "
            "value = counters.value + 1",
            [names],
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
