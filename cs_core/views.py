"""Saved views over an object: standard, custom and default views (CUS-1, CUS-3, CUS-4).

A view is a name, a sharing (private or everyone), a filter spec, columns and a
sort. Views are stored per object, so every tab that lists records reuses them.
Every change reads the view inside its own transaction and writes only the fields
it changes, so two people changing one view at once (one renames it, the other
picks columns) both keep their change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb

from cs_core import clock, db, filters, snapshot
from cs_core.record_list import listing_properties
from cs_core.records import TASKS, get_object, list_properties, source_exists
from cs_core.sql import NameRefused, clean_label, ident
from cs_core.tasks import DUE_SORT, TASK_COLUMNS, TASK_SORT, TASK_VIEWS
from cs_core.users import Action, PermissionDenied, User, can, require

SHARING = ("private", "everyone")
MAX_DEFAULT_VIEWS = 6
MAX_NAME = 100
ASSIGNED_DAYS = 30
# key -> (name, filter spec); "$owner" is the object's owner property from settings.
STANDARD_VIEWS = {
    "owned_by_me": (
        "Owned by me",
        [[{"property": filters.OWNER, "operator": "eq", "value": filters.ME}]],
    ),
    "assigned_recently": (
        f"Assigned to me in the last {ASSIGNED_DAYS} days",
        [
            [
                {
                    "property": filters.OWNER,
                    "operator": "assigned_to_me_in_last_days",
                    "value": ASSIGNED_DAYS,
                }
            ]
        ],
    ),
}


def standard_views(object_name: str) -> dict[str, tuple[str, list]]:
    """The standard views an object (or the tasks) starts with, by key."""
    return TASK_VIEWS if object_name == TASKS else STANDARD_VIEWS


class ViewError(ValueError):
    """A view change that was refused; the message says why."""


@dataclass(frozen=True)
class View:
    id: int
    object: str
    name: str
    owner_id: int | None
    owner_name: str | None
    sharing: str
    is_standard: bool
    filters: list
    columns: list[str]
    sort: list[dict]
    is_default: bool
    default_position: int | None
    description: str | None
    standard_key: str | None = None

    @property
    def kind(self) -> str:
        """standard, default, mine or shared: where the view is listed."""
        if self.is_standard:
            return "standard"
        if self.is_default:
            return "default"
        return "shared" if self.sharing == "everyone" else "mine"


_SELECT = """
SELECT v.id, v.object, v.name, v.owner_id, u.name, v.sharing, v.is_standard, v.filters,
       v.columns, v.sort, v.is_default, v.default_position, v.description, v.standard_key
