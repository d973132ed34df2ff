"""Customers tab: views, filters, the account table, record preview and record page (CUS-1..CUS-8)."""

import streamlit as st

from cs_core import clock, filters, imports, record_list, records, settings, views
from cs_core.health.reports import CATEGORY_LABELS
from cs_core.record_list import Query, Viewer
from cs_core.users import Action
from ui import (
    auth,
    db,
    filter_editor,
    listing,
    listing_data,
    record_panel,
    record_table,
    view_panel,
)
from ui import text as ut

P = "customers"
con = db.connection()
user = auth.require_page(con, Action.USE_WORKSPACE)
now = clock.now()
viewer = Viewer(user.id, now, user.time_zone)
today = viewer.today
chosen = settings.get_customer_settings(con)
obj = records.get_object(con, chosen.object)
props = listing_data.listing_properties(con, obj.name)
refs = listing_data.reference_labels(con, obj.name)

if record_panel.record_page_from_url(
    con, object_name=obj.name, user=user, prefix=P, users=refs["user"]
):
    st.stop()


def _default_columns() -> list[str]:
    found = views.default_columns(
        con, obj.name, chosen.owner_property, chosen.renewal_date_property
    )
    return found + [c for c in record_list.HEALTH_COLUMNS if c in props]


# The view's quick filters go back into the quick-filter boxes, the rest into the editor.
all_views, view = listing.open_view(
    con, prefix=P, object_name=obj.name, user=user, now=now, default_columns=_default_columns,
    default_sort={"property": obj.primary_property, "direction": "asc"},
    load_filters=lambda spec: record_table.load_quick(P, spec),
)  # fmt: skip
if listing.newly_opened(P):  # another view: its rows, and no preview of the last one's record
    st.session_state[f"{P}.record_id"] = None
    record_table.clear_selection(P)


def _import_filter() -> list[dict]:
    """The import the URL names, as a condition, with a line saying so and a way out."""
    raw = st.query_params.get("import")
    if not raw:
        return []
    run = imports.import_run(con, int(raw)) if raw.isdigit() and len(raw) < 19 else None
    if run is None or run.object != obj.name:
        ut.warning(f"There is no import {ut.short(raw, 20)} of {obj.label_plural.lower()} to show.")
        return []
    a, b = st.columns([4, 1], vertical_alignment="center")
    a.info(
        f"Showing the {ut.md(obj.label_plural.lower(), ut.LABEL_LIMIT)} imported from "
        f"**{ut.md(run.file_name, ut.LABEL_LIMIT)}** on "
        f"{clock.shown(run.finished_at, user.time_zone, '%d %b %Y, %H:%M')} ({run.records:,} now).",
        icon=":material/upload_file:",
    )
    if b.button("Show all", key=f"{P}.import.clear", icon=":material/close:"):
        del st.query_params["import"]
        st.rerun()
    return [{"property": filters.IMPORT_RUN, "operator": "eq", "value": run.id}]


def _health_filter() -> list[dict]:
    """ "?health=<category>[&profile=<name>]" (the Summary's "[N] customers" links): the user's
    own customers in that category, with a line saying so and a way out."""
    category = st.query_params.get("health")
    if not category:
        return []
    if category not in CATEGORY_LABELS or record_list.HEALTH_CATEGORY not in props:
        ut.warning(f"There is no health category {ut.short(category, 20)} to show.")
        return []
    conds = [{"property": filters.OWNER, "operator": "eq", "value": filters.ME},
             {"property": record_list.HEALTH_CATEGORY, "operator": "eq", "value": category}]  # fmt: skip
    profile = st.query_params.get("profile")
    if profile and record_list.HEALTH_PROFILE in props:
        conds.append({"property": record_list.HEALTH_PROFILE, "operator": "eq", "value": profile})
    a, b = st.columns([4, 1], vertical_alignment="center")
    a.info(f"Showing your {ut.md(obj.label_plural.lower(), ut.LABEL_LIMIT)} whose health is "
           f"**{CATEGORY_LABELS[category]}**" + (f" (profile {ut.md(profile, ut.LABEL_LIMIT)})" if profile else "")
           + ".", icon=":material/monitor_heart:")  # fmt: skip
    if b.button("Show all", key=f"{P}.health.clear", icon=":material/close:"):
        for key in ("health", "profile"):
            st.query_params.pop(key, None)
        st.rerun()
    return conds


