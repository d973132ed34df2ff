"""The one filter builder: a JSON filter spec → a parameterised DuckDB WHERE clause.

A spec is a list of groups; a group is a list of conditions. Conditions in a group
must all hold (AND); a record matches when any group holds (OR). An empty spec
matches every record. A condition is ``{"property": name, "operator": op,
"value": v}`` with the operators of ``spec/health-profiles.md``:

eq, neq, gt, gte, lt, lte, between, in, not_in, contains, is_known, is_unknown,
in_last_days, more_than_days_ago; and, for user properties,
``assigned_to_me_in_last_days`` (the record is the user's, and its owner changed to
them within N days, from the property history).

Property names must be in the object's property catalog and values only ever
reach the database as parameters. A condition on an empty value (NULL or a blank
string) is false for every operator but ``is_unknown``.

Two special property names stand for settings-dependent things: ``$owner`` is the
object's owner property (from settings), and the value ``$me`` is the acting user.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cs_core.records import Property

OPERATORS = (
    "eq", "neq", "gt", "gte", "lt", "lte", "between", "in", "not_in", "contains",
    "is_known", "is_unknown", "in_last_days", "more_than_days_ago",
)  # fmt: skip
_ORDERED = ("gt", "gte", "lt", "lte", "between")
_PRESENCE = ("is_known", "is_unknown")
_DAYS = ("in_last_days", "more_than_days_ago")
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
}
OPERATOR_LABELS = {
    "eq": "is", "neq": "is not", "gt": "is greater than", "gte": "is at least",
    "lt": "is less than", "lte": "is at most", "between": "is between", "in": "is any of",
    "not_in": "is none of", "contains": "contains", "is_known": "is known",
    "is_unknown": "is unknown", "in_last_days": "is in the last (days)",
    "more_than_days_ago": "is more than (days) ago",
    "assigned_to_me_in_last_days": "was assigned to me in the last (days)",
}  # fmt: skip
DATE_OPERATOR_LABELS = {"gt": "is after", "gte": "is on or after", "lt": "is before",
                        "lte": "is on or before"}  # fmt: skip
ME = "$me"
OWNER = "$owner"


class FilterError(ValueError):
    """A filter spec that cannot be applied; the message names the condition's problem."""


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: list


def _is_text(prop: Property) -> bool:
    return prop.type in ("string", "enumeration")


