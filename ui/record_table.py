"""Shared pieces of a record tab: reference labels, quick filters, the paged table."""

from __future__ import annotations

import streamlit as st

from cs_core.record_list import PAGE_SIZES, RecordPage

# label -> condition (None: no condition) for the create and last-activity quick filters
QUICK_RANGES = {
    "Any time": None,
    "Today": ("in_last_days", 1),
    "Last 7 days": ("in_last_days", 7),
    "Last 30 days": ("in_last_days", 30),
    "Last 90 days": ("in_last_days", 90),
    "More than 30 days ago": ("more_than_days_ago", 30),
    "More than 90 days ago": ("more_than_days_ago", 90),
}


QUICK_PROPERTIES = (("created_at", "Create date"), ("last_activity_at", "Last activity date"))


def _quick_choice(cond) -> str | None:
    """The quick-filter choice a condition is, if it is one."""
    if not isinstance(cond, dict) or set(cond) - {"property", "operator", "value"}:
        return None
    for label, rule in QUICK_RANGES.items():
        if rule and (cond.get("operator"), cond.get("value")) == rule:
            return label
    return None


def split_quick(spec: list[list[dict]]) -> tuple[dict[str, str], list[list[dict]]]:
    """A saved spec as the quick-filter choices it holds ({property: choice}) and the rest.

    A quick filter is saved as a condition in every group (see :func:`combine`); it is read
    back as a quick filter only when it is in every group and no group is left empty.
    """
    groups = [list(g) for g in spec if g]
    choices: dict[str, str] = {}
    for prop, _label in QUICK_PROPERTIES:
        if not groups:
            break
        found = [
            next((c for c in g if c.get("property") == prop and _quick_choice(c)), None)
            for g in groups
        ]
        if any(c is None for c in found) or len({json_key(c) for c in found}) != 1:
            continue
        rest = [[c for c in g if c is not f] for g, f in zip(groups, found, strict=True)]
        if any(not g for g in rest) and len(groups) > 1:
            continue
        choices[prop] = _quick_choice(found[0])
        groups = [g for g in rest if g]
    return choices, groups


def json_key(cond: dict) -> tuple:
    return (cond.get("property"), cond.get("operator"), cond.get("value"))


def load_quick(prefix: str, spec: list[list[dict]]) -> list[list[dict]]:
    """Set the quick filters from a view's saved spec ("Any time" where it has none); returns
    the rest of the spec, for the advanced-filter editor."""
    choices, rest = split_quick(spec)
    for prop, _label in QUICK_PROPERTIES:
        st.session_state[f"{prefix}.quick.{prop}"] = choices.get(prop, "Any time")
    return rest


def quick_filters(prefix: str, props: dict) -> list[dict]:
    """Create date and last activity date ranges, as conditions for every filter group."""
    conditions = []
    columns = st.columns(2)
    for col, (prop, label) in zip(columns, QUICK_PROPERTIES, strict=True):
        if prop not in props:
            continue
        choice = col.selectbox(label, list(QUICK_RANGES), key=f"{prefix}.quick.{prop}")
        if QUICK_RANGES[choice]:
            op, days = QUICK_RANGES[choice]
            conditions.append({"property": prop, "operator": op, "value": days})
    return conditions


def combine(spec: list[list[dict]], extra: list[dict]) -> list[list[dict]]:
    """``spec`` AND every condition of ``extra`` ((A or B) and Q = (A and Q) or (B and Q))."""
    if not extra:
        return spec
    return [[*group, *extra] for group in spec] if spec else [list(extra)]


# Column widths (px) by type for a compact table (the preview open beside it).
COMPACT_WIDTHS = {"string": 150, "user": 125, "enumeration": 110, "date": 90, "datetime": 95,
                  "number": 85, "boolean": 60, "pipeline": 120, "stage": 120}  # fmt: skip


