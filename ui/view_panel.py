"""The column of views beside a record table, and the actions on the open view."""

from __future__ import annotations

from datetime import datetime

import duckdb
import streamlit as st

from cs_core import clock, views
from cs_core.users import Action, PermissionDenied, User, can
from cs_core.views import View
from ui import state
from ui import text as ut

SECTIONS = [("standard", "Standard views"), ("default", "Default views"), ("mine", "My views"),
            ("shared", "Shared with everyone")]  # fmt: skip


def _guard(action, *args, **kwargs) -> bool:
    """Run a cs_core write; show its refusal as an error. True when it went through."""
    try:
        action(*args, **kwargs)
    except (views.ViewError, PermissionDenied, ValueError) as exc:
        ut.error(exc)
        return False
    return True


def view_list(all_views: list[View], *, prefix: str, selected: int | None, user: User,
              con: duckdb.DuckDBPyConnection) -> None:  # fmt: skip
    """Buttons for every view the user can open, grouped; a click opens the view."""
    for kind, title in SECTIONS:
        group = [v for v in all_views if v.kind == kind]
        if not group:
            continue
        st.caption(title)
        for i, v in enumerate(group):
            cols = (
                st.columns([5, 1, 1])
                if kind == "default" and can(user, Action.MANAGE_DEFAULT_VIEWS)
                else [st]
            )
            # Opened in the click's own run (a callback runs before the page), not one run later.
            cols[0].button(ut.md(v.name, ut.LABEL_LIMIT), key=f"{prefix}.view.{v.id}", width="stretch",
                           help=ut.tooltip(v.name, ut.LABEL_LIMIT), on_click=_open, args=(prefix, v.id),
                           type="primary" if v.id == selected else "secondary")  # fmt: skip
            if len(cols) == 3:
                order = [x.id for x in group]
                if cols[1].button("", icon=":material/arrow_upward:", key=f"{prefix}.up.{v.id}",
                                  disabled=i == 0, help="Move up"):  # fmt: skip
                    order[i - 1], order[i] = order[i], order[i - 1]
                    _reorder(con, user, v.object, order)
                if cols[2].button("", icon=":material/arrow_downward:", key=f"{prefix}.down.{v.id}",
                                  disabled=i == len(group) - 1, help="Move down"):  # fmt: skip
                    order[i + 1], order[i] = order[i], order[i + 1]
                    _reorder(con, user, v.object, order)


def _open(prefix: str, view_id: int) -> None:
    st.session_state[f"{prefix}.view_id"] = view_id


def _reorder(con, user, object_name, order) -> None:
    if _guard(views.reorder_defaults, con, actor=user, object_name=object_name, view_ids=order):
        st.rerun()


def create_form(con: duckdb.DuckDBPyConnection, *, prefix: str, user: User, object_name: str,
                spec: list, columns: list[str], sort: list[dict]) -> None:  # fmt: skip
    """ "+ Create view": name and sharing; the new view keeps the current filters, columns, sort."""
    key = f"{prefix}.creating"
    if not st.session_state.get(key):
        if st.button("Create view", icon=":material/add:", key=f"{prefix}.create", width="stretch"):
            st.session_state[key] = True
            st.rerun()
        return
    with st.container(border=True):
        st.markdown("**New view**")
        name = st.text_input("View name", key=f"{prefix}.new.name", max_chars=views.MAX_NAME)
        may_share = can(user, Action.SHARE_VIEWS_WITH_EVERYONE)
        sharing = st.radio(
            "Who can see it", views.SHARING, key=f"{prefix}.new.sharing",
            format_func={"private": "Only me", "everyone": "Everyone"}.get,
            disabled=not may_share,
            help=None if may_share else "Only super admins and CS settings managers can share views with everyone.",
        )  # fmt: skip
        st.caption("The view starts with the filters, columns and sort shown now.")
        a, b = st.columns(2)
        if a.button("Create", type="primary", key=f"{prefix}.new.save"):
            created = {}

            def _create():
                created["view"] = views.create_view(
                    con, actor=user, object_name=object_name, name=name, sharing=sharing, spec=spec,
                    columns=columns, sort=sort, now=clock.now(),
                )  # fmt: skip

            if _guard(_create):
                st.session_state[key] = False
                st.session_state[f"{prefix}.view_id"] = created["view"].id
                st.session_state.pop(f"{prefix}.new.name", None)
                state.flash(f"View “{created['view'].name}” created.")
                st.rerun()
        if b.button("Cancel", key=f"{prefix}.new.cancel"):
            st.session_state[key] = False
            st.rerun()


