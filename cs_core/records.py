"""Objects, their property catalog, and record counts.

Each object's records live in a table named after the object, one column per
property, so filters and aggregations are plain column scans in DuckDB.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import duckdb

from cs_core import db, snapshot
from cs_core.sql import NameRefused, clean_label, ident
from cs_core.users import Action, User, require

PROPERTY_TYPES = ("string", "number", "date", "datetime", "boolean", "enumeration", "user")
# Objects with pipelines also have pipeline_id / stage_id properties of these two types.
PIPELINE_TYPES = ("pipeline", "stage")
SQL_TYPES = {
    "string": "VARCHAR",
    "number": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "boolean": "BOOLEAN",
    "enumeration": "VARCHAR",
    "user": "BIGINT",
    "pipeline": "BIGINT",
    "stage": "BIGINT",
}
STANDARD_OBJECTS = ("companies", "contacts", "deals", "services")
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
_RESERVED = {
    "users",
    "teams",
    "objects",
    "properties",
    "pipelines",
    "stages",
    "associations",
    "property_history",
    "tasks",
    "meetings",
    "sequences",
    "sequence_enrollments",
    "activities",
    "follows",
    "feed_dismissals",
    "views",
    "settings",
    "health_profiles",
    "health_profile_versions",
    "health_scores",
    "health_current",
    "health_overrides",
    "alerts",
    "reports",
    "dashboards",
    "dashboard_reports",
    "dashboard_access",
    "summary_reports",
    "summary_preferences",
    "workspace_dashboards",
    "counters",
    "schema_migrations",
    "record_merges",
    "record_external_ids",
    "import_mappings",
    "import_runs",
    "import_run_records",
    "job_runs",
    "backups",
}


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    label: str
    label_plural: str
    is_custom: bool
    is_enabled: bool
    primary_property: str


@dataclass(frozen=True)
class Property:
    object: str
    name: str
    label: str
    type: str
    options: tuple[str, ...]
    group_name: str
    is_custom: bool
    is_read_only: bool
    option_labels: tuple[tuple[str, str], ...] = ()  # (value, label) where they differ

    def option_label(self, value) -> str:
        """How an option reads to people (its label, else the value itself)."""
        return dict(self.option_labels).get(value, str(value))


def list_objects(con: duckdb.DuckDBPyConnection, *, enabled_only: bool = True) -> list[ObjectInfo]:
    def read() -> list[ObjectInfo]:
        where = "WHERE is_enabled" if enabled_only else ""
        rows = con.execute(
            "SELECT name, label, label_plural, is_custom, is_enabled, primary_property "
            f"FROM objects {where} ORDER BY position"
        ).fetchall()
        return [ObjectInfo(*r) for r in rows]

    return snapshot.shared(con, "objects", (enabled_only,), ("objects",), read, list)


TASKS = "tasks"  # listed, filtered and viewed like an object, but not one: never imported or scored


def source_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether ``name`` can be listed: an object of the catalog, or the tasks."""
    return name == TASKS or get_object(con, name) is not None


def get_object(con: duckdb.DuckDBPyConnection, name: str) -> ObjectInfo | None:
    def read() -> ObjectInfo | None:
        row = con.execute(
            "SELECT name, label, label_plural, is_custom, is_enabled, primary_property "
            "FROM objects WHERE name = ?",
            [name],
        ).fetchone()
        return ObjectInfo(*row) if row else None

    return snapshot.shared(con, "object", (name,), ("objects",), read)


def list_properties(
    con: duckdb.DuckDBPyConnection, object_name: str, *, types: tuple[str, ...] | None = None
) -> list[Property]:
    """The object's properties from the catalog, optionally only those of some types."""
    types = tuple(types) if types else None
    return snapshot.shared(con, "properties", (object_name, types), ("properties",),
                           lambda: _list_properties(con, object_name, types), list)  # fmt: skip


def _list_properties(con, object_name: str, types: tuple[str, ...] | None) -> list[Property]:
    sql = (
        "SELECT object, name, label, type, options, group_name, is_custom, is_read_only, position "
        "FROM properties WHERE object = ?"
    )
    params: list = [object_name]
    if types:
        sql += " AND list_contains(?, type)"
        params.append(list(types))
    # Sorted here: a few dozen rows, and an ORDER BY would double the time of this frequent read.
    rows = sorted(con.execute(sql, params).fetchall(), key=lambda r: r[8])
    out = []
    for r in rows:
        options, labels = _options(r[4])
        out.append(Property(r[0], r[1], r[2], r[3], options, *r[5:8], option_labels=labels))
    return out


def _options(stored: str | None) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """An enumeration's options (values) and labels from the catalog's JSON: each option a
    value, or a [value, label] pair where people read it differently."""
    values, labels = [], []
    for option in json.loads(stored or "[]"):
        if isinstance(option, list):
            values.append(option[0])
            labels.append((option[0], option[1]))
        else:
            values.append(option)
    return tuple(values), tuple(labels)


def get_property(con: duckdb.DuckDBPyConnection, object_name: str, name: str) -> Property | None:
    for prop in list_properties(con, object_name):
        if prop.name == name:
            return prop
    return None


