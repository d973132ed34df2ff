"""Cached reads of the record tabs, keyed on the data version: a run that changed nothing
(a row clicked, a panel opened) does not query the catalog or the page again, and any write
shows at once."""

from __future__ import annotations

import duckdb
import streamlit as st

from cs_core import pipelines, record_list, users
from cs_core.record_list import Query, RecordPage, Viewer
from cs_core.records import Property
from ui import db


def listing_properties(con: duckdb.DuckDBPyConnection, object_name: str) -> dict[str, Property]:
    """The object's properties a listing can show, filter and sort by (name -> property)."""
    return _properties(db.data_version(con), object_name)


@st.cache_data(show_spinner=False, max_entries=64)
def _properties(version: int, object_name: str) -> dict[str, Property]:
    with db.fresh_cursor() as con:
        return record_list.listing_properties(con, object_name)


def reference_labels(con: duckdb.DuckDBPyConnection, object_name: str) -> dict[str, dict[int, str]]:
    """{id: label} for the user, pipeline and stage choices of an object's filters and edits."""
    return _labels(db.data_version(con), object_name)


@st.cache_data(show_spinner=False, max_entries=64)
def _labels(version: int, object_name: str) -> dict[str, dict[int, str]]:
    with db.fresh_cursor() as con:
        pipes = pipelines.list_pipelines(con, object_name)
        return {
            "user": {u.id: u.name for u in users.list_users(con)},
            "pipeline": {p.id: p.label for p in pipes},
            "stage": {s.id: f"{p.label} · {s.label}" for p in pipes for s in p.stages},
        }


def page(con: duckdb.DuckDBPyConnection, query: Query, viewer: Viewer, *, number: int,
         size: int) -> RecordPage:  # fmt: skip
    """One page of the listing and its count (the clock to the minute: relative date filters
    move on within a minute of the hour they change)."""
    at = Viewer(viewer.user_id, viewer.now.replace(second=0, microsecond=0), viewer.time_zone)
    return _page(db.data_version(con), query, at, number, size)


@st.cache_data(show_spinner=False, max_entries=256)
def _page(version: int, query: Query, viewer: Viewer, number: int, size: int) -> RecordPage:
    with db.fresh_cursor() as con:
        return record_list.page(con, query, viewer, number=number, size=size)
