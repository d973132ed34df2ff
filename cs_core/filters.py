"""The one filter builder: a JSON filter spec → a parameterised DuckDB WHERE clause.

A spec is a list of groups; a group is a list of conditions. Conditions in a group
must all hold (AND); a record matches when any group holds (OR). An empty spec
matches every record. A condition is ``{"property": name, "operator": op,
"value": v}`` with the operators of ``spec/health-profiles.md``:

eq, neq, gt, gte, lt, lte, between, in, not_in, contains, is_known, is_unknown,
in_last_days, more_than_days_ago, in_next_days, days_from_today; and, for user properties,
``assigned_to_me_in_last_days`` (the record is the user's, and its owner changed to
them within N days, from the property history).

Property names must be in the object's property catalog (and are quoted by
:func:`cs_core.sql.ident`); values only ever reach the database as parameters, each
checked first (numbers finite, ids within BIGINT, days 0..36,500), so a spec that
cannot be applied raises :class:`FilterError` and nothing else. A condition on an
empty value (NULL or a blank string) is false for every operator but ``is_unknown``.

Days are calendar days in the acting user's time zone: ``today`` is the user's
date and ``time_zone`` their zone. ``in_last_days N`` holds for the N days ending
today (``today - N < day <= today``; N = 1 is today), ``in_next_days N`` for the N
days starting today (``today <= day < today + N``; N = 1 is today, as for a renewal
date "in the next 90 days"), ``days_from_today [A, B]`` for the days today + A to
today + B (``[0, 0]`` is today, ``[1, 1]`` tomorrow); a datetime property is
compared by the local day it falls on, through that day's UTC start and end.

A property of type ``record`` (a task's associated record) is the pair of columns
``object`` and ``record_id``; its value is ``{"object": name, "id": n}``.

Two special property names stand for settings-dependent things: ``$owner`` is the
object's owner property (from settings), and the value ``$me`` is the acting user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from cs_core import clock
from cs_core.filter_values import (
    ME,
    FilterError,
    bounds,
    day_offsets,
    days_value,
    normalise,
    record_ref,
    scalar,
    shown,
    uses_me,
)
from cs_core.records import Property
from cs_core.sql import col as sql_col

__all__ = ["IMPORT_RUN", "ME", "OWNER", "Compiled", "FilterError", "applicable", "compile_filter", "describe",
           "known_sql", "normalise", "tables_looked_up", "uses_me", "validate"]  # fmt: skip

OPERATORS = (
    "eq", "neq", "gt", "gte", "lt", "lte", "between", "in", "not_in", "contains",
    "is_known", "is_unknown", "in_last_days", "more_than_days_ago", "in_next_days",
    "days_from_today",
)  # fmt: skip
_ORDERED = ("gt", "gte", "lt", "lte", "between")
_PRESENCE = ("is_known", "is_unknown")
_DAYS = ("in_last_days", "more_than_days_ago", "in_next_days", "days_from_today")
OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "string": ("eq", "neq", "contains", "in", "not_in", *_PRESENCE),
    "enumeration": ("eq", "neq", "in", "not_in", *_PRESENCE),
    "number": ("eq", "neq", *_ORDERED, "in", "not_in", *_PRESENCE),
    "date": ("eq", "neq", *_ORDERED, *_DAYS, *_PRESENCE),
    "datetime": ("eq", "neq", *_ORDERED, *_DAYS, *_PRESENCE),
    "boolean": ("eq", "neq", *_PRESENCE),
    "user": ("eq", "neq", "in", "not_in", *_PRESENCE, "assigned_to_me_in_last_days"),
    "pipeline": ("eq", "neq", "in", "not_in", *_PRESENCE),
    "stage": ("eq", "neq", "in", "not_in", *_PRESENCE),
    "record": ("eq", "neq", *_PRESENCE),
}
OPERATOR_LABELS = {
    "eq": "is", "neq": "is not", "gt": "is greater than", "gte": "is at least",
    "lt": "is less than", "lte": "is at most", "between": "is between", "in": "is any of",
    "not_in": "is none of", "contains": "contains", "is_known": "is known",
    "is_unknown": "is unknown", "in_last_days": "is in the last (days)",
    "more_than_days_ago": "is more than (days) ago", "in_next_days": "is in the next (days)",
    "days_from_today": "is within (days from today)",
    "assigned_to_me_in_last_days": "was assigned to me in the last (days)",
}  # fmt: skip
DATE_OPERATOR_LABELS = {"gt": "is after", "gte": "is on or after", "lt": "is before",
                        "lte": "is on or before"}  # fmt: skip
OWNER = "$owner"
IMPORT_RUN = "$import_run"  # {"property": IMPORT_RUN, "operator": "eq", "value": run id}
ASSIGNED = "assigned_to_me_in_last_days"
# The tables a condition reads beside the listed records' own (tables_looked_up).
_IMPORT_RUNS, _HISTORY = "import_run_records", "property_history"


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: list


def _is_text(prop: Property) -> bool:
    return prop.type in ("string", "enumeration")


def _column(prop: Property, alias: str) -> str:
    """The SQL expression compared: trimmed lower-case text, else the column."""
    col = sql_col(alias, prop.name)
    if _is_text(prop):
        return f"lower(trim({col}))"
    return col


def known_sql(prop: Property, alias: str) -> str:
    """SQL that holds when the property has a value (not NULL, and not blank for text)."""
    if prop.type == "record":
        return f"({alias}.record_id IS NOT NULL)"
    col = sql_col(alias, prop.name)
    if _is_text(prop):
        return f"({col} IS NOT NULL AND trim({col}) <> '')"
    return f"({col} IS NOT NULL)"


def _day_range(col: str, first: date | None, last: date | None, time_zone: str) -> Compiled:
    """A datetime column within the local days first..last (None: unbounded), as UTC instants."""
    parts, params = [], []
    try:
        if first is not None:
            parts.append(f"{col} >= ?")
            params.append(clock.day_start(first, time_zone))
        if last is not None:
            parts.append(f"{col} < ?")
            params.append(clock.day_start(last + timedelta(days=1), time_zone))
    except (OverflowError, ValueError):
        raise FilterError("That date is outside the dates a filter can use.") from None
    return Compiled(" AND ".join(parts), params)


def _datetime_condition(op: str, col: str, known: str, value, prop: Property, *, today: date,
                        time_zone: str, me: int | None) -> Compiled:  # fmt: skip
    """A datetime property compared by the local day it falls on."""
    one = timedelta(days=1)
    if op in ("eq", "neq", "gt", "gte", "lt", "lte"):
        day = scalar(prop, value, me)
        first, last = {"eq": (day, day), "neq": (day, day), "gt": (day + one, None),
                       "gte": (day, None), "lt": (None, day - one), "lte": (None, day)}[op]  # fmt: skip
        within = _day_range(col, first, last, time_zone)
        test = f"NOT ({within.sql})" if op == "neq" else within.sql
        return Compiled(f"({known} AND {test})", within.params)
    if op == "between":
        low, high = bounds(prop, value, me)
        within = _day_range(col, low, high, time_zone)
    elif op == "days_from_today":
        first, last = day_offsets(prop, value)
        within = _day_range(col, _shift(today, first, prop), _shift(today, last, prop), time_zone)
    else:
        days = days_value(prop, value)
        if op in ("in_last_days", "in_next_days") and days == 0:
            return Compiled("FALSE", [])
        if op == "in_last_days":
            within = _day_range(col, _shift(today, 1 - days, prop), today, time_zone)
        elif op == "in_next_days":
            within = _day_range(col, today, _shift(today, days - 1, prop), time_zone)
        else:  # more_than_days_ago: before the day N days ago
            within = _day_range(col, None, _shift(today, -days - 1, prop), time_zone)
    return Compiled(f"({known} AND {within.sql})", within.params)


def _shift(day: date, days: int, prop: Property) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise FilterError(f"{prop.label}: that many days reach past the calendar.") from None


def _condition(cond: Mapping, props: Mapping[str, Property], *, alias: str, today: date,
               time_zone: str, me: int | None, owner: str | None,
               object_name: str | None) -> Compiled:  # fmt: skip
    if not isinstance(cond, Mapping):
        raise FilterError(f"A filter condition must be an object, not {shown(cond)}.")
    name = cond.get("property")
    if name == IMPORT_RUN:  # the records an import created or updated
        run = cond.get("value")
        if cond.get("operator") != "eq" or not isinstance(run, int) or isinstance(run, bool) or not (
            0 < run < 2**63
        ):  # fmt: skip
            raise FilterError("An import filter names one import by its number.")
        return Compiled(f"{alias}.id IN (SELECT record_id FROM {_IMPORT_RUNS} WHERE run_id = ? "
                        "AND object = ?)", [run, object_name])  # fmt: skip
    if name == OWNER:
        if owner is None:
            raise FilterError("This object has no owner property in settings.")
        name = owner
    op = cond.get("operator")
    if not isinstance(name, str) or name not in props:
        raise FilterError(f"There is no property {shown(name)} to filter on.")
    prop = props[name]
    if not isinstance(op, str) or op not in OPERATORS_BY_TYPE.get(prop.type, ()):
        raise FilterError(
            f"{prop.label} cannot be filtered with {shown(op)} (a {prop.type} property)."
        )
    value = cond.get("value")
    known = known_sql(prop, alias)
    if op == "is_known":
        return Compiled(known, [])
    if op == "is_unknown":
        return Compiled(f"NOT {known}", [])
    if prop.type == "record":  # eq / neq: the pair of columns
        obj, ref = record_ref(prop, value)
        test = f"({alias}.object = ? AND {alias}.record_id = ?)"
        return Compiled(test if op == "eq" else f"({known} AND NOT {test})", [obj, ref])
    col = _column(prop, alias)
    if prop.type == "datetime" and op != "assigned_to_me_in_last_days":
        return _datetime_condition(op, col, known, value, prop, today=today, time_zone=time_zone,
                                   me=me)  # fmt: skip
    if op in ("eq", "neq"):
        sign = "=" if op == "eq" else "<>"
        return Compiled(f"({known} AND {col} {sign} ?)", [scalar(prop, value, me)])
    if op in ("gt", "gte", "lt", "lte"):
        sign = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
        return Compiled(f"({known} AND {col} {sign} ?)", [scalar(prop, value, me)])
    if op == "between":
        low, high = bounds(prop, value, me)
        return Compiled(f"({known} AND {col} BETWEEN ? AND ?)", [low, high])
    if op in ("in", "not_in"):
        if not isinstance(value, list | tuple) or not value:
            raise FilterError(f"{prop.label}: choose at least one value.")
        if len(value) > 1_000:
            raise FilterError(f"{prop.label}: choose at most 1,000 values.")
        values = [scalar(prop, v, me) for v in value]
        test = f"list_contains(?, {col})"
        return Compiled(f"({known} AND {'' if op == 'in' else 'NOT '}{test})", [values])
    if op == "contains":
        text = scalar(prop, value, me)
        return Compiled(f"({known} AND contains({col}, ?))", [text])
    if op == "days_from_today":
        first, last = day_offsets(prop, value)
        return Compiled(f"({known} AND {col} BETWEEN ? AND ?)",
                        [_shift(today, first, prop), _shift(today, last, prop)])  # fmt: skip
    days = days_value(prop, value)
    if op == ASSIGNED:
        user = scalar(prop, ME, me)
        if days == 0:
            return Compiled("FALSE", [])
        since = clock.day_start(_shift(today, 1 - days, prop), time_zone)
        return Compiled(
            f"({sql_col(alias, prop.name)} = ? AND {alias}.id IN (SELECT record_id FROM {_HISTORY} "
            "WHERE object = ? AND property = ? AND new_value = ? AND changed_at >= ?))",
            [user, object_name, prop.name, str(user), since],
        )  # fmt: skip
    if op == "in_last_days":  # the N days ending today
        return Compiled(
            f"({known} AND {col} > ? AND {col} <= ?)", [_shift(today, -days, prop), today]
        )
    if op == "in_next_days":  # the N days starting today
        return Compiled(
            f"({known} AND {col} >= ? AND {col} < ?)", [today, _shift(today, days, prop)]
        )
    return Compiled(f"({known} AND {col} < ?)", [_shift(today, -days, prop)])


def compile_filter(spec, props: Mapping[str, Property], *, today: date, time_zone: str = "UTC",
                   me: int | None = None, owner: str | None = None, object_name: str | None = None,
                   alias: str = "r") -> Compiled:  # fmt: skip
    """``spec`` as ``(sql, params)`` for a WHERE clause over the object's table aliased ``alias``.

    ``today`` is the acting user's date in ``time_zone``, their zone.
    """
    groups = normalise(spec)
    if not groups:
        return Compiled("TRUE", [])
    parts, params = [], []
    for group in groups:
        compiled = [
            _condition(
                c,
                props,
                alias=alias,
                today=today,
                time_zone=time_zone,
                me=me,
                owner=owner,
                object_name=object_name,
            )  # fmt: skip
            for c in group
        ]
        parts.append("(" + " AND ".join(c.sql for c in compiled) + ")")
        for c in compiled:
            params += c.params
    return Compiled("(" + " OR ".join(parts) + ")", params)


def tables_looked_up(spec) -> set[str]:
    """The tables the compiled filter reads beside the listed records' own (what a cache keyed
    on a query's tables must add): the change history for "assigned to me in the last N days",
    an import's records for the import filter. A spec that cannot compile: both."""
    try:
        conditions = [c for g in normalise(spec) for c in g if isinstance(c, Mapping)]
    except FilterError:
        return {_HISTORY, _IMPORT_RUNS}
    found = {_HISTORY for c in conditions if c.get("operator") == ASSIGNED}
    return found | {_IMPORT_RUNS for c in conditions if c.get("property") == IMPORT_RUN}


