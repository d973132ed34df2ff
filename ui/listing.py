"""What every listing tab shares: the open view and its loading, columns and sort, and whether
what is shown differs from the saved view (Customers, Actions, and the tabs after them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import duckdb
import streamlit as st

from cs_core import views
from cs_core.records import Property
from cs_core.users import User
from cs_core.views import View
from ui import filter_editor


def open_view(con: duckdb.DuckDBPyConnection, *, prefix: str, object_name: str, user: User,
              now: datetime, default_columns: Callable[[], list[str]], default_sort: dict,
              load_filters: Callable[[list], list] | None = None) -> tuple[list[View], View | None]:  # fmt: skip
    """The views the user can open and the one open now (``{prefix}.view_id``; a standard
    view's key in ``?view=`` opens it). A newly opened view starts from its saved filters
    (``load_filters`` takes the quick ones out and returns the rest for the editor),
    columns and sort, on page 1 (``default_columns`` makes the columns of a view without
    its own)."""
    views.ensure_standard_views(con, object_name, now=now)
    all_views = views.list_views(con, object_name=object_name, user=user)
    by_id = {v.id: v for v in all_views}
    wanted = st.query_params.get("view")
    if wanted:  # a deep link: once, then the user's own choices
        linked = next(
            (v for v in all_views if v.standard_key == wanted or str(v.id) == wanted), None
        )
        if linked is not None:
            st.session_state[f"{prefix}.view_id"] = linked.id
        else:
            st.session_state[f"{prefix}.missing_view"] = wanted
        del st.query_params["view"]
    view = by_id.get(st.session_state.get(f"{prefix}.view_id")) or (
        all_views[0] if all_views else None
    )
    loaded = (view.id if view else None, object_name)
    if (before := st.session_state.get(f"{prefix}.loaded")) != loaded:
        st.session_state[f"{prefix}.loaded"] = loaded
        spec = view.filters if view else []
        filter_editor.load(prefix, load_filters(spec) if load_filters else spec)
        st.session_state[f"{prefix}.columns"] = (
            view.columns if view and view.columns else default_columns()
        )
        first = view.sort[0] if view and view.sort else default_sort
        st.session_state[f"{prefix}.sort_by"] = first["property"]
        st.session_state[f"{prefix}.sort_dir"] = first.get("direction", "asc")
        st.session_state[f"{prefix}.page"] = 1
        st.session_state[f"{prefix}.opened"] = before is not None  # another view than the last
    else:
        st.session_state[f"{prefix}.opened"] = False
    return all_views, view


def newly_opened(prefix: str) -> bool:
    """Whether this run opened another view than the last run showed."""
    return bool(st.session_state.get(f"{prefix}.opened"))


def columns_and_sort(prefix: str, props: dict[str, Property]) -> tuple[list[str], list[dict]]:
    """The "Columns and sort" panel; returns the columns and the sort (one key)."""
    with st.expander("Columns and sort", icon=":material/view_column:"):
        columns = st.multiselect(
            "Columns", list(props), format_func=lambda n: props[n].label, key=f"{prefix}.columns"
        )
        a, b = st.columns([3, 2])
        sort_by = a.selectbox(
            "Sort by", list(props), format_func=lambda n: props[n].label, key=f"{prefix}.sort_by"
        )
        direction = b.radio("Order", ["asc", "desc"], key=f"{prefix}.sort_dir", horizontal=True,
                            format_func={"asc": "Ascending", "desc": "Descending"}.get)  # fmt: skip
    return columns, [{"property": sort_by, "direction": direction}]


def differs(view: View, spec: list, columns: list[str], sort: list[dict]) -> bool:
    """Whether the filters, columns or sort shown differ from the view's saved ones."""
    return bool(spec != view.filters or columns != (view.columns or columns)
                or (view.sort and sort != view.sort[:1]))  # fmt: skip