FROM views v LEFT JOIN users u ON u.id = v.owner_id
"""


def _view(row) -> View:
    return View(*row[:7], json.loads(row[7]), json.loads(row[8]), json.loads(row[9]), *row[10:])


def default_columns(con: duckdb.DuckDBPyConnection, object_name: str, owner_property: str | None,
                    renewal_property: str | None = None) -> list[str]:  # fmt: skip
    """The columns a new view starts with: name, owner, renewal, last activity, create date
    (a task view: title, type, priority, due date, record, owner, status)."""
    if object_name == TASKS:
        return list(TASK_COLUMNS)
    info = get_object(con, object_name)
    names = {p.name for p in list_properties(con, object_name)}
    wanted = [info.primary_property if info else "name", owner_property, renewal_property,
              "last_activity_at", "created_at"]  # fmt: skip
    return [c for c in dict.fromkeys(wanted) if c and c in names]


def ensure_standard_views(
    con: duckdb.DuckDBPyConnection, object_name: str, *, now: datetime
) -> None:
    """Create the object's standard views once (a deleted one is not created again).

    The key (object, standard_key) is unique, so two first sessions at once add them once.
    """
    sql = "SELECT standard_key FROM views WHERE object = ? AND is_standard"
    present = snapshot.shared(con, "standard views", (object_name,), ("views",),
                              lambda: frozenset(r[0] for r in con.execute(sql, [object_name]).fetchall()))  # fmt: skip
    wanted = standard_views(object_name)
    if all(k in present for k in wanted):
        return
    now = clock.utc_naive(now)
    columns = TASK_COLUMNS if object_name == TASKS else []

    def _add(cur):
        for key, (name, spec) in wanted.items():
            sort = TASK_SORT.get(key, DUE_SORT) if object_name == TASKS else []
            cur.execute(
                "INSERT INTO views (id, object, name, owner_id, sharing, is_standard, filters, "
                "columns, sort, is_default, created_at, updated_at, standard_key) "
                "VALUES (?, ?, ?, NULL, 'everyone', TRUE, ?, ?, ?, FALSE, ?, ?, ?) "
                "ON CONFLICT (object, standard_key) DO NOTHING",
                [db.new_id(cur, "views"), object_name, name, json.dumps(spec), json.dumps(columns),
                 json.dumps(sort), now, now, key],
            )  # fmt: skip

    db.write(con, _add)


def list_views(con: duckdb.DuckDBPyConnection, *, object_name: str, user: User) -> list[View]:
    """Views the user can open: standard, default (in their order), their own, shared."""
    where = ("v.object = ? AND v.deleted_at IS NULL AND (v.sharing = 'everyone' OR v.owner_id = ?)"
             " ORDER BY v.is_standard DESC, v.is_default DESC, v.default_position,"
             " CASE WHEN v.is_standard THEN v.id END, lower(v.name), v.id")  # fmt: skip
    return _views(con, where, (object_name, user.id))


def get_view(con: duckdb.DuckDBPyConnection, view_id: int) -> View | None:
    row = con.execute(_SELECT + " WHERE v.id = ? AND v.deleted_at IS NULL", [view_id]).fetchone()
    return _view(row) if row else None


def default_views(con: duckdb.DuckDBPyConnection, object_name: str) -> list[View]:
    """The object's default views in the order admins chose (at most six)."""
    order = "ORDER BY v.default_position, v.id"
    return _views(
        con, f"v.object = ? AND v.is_default AND v.deleted_at IS NULL {order}", (object_name,)
    )


def _views(con, where: str, params: tuple) -> list[View]:
    """The views of ``_SELECT WHERE where``: the rows are shared (cs_core.snapshot), and each
    caller gets its own views (their filters and columns are lists)."""
    rows = snapshot.shared(con, "views", (where, params), ("views", "users"),
                           lambda: con.execute(f"{_SELECT} WHERE {where}", list(params)).fetchall())  # fmt: skip
    return [_view(r) for r in rows]


# --- checks ---------------------------------------------------------------------------


def _check_content(con, object_name: str, spec, columns: list[str], sort: list[dict]) -> None:
    props = listing_properties(con, object_name)
    filters.validate(spec, props)
    unknown = [c for c in columns if c not in props]
    if unknown:
        raise ViewError(f"There is no property {unknown[0]!r} to show as a column.")
    for item in sort:
        if item.get("property") not in props:
            raise ViewError(f"There is no property {item.get('property')!r} to sort by.")
        if item.get("direction", "asc") not in ("asc", "desc"):
            raise ViewError("A sort direction must be 'asc' or 'desc'.")


def _check_name(con, object_name: str, name: str, owner_id: int, exclude: int | None) -> str:
    if not (name or "").strip():
        raise ViewError("Give the view a name.")
    try:
        name = clean_label(name, what="A view name", max_length=MAX_NAME)
    except NameRefused as exc:
        raise ViewError(str(exc)) from None
    clash = con.execute(
        "SELECT count(*) FROM views WHERE object = ? AND deleted_at IS NULL AND lower(name) = lower(?) "
        "AND (sharing = 'everyone' OR owner_id = ?) AND id IS DISTINCT FROM ?",
        [object_name, name, owner_id, exclude],
    ).fetchone()[0]
    if clash:
        raise ViewError(f"There is a view called {name!r} already; choose another name.")
    return name


