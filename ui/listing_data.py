"""Cached reads of the record tabs: a run that changed nothing (a row clicked, a panel opened)
does not query the catalog or the page again, and a write to a table a listing reads shows at
once (a task saved leaves the companies' listing as it was, see ui.db.cached). A listing of the
viewer's own records is kept through other CSMs' edits of theirs (cs_core.snapshot.scoped)."""

from __future__ import annotations

from contextlib import nullcontext

import duckdb

from cs_core import clock, pipelines, record_list, snapshot, users
from cs_core.record_list import Query, RecordPage, Viewer
from cs_core.records import Property
from ui import db


def listing_properties(con: duckdb.DuckDBPyConnection, object_name: str) -> dict[str, Property]:
    """The object's properties a listing can show, filter and sort by (name -> property)."""
    return _properties(con, object_name)


@db.cached()
def _properties(con: duckdb.DuckDBPyConnection, object_name: str) -> dict[str, Property]:
    return record_list.listing_properties(con, object_name)


def reference_labels(con: duckdb.DuckDBPyConnection, object_name: str) -> dict[str, dict[int, str]]:
    """{id: label} for the user, pipeline and stage choices of an object's filters and edits."""
    return _labels(con, object_name)


@db.cached()
def _labels(con: duckdb.DuckDBPyConnection, object_name: str) -> dict[str, dict[int, str]]:
    pipes = pipelines.list_pipelines(con, object_name)
    return {
        "user": {u.id: u.name for u in users.list_users(con)},
        "pipeline": {p.id: p.label for p in pipes},
        "stage": {s.id: f"{p.label} · {s.label}" for p in pipes for s in p.stages},
    }


def counts(con: duckdb.DuckDBPyConnection, queries: list[Query], viewer: Viewer) -> list[int]:
    """How many records each query matches (the Summary's view cards), kept as :func:`page`
    keeps a page; each on its own, so a count of the viewer's own records is kept when another
    card's is not."""
    return [_count(con, query, *_day(viewer), _viewer=viewer) for query in queries]


@db.cached()
def _count(con: duckdb.DuckDBPyConnection, query: Query, *_key, _viewer: Viewer) -> int:
    with _owned(con, query, _viewer):
        return record_list.count(con, query, _viewer)


def _owned(con: duckdb.DuckDBPyConnection, query: Query, viewer: Viewer):
    """Scoped to the viewer's rows when the query lists only the viewer's own records: "Owned
    by me" is kept through another CSM's edit (record_list.owned_tables)."""
    tables = record_list.owned_tables(con, query, viewer)
    return snapshot.scoped(viewer.user_id, tables) if tables else nullcontext()


def _day(viewer: Viewer) -> tuple:
    """What of the viewer a listing depends on: who, their zone, and the clock as days only (their
    date, for relative date filters, and the score date, for the health scores in effect)."""
    return viewer.user_id, viewer.time_zone, viewer.today, clock.score_date(viewer.now)


def page(con: duckdb.DuckDBPyConnection, query: Query, viewer: Viewer, *, number: int,
         size: int) -> RecordPage:  # fmt: skip
    """One page of the listing and its count, kept until a table it reads is written or the
    viewer's day changes (all day long otherwise, not read again each minute)."""
    return _page(con, query, number, size, *_day(viewer), _viewer=viewer)


@db.cached()
def _page(con: duckdb.DuckDBPyConnection, query: Query, number: int, size: int, *_key,
          _viewer: Viewer) -> RecordPage:  # fmt: skip
    with _owned(con, query, _viewer):
        return record_list.page(con, query, _viewer, number=number, size=size)
