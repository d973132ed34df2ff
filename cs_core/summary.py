"""Whose Summary is shown (SUM-8): one's own; super admins and settings managers may view it as
another active user, and nobody else may. And the health-score profile a user's Summary shows
(SUM-6): the one they last chose, else the live profile scoring most of their customers."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from cs_core import db
from cs_core.errors import Problems
from cs_core.health.profiles import Profile, list_profiles
from cs_core.settings import get_customer_settings
from cs_core.sql import col, ident
from cs_core.users import Action, User, can, get_user, list_users, require


class UnknownUser(ValueError):
    """The user asked for is not an active user of the workspace."""


class SummaryChoiceError(Problems):
    """A choice on a Summary that cannot be made; ``problems`` says why."""


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


def may_change(actor: User, user_id: int) -> None:
    """A user changes their own Summary; one who may view it as another user changes theirs."""
    require(actor, Action.VIEW_SUMMARY)
    if actor.id != user_id:
        require(actor, Action.VIEW_AS_OTHER_USER)


@dataclass(frozen=True)
class ProfileChoice:
    # Every live profile, with how many of the user's customers it scores.
    profiles: tuple[tuple[Profile, int], ...]
    chosen: Profile | None  # None: no live profile


def health_profile(
    con: duckdb.DuckDBPyConnection, *, user_id: int, object_name: str | None = None
) -> ProfileChoice:
    """The live profiles of the account object (in name order) with how many of the user's
    customers each scores now, and the one their Summary shows."""
    chosen_settings = get_customer_settings(con)
    object_name = object_name or chosen_settings.object
    live = list_profiles(con, object_name=object_name, live_only=True)
    if not live:
        return ProfileChoice((), None)
    counts = dict(
        con.execute(
            f"SELECT h.profile_id, count(*) FROM health_current h JOIN {ident(object_name)} r ON r.id = h.record_id "
            f"AND {col('r', chosen_settings.owner_property)} = ? WHERE h.profile_id IN (SELECT unnest(?::BIGINT[])) "
            "GROUP BY h.profile_id",
            [user_id, [p.id for p in live]],
        ).fetchall()
    )  # fmt: skip
    ranked = tuple((p, int(counts.get(p.id, 0))) for p in live)
    row = con.execute(
        "SELECT health_profile_id FROM summary_preferences WHERE user_id = ?", [user_id]
    ).fetchone()
    by_id = {p.id: p for p in live}
    if row and row[0] in by_id:
        return ProfileChoice(ranked, by_id[row[0]])
    return ProfileChoice(ranked, max(ranked, key=lambda pc: pc[1])[0])  # the first of the most


def choose_health_profile(
    con: duckdb.DuckDBPyConnection, *, actor: User, user_id: int, profile_id: int
) -> None:
    """Remember the profile ``user_id``'s Summary shows; it must be live."""
    may_change(actor, user_id)

    def _write(cur) -> None:
        live = cur.execute(
            "SELECT 1 FROM health_profiles WHERE id = ? AND status = 'live'", [profile_id]
        ).fetchone()
        if live is None:
            raise SummaryChoiceError(["That health-score profile is not live any more."])
        cur.execute(
            "INSERT INTO summary_preferences VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE "
            "SET health_profile_id = excluded.health_profile_id",
            [user_id, profile_id],
        )

    db.write(con, _write)
