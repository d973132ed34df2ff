"""Shared fixtures: a fixed clock, empty and demo workspaces built by the real migrations."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cs_core import db, demo, users

ROOT = Path(__file__).resolve().parent.parent
# A fixed "now" for exact tests: Saturday 28 Nov 2026, 15:00 UTC.
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)

# The demo users by role (ids are their position in cs_core.demo.DEMO_USERS).
SUPER_ADMIN = 1  # Avery Morgan: super admin with a seat
SEATLESS_ADMIN = 2  # Jordan Blake: super admin without a seat
SETTINGS_MANAGER = 3  # Priya Raman: CS access, seat, manage settings
CSM = 4  # Lucas Fischer: CS access and a seat
NO_SEAT = 11  # Olivia Grant: CS access, no seat
NO_ACCESS = 12  # Sam Patel: a seat, no CS access
ANALYST = 13  # Rina Kapoor: CS access, a seat, edits reports and dashboards (not settings)
GROWTH_CSM = 7  # Hannah Okafor: a CSM of the Growth CS team (CSM is of Enterprise CS)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def empty_con():
    """A new in-memory workspace: migrations applied, no data."""
    con = db.open_workspace(":memory:")
    yield con
    con.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """One demo workspace file per test run (scale demo, seed 7, at NOW)."""
    path = tmp_path_factory.mktemp("template") / "demo.duckdb"
    demo.create_demo_workspace(str(path), scale="demo", seed=7, now=NOW)
    return path


@pytest.fixture
def demo_path(demo_template, tmp_path) -> Path:
    """A private copy of the demo workspace that a test may change."""
    path = tmp_path / "workspace.duckdb"
    shutil.copy(demo_template, path)
    return path


@pytest.fixture
def demo_con(demo_path):
    con = db.open_workspace(str(demo_path))
    yield con
    con.close()


@pytest.fixture
def user(demo_con):
    """Look a demo user up by id: ``user(CSM)``."""
    return lambda user_id: users.get_user(demo_con, user_id)


def without_demo_views(con) -> None:
    """Remove the demo's default views (its Summary cards), for tests that count or order
    default views from none."""
    names = [name for name, _, _ in demo.DEFAULT_VIEWS]
    con.execute(
        "DELETE FROM views WHERE name IN (SELECT unnest(?::VARCHAR[])) AND NOT is_standard", [names]
    )


def without_health_profiles(con) -> None:
    """Remove the demo's health profiles with their scores and alerts, for tests whose own
    profile must be the only one (the demo's would score and alert too)."""
    for table in (
        "alerts",
        "health_scores",
        "health_current",
        "health_profile_versions",
        "health_profiles",
    ):
        con.execute(f"DELETE FROM {table}")
