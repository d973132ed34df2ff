"""Reading a filter spec's shape and checking a condition's value before it becomes a query
parameter.

Every value is checked for its property's type and range (numbers finite and within
what a DOUBLE holds, ids within BIGINT, days 0..36,500, dates within the calendar,
texts and lists of a sane size), so a spec that cannot be applied raises
:class:`FilterError`, and never a Python or DuckDB error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime

from cs_core.records import Property

ME = "$me"
MAX_DAYS = 36_500  # a hundred years: the longest "last N days" a filter takes
MAX_ID = 2**63 - 1  # ids are BIGINT
MAX_NUMBER = 1e300  # finite, and far inside what a DOUBLE column holds


class FilterError(ValueError):
    """A filter spec that cannot be applied; the message names the condition's problem."""


def number(prop: Property, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FilterError(f"{prop.label} needs a number, not {shown(value)}.")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise FilterError(f"{prop.label} needs a number, not {shown(value)}.") from None
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise FilterError(f"{prop.label} needs a finite number, not {shown(value)}.")
    return number


def shown(value) -> str:
    """A value for a message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def date_value(prop: Property, value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise FilterError(f"{prop.label} needs a date (YYYY-MM-DD), not {shown(value)}.")
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise FilterError(f"{prop.label} needs a date (YYYY-MM-DD), not {shown(value)}.") from None
    if not date(1, 1, 2) <= day <= date(9999, 12, 30):
        raise FilterError(f"{prop.label}: {day} is outside the dates a filter can use.")
    return day


def boolean(prop: Property, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else ""
    if text in ("true", "yes"):
        return True
    if text in ("false", "no"):
        return False
    raise FilterError(f"{prop.label} needs true or false, not {shown(value)}.")


def whole(value) -> int | None:
    """``value`` as a whole number (an int, an integral float or such text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return (
            int(value)
            if math.isfinite(value) and value.is_integer() and abs(value) < 2**63
            else None
        )
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value.strip()) < 30:
        return int(value.strip())
    return None


def days_value(prop: Property, value) -> int:
    days = whole(value)
    if days is None:
        raise FilterError(
            f"{prop.label}: the number of days must be a whole number, not {shown(value)}."
        )
    if days < 0:
        raise FilterError(f"{prop.label}: the number of days cannot be negative.")
    if days > MAX_DAYS:
        raise FilterError(f"{prop.label}: the number of days can be at most {MAX_DAYS:,}.")
    return days


def ref_id(prop: Property, value, me: int | None) -> int:
    if value == ME:
        if me is None:
            raise FilterError(f"{prop.label}: 'me' needs a signed-in user.")
        return me
    ref = whole(value)
    if ref is None or not 0 < ref <= MAX_ID:
        raise FilterError(f"{prop.label} needs a user or id, not {shown(value)}.")
    return ref


def scalar(prop: Property, value, me: int | None):
    """The value as the type the column compares with."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FilterError(f"{prop.label}: enter a value to compare with.")
    if prop.type == "number":
        return number(prop, value)
    if prop.type in ("date", "datetime"):
        return date_value(prop, value)
    if prop.type == "boolean":
        return boolean(prop, value)
    if prop.type in ("user", "pipeline", "stage"):
        return ref_id(prop, value, me)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise FilterError(f"{prop.label} needs a text value, not {shown(value)}.")
    text = str(value).strip().lower()
    if len(text) > 1_000:
        raise FilterError(f"{prop.label}: a value to compare with has at most 1,000 characters.")
    return text


def bounds(prop: Property, value, me: int | None) -> tuple:
    """A 'between' condition's [low, high], each checked, low not above high."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise FilterError(f"{prop.label}: 'between' needs a low and a high value.")
    low, high = scalar(prop, value[0], me), scalar(prop, value[1], me)
    if low > high:
        raise FilterError(f"{prop.label}: the low value is above the high value.")
    return low, high


def day_offsets(prop: Property, value) -> tuple[int, int]:
    """A 'days from today' condition's [first, last] offsets (0 is today, 1 tomorrow, -1
    yesterday), each within ±36,500 days, first not after last."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise FilterError(f"{prop.label}: 'days from today' needs a first and a last day.")
    first, last = whole(value[0]), whole(value[1])
    if first is None or last is None:
        raise FilterError(f"{prop.label}: days from today are whole numbers, not {shown(value)}.")
    if max(abs(first), abs(last)) > MAX_DAYS:
        raise FilterError(f"{prop.label}: days from today can be at most {MAX_DAYS:,} away.")
    if first > last:
        raise FilterError(f"{prop.label}: the first day is after the last day.")
    return first, last


def record_ref(prop: Property, value) -> tuple[str, int]:
    """An associated record, ``{"object": name, "id": n}``, as (object, id)."""
    if not isinstance(value, dict) or set(value) != {"object", "id"}:
        raise FilterError(
            f"{prop.label} needs a record ({{'object': ..., 'id': ...}}), not {shown(value)}."
        )
    obj, ref = value["object"], whole(value["id"])
    if not isinstance(obj, str) or not obj or len(obj) > 64 or ref is None or not 0 < ref <= MAX_ID:
        raise FilterError(f"{prop.label} needs a record, not {shown(value)}.")
    return obj, ref


def normalise(spec) -> list[list[dict]]:
    """A spec as a list of non-empty groups (accepts JSON text and a flat condition list)."""
    if spec is None or spec == "":
        return []
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError as exc:
            raise FilterError(f"The filter is not valid JSON: {exc.msg}.") from None
    if not isinstance(spec, list):
        raise FilterError("A filter must be a list of groups of conditions.")
    if spec and all(isinstance(c, Mapping) for c in spec):
        spec = [spec]
    groups = []
    for group in spec:
        if not isinstance(group, list):
            raise FilterError("Each filter group must be a list of conditions.")
        if group:
            groups.append([dict(c) if isinstance(c, Mapping) else c for c in group])
    if sum(len(g) for g in groups) > 200:
        raise FilterError("A filter can have at most 200 conditions.")
    return groups


def uses_me(spec) -> bool:
    """Whether ``spec`` matches different records for different acting users (a value ``$me``,
    alone or among others, or ``assigned_to_me_in_last_days``): without it, a result depends on
    the user's zone and date only, and users in one zone share it. A spec that cannot be read
    counts as using it (it is refused when compiled anyway)."""
    try:
        groups = normalise(spec)
    except FilterError:
        return True
    for cond in (c for group in groups for c in group):
        if not isinstance(cond, Mapping):
            return True
        value = cond.get("value")
        if cond.get("operator") == "assigned_to_me_in_last_days" or value == ME or (
            isinstance(value, list | tuple) and ME in value
        ):  # fmt: skip
            return True
    return False
