"""The Summary tab's customer view cards (SUM-3): one per default view of the Customers tab (at
most six), in the admins' order (they rearrange it here), each with its description, live
record count and a link opening the Customers tab on it."""

from __future__ import annotations

import streamlit as st

from cs_core import clock, settings, views
from cs_core.record_list import Query, Viewer
from cs_core.users import Action, User, can
from ui import listing_data
from ui import text as ut

P = "summary.views"


def _move(con, actor: User, object_name: str, order: list[int], i: int, step: int) -> None:
    order = list(order)
    order.insert(i + step, order.pop(i))
    try:
        views.reorder_defaults(con, actor=actor, object_name=object_name, view_ids=order)
    except views.ViewError as exc:
        st.session_state[f"{P}.problem"] = str(exc)


def panel(con, *, actor: User, owner: User) -> None:
    chosen = settings.get_customer_settings(con)
    cards = views.default_views(con, chosen.object)
    st.subheader("Customer views")
    if problem := st.session_state.pop(f"{P}.problem", None):
        ut.error(problem)
    if not cards:
        st.caption("No default views yet. In the Customers tab, a settings manager saves a view and makes it a "
                   "default view; it then shows here as a card with its count.")  # fmt: skip
        return
    viewer = Viewer(owner.id, clock.now(), owner.time_zone)
    order = [v.id for v in cards]
    arrange = can(actor, Action.MANAGE_DEFAULT_VIEWS)
    linked = can(actor, Action.USE_WORKSPACE) and actor.id == owner.id
    queries = [Query(chosen.object, v.filters, tuple(v.columns), owner_property=chosen.owner_property)
               for v in cards]  # fmt: skip
    totals = listing_data.counts(con, queries, viewer)
    cells = st.columns(3)
    for i, (view, total) in enumerate(zip(cards, totals, strict=True)):
        with cells[i % 3].container(border=True, key=f"{P}-{view.id}"):
            st.metric(ut.md(view.name, 60), f"{total:,}", help=ut.tooltip(view.name, 60))
            st.caption(ut.md(view.description, 200) if view.description else "No description.")
            if linked:
                st.page_link("app_pages/customers.py", label="Open view", icon=":material/arrow_forward:",
                             query_params={"view": str(view.id)})  # fmt: skip
            if arrange:
                a, b = st.columns(2)
                a.button("", icon=":material/arrow_back:", key=f"{P}.left.{view.id}", disabled=i == 0,
                         help="Show earlier", on_click=_move, args=(con, actor, chosen.object, order, i, -1))  # fmt: skip
                b.button("", icon=":material/arrow_forward:", key=f"{P}.right.{view.id}", disabled=i == len(cards) - 1,
                         help="Show later", on_click=_move, args=(con, actor, chosen.object, order, i, 1))  # fmt: skip
