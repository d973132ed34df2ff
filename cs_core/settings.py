"""Workspace settings for the Customers, Services and Revenue tabs (S-1..S-4).

Settings are validated against the property catalog and pipelines before they
are saved, stored as JSON in the ``settings`` table, and read on every rerun, so
a change takes effect on every tab without a restart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

import duckdb

from cs_core.pipelines import list_pipelines
from cs_core.records import get_object, list_objects, list_properties
from cs_core.settings_store import UNSEEN, SettingsError
from cs_core.settings_store import save as _save
from cs_core.settings_store import stored as _stored
from cs_core.users import Action, User, require

LAYOUTS = ("table", "board")
MAX_REVENUE_OBJECTS = 2


@dataclass(frozen=True)
class CustomerSettings:
    object: str
    owner_property: str
    renewal_date_property: str | None = None


@dataclass(frozen=True)
class ObjectSettings:
    """Settings for one object shown on the Services or Revenue tab."""

    object: str
    owner_property: str
    renewal_date_property: str | None = None
    pipelines: tuple[int, ...] = ()
    default_pipeline: int | None = None
    default_layout: str = "table"
    # The properties retention reads from a revenue object's lines (spec/retention.md): the
    # ARR (number), the first active day and the first day no longer active (dates). Unset
    # ARR or start: the object is not a ledger. Services ignore them.
    arr_property: str | None = None
    start_property: str | None = None
    end_property: str | None = None

    @property
    def is_ledger(self) -> bool:
        return bool(self.arr_property and self.start_property)


@dataclass(frozen=True)
class RevenueSettings:
    objects: tuple[ObjectSettings, ...] = field(default_factory=tuple)
    default_object: str | None = None

    def for_object(self, name: str) -> ObjectSettings | None:
        return next((o for o in self.objects if o.object == name), None)


# --- which objects and properties may be chosen ---------------------------------------


def customer_object_choices(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Companies, contacts, or a custom object (S-1)."""
    return [o.name for o in list_objects(con) if o.name in ("companies", "contacts") or o.is_custom]