def view_actions(con: duckdb.DuckDBPyConnection, view: View, *, prefix: str, user: User,
                 spec: list, columns: list[str], sort: list[dict], changed: bool) -> None:  # fmt: skip
    """Save, rename, share, default and delete for the open view, as the user may."""
    now = clock.now()
    editable = views.may_edit(user, view)
    if changed:
        _unsaved(con, view, prefix=prefix, user=user, spec=spec, columns=columns, sort=sort,
                 editable=editable, now=now)  # fmt: skip
    with st.expander("View settings", icon=":material/tune:"):
        if view.is_standard:
            st.caption("Standard views cannot be edited. Create a view to keep your own filters.")
        if editable:
            name = st.text_input("Name", value=view.name, key=f"{prefix}.edit.name.{view.id}")
            may_share = can(user, Action.SHARE_VIEWS_WITH_EVERYONE)
            sharing = st.radio("Who can see it", views.SHARING, index=views.SHARING.index(view.sharing),
                               format_func={"private": "Only me", "everyone": "Everyone"}.get,
                               key=f"{prefix}.edit.sharing.{view.id}", disabled=not may_share,
                               horizontal=True)  # fmt: skip
            if st.button("Save name and sharing", key=f"{prefix}.edit.save"):
                if _guard(
                    views.update_view,
                    con,
                    actor=user,
                    view_id=view.id,
                    name=name,
                    sharing=sharing,
                    now=now,
                ):
                    state.flash("View updated.")
                    st.rerun()
        if can(user, Action.MANAGE_DEFAULT_VIEWS) and not view.is_standard:
            _default_controls(con, view, prefix=prefix, user=user, now=now)
        if views.may_delete(user, view):
            _delete_controls(con, view, prefix=prefix, user=user, now=now)
        elif not editable and not view.is_standard:
            st.caption(
                f"Shared by {ut.md(view.owner_name or 'an admin', ut.LABEL_LIMIT)}; only CS settings "
                "managers can change it."
            )


def _unsaved(con, view: View, *, prefix: str, user: User, spec: list, columns: list[str],
             sort: list[dict], editable: bool, now: datetime) -> None:  # fmt: skip
    """The open view differs from what is shown: say so; save, save as a new view, or reset."""
    with st.container(border=True, key=f"{prefix}.unsaved"):
        cols = st.columns([3, 1, 1.4, 1], vertical_alignment="center")
        cols[0].markdown(
            ":material/edit_note: **Unsaved changes** to this view's filters, columns or sort"
        )
        if cols[1].button("Save", type="primary", key=f"{prefix}.save", disabled=not editable,
                          help=None if editable else "You cannot change this view; save it as a new view."):  # fmt: skip
            if _guard(views.update_view, con, actor=user, view_id=view.id, spec=spec, columns=columns,
                      sort=sort, now=now):  # fmt: skip
                state.flash(f"View “{view.name}” saved.")
                st.rerun()
        if cols[2].button("Save as new view", key=f"{prefix}.save_as"):
            st.session_state[f"{prefix}.creating"] = True
            st.session_state[f"{prefix}.new.name"] = f"{view.name} (copy)"[: views.MAX_NAME]
            st.rerun()
        if cols[3].button(
            "Reset",
            key=f"{prefix}.reset",
            help="Back to the view's saved filters, columns and sort",
        ):
            st.session_state.pop(f"{prefix}.loaded", None)  # the page loads the view again
            st.rerun()


def _default_controls(con, view: View, *, prefix: str, user: User, now: datetime) -> None:
    st.divider()
    if view.sharing != "everyone":
        st.caption(
            "Share this view with everyone to make it a default view (a card on the Summary tab)."
        )
        return
    description = st.text_area("Description on the Summary card", value=view.description or "",
                               key=f"{prefix}.default.description.{view.id}", max_chars=300)  # fmt: skip
    a, b = st.columns(2)
    label = "Update description" if view.is_default else "Set as default view"
    if a.button(label, key=f"{prefix}.default.set"):
        if _guard(
            views.set_default, con, actor=user, view_id=view.id, description=description, now=now
        ):
            state.flash(f"“{view.name}” is a default view.")
            st.rerun()
    if view.is_default and b.button("Remove as default", key=f"{prefix}.default.remove"):
        if _guard(views.remove_default, con, actor=user, view_id=view.id, now=now):
            state.flash(f"“{view.name}” is no longer a default view.")
            st.rerun()


def _delete_controls(con, view: View, *, prefix: str, user: User, now: datetime) -> None:
    st.divider()
    confirm = f"{prefix}.confirm_delete"
    if st.session_state.get(confirm) != view.id:
        if st.button("Delete view", icon=":material/delete:", key=f"{prefix}.delete"):
            st.session_state[confirm] = view.id
            st.rerun()
        return
    ut.warning(
        f"Delete the view “{view.name}”? This cannot be undone; the records stay.",
        icon=":material/warning:",
    )
    a, b = st.columns(2)
    if a.button("Yes, delete it", type="primary", key=f"{prefix}.delete.confirm"):
        if _guard(views.delete_view, con, actor=user, view_id=view.id, now=now):
            st.session_state[confirm] = None
            st.session_state[f"{prefix}.view_id"] = None
            state.flash(f"View “{view.name}” deleted.")
            st.rerun()
    if b.button("Cancel", key=f"{prefix}.delete.cancel"):
        st.session_state[confirm] = None
        st.rerun()