def _check_sharing(actor: User, sharing: str) -> None:
    if sharing not in SHARING:
        raise ViewError("Sharing must be 'private' or 'everyone'.")
    if sharing == "everyone":
        require(actor, Action.SHARE_VIEWS_WITH_EVERYONE)


def may_edit(user: User, view: View) -> bool:
    """Own private views; shared views for settings managers; standard views never."""
    if view.is_standard or not can(user, Action.USE_WORKSPACE):
        return False
    if view.sharing == "everyone":
        return can(user, Action.SHARE_VIEWS_WITH_EVERYONE)
    return view.owner_id == user.id


def may_delete(user: User, view: View) -> bool:
    """As :func:`may_edit`; standard views: settings managers who use the workspace."""
    if view.is_standard:
        return can(user, Action.USE_WORKSPACE) and can(user, Action.SHARE_VIEWS_WITH_EVERYONE)
    return may_edit(user, view)


def _require_view(con, view_id: int) -> View:
    view = get_view(con, view_id)
    if view is None:
        raise ViewError("That view does not exist any more.")
    return view


# --- writes ---------------------------------------------------------------------------


def create_view(con: duckdb.DuckDBPyConnection, *, actor: User, object_name: str, name: str,
                sharing: str = "private", spec=None, columns: list[str] | None = None,
                sort: list[dict] | None = None, now: datetime) -> View:  # fmt: skip
    """A new custom view; sharing with everyone needs the manage-settings permission."""
    require(actor, Action.USE_WORKSPACE)
    _check_sharing(actor, sharing)
    if not source_exists(con, object_name):
        raise ViewError(f"There is no object {object_name!r}.")
    spec, columns, sort = filters.normalise(spec), list(columns or []), list(sort or [])
    _check_content(con, object_name, spec, columns, sort)
    now = clock.utc_naive(now)

    def _insert(cur):
        checked = _check_name(cur, object_name, name, actor.id, None)
        view_id = db.new_id(cur, "views")
        cur.execute(
            "INSERT INTO views (id, object, name, owner_id, sharing, is_standard, filters, columns, "
            "sort, is_default, created_at, updated_at) VALUES (?, ?, ?, ?, ?, FALSE, ?, ?, ?, FALSE, ?, ?)",
            [view_id, object_name, checked, actor.id, sharing, json.dumps(spec), json.dumps(columns),
             json.dumps(sort), now, now],
        )  # fmt: skip
        return view_id

    return get_view(con, db.write(con, _insert))


def update_view(con: duckdb.DuckDBPyConnection, *, actor: User, view_id: int, now: datetime,
                name: str | None = None, sharing: str | None = None, spec=None,
                columns: list[str] | None = None, sort: list[dict] | None = None) -> View:  # fmt: skip
    """Change a view's name, sharing, filters, columns or sort: only what is given is written."""
    require(actor, Action.USE_WORKSPACE)
    now = clock.utc_naive(now)

    def _update(cur):
        view = _require_view(cur, view_id)
        if view.is_standard:
            raise ViewError("Standard views cannot be edited; create a view of your own instead.")
        if not may_edit(actor, view):
            raise PermissionDenied(f"{actor.name} may not edit the view {view.name!r}.")
        fields: dict[str, object] = {}
        if name is not None:
            fields["name"] = _check_name(cur, view.object, name, view.owner_id or actor.id, view.id)
        if sharing is not None and sharing != view.sharing:
            _check_sharing(actor, sharing)
            if sharing == "private" and view.is_default:
                raise ViewError(
                    "A default view must stay shared with everyone; remove it as default first."
                )
            fields["sharing"] = sharing
        new_spec = filters.normalise(spec) if spec is not None else view.filters
        new_columns = list(columns) if columns is not None else view.columns
        new_sort = list(sort) if sort is not None else view.sort
        _check_content(cur, view.object, new_spec, new_columns, new_sort)
        if spec is not None:
            fields["filters"] = json.dumps(new_spec)
        if columns is not None:
            fields["columns"] = json.dumps(new_columns)
        if sort is not None:
            fields["sort"] = json.dumps(new_sort)
        if not fields:
            return
        sets = ", ".join(f"{ident(k)} = ?" for k in fields)
        cur.execute(
            f"UPDATE views SET {sets}, updated_at = ? WHERE id = ?",
            [*fields.values(), now, view.id],
        )

    db.write(con, _update)
    return get_view(con, view_id)