def service_object_choices(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The services object (when enabled), or a custom object (S-2)."""
    return [o.name for o in list_objects(con) if o.name == "services" or o.is_custom]


def revenue_object_choices(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Deals, subscriptions, or a custom object (S-3)."""
    return [
        o.name for o in list_objects(con) if o.name in ("deals", "subscriptions") or o.is_custom
    ]


def number_property_choices(con: duckdb.DuckDBPyConnection, object_name: str) -> list[str]:
    return [p.name for p in list_properties(con, object_name, types=("number",))]


def retention_roles(
    con: duckdb.DuckDBPyConnection, object_name: str
) -> tuple[str | None, str | None, str | None]:
    """The default ARR, start and end properties of a revenue object: ``arr``,
    ``start_date`` and ``end_date`` where it has them with the right types."""
    types = {p.name: p.type for p in list_properties(con, object_name)}
    arr = "arr" if types.get("arr") == "number" else None
    start = "start_date" if arr and types.get("start_date") == "date" else None
    end = "end_date" if start and types.get("end_date") == "date" else None
    return (arr, start, end) if start else (None, None, None)


def owner_property_choices(con: duckdb.DuckDBPyConnection, object_name: str) -> list[str]:
    return [p.name for p in list_properties(con, object_name, types=("user",))]


def date_property_choices(con: duckdb.DuckDBPyConnection, object_name: str) -> list[str]:
    return [p.name for p in list_properties(con, object_name, types=("date",))]


# --- reading ------------------------------------------------------------------------


def _first(preferred: str, choices: list[str]) -> str | None:
    if preferred in choices:
        return preferred
    return choices[0] if choices else None


def _default_object_settings(
    con: duckdb.DuckDBPyConnection,
    object_name: str,
    *,
    owner: str,
    renewal: str | None,
    layout: str,
) -> ObjectSettings:
    pipes = tuple(p.id for p in list_pipelines(con, object_name))
    dates = date_property_choices(con, object_name)
    return ObjectSettings(
        object=object_name,
        owner_property=_first(owner, owner_property_choices(con, object_name)) or "",
        renewal_date_property=renewal if renewal in dates else None,
        pipelines=pipes,
        default_pipeline=pipes[0] if pipes else None,
        default_layout=layout,
    )


def _object_settings(value: dict) -> ObjectSettings:
    """Stored settings; retention roles stored before they existed read as unset (the
    revenue reader fills in the defaults)."""
    return ObjectSettings(
        object=value["object"],
        owner_property=value["owner_property"],
        renewal_date_property=value.get("renewal_date_property"),
        pipelines=tuple(value.get("pipelines", ())),
        default_pipeline=value.get("default_pipeline"),
        default_layout=value.get("default_layout", "table"),
        arr_property=value.get("arr_property"),
        start_property=value.get("start_property"),
        end_property=value.get("end_property"),
    )


def get_customer_settings(con: duckdb.DuckDBPyConnection) -> CustomerSettings:
    stored = _stored(con, "customers")
    if stored:
        return CustomerSettings(**stored)
    obj = _first("companies", customer_object_choices(con)) or "companies"
    dates = date_property_choices(con, obj)
    return CustomerSettings(
        object=obj,
        owner_property=_first("csm_id", owner_property_choices(con, obj)) or "",
        renewal_date_property="renewal_date" if "renewal_date" in dates else None,
    )


def get_service_settings(con: duckdb.DuckDBPyConnection) -> ObjectSettings | None:
    """The Services tab's settings, or None when no service object is available."""
    stored = _stored(con, "services")
    if stored:
        return _object_settings(stored)
    obj = _first("services", service_object_choices(con))
    if obj is None:
        return None
    return _default_object_settings(con, obj, owner="owner_id", renewal=None, layout="board")


def get_revenue_settings(con: duckdb.DuckDBPyConnection) -> RevenueSettings:
    stored = _stored(con, "revenue")
    if stored:
        objects = []
        for value in stored["objects"]:
            obj = _object_settings(value)
            if "arr_property" not in value:  # saved before the roles existed: the defaults
                arr, start, end = retention_roles(con, obj.object)
                obj = replace(obj, arr_property=arr, start_property=start, end_property=end)
            objects.append(obj)
        return RevenueSettings(objects=tuple(objects), default_object=stored.get("default_object"))
    obj = _first("deals", revenue_object_choices(con))
    if obj is None:
        return RevenueSettings()
    deals = _default_object_settings(
        con, obj, owner="owner_id", renewal="close_date", layout="table"
    )
    arr, start, end = retention_roles(con, obj)
    deals = replace(deals, arr_property=arr, start_property=start, end_property=end)
    return RevenueSettings(objects=(deals,), default_object=obj)


# --- validation ---------------------------------------------------------------------


def _label(con: duckdb.DuckDBPyConnection, object_name: str) -> str:
    info = get_object(con, object_name)
    return info.label_plural if info else object_name


def _check_properties(
    con: duckdb.DuckDBPyConnection,
    object_name: str,
    owner: str,
    renewal: str | None,
    what: str,
) -> list[str]:
    problems = []
    props = {p.name: p for p in list_properties(con, object_name)}
    label = _label(con, object_name)
    if owner not in props:
        problems.append(f"{what}: {label} have no property {owner!r} for the owner.")
    elif props[owner].type != "user":
        problems.append(
            f"{what}: the owner property must be a user property; "
            f"{props[owner].label!r} is a {props[owner].type} property."
        )
    if renewal:
        if renewal not in props:
            problems.append(f"{what}: {label} have no property {renewal!r} for the renewal date.")
        elif props[renewal].type != "date":
            problems.append(
                f"{what}: the renewal date must be a date property; "
                f"{props[renewal].label!r} is a {props[renewal].type} property."
            )
    return problems


def _check_object_settings(
    con: duckdb.DuckDBPyConnection, value: ObjectSettings, choices: list[str], what: str
) -> list[str]:
    if value.object not in choices:
        allowed = ", ".join(_label(con, c) for c in choices) or "none available"
        return [f"{what}: {value.object!r} cannot be chosen here (choose from: {allowed})."]
    problems = _check_properties(
        con, value.object, value.owner_property, value.renewal_date_property, what
    )
    available = {p.id: p.label for p in list_pipelines(con, value.object)}
    label = _label(con, value.object)
    unknown = [p for p in value.pipelines if p not in available]
    if unknown:
        problems.append(f"{what}: {label} have no pipeline with id {unknown[0]}.")
    if len(set(value.pipelines)) != len(value.pipelines):
        problems.append(f"{what}: a pipeline is listed twice.")
    if available and not value.pipelines:
        problems.append(f"{what}: choose at least one pipeline to show.")
    if value.pipelines and value.default_pipeline not in value.pipelines:
        problems.append(f"{what}: the default pipeline must be one of the pipelines shown.")
    if value.default_layout not in LAYOUTS:
        problems.append(f"{what}: the default layout must be 'table' or 'board'.")
    return problems


def validate_customer_settings(con: duckdb.DuckDBPyConnection, value: CustomerSettings) -> None:
    choices = customer_object_choices(con)
    if value.object not in choices:
        allowed = ", ".join(_label(con, c) for c in choices)
        raise SettingsError(
            [f"Customers: {value.object!r} cannot be the account object (choose from: {allowed})."]
        )
    problems = _check_properties(
        con, value.object, value.owner_property, value.renewal_date_property, "Customers"
    )
    if problems:
        raise SettingsError(problems)


def validate_service_settings(con: duckdb.DuckDBPyConnection, value: ObjectSettings) -> None:
    problems = _check_object_settings(con, value, service_object_choices(con), "Services")
    if problems:
        raise SettingsError(problems)


def _check_retention_roles(
    con: duckdb.DuckDBPyConnection, value: ObjectSettings, what: str
) -> list[str]:
    """ARR a number property, start and end date properties; ARR and start together."""
    props = {p.name: p for p in list_properties(con, value.object)}
    label = _label(con, value.object)
    problems = []
    for role, name, kind in (("ARR", value.arr_property, "number"),
                             ("start date", value.start_property, "date"),
                             ("end date", value.end_property, "date")):  # fmt: skip
        if not name:
            continue
        if name not in props:
            problems.append(f"{what}: {label} have no property {name!r} for the {role} of a line.")
        elif props[name].type != kind:
            problems.append(
                f"{what}: the {role} of a line must be a {kind} property; "
                f"{props[name].label!r} is a {props[name].type} property."
            )
    if bool(value.arr_property) != bool(value.start_property):
        problems.append(
            f"{what}: retention needs both the ARR and the start date of a line (or neither)."
        )
    elif value.end_property and not value.arr_property:
        problems.append(f"{what}: an end date is only used with the ARR and start date.")
    names = [n for n in (value.start_property, value.end_property) if n]
    if len(set(names)) != len(names):
        problems.append(f"{what}: the start and end dates of a line must be different properties.")
    return problems


def validate_revenue_settings(con: duckdb.DuckDBPyConnection, value: RevenueSettings) -> None:
    problems = []
    names = [o.object for o in value.objects]
    if not names:
        problems.append("Revenue: choose at least one revenue object.")
    if len(names) > MAX_REVENUE_OBJECTS:
        problems.append(
            f"Revenue: at most {MAX_REVENUE_OBJECTS} revenue objects can be chosen "
            f"({len(names)} were given)."
        )
    if len(set(names)) != len(names):
        problems.append("Revenue: the same object is chosen twice.")
    if names and value.default_object not in names:
        problems.append("Revenue: the default object must be one of the chosen objects.")
    choices = revenue_object_choices(con)
    for obj in value.objects:
        what = f"Revenue ({_label(con, obj.object)})"
        problems += _check_object_settings(con, obj, choices, what)
        if obj.object in choices:
            problems += _check_retention_roles(con, obj, what)
    if problems:
        raise SettingsError(problems)


# --- saving -------------------------------------------------------------------------


def save_customer_settings(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: User,
    value: CustomerSettings,
    now: datetime,
    expected=UNSEEN,
) -> None:
    """Save the Customers section; with ``expected`` (the settings the editor opened), refused
    when someone saved the section since (as every save below)."""
    require(actor, Action.MANAGE_SETTINGS)
    validate_customer_settings(con, value)
    _save(con, "customers", asdict(value), actor, now, expected=expected,
          current=get_customer_settings)  # fmt: skip


def save_service_settings(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: User,
    value: ObjectSettings,
    now: datetime,
    expected=UNSEEN,
) -> None:
    require(actor, Action.MANAGE_SETTINGS)
    validate_service_settings(con, value)
    _save(con, "services", asdict(value), actor, now, expected=expected,
          current=get_service_settings)  # fmt: skip


def save_revenue_settings(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: User,
    value: RevenueSettings,
    now: datetime,
    expected=UNSEEN,
) -> None:
    require(actor, Action.MANAGE_SETTINGS)
    validate_revenue_settings(con, value)
    stored = {"objects": [asdict(o) for o in value.objects], "default_object": value.default_object}
    _save(con, "revenue", stored, actor, now, expected=expected, current=get_revenue_settings)


def last_change(con: duckdb.DuckDBPyConnection, key: str) -> tuple[datetime, str | None] | None:
    """When a section was last saved and by whom (None if never)."""
    row = con.execute(
        "SELECT s.updated_at, u.name FROM settings s LEFT JOIN users u ON u.id = s.updated_by "
        "WHERE s.key = ?",
        [key],
    ).fetchone()
    return (row[0], row[1]) if row else None
