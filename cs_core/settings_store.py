"""The settings table: one JSON value per section (``customers``, ``preview.deals``,
``daily_job``, ...), with when and by whom it was last saved.

A save from an editor is a compare-and-set on the section as the editor opened it, read in
the save's own transaction: of two people saving one section from the same page, the later
one is told instead of silently undoing the other's change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import duckdb

from cs_core import db, snapshot
from cs_core.errors import Problems
from cs_core.users import Action, User, require

UNSEEN = object()  # a save's ``expected`` when the caller does not say what the editor opened
STALE = (
    "Someone saved these settings since you opened them: reload the page to see their changes. "
    "Nothing was saved."
)


class SettingsError(Problems):
    """Settings were refused; ``problems`` lists every reason, in words for the user."""


def stored(con: duckdb.DuckDBPyConnection, key: str) -> dict | None:
    """The section's saved value (None: never saved)."""

    def read() -> str | None:
        row = con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    text = snapshot.shared(con, "settings", (key,), ("settings",), read)
    return json.loads(text) if text is not None else None  # each caller its own dict


def save(con: duckdb.DuckDBPyConnection, key: str, value: dict, actor: User, now: datetime, *,
         expected=UNSEEN, current: Callable | None = None,
         refused: Callable[[str], Exception] = lambda m: SettingsError([m])) -> None:  # fmt: skip
    """Store one section's value (settings managers). With ``expected`` (the section as the
    editor opened it, as ``current(cur)`` reads it), refused with ``refused(STALE)`` when it was
    saved since."""
    require(actor, Action.MANAGE_SETTINGS)

    def _upsert(cur):
        if expected is not UNSEEN and current(cur) != expected:
            raise refused(STALE)
        cur.execute(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            [key, json.dumps(value), now, actor.id],
        )

    db.write(con, _upsert)
