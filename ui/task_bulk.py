"""The Actions tab's task table with row selection, and the bulk actions on the selection
(ACT-3, ACT-4): tick rows, tick every row of the page, or select every task matching the
filter; then complete, reopen, assign, edit a property or delete (after a confirmation
that names how many)."""

from __future__ import annotations

import hashlib

import duckdb
import streamlit as st

from cs_core import clock, task_actions
from cs_core.record_list import Query, RecordPage, Viewer
from cs_core.records import Property
from cs_core.task_actions import BulkResult, Selection
from cs_core.tasks import TaskRefused
from cs_core.users import PermissionDenied, User
from ui import db, record_panel, record_table, state
from ui import text as ut

SELECT = "Select"


def _selected(prefix: str) -> set[int]:
    return st.session_state.setdefault(f"{prefix}.selected", set())


def clear(prefix: str) -> None:
    """No task selected (a view or filter changed, or an action ran)."""
    st.session_state[f"{prefix}.selected"] = set()
    st.session_state[f"{prefix}.all_matching"] = False
    st.session_state[f"{prefix}.grid_gen"] = st.session_state.get(f"{prefix}.grid_gen", 0) + 1


def table(page: RecordPage, *, prefix: str, props: list[Property]) -> None:
    """The page's tasks with a tick box each; the ticks are kept across pages."""
    chosen = _selected(prefix)
    every = st.session_state.get(f"{prefix}.all_matching", False)
    ids = [int(i) for i in page.rows["id"]]
    frame = page.rows.copy()
    frame.insert(0, SELECT, [every or i in chosen for i in ids])
    # A new grid (its own edits) for other rows, and after the selection changed wholesale.
    digest = hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:12]
    key = f"{prefix}.grid.{st.session_state.get(f'{prefix}.grid_gen', 0)}.{digest}"
    config = record_table.column_config(props)
    config[SELECT] = st.column_config.CheckboxColumn(SELECT, width=60, help="Select this task")
    edited = st.data_editor(
        frame, hide_index=True, width="stretch", key=key, column_config=config,
        disabled=[c for c in frame.columns if c != SELECT], height=record_table.table_height(len(frame)),
    )  # fmt: skip
    ticked = {i for i, on in zip(ids, edited[SELECT], strict=True) if on}
    if every and len(ticked) < len(ids):  # unticking one leaves "every match"
        st.session_state[f"{prefix}.all_matching"] = False
    st.session_state[f"{prefix}.selected"] = (chosen - set(ids)) | ticked


def selection_bar(con: duckdb.DuckDBPyConnection, page: RecordPage, *, prefix: str, user: User,
                  query: Query, viewer: Viewer, props: dict[str, Property], users: dict[int, str]) -> None:  # fmt: skip
    """How many are selected, the ways to select more, and the actions on them."""
    if refused := st.session_state.pop(f"{prefix}.refused", None):
        ut.error(refused)
    chosen = _selected(prefix)
    every = st.session_state.get(f"{prefix}.all_matching", False)
    n = page.total if every else len(chosen)
    a, b, c = st.columns([2, 2, 3], vertical_alignment="center")
    a.markdown(f"**{n:,}** selected" if n else "No task selected")
    if b.button(
        "Select all on this page", key=f"{prefix}.select_page", icon=":material/select_all:"
    ):
        st.session_state[f"{prefix}.selected"] = chosen | {int(i) for i in page.rows["id"]}
        st.session_state[f"{prefix}.grid_gen"] = st.session_state.get(f"{prefix}.grid_gen", 0) + 1
        st.rerun()
    if not every and page.total > len(page.rows):
        if c.button(
            f"Select all {page.total:,} tasks matching this filter", key=f"{prefix}.select_all"
        ):
            st.session_state[f"{prefix}.all_matching"] = True
            st.session_state[f"{prefix}.grid_gen"] = (
                st.session_state.get(f"{prefix}.grid_gen", 0) + 1
            )
            st.rerun()
    elif n and c.button("Clear selection", key=f"{prefix}.select_none"):
        clear(prefix)
        st.rerun()
    if every:
        st.info(f"All {page.total:,} tasks matching this filter are selected, on every page.",
                icon=":material/done_all:")  # fmt: skip
    if not n:
        return
    selection = Selection.matching(query, viewer) if every else Selection(ids=tuple(sorted(chosen)))
    _actions(con, selection, n, prefix=prefix, user=user, props=props, users=users)