def delete_view(
    con: duckdb.DuckDBPyConnection, *, actor: User, view_id: int, now: datetime
) -> None:
    """Delete a view (the UI asks for confirmation first); standard views are marked deleted."""
    require(actor, Action.USE_WORKSPACE)
    now = clock.utc_naive(now)

    def _delete(cur):
        view = _require_view(cur, view_id)
        if not may_delete(actor, view):
            raise PermissionDenied(f"{actor.name} may not delete the view {view.name!r}.")
        if view.is_default:
            _renumber(cur, [v.id for v in default_views(cur, view.object) if v.id != view.id])
        if view.is_standard:
            cur.execute("UPDATE views SET deleted_at = ? WHERE id = ?", [now, view.id])
        else:
            cur.execute("DELETE FROM views WHERE id = ?", [view.id])

    db.write(con, _delete)


def set_default(con: duckdb.DuckDBPyConnection, *, actor: User, view_id: int, description: str,
                now: datetime) -> View:  # fmt: skip
    """Make a view shared with everyone a default view (a Summary card) with a description."""
    require(actor, Action.MANAGE_DEFAULT_VIEWS)
    if not (description or "").strip():
        raise ViewError("Describe the default view; the description shows on its Summary card.")
    try:
        description = clean_label(description, what="A description", max_length=300, multiline=True)
    except NameRefused as exc:
        raise ViewError(str(exc)) from None
    now = clock.utc_naive(now)

    def _set(cur):
        view = _require_view(cur, view_id)
        if view.is_standard or view.sharing != "everyone":
            raise ViewError("Only custom views shared with everyone can be default views.")
        others = [v for v in default_views(cur, view.object) if v.id != view.id]
        if not view.is_default and len(others) >= MAX_DEFAULT_VIEWS:
            raise ViewError(
                f"There can be at most {MAX_DEFAULT_VIEWS} default views; remove one first."
            )
        position = view.default_position if view.is_default else len(others) + 1
        cur.execute(
            "UPDATE views SET is_default = TRUE, description = ?, default_position = ?, updated_at = ? "
            "WHERE id = ?",
            [description, position, now, view.id],
        )

    db.write(con, _set)
    return get_view(con, view_id)


def remove_default(
    con: duckdb.DuckDBPyConnection, *, actor: User, view_id: int, now: datetime
) -> None:
    require(actor, Action.MANAGE_DEFAULT_VIEWS)
    now = clock.utc_naive(now)

    def _remove(cur):
        view = _require_view(cur, view_id)
        remaining = [v.id for v in default_views(cur, view.object) if v.id != view.id]
        cur.execute(
            "UPDATE views SET is_default = FALSE, default_position = NULL, updated_at = ? WHERE id = ?",
            [now, view.id],
        )
        _renumber(cur, remaining)

    db.write(con, _remove)


def reorder_defaults(con: duckdb.DuckDBPyConnection, *, actor: User, object_name: str,
                     view_ids: list[int]) -> None:  # fmt: skip
    """Put the object's default views in this order (every default view, once)."""
    require(actor, Action.MANAGE_DEFAULT_VIEWS)
    order = list(view_ids)

    def _reorder(cur):
        # The default views as they are now, in this transaction: an order made from a list
        # that changed meanwhile (a view added or removed) is refused, not half applied.
        current = {v.id for v in default_views(cur, object_name)}
        if set(order) != current or len(order) != len(current):
            raise ViewError("The default views changed meanwhile; reload and reorder them again.")
        _renumber(cur, order)

    db.write(con, _reorder)


def _renumber(cur, view_ids: list[int]) -> None:
    for position, view_id in enumerate(view_ids, start=1):
        cur.execute("UPDATE views SET default_position = ? WHERE id = ?", [position, view_id])