def _number(prop: Property, value) -> float:
    if isinstance(value, bool):
        raise FilterError(f"{prop.label} needs a number, not {value!r}.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise FilterError(f"{prop.label} needs a number, not {value!r}.") from None


def _date(prop: Property, value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise FilterError(f"{prop.label} needs a date (YYYY-MM-DD), not {value!r}.") from None


def _boolean(prop: Property, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes"):
        return True
    if text in ("false", "no"):
        return False
    raise FilterError(f"{prop.label} needs true or false, not {value!r}.")


def _days(prop: Property, value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise FilterError(
            f"{prop.label}: the number of days must be a whole number, not {value!r}."
        ) from None
    if days < 0:
        raise FilterError(f"{prop.label}: the number of days cannot be negative.")
    return days


def _id(prop: Property, value, me: int | None) -> int:
    if value == ME:
        if me is None:
            raise FilterError(f"{prop.label}: 'me' needs a signed-in user.")
        return me
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FilterError(f"{prop.label} needs a user or id, not {value!r}.") from None


def _scalar(prop: Property, value, me: int | None):
    """The value as the type the column compares with."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FilterError(f"{prop.label}: enter a value to compare with.")
    if prop.type == "number":
        return _number(prop, value)
    if prop.type in ("date", "datetime"):
        return _date(prop, value)
    if prop.type == "boolean":
        return _boolean(prop, value)
    if prop.type in ("user", "pipeline", "stage"):
        return _id(prop, value, me)
    return str(value).strip().lower()


def _column(prop: Property, alias: str) -> str:
    """The SQL expression compared: dates of datetimes, trimmed lower-case text."""
    col = f'{alias}."{prop.name}"'
    if prop.type == "datetime":
        return f"CAST({col} AS DATE)"
    if _is_text(prop):
        return f"lower(trim({col}))"
    return col


def known_sql(prop: Property, alias: str) -> str:
    """SQL that holds when the property has a value (not NULL, and not blank for text)."""
    col = f'{alias}."{prop.name}"'
    if _is_text(prop):
        return f"({col} IS NOT NULL AND trim({col}) <> '')"
    return f"({col} IS NOT NULL)"


def _condition(cond: Mapping, props: Mapping[str, Property], *, alias: str, today: date,
               me: int | None, owner: str | None, object_name: str | None) -> Compiled:  # fmt: skip
    if not isinstance(cond, Mapping):
        raise FilterError(f"A filter condition must be an object, not {cond!r}.")
    name = cond.get("property")
    if name == OWNER:
        if owner is None:
            raise FilterError("This object has no owner property in settings.")
        name = owner
    op = cond.get("operator")
    if name not in props:
        raise FilterError(f"There is no property {name!r} to filter on.")
    prop = props[name]
    if op not in OPERATORS_BY_TYPE.get(prop.type, ()):
        raise FilterError(f"{prop.label} cannot be filtered with {op!r} (a {prop.type} property).")
    value = cond.get("value")
    col, known = _column(prop, alias), known_sql(prop, alias)
    if op == "is_known":
        return Compiled(known, [])
    if op == "is_unknown":
        return Compiled(f"NOT {known}", [])
    if op in ("eq", "neq"):
        sign = "=" if op == "eq" else "<>"
        return Compiled(f"({known} AND {col} {sign} ?)", [_scalar(prop, value, me)])
    if op in ("gt", "gte", "lt", "lte"):
        sign = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
        return Compiled(f"({known} AND {col} {sign} ?)", [_scalar(prop, value, me)])
    if op == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise FilterError(f"{prop.label}: 'between' needs a low and a high value.")
        low, high = _scalar(prop, value[0], me), _scalar(prop, value[1], me)
        if low > high:
            raise FilterError(f"{prop.label}: the low value is above the high value.")
        return Compiled(f"({known} AND {col} BETWEEN ? AND ?)", [low, high])
    if op in ("in", "not_in"):
        if not isinstance(value, list | tuple) or not value:
            raise FilterError(f"{prop.label}: choose at least one value.")
        values = [_scalar(prop, v, me) for v in value]
        test = f"list_contains(?, {col})"
        return Compiled(f"({known} AND {'' if op == 'in' else 'NOT '}{test})", [values])
    if op == "contains":
        text = _scalar(prop, value, me)
        return Compiled(f"({known} AND contains({col}, ?))", [text])
    days = _days(prop, value)
    if op == "assigned_to_me_in_last_days":
        user = _id(prop, ME, me)
        since = datetime.combine(today - timedelta(days=days), datetime.min.time())
        return Compiled(
            f'({alias}."{prop.name}" = ? AND {alias}.id IN (SELECT record_id FROM property_history '
            "WHERE object = ? AND property = ? AND new_value = ? AND changed_at >= ?))",
            [user, object_name, prop.name, str(user), since],
        )
    day_col = f'CAST({alias}."{prop.name}" AS DATE)'
    if op == "in_last_days":
        return Compiled(f"({day_col} BETWEEN ? AND ?)", [today - timedelta(days=days), today])
    return Compiled(f"({day_col} < ?)", [today - timedelta(days=days)])


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
    return groups


def compile_filter(spec, props: Mapping[str, Property], *, today: date, me: int | None = None,
                   owner: str | None = None, object_name: str | None = None,
                   alias: str = "r") -> Compiled:  # fmt: skip
    """``spec`` as ``(sql, params)`` for a WHERE clause over the object's table aliased ``alias``."""
    groups = normalise(spec)
    if not groups:
        return Compiled("TRUE", [])
    parts, params = [], []
    for group in groups:
        compiled = [
            _condition(
                c, props, alias=alias, today=today, me=me, owner=owner, object_name=object_name
            )
            for c in group
        ]
        parts.append("(" + " AND ".join(c.sql for c in compiled) + ")")
        for c in compiled:
            params += c.params
    return Compiled("(" + " OR ".join(parts) + ")", params)


def applicable(
    spec,
    props: Mapping[str, Property],
    *,
    today: date,
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
                compile_filter([[cond]], props, today=today, me=me, owner=owner, object_name="_")
            except FilterError as exc:
                problems.append(str(exc))
            else:
                good.append(cond)
        if good:
            kept.append(good)
    return kept, problems


def validate(spec, props: Mapping[str, Property]) -> None:
    """Raise FilterError if the spec could not be applied to an object with these properties."""
    owner = next((p.name for p in props.values() if p.type == "user"), None)
    compile_filter(spec, props, today=date.today(), me=0, owner=owner, object_name="_")


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
    if op in _DAYS:
        return f"{label} is in the last {value} days" if op == "in_last_days" else (
            f"{label} is more than {value} days ago")  # fmt: skip
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    if value == ME:
        value = "me"
    return f"{label} {words} {value}"