def _run(prefix: str, action, what: str, **kwargs) -> None:
    refused = _apply(prefix, action, what, **kwargs)
    if refused is not None:
        ut.error(refused)
        return
    st.rerun()


def _clicked(prefix: str, action, what: str, selection: Selection, user: User) -> None:
    """A button's action, made before the page runs (its callback), so that the click's own
    run shows the result (a refusal: ``{prefix}.refused``, shown by the selection bar)."""
    st.session_state[f"{prefix}.refused"] = _apply(
        prefix, action, what, con=db.connection(), actor=user, selection=selection, now=clock.now()
    )


def _apply(prefix: str, action, what: str, **kwargs) -> str | None:
    """Run the bulk action; the refusal's message, or None once it is done (and confirmed on
    the next toast)."""
    try:
        result: BulkResult = action(**kwargs)
    except (TaskRefused, PermissionDenied, ValueError) as exc:
        return str(exc)
    clear(prefix)
    st.session_state[f"{prefix}.confirm_delete"] = False
    tail = f" ({result.unchanged:,} already were)" if result.unchanged else ""
    state.flash(f"{result.changed:,} task{'s' if result.changed != 1 else ''} {what}{tail}.")
    return None


def _actions(con, selection: Selection, n: int, *, prefix: str, user: User, props: dict[str, Property],
             users: dict[int, str]) -> None:  # fmt: skip
    base = {"con": con, "actor": user, "selection": selection, "now": clock.now()}
    cols = st.columns(5)
    cols[0].button("Mark complete", key=f"{prefix}.bulk.complete", icon=":material/task_alt:",
                   on_click=_clicked, args=(prefix, task_actions.complete, "marked complete", selection, user))  # fmt: skip
    cols[1].button("Mark not complete", key=f"{prefix}.bulk.reopen", icon=":material/undo:",
                   on_click=_clicked, args=(prefix, task_actions.reopen, "marked not complete", selection, user))  # fmt: skip
    with cols[2].popover("Assign", icon=":material/person:", key=f"{prefix}.bulk.assign_menu"):
        ids = [None, *users]
        owner = st.selectbox("Assign to", ids, index=ids.index(user.id) if user.id in ids else 0,
                             format_func=lambda i: "(nobody)" if i is None else users[i],
                             key=f"{prefix}.bulk.owner")  # fmt: skip
        if st.button(f"Assign {n:,} tasks", type="primary", key=f"{prefix}.bulk.assign"):
            _run(prefix, task_actions.assign, "assigned", owner_id=owner, **base)
    with cols[3].popover("Edit a property", icon=":material/edit:", key=f"{prefix}.bulk.edit_menu"):
        editable = {k: p for k, p in props.items() if not p.is_read_only and p.type != "record"}
        name = st.selectbox("Property", list(editable), format_func=lambda k: editable[k].label,
                            key=f"{prefix}.bulk.prop")  # fmt: skip
        value = record_panel.edit_input(editable[name], None, f"{prefix}.bulk.value.{name}", users,
                                        user.time_zone)  # fmt: skip
        if st.button(f"Set on {n:,} tasks", type="primary", key=f"{prefix}.bulk.set"):
            _run(
                prefix,
                task_actions.set_property,
                "updated",
                property_name=name,
                value=value,
                **base,
            )
    confirm = f"{prefix}.confirm_delete"
    if cols[4].button("Delete", key=f"{prefix}.bulk.delete", icon=":material/delete:"):
        st.session_state[confirm] = True
        st.rerun()
    if st.session_state.get(confirm):
        with st.container(border=True, key=f"{prefix}-confirm-delete"):
            ut.warning(f"Delete {n:,} task{'s' if n != 1 else ''}? This cannot be undone.",
                       icon=":material/warning:")  # fmt: skip
            a, b = st.columns(2)
            if a.button(f"Yes, delete {n:,} task{'s' if n != 1 else ''}", type="primary",
                        key=f"{prefix}.bulk.delete.confirm"):  # fmt: skip
                _run(prefix, task_actions.delete, "deleted", **base)
            if b.button("Cancel", key=f"{prefix}.bulk.delete.cancel"):
                st.session_state[confirm] = False
                st.rerun()
