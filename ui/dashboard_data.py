"""Cached reads of the Dashboards tab and the Summary's reports: the saved reports and the
dashboards a user sees, read again only when a table they read is written (ui.db.cached), not
on every run of a page a team opens all day."""

from __future__ import annotations

import duckdb

from cs_core import dashboards
from cs_core.reports import saved
from cs_core.users import User
from ui import db


def saved_reports(con: duckdb.DuckDBPyConnection) -> list[saved.Saved]:
    """Every saved report, by name (:func:`cs_core.reports.saved.list_saved`)."""
    return _saved(con)


@db.cached()
def _saved(con: duckdb.DuckDBPyConnection) -> list[saved.Saved]:
    return saved.list_saved(con)


def placements(con: duckdb.DuckDBPyConnection, viewer: User) -> list[dashboards.Placement]:
    """The dashboards on the tab that ``viewer`` sees, in their order."""
    return _placements(con, viewer)


@db.cached()
def _placements(con: duckdb.DuckDBPyConnection, viewer: User) -> list[dashboards.Placement]:
    return dashboards.placements(con, viewer=viewer)