def applicable(
    spec,
    props: Mapping[str, Property],
    *,
    today: date,
    time_zone: str = "UTC",
    me: int | None = None,
    owner: str | None = None,
) -> tuple[list[list[dict]], list[str]]:
    """The spec without the conditions that cannot be applied yet, and why each was left out.

    For editors: a half-written condition is skipped (and explained) rather than
    hiding every result.
    """
    kept, problems = [], []
    for group in normalise(spec):
        good = []
        for cond in group:
            try:
                compile_filter([[cond]], props, today=today, time_zone=time_zone, me=me,
                               owner=owner, object_name="_")  # fmt: skip
            except FilterError as exc:
                problems.append(str(exc))
            else:
                good.append(cond)
        if good:
            kept.append(good)
    return kept, problems


# Checks compile a spec on a fixed day: whether it can be applied does not depend on the date.
_CHECK_DAY = date(2000, 1, 1)


def validate(spec, props: Mapping[str, Property]) -> None:
    """Raise FilterError if the spec could not be applied to an object with these properties."""
    owner = next((p.name for p in props.values() if p.type == "user"), None)
    compile_filter(spec, props, today=_CHECK_DAY, me=1, owner=owner, object_name="_")


def describe(cond: Mapping, props: Mapping[str, Property], *, owner: str | None = None) -> str:
    """A condition in words, for chips and view descriptions."""
    name = owner if cond.get("property") == OWNER else cond.get("property")
    prop = props.get(name)
    label = prop.label if prop else str(name)
    op = cond.get("operator")
    words = OPERATOR_LABELS.get(op, str(op))
    if prop and prop.type in ("date", "datetime"):
        words = DATE_OPERATOR_LABELS.get(op, words)
    value = cond.get("value")
    if op in _PRESENCE:
        return f"{label} {words}"
    if op == "between" and isinstance(value, list | tuple) and len(value) == 2:
        return f"{label} is between {value[0]} and {value[1]}"
    if op == "assigned_to_me_in_last_days":
        return f"{label} was assigned to me in the last {value} days"
    if op == "days_from_today" and isinstance(value, list | tuple) and len(value) == 2:
        return f"{label} is {_days_words(value)}"
    if op in _DAYS:
        return {"in_last_days": f"{label} is in the last {value} days",
                "in_next_days": f"{label} is in the next {value} days"}.get(
            op, f"{label} is more than {value} days ago")  # fmt: skip
    if prop is not None and prop.type == "record" and isinstance(value, dict):
        return f"{label} {words} {value.get('object')} #{value.get('id')}"
    if prop is not None and prop.option_labels:
        value = [prop.option_label(v) for v in value] if isinstance(value, list | tuple) else (
            prop.option_label(value))  # fmt: skip
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    if value == ME:
        value = "me"
    return f"{label} {words} {value}"


def _days_words(value) -> str:
    """[A, B] days from today in words: today, tomorrow, yesterday, or a range."""
    names = {0: "today", 1: "tomorrow", -1: "yesterday"}
    first, last = value
    if first == last and first in names:
        return names[first]
    return f"between {first} and {last} days from today"