def _export(query: Query) -> bytes:
    # Runs later, when the button is clicked, in another thread: it needs its own cursor.
    with db.fresh_cursor() as cur:
        return record_list.export_csv(cur, query, viewer)


selected = st.session_state.get(f"{P}.record_id")
# With a preview open, the views move into a "Views" menu so the table keeps its width.
if selected:
    table_col, preview_col = st.columns([3.8, 2.0], gap="medium")
    views_col = None
else:
    views_col, table_col = st.columns([1.3, 5.1], gap="medium")

with table_col:
    if views_col is None:
        views_menu = st.popover(f"Views: {ut.md(view.name if view else obj.label_plural, ut.LABEL_LIMIT)}",
                                icon=":material/view_list:", key=f"{P}.views_menu")  # fmt: skip
    ut.title(view.name if view else obj.label_plural)
    if view and view.description:
        st.caption(ut.md(view.description, ut.VALUE_LIMIT))
    quick = record_table.quick_filters(P, props)
    spec = filter_editor.panel(
        P, props, owner_property=chosen.owner_property, refs=refs, today=today
    )
    columns, sort = listing.columns_and_sort(P, props)
    sort_by, direction = sort[0]["property"], sort[0]["direction"]
    # What a view saves: every filter on screen (the quick ones in every group), columns, sort.
    shown_spec = record_table.combine(spec, quick)
    if view:
        view_panel.view_actions(con, view, prefix=P, user=user, spec=shown_spec, columns=columns, sort=sort,
                                changed=listing.differs(view, shown_spec, columns, sort))  # fmt: skip
    usable, problems = filters.applicable(
        spec, props, today=today, time_zone=user.time_zone, me=user.id, owner=chosen.owner_property
    )
    for problem in problems:
        ut.warning(f"Not applied yet: {problem}", icon=":material/filter_alt_off:")
    # "?import=<run>": the records an import created or updated (a link from the import page).
    imported = _import_filter() + _health_filter()
    query = Query(obj.name, record_table.combine(usable, quick + imported), tuple(columns),
                  sort=((sort_by, direction),), owner_property=chosen.owner_property)  # fmt: skip
    page = listing_data.page(con, query, viewer, number=st.session_state.get(f"{P}.page", 1),
                            size=st.session_state.get(f"{P}.page_size", 25))  # fmt: skip
    top = st.columns([3, 1], vertical_alignment="center")
    top[0].markdown(
        f"**{page.total:,}** "
        + ut.md(obj.label_plural.lower() if page.total != 1 else obj.label.lower(), ut.LABEL_LIMIT)
    )
    top[1].download_button(
        "Export CSV", icon=":material/download:", key=f"{P}.export", file_name=f"{obj.name}.csv",
        mime="text/csv", data=lambda: _export(query),
        help="Every record that matches, with the columns shown",
    )  # fmt: skip
    if page.total == 0:
        st.info(
            "No records match. Loosen the filters, or open another view.",
            icon=":material/search_off:",
        )
    else:
        picked = record_table.table(page, prefix=P, props=[props[c] for c in columns if c in props],
                                    compact=bool(selected))  # fmt: skip
        if picked is not None:
            st.session_state[f"{P}.record_id"] = picked
            st.rerun()
        record_table.pager(page, prefix=P)

with views_col if views_col is not None else views_menu:
    ut.title(obj.label_plural, level="subheader", limit=ut.LABEL_LIMIT)
    view_panel.view_list(
        all_views, prefix=P, selected=view.id if view else None, user=user, con=con
    )
    view_panel.create_form(
        con, prefix=P, user=user, object_name=obj.name, spec=shown_spec, columns=columns, sort=sort
    )

if selected:
    with preview_col, st.container(border=True, key=f"{P}.preview"):
        record_panel.preview_panel(con, object_name=obj.name, record_id=selected, user=user, prefix=P,
                                   users=refs["user"])  # fmt: skip
