"""Cached reads for the Summary tab, kept until a table they read is written (see
ui.db.cached): an edit shows at once, and a task ticked elsewhere leaves the health figures.
The user's own numbers, tasks, events and health figures are read as their rows only
(cs_core.snapshot.scoped): another CSM's completed task or edited (and rescored) account
leaves them too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from cs_core import clock, records, schedule, settings, snapshot, tasks, users
from cs_core import summary as summary_core
from cs_core.health.profiles import Profile, version_changes
from cs_core.health.reports import Summary, average_by_day, summary
from ui import db


@dataclass(frozen=True)
class WelcomeNumbers:
    object_name: str
    object_label: str
    owner_label: str
    owned: int
    tasks: tasks.TaskCounts


def welcome_numbers(
    con: duckdb.DuckDBPyConnection, *, user_id: int, now: datetime
) -> WelcomeNumbers:
    # The minute is part of the key, so "today" moves on without a stale cache.
    return _welcome(con, user_id, now.replace(second=0, microsecond=0))


@db.cached()
def _welcome(con: duckdb.DuckDBPyConnection, user_id: int, now: datetime) -> WelcomeNumbers:
    with snapshot.scoped(user_id):  # the user's own accounts and tasks only
        user = users.get_user(con, user_id)
        chosen = settings.get_customer_settings(con)
        obj = records.get_object(con, chosen.object)
        owner = records.get_property(con, chosen.object, chosen.owner_property)
        return WelcomeNumbers(
            object_name=obj.name,
            object_label=obj.label_plural,
            owner_label=owner.label if owner else chosen.owner_property,
            owned=records.count_owned(
                con, chosen.object, owner_property=chosen.owner_property, user_id=user.id
            ),
            tasks=tasks.task_counts(con, user=user, now=now),
        )


@dataclass(frozen=True)
class HealthPanel:
    choice: summary_core.ProfileChoice
    shown: Profile | None  # the profile the figures are of
    figures: Summary | None
    trend: list[tuple[date, float, int]]  # (day, average, scored) of the last TREND_DAYS
    versions: list


TREND_DAYS = 90


def health_panel(
    con: duckdb.DuckDBPyConnection, *, user_id: int, day: date, profile_id: int | None = None
) -> HealthPanel:
    """The health summary of the user's customers (SUM-5, SUM-6) with the scores in effect on
    ``day`` (overrides counted): of ``profile_id`` when it is live, else of the user's choice."""
    return _health(con, user_id, day, profile_id)


@db.cached()
def _health(con: duckdb.DuckDBPyConnection, user_id: int, day: date,
            profile_id: int | None) -> HealthPanel:  # fmt: skip
    with snapshot.scoped(user_id):  # the scores of the user's own accounts only
        choice = summary_core.health_profile(con, user_id=user_id)
        by_id = {p.id: p for p, _ in choice.profiles}
        shown = by_id.get(profile_id, choice.chosen)
        if shown is None:
            return HealthPanel(choice, None, None, [], [])
        return HealthPanel(
            choice, shown, summary(con, shown, day=day, owner_id=user_id),
            average_by_day(con, shown, since=day - timedelta(days=TREND_DAYS), owner_id=user_id),
            version_changes(con, shown.id),
        )  # fmt: skip


def task_buckets(
    con: duckdb.DuckDBPyConnection,
    *,
    user_id: int,
    now: datetime,
    keys: tuple[str, ...],
    shown: int,
) -> tasks.Buckets:
    """The user's task counts per bucket and the first ``shown`` of each (SUM-2)."""
    return _buckets(con, user_id, now.replace(second=0, microsecond=0), keys, shown)


@db.cached()
def _buckets(con: duckdb.DuckDBPyConnection, user_id: int, now: datetime, keys: tuple[str, ...],
             shown: int) -> tasks.Buckets:  # fmt: skip
    with snapshot.scoped(user_id):  # the user's own tasks only
        user = users.get_user(con, user_id)
        return tasks.buckets(con, user=user, now=now, keys=keys, shown=shown)


def today_events(con: duckdb.DuckDBPyConnection, *, user_id: int, now: datetime) -> list:
    """The user's meetings and timed tasks of their today (SUM-4), in time order."""
    return _events(con, user_id, now.replace(second=0, microsecond=0))


@db.cached()
def _events(con: duckdb.DuckDBPyConnection, user_id: int, now: datetime) -> list:
    with snapshot.scoped(user_id):  # the user's own meetings and tasks only
        user = users.get_user(con, user_id)
        today = clock.local_date(now, user.time_zone)
        return schedule.events(con, user=user, first=today, last=today)
