"""Cached reads for the Summary tab, keyed on the data version so an edit shows at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import streamlit as st

from cs_core import records, settings, tasks, users
from cs_core.health import list_profiles
from cs_core.health.reports import Summary, summary
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
    return _welcome(db.data_version(con), user_id, now.replace(second=0, microsecond=0))


@st.cache_data(show_spinner=False, max_entries=512)
def _welcome(version: int, user_id: int, now: datetime) -> WelcomeNumbers:
    with db.fresh_cursor() as con:
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


def health_numbers(
    con: duckdb.DuckDBPyConnection, *, user_id: int, object_name: str, day: date
) -> list[tuple[str, Summary]]:
    """Per live profile of the account object: the summary figures of the user's customers,
    with the scores in effect on ``day`` (overrides counted)."""
    return _health(db.data_version(con), user_id, object_name, day)


@st.cache_data(show_spinner=False, max_entries=512)
def _health(version: int, user_id: int, object_name: str, day: date) -> list[tuple[str, Summary]]:
    with db.fresh_cursor() as con:
        out = []
        for profile in list_profiles(con, object_name=object_name, live_only=True):
            figures = summary(con, profile, day=day, owner_id=user_id)
            if figures.count:
                out.append((profile.name, figures))
        return out
