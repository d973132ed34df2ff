"""Users, teams and the one place that answers "may this user do this" (U-1..U-5)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import duckdb

from cs_core import snapshot


class PermissionDenied(Exception):
    """The acting user may not do this; the message names the user and the permission."""


class Action(Enum):
    VIEW_SUMMARY = "view the Summary tab"
    USE_WORKSPACE = (
        "use the Customers, Services, Revenue, Actions, Schedule, Feed and Dashboards tabs"
    )
    MANAGE_SETTINGS = "manage Customer Success settings"
    VIEW_AS_OTHER_USER = "view the Summary tab as another user"
    SHARE_VIEWS_WITH_EVERYONE = "create or edit views shared with everyone"
    MANAGE_DEFAULT_VIEWS = "set or remove default views"
    EDIT_HEALTH_PROFILES = "create or edit health-score profiles"
    EDIT_RECORDS = "edit records, tasks and meetings"
    IMPORT_DATA = "import data into the workspace"
    EDIT_REPORTS = "create or edit reports and dashboards"


@dataclass(frozen=True)
class User:
    id: int
    name: str
    email: str
    team_id: int | None
    team_name: str | None
    time_zone: str
    is_super_admin: bool
    has_workspace_access: bool
    can_manage_settings: bool
    has_service_seat: bool
    is_active: bool = True
    can_edit_reports: bool = False  # an analyst (U-4: reports and dashboards, no settings)

    @property
    def has_full_access(self) -> bool:
        """Workspace access and a service seat: every tab (U-2)."""
        return (
            self.is_active
            and self.has_service_seat
            and (self.has_workspace_access or self.is_super_admin)
        )

    @property
    def is_settings_manager(self) -> bool:
        return self.is_super_admin or (self.has_full_access and self.can_manage_settings)

    @property
    def role(self) -> str:
        """A short label for the user switcher and the access page."""
        if self.is_super_admin:
            return "Super admin" if self.has_service_seat else "Super admin, no seat"
        if not self.has_full_access:
            return "No workspace access"
        if self.can_manage_settings:
            return "CS settings manager"
        if self.can_edit_reports:
            return "Analyst"
        return "CSM"


def can(user: User | None, action: Action) -> bool:
    """Whether ``user`` may do ``action``; the one answer every page and write uses."""
    if user is None or not user.is_active:
        return False
    full = user.has_full_access
    if action is Action.VIEW_SUMMARY:
        return full or user.is_super_admin
    if action is Action.USE_WORKSPACE or action is Action.EDIT_RECORDS:
        return full
    if action in (
        Action.MANAGE_SETTINGS,
        Action.VIEW_AS_OTHER_USER,
        Action.SHARE_VIEWS_WITH_EVERYONE,
        Action.MANAGE_DEFAULT_VIEWS,
        Action.IMPORT_DATA,
    ):
        return user.is_settings_manager
    if action is Action.EDIT_REPORTS:
        return user.is_settings_manager or (full and user.can_edit_reports)
    if action is Action.EDIT_HEALTH_PROFILES:
        return user.has_service_seat and (
            user.is_super_admin or (full and user.can_manage_settings)
        )
    raise ValueError(f"unknown action {action!r}")


def require(user: User | None, action: Action) -> None:
    """Raise :class:`PermissionDenied` unless ``user`` may do ``action``."""
    if not can(user, action):
        who = user.name if user else "An unknown user"
        raise PermissionDenied(f"{who} may not {action.value}.")


_USER_SQL = """
SELECT u.id, u.name, u.email, u.team_id, t.name AS team_name, u.time_zone,
       u.is_super_admin, u.has_workspace_access, u.can_manage_settings,
       u.has_service_seat, u.is_active, coalesce(u.can_edit_reports, FALSE)
FROM users u LEFT JOIN teams t ON t.id = u.team_id
"""


_USER_TABLES = ("users", "teams")  # what _USER_SQL reads


def _to_user(row) -> User:
    return User(*row)


def get_user(con: duckdb.DuckDBPyConnection, user_id: int) -> User | None:
    def read() -> User | None:
        row = con.execute(_USER_SQL + " WHERE u.id = ?", [user_id]).fetchone()
        return _to_user(row) if row else None

    return snapshot.shared(con, "user", (user_id,), _USER_TABLES, read)


def find_by_email(con: duckdb.DuckDBPyConnection, email: str) -> User | None:
    """The active user with this email (case-insensitive), or None."""
    row = con.execute(
        _USER_SQL + " WHERE lower(u.email) = lower(?) AND u.is_active", [email.strip()]
    ).fetchone()
    return _to_user(row) if row else None


def list_users(con: duckdb.DuckDBPyConnection, *, active_only: bool = True) -> list[User]:
    def read() -> list[User]:
        where = " WHERE u.is_active" if active_only else ""
        return [_to_user(r) for r in con.execute(_USER_SQL + where + " ORDER BY u.name").fetchall()]

    return snapshot.shared(con, "users", (active_only,), _USER_TABLES, read, list)


def default_demo_user(con: duckdb.DuckDBPyConnection) -> User | None:
    """Who demo mode signs in as first: a super admin with a seat, else anyone with access."""
    users = list_users(con)
    for test in (
        lambda u: u.is_super_admin and u.has_service_seat,
        lambda u: u.has_full_access,
        lambda u: True,
    ):
        for user in users:
            if test(user):
                return user
    return None


def list_teams(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """{team id: name}, by name."""
    return dict(con.execute("SELECT id, name FROM teams ORDER BY name").fetchall())
