"""Actions tab: the user's tasks in standard and custom views, filters and search, bulk
actions, and creating tasks (ACT-1..ACT-5). ``actions?view=overdue`` opens a standard view."""

from datetime import date

import streamlit as st

from cs_core import clock, filters, record_list, tasks
from cs_core.filters import ME
from cs_core.record_list import Query, Viewer
from cs_core.records import TASKS
from cs_core.users import Action
from ui import (
    auth,
    db,
    filter_editor,
    listing,
    listing_data,
    record_table,
    task_bulk,
    task_form,
    view_panel,
)
from ui import text as ut

P = "actions"
con = db.connection()
user = auth.require_page(con, Action.USE_WORKSPACE)
now = clock.now()
viewer = Viewer(user.id, now, user.time_zone)
props = listing_data.listing_properties(con, TASKS)
refs = listing_data.reference_labels(con, TASKS)
people = refs["user"]
QUICK = ("type", "priority", "owner", "due", "search")


def _load(spec: list) -> list:
    """A view opened: its filters go to the editor, the quick filters start empty."""
    for name in QUICK:
        st.session_state.pop(f"{P}.quick.{name}", None)
    st.session_state[f"{P}.quick.record_gen"] = st.session_state.get(f"{P}.quick.record_gen", 0) + 1
    task_bulk.clear(P)
    return spec


all_views, view = listing.open_view(
    con, prefix=P, object_name=TASKS, user=user, now=now, default_columns=lambda: list(tasks.TASK_COLUMNS),
    default_sort=tasks.DUE_SORT[0], load_filters=_load,
)  # fmt: skip
if missing := st.session_state.pop(f"{P}.missing_view", None):
    ut.warning(
        f"There is no view “{ut.short(missing, 40)}”; showing {ut.md(view.name if view else 'tasks')}."
    )


def _quick_filters() -> tuple[list[dict], str]:
    """Type, priority, owner, due dates and the associated record, as conditions for every
    filter group, and the search text."""
    out: list[dict] = []
    a, b, c, d = st.columns([2, 2, 2, 3])
    kinds = a.multiselect("Type", list(tasks.TYPES), format_func=tasks.TYPES.get, key=f"{P}.quick.type",
                          placeholder="Any type")  # fmt: skip
    if kinds:
        out.append({"property": "task_type", "operator": "in", "value": kinds})
    levels = b.multiselect("Priority", list(tasks.PRIORITIES), format_func=tasks.PRIORITIES.get,
                           key=f"{P}.quick.priority", placeholder="Any priority")  # fmt: skip
    if levels:
        out.append({"property": "priority", "operator": "in", "value": levels})
    mine_only = bool(view and view.is_standard)  # the standard views are the user's own tasks
    owners = [None, ME, *people]
    owner = c.selectbox(
        "Assigned to", owners, key=f"{P}.quick.owner", disabled=mine_only,
        format_func=lambda o: "Anyone" if o is None else "Me" if o == ME else people.get(o, "?"),
        help="The standard views show your own tasks; open or create another view for others'." if mine_only else None,
    )  # fmt: skip
    if owner is not None and not mine_only:
        out.append({"property": "owner_id", "operator": "eq", "value": owner})
    due = d.date_input("Due between", value=(), key=f"{P}.quick.due", format="YYYY-MM-DD")
    if isinstance(due, tuple | list) and len(due) == 2 and all(isinstance(x, date) for x in due):
        out.append(
            {
                "property": "due_at",
                "operator": "between",
                "value": [due[0].isoformat(), due[1].isoformat()],
            }
        )
    e, f = st.columns([5, 4])
    with e:
        record = task_form.record_picker(con, f"{P}.quick.record.{st.session_state.get(f'{P}.quick.record_gen', 0)}",
                                         label="Associated record")  # fmt: skip
    if record is not None:
        out.append(
            {
                "property": "record",
                "operator": "eq",
                "value": {"object": record[0], "id": record[1]},
            }
        )
    search = f.text_input("Search", key=f"{P}.quick.search", placeholder="Task title or record name",
                          max_chars=200)  # fmt: skip
    return out, search


views_col, main = st.columns([1.3, 5.1], gap="medium")
with main:
    ut.title(view.name if view else "Tasks")
    if view and view.is_standard:
        st.caption("Your tasks. Due dates are in your time zone, " + ut.md(user.time_zone) + ".")
    elif view and view.description:
        st.caption(ut.md(view.description, ut.VALUE_LIMIT))
    task_form.create_task_panel(con, user=user, prefix=P)
    quick, search = _quick_filters()
    spec = filter_editor.panel(P, props, owner_property="owner_id", refs=refs, today=viewer.today)
    columns, sort = listing.columns_and_sort(P, props)
    shown_spec = record_table.combine(spec, quick)
    if view:
        view_panel.view_actions(con, view, prefix=P, user=user, spec=shown_spec, columns=columns, sort=sort,
                                changed=listing.differs(view, shown_spec, columns, sort))  # fmt: skip
    usable, problems = filters.applicable(spec, props, today=viewer.today, time_zone=user.time_zone, me=user.id,
                                          owner="owner_id")  # fmt: skip
    for problem in problems:
        ut.warning(f"Not applied yet: {problem}", icon=":material/filter_alt_off:")
    query = Query(TASKS, record_table.combine(usable, quick), tuple(columns),
                  sort=((sort[0]["property"], sort[0]["direction"]),), owner_property="owner_id",
                  search=search)  # fmt: skip
    # Another filter, search or sort: the selection made under the last one is dropped.
    if st.session_state.get(f"{P}.last_query") != query:
        if st.session_state.get(f"{P}.last_query") is not None:
            task_bulk.clear(P)
            st.session_state[f"{P}.page"] = 1
        st.session_state[f"{P}.last_query"] = query
    page = listing_data.page(con, query, viewer, number=st.session_state.get(f"{P}.page", 1),
                             size=st.session_state.get(f"{P}.page_size", 25))  # fmt: skip
    top = st.columns([3, 1], vertical_alignment="center")
    top[0].markdown(f"**{page.total:,}** task{'s' if page.total != 1 else ''}")

    def _export() -> bytes:
        with db.fresh_cursor() as cur:
            return record_list.export_csv(cur, query, viewer)

    top[1].download_button("Export CSV", icon=":material/download:", key=f"{P}.export", file_name="tasks.csv",
                           mime="text/csv", data=_export, help="Every task that matches, with the columns shown")  # fmt: skip
    if page.total == 0:
        st.info(
            "No tasks match. Loosen the filters, open another view, or create a task."
            if (quick or usable or search) or not (view and view.is_standard)
            else "Nothing here: you have no tasks in this view.",
            icon=":material/task_alt:",
        )
    else:
        bar = st.container()  # above the table, drawn after it: it counts this run's ticks
        task_bulk.table(page, prefix=P, props=[props[c] for c in columns if c in props])
        record_table.pager(page, prefix=P)
        with bar:
            task_bulk.selection_bar(con, page, prefix=P, user=user, query=query, viewer=viewer, props=props,
                                    users=people)  # fmt: skip

with views_col:
    st.subheader("Tasks", anchor=False)
    view_panel.view_list(
        all_views, prefix=P, selected=view.id if view else None, user=user, con=con
    )
    view_panel.create_form(
        con, prefix=P, user=user, object_name=TASKS, spec=shown_spec, columns=columns, sort=sort
    )