def column_config(props: list, *, compact: bool = False) -> dict:
    """Dates as dates, times to the minute, numbers with separators; the id column hidden.
    ``compact``: narrower columns (times as days), so five or more fit beside a preview."""
    config: dict = {"id": None}
    for p in props:
        width = COMPACT_WIDTHS.get(p.type) if compact else None
        if p.type == "date":
            config[p.label] = st.column_config.DateColumn(p.label, format="YYYY-MM-DD", width=width)
        elif p.type == "datetime":
            shown = "YYYY-MM-DD" if compact else "YYYY-MM-DD HH:mm"
            config[p.label] = st.column_config.DatetimeColumn(p.label, format=shown, width=width)
        elif p.type == "number":
            config[p.label] = st.column_config.NumberColumn(
                p.label, format="localized", width=width
            )
        elif width:
            config[p.label] = st.column_config.Column(p.label, width=width)
    return config


ROW_PX, HEADER_PX = 35, 38  # the data grid's row and header heights


def table_height(rows: int) -> int:
    """Pixels for a table that shows all its rows (a page of 25 without an inner scroll box)."""
    return HEADER_PX + ROW_PX * max(1, rows)


def table(page: RecordPage, *, prefix: str, props: list, compact: bool = False) -> int | None:
    """The page as a selectable table; returns the id of a newly selected row, if any.

    ``props`` are the properties shown, to format their columns by type. A click on a row
    sets ``{prefix}.record_id`` in a callback, before the page runs again, so the preview
    opens in that one run (no second run to show it).
    """
    if st.session_state.pop(f"{prefix}.table_clear", False):
        st.session_state.pop(f"{prefix}.table", None)  # before the table exists in this run
        st.session_state[f"{prefix}.last_selected"] = None
    ids_key = f"{prefix}.table_ids"
    st.session_state[ids_key] = [int(i) for i in page.rows["id"]]
    event = st.dataframe(
        page.rows, hide_index=True, width="stretch", on_select=lambda: _picked(prefix),
        height=table_height(len(page.rows)), selection_mode="single-row", key=f"{prefix}.table",
        column_config=column_config(props, compact=compact),
    )  # fmt: skip
    rows = list(event.selection.rows) if event and event.selection else []
    picked = int(page.rows.iloc[rows[0]]["id"]) if rows and rows[0] < len(page.rows) else None
    last = st.session_state.get(f"{prefix}.last_selected")
    st.session_state[f"{prefix}.last_selected"] = picked
    return picked if picked is not None and picked != last else None


def clear_selection(prefix: str) -> None:
    """Untick the table's row at the next run (a closed preview, another view): a ticked row
    would otherwise open whatever record sits in that row next."""
    st.session_state[f"{prefix}.table_clear"] = True


def _picked(prefix: str) -> None:
    """The row clicked: its record opens in the preview (run before the page runs again)."""
    selection = st.session_state.get(f"{prefix}.table")
    rows = list(selection.selection.rows) if selection and selection.selection else []
    ids = st.session_state.get(f"{prefix}.table_ids", [])
    if rows and rows[0] < len(ids):
        st.session_state[f"{prefix}.record_id"] = ids[rows[0]]
        st.session_state[f"{prefix}.last_selected"] = ids[rows[0]]


def pager(page: RecordPage, *, prefix: str) -> None:
    """Previous / next, the page count and the page size, in one row block (four columns would
    be five blocks, sent on every run of every listing)."""
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    if row.button("", icon=":material/chevron_left:", key=f"{prefix}.prev", disabled=page.page <= 1,
                  help="Previous page"):  # fmt: skip
        st.session_state[f"{prefix}.page"] = page.page - 1
        st.rerun()
    row.markdown(f"Page **{page.page:,}** of **{page.pages:,}**", width="content")
    if row.button("", icon=":material/chevron_right:", key=f"{prefix}.next", disabled=page.page >= page.pages,
                  help="Next page"):  # fmt: skip
        st.session_state[f"{prefix}.page"] = page.page + 1
        st.rerun()
    row.selectbox("Rows per page", PAGE_SIZES, key=f"{prefix}.page_size", label_visibility="collapsed", width=150,
                  format_func=lambda n: f"{n} per page", on_change=lambda: st.session_state.update({f"{prefix}.page": 1}))  # fmt: skip
