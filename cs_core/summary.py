"""Whose Summary is shown (SUM-8): one's own; super admins and settings managers may view it as
another active user, and nobody else may."""

from __future__ import annotations

import duckdb

from cs_core.users import Action, User, can, get_user, list_users, require


class UnknownUser(ValueError):
    """The user asked for is not an active user of the workspace."""


def subject(con: duckdb.DuckDBPyConnection, *, viewer: User, user_id: int | None) -> User:
    """The user whose Summary ``viewer`` sees: themselves, or (with the permission) ``user_id``."""
    if user_id is None or user_id == viewer.id:
        return viewer
    require(viewer, Action.VIEW_AS_OTHER_USER)
    found = get_user(con, user_id)
    if found is None or not found.is_active:
        raise UnknownUser("That user is not an active user of the workspace.")
    return found


def viewable(con: duckdb.DuckDBPyConnection, *, viewer: User) -> list[User]:
    """Whom ``viewer`` may view the Summary as (themselves first), empty without the permission."""
    if not can(viewer, Action.VIEW_AS_OTHER_USER):
        return []
    return [viewer, *(u for u in list_users(con) if u.id != viewer.id)]
