"""Which properties a record preview shows, per object (a setting of S-1..S-3)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from cs_core.records import get_object, list_properties
from cs_core.settings_store import UNSEEN, SettingsError, save, stored
from cs_core.users import Action, User, require

MAX_PREVIEW_PROPERTIES = 30


def get_preview_properties(con: duckdb.DuckDBPyConnection, object_name: str) -> list[str] | None:
    """The properties the record preview shows for the object, as saved (None: not chosen;
    the preview then shows its defaults). Properties deleted since are left out."""
    found = stored(con, f"preview.{object_name}")
    if not found:
        return None
    names = {p.name for p in list_properties(con, object_name)}
    return [n for n in found.get("properties", []) if n in names]


def save_preview_properties(con: duckdb.DuckDBPyConnection, *, actor: User, object_name: str,
                            properties: list[str], now: datetime, expected=UNSEEN) -> None:  # fmt: skip
    """Choose the properties the object's record preview shows, in order; with ``expected``
    (:func:`get_preview_properties` when the editor opened them), refused when someone saved
    them since."""
    require(actor, Action.MANAGE_SETTINGS)
    if get_object(con, object_name) is None:
        raise SettingsError([f"There is no object {object_name!r}."])
    names = {p.name for p in list_properties(con, object_name)}
    problems = [f"There is no property {n!r} on this object." for n in properties if n not in names]
    if not properties:
        problems.append("Choose at least one property for the preview.")
    if len(properties) > MAX_PREVIEW_PROPERTIES:
        problems.append(
            f"A preview shows at most {MAX_PREVIEW_PROPERTIES} properties ({len(properties)} chosen)."
        )
    if len(set(properties)) != len(properties):
        problems.append("Each property can be chosen once.")
    if problems:
        raise SettingsError(problems)
    save(con, f"preview.{object_name}", {"properties": list(properties)}, actor, now, expected=expected,
         current=lambda cur: get_preview_properties(cur, object_name))  # fmt: skip