def count_records(con: duckdb.DuckDBPyConnection, object_name: str) -> int:
    if get_object(con, object_name) is None:
        raise ValueError(f"There is no object named {object_name!r}.")
    return con.execute(f"SELECT count(*) FROM {ident(object_name)}").fetchone()[0]


def custom_object_ddl(
    con: duckdb.DuckDBPyConnection,
    *,
    name: str,
    label: str,
    label_plural: str,
    properties: list[dict],
    has_pipeline: bool = False,
) -> list[tuple[str, list]]:
    """The statements that create a custom object: its table, catalog row and properties.

    ``properties`` are dicts with ``name``, ``label``, ``type`` and, for
    enumerations, ``options``. A ``name`` string property is always added and is
    the primary property; with ``has_pipeline``, ``pipeline_id`` and ``stage_id``
    follow it; ``created_at``, ``updated_at`` and ``last_activity_at`` are added
    too, as on every object. Raises ValueError for a bad name or type.
    """
    if not _NAME.match(name) or name in _RESERVED:
        raise ValueError(
            f"{name!r} cannot name an object: use 2-41 lower-case letters, digits or "
            "underscores, starting with a letter, and not a reserved name."
        )
    if get_object(con, name) is not None:
        raise ValueError(f"An object named {name!r} exists already.")
    try:
        label = clean_label(label, what="An object's label", max_length=100)
        label_plural = clean_label(label_plural, what="An object's plural label", max_length=100)
        properties = [
            {**p, "label": clean_label(p.get("label"), what=f"The label of {p.get('name')!r}")}
            for p in properties
        ]
    except NameRefused as exc:
        raise ValueError(str(exc)) from None
    base = [{"name": "name", "label": "Name", "type": "string"}]
    if has_pipeline:
        base += [
            {"name": "pipeline_id", "label": "Pipeline", "type": "pipeline"},
            {"name": "stage_id", "label": "Stage", "type": "stage"},
        ]
    tail = [
        {"name": "created_at", "label": "Create date", "type": "datetime", "read_only": True},
        {
            "name": "updated_at",
            "label": "Last modified date",
            "type": "datetime",
            "read_only": True,
        },
        {
            "name": "last_activity_at",
            "label": "Last activity date",
            "type": "datetime",
            "read_only": True,
        },
    ]
    reserved_columns = {p["name"] for p in base + tail} | {"id"}
    for prop in properties:
        if not _NAME.match(prop["name"]) or prop["name"] in reserved_columns:
            raise ValueError(f"{prop['name']!r} cannot name a property of {label}.")
        if prop["type"] not in PROPERTY_TYPES:
            raise ValueError(
                f"Property {prop['name']!r} has type {prop['type']!r}; "
                f"use one of {', '.join(PROPERTY_TYPES)}."
            )
    all_props = base + list(properties) + tail
    columns = ", ".join(
        f"{ident(p['name'])} {SQL_TYPES[p['type']]}"
        + (" NOT NULL" if p["name"] in ("name", "created_at", "updated_at") else "")
        for p in all_props
    )
    position = con.execute("SELECT coalesce(max(position), 0) + 1 FROM objects").fetchone()[0]
    statements: list[tuple[str, list]] = [
        (f"CREATE TABLE {ident(name)} (id BIGINT PRIMARY KEY, {columns})", []),
        (
            "INSERT INTO objects VALUES (?, ?, ?, TRUE, TRUE, 'name', ?)",
            [name, label, label_plural, position],
        ),
    ]
    for i, p in enumerate(all_props, start=1):
        options = json.dumps(p.get("options", [])) if p["type"] == "enumeration" else None
        group = "System" if p.get("read_only") else f"{label} information"
        statements.append(
            (
                "INSERT INTO properties VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    name,
                    p["name"],
                    p["label"],
                    p["type"],
                    options,
                    group,
                    True,
                    bool(p.get("read_only")),
                    i,
                ],
            )
        )
    return statements


def create_custom_object(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: User,
    name: str,
    label: str,
    label_plural: str,
    properties: list[dict],
    has_pipeline: bool = False,
) -> ObjectInfo:
    """Create a custom object (settings managers only); see :func:`custom_object_ddl`."""
    require(actor, Action.MANAGE_SETTINGS)

    def _create(cur):
        # Made inside the transaction: the name check and the next position see every object
        # created before this one, so two at once cannot take one name or one place.
        statements = custom_object_ddl(
            cur, name=name, label=label, label_plural=label_plural,
            properties=properties, has_pipeline=has_pipeline,
        )  # fmt: skip
        for sql, params in statements:
            cur.execute(sql, params)

    db.write(con, _create)
    return get_object(con, name)


def count_owned(
    con: duckdb.DuckDBPyConnection, object_name: str, *, owner_property: str, user_id: int
) -> int:
    """How many records of the object the user owns through ``owner_property``."""
    prop = get_property(con, object_name, owner_property)
    if prop is None or prop.type != "user":
        raise ValueError(f"{owner_property!r} is not a user property of {object_name!r}.")
    return con.execute(
        f"SELECT count(*) FROM {ident(object_name)} WHERE {ident(prop.name)} = ?", [user_id]
    ).fetchone()[0]
