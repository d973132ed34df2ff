"""A pipeline tab (Services, Revenue): an object's records in a pipeline as a table or a board,
through the same views, filters, table and preview as the Customers tab (SRV-1..SRV-4,
REV-1..REV-4); stage moves ask for the target stage's required properties first."""

from __future__ import annotations

import duckdb
import streamlit as st

from cs_core import boards, clock, filters, pipelines, record_values, views
from cs_core.filters import ME
from cs_core.pipelines import MoveRefused
from cs_core.record_list import Query, Viewer
from cs_core.record_values import StaleEdit, ValueRefused
from cs_core.records import ObjectInfo
from cs_core.settings import ObjectSettings
from cs_core.users import PermissionDenied, User
from ui import (
    board,
    filter_editor,
    listing,
    listing_data,
    record_panel,
    record_table,
    state,
    view_panel,
)
from ui import text as ut

LAYOUTS = {"table": "Table", "board": "Board"}


def pipeline_tab(con: duckdb.DuckDBPyConnection, *, prefix: str, user: User, obj: ObjectInfo,
                 chosen: ObjectSettings, quick: tuple[str, ...]) -> None:  # fmt: skip
    """The whole tab for one object; ``quick``: the quick date filters it offers."""
    P = prefix
    now = clock.now()
    viewer = Viewer(user.id, now, user.time_zone)
    props = listing_data.listing_properties(con, obj.name)
    refs = listing_data.reference_labels(con, obj.name)
    if record_panel.record_page_from_url(
        con, object_name=obj.name, user=user, prefix=P, users=refs["user"]
    ):
        return
    pipes = [
        p
        for p in pipelines.list_pipelines(con, obj.name)
        if not chosen.pipelines or p.id in chosen.pipelines
    ]
    if not pipes:
        st.info(f"{ut.md(obj.label_plural)} have no pipelines yet. A settings manager adds them in Settings.",
                icon=":material/view_kanban:")  # fmt: skip
        return
    by_id = {p.id: p for p in pipes}
    default = chosen.default_pipeline if chosen.default_pipeline in by_id else pipes[0].id
    top = st.columns([2, 2, 3], vertical_alignment="bottom")
    pipe_id = top[0].selectbox("Pipeline", list(by_id), index=list(by_id).index(default),
                               format_func=lambda i: by_id[i].label, key=f"{P}.pipeline.{obj.name}")  # fmt: skip
    pipe = by_id[pipe_id]
    layout = top[1].segmented_control("Layout", list(LAYOUTS), format_func=LAYOUTS.get, key=f"{P}.layout.{obj.name}",
                                      default=chosen.default_layout if chosen.default_layout in LAYOUTS else "table")  # fmt: skip
    layout = layout or chosen.default_layout or "table"

    def _default_columns() -> list[str]:
        found = views.default_columns(
            con, obj.name, chosen.owner_property, chosen.renewal_date_property
        )
        return [
            *found[:1],
            *[c for c in ("stage_id", boards.amount_property(props)) if c and c not in found],
            *found[1:],
        ]

    all_views, view = listing.open_view(
        con, prefix=P, object_name=obj.name, user=user, now=now, default_columns=_default_columns,
        default_sort={"property": obj.primary_property, "direction": "asc"},
        load_filters=lambda spec: record_table.load_quick(P, spec),
    )  # fmt: skip
    if listing.newly_opened(P):
        st.session_state[f"{P}.record_id"] = None
        record_table.clear_selection(P)
    with top[2].popover(f"Views: {ut.md(view.name if view else obj.label_plural, ut.LABEL_LIMIT)}",
                        icon=":material/view_list:", key=f"{P}.views_menu"):  # fmt: skip
        view_panel.view_list(
            all_views, prefix=P, selected=view.id if view else None, user=user, con=con
        )
        views_slot = st.container()
    ut.title(view.name if view else obj.label_plural)
    quick_conds, search = _quick_filters(P, props, chosen, refs["user"], quick)
    spec = filter_editor.panel(P, props, owner_property=chosen.owner_property, refs=refs,
                               today=viewer.today)  # fmt: skip
    columns, sort = listing.columns_and_sort(P, props)
    shown_spec = record_table.combine(spec, quick_conds)
    if view:
        view_panel.view_actions(con, view, prefix=P, user=user, spec=shown_spec, columns=columns, sort=sort,
                                changed=listing.differs(view, shown_spec, columns, sort))  # fmt: skip
    with views_slot:
        view_panel.create_form(con, prefix=P, user=user, object_name=obj.name, spec=shown_spec, columns=columns,
                               sort=sort)  # fmt: skip
    usable, problems = filters.applicable(spec, props, today=viewer.today, time_zone=user.time_zone, me=user.id,
                                          owner=chosen.owner_property)  # fmt: skip
    for problem in problems:
        ut.warning(f"Not applied yet: {problem}", icon=":material/filter_alt_off:")
    in_pipe = {"property": "pipeline_id", "operator": "eq", "value": pipe.id}
    query = Query(obj.name, record_table.combine(usable, [*quick_conds, in_pipe]), tuple(columns),
                  sort=((sort[0]["property"], sort[0]["direction"]),), owner_property=chosen.owner_property,
                  search=search)  # fmt: skip
    _pending_move(con, P, user=user, obj=obj, props=props, refs=refs)
    selected = st.session_state.get(f"{P}.record_id")
    main, side = st.columns([3.8, 2.0], gap="medium") if selected else (st.container(), None)
    with main:
        if layout == "board":
            _board(
                con,
                P,
                query=query,
                viewer=viewer,
                pipe=pipe,
                props=props,
                chosen=chosen,
                users=refs["user"],
            )
        else:
            _table(
                con,
                P,
                query=query,
                viewer=viewer,
                props=props,
                columns=columns,
                compact=bool(selected),
            )
    if side is not None:
        with side, st.container(border=True, key=f"{P}.preview"):
            _move_control(con, P, record_id=selected, pipe=pipe)
            record_panel.preview_panel(con, object_name=obj.name, record_id=selected, user=user, prefix=P,
                                       users=refs["user"])  # fmt: skip


def _quick_filters(P: str, props: dict, chosen: ObjectSettings, users: dict[int, str],
                   dates: tuple[str, ...]) -> tuple[list[dict], str]:  # fmt: skip
    """Owner, name and the date ranges, as conditions for every group, and the search text."""
    a, b = st.columns(2)
    owners = [None, ME, *users]
    owner = a.selectbox("Owner", owners, key=f"{P}.quick.owner",
                        format_func=lambda o: "Anyone" if o is None else "Me" if o == ME else users.get(o, "?"))  # fmt: skip
    search = b.text_input(
        "Name", key=f"{P}.quick.search", placeholder="Search by name", max_chars=200
    )
    conds = record_table.quick_filters(P, {k: v for k, v in props.items() if k in dates})
    if owner is not None and chosen.owner_property in props:
        conds.append({"property": chosen.owner_property, "operator": "eq", "value": owner})
    return conds, search


def _table(
    con, P: str, *, query: Query, viewer: Viewer, props: dict, columns: list[str], compact: bool
) -> None:
    page = listing_data.page(con, query, viewer, number=st.session_state.get(f"{P}.page", 1),
                             size=st.session_state.get(f"{P}.page_size", 25))  # fmt: skip
    st.markdown(f"**{page.total:,}** record{'s' if page.total != 1 else ''} in this pipeline")
    if page.total == 0:
        st.info(
            "No records match. Loosen the filters, or open another view or pipeline.",
            icon=":material/search_off:",
        )
        return
    picked = record_table.table(
        page, prefix=P, props=[props[c] for c in columns if c in props], compact=compact
    )
    if picked is not None:
        st.session_state[f"{P}.record_id"] = picked
        st.rerun()
    record_table.pager(page, prefix=P)


def _board(con, P: str, *, query: Query, viewer: Viewer, pipe, props: dict, chosen: ObjectSettings,
           users: dict[int, str]) -> None:  # fmt: skip
    amount = boards.amount_property(props)
    shown = st.session_state.setdefault(f"{P}.board.shown", {})
    columns = boards.board(con, query, viewer, pipeline=pipe, amount_property=amount,
                           owner_property=chosen.owner_property, shown=shown)  # fmt: skip
    total = sum(c.count for c in columns)
    st.markdown(f"**{total:,}** record{'s' if total != 1 else ''} in this pipeline · drag a card to another "
                "stage, or open it and use “Move to stage”")  # fmt: skip

    def on_move(move: dict) -> None:
        request_move(P, record_id=int(move["record"]), from_stage=int(move["from"]), to_stage=int(move["to"]))  # fmt: skip

    event = board.show(columns, key=f"{P}.board.{pipe.id}", amount_label=props[amount].label if amount else None,
                       users=users, on_move=on_move)  # fmt: skip
    if "more" in event:
        stage = int(event["more"])
        shown[stage] = shown.get(stage, boards.CARDS) + boards.CARDS
        st.rerun()
    if "open" in event:
        st.session_state[f"{P}.record_id"] = int(event["open"])
        st.rerun()


def request_move(P: str, *, record_id: int, from_stage: int | None, to_stage: int) -> None:
    """A move asked for: made, or prompted for, when the page next reaches the board (for a
    drop, asked in the board's callback, that is the drop's own run)."""
    st.session_state[f"{P}.move"] = {"record": record_id, "from": from_stage, "to": to_stage}


def _pending_move(con, P: str, *, user: User, obj: ObjectInfo, props: dict, refs: dict) -> None:
    """Make the requested move, or ask for the target stage's missing required properties
    first; "Cancel" leaves the record where it was."""
    move = st.session_state.get(f"{P}.move")
    if not move:
        return
    stage = pipelines.get_stage(con, move["to"])
    missing = pipelines.missing_for(con, obj.name, move["record"], move["to"]) if stage else []
    title = record_values.record_title(con, obj.name, move["record"]) or f"Record {move['record']}"
    if stage is not None and not missing:  # made in this run, before the board is drawn
        _save_move(con, P, user=user, obj=obj, move=move, values={}, title=title, stage=stage.label,
                   rerun=False)  # fmt: skip
        return
    with st.container(border=True, key=f"{P}-move-prompt"):
        st.markdown(
            f"**Move “{ut.md(title, ut.LABEL_LIMIT)}” to “{ut.md(stage.label if stage else '?')}”**"
        )
        st.caption("This stage needs these properties first.")
        values = {}
        for name in missing:
            prop = props.get(name)
            if prop is not None:
                values[name] = record_panel.edit_input(prop, None, f"{P}.move.value.{move['record']}.{name}",
                                                       refs["user"], user.time_zone)  # fmt: skip
        a, b, _ = st.columns([1, 1, 3])
        if a.button("Move", type="primary", key=f"{P}.move.save"):
            _save_move(
                con, P, user=user, obj=obj, move=move, values=values, title=title, stage=stage.label
            )
        if b.button("Cancel", key=f"{P}.move.cancel"):
            st.session_state[f"{P}.move"] = None
            st.rerun()


def _save_move(con, P: str, *, user: User, obj: ObjectInfo, move: dict, values: dict, title: str,
               stage: str, rerun: bool = True) -> None:  # fmt: skip
    """Make the move; ``rerun``: run the page again after it (the prompt asking for the stage's
    properties was drawn in this run)."""
    try:
        pipelines.move_record(con, actor=user, object_name=obj.name, record_id=move["record"], stage_id=move["to"],
                              expected_stage=move["from"], values=values, now=clock.now())  # fmt: skip
    except MoveRefused as exc:
        if exc.missing:  # still missing: the prompt says which
            ut.error(exc)
            return
        st.session_state[f"{P}.move"] = None
        ut.error(exc)
        return
    except (StaleEdit, ValueRefused, PermissionDenied) as exc:
        if isinstance(exc, StaleEdit):
            st.session_state[f"{P}.move"] = None
        ut.error(exc)
        return
    st.session_state[f"{P}.move"] = None
    state.flash(f"“{title}” moved to “{stage}”.")
    if rerun:
        st.rerun()
    state.show_flash()


def _move_control(con, P: str, *, record_id: int, pipe) -> None:
    """ "Move to stage": the keyboard way to do what a drag does."""
    row = record_values.get_record(con, pipe.object, record_id)
    if row is None or row.get("pipeline_id") != pipe.id:
        return
    stages = {s.id: s.label for s in pipe.stages}
    a, b = st.columns([3, 1], vertical_alignment="bottom")
    ids = list(stages)
    current = row.get("stage_id")
    target = a.selectbox("Move to stage", ids, index=ids.index(current) if current in ids else 0,
                         format_func=stages.get, key=f"{P}.move.to.{record_id}")  # fmt: skip
    if b.button("Move", key=f"{P}.move.go", disabled=target == current):
        request_move(P, record_id=record_id, from_stage=current, to_stage=target)
        st.rerun()


def empty_state(what: str, *, section: str, can_manage: bool) -> None:
    """The tab's object is off or not chosen: what the tab is for and how to set it up."""
    st.info(f"{what} are not set up in this workspace: no enabled object is chosen for this tab. "
            + ("Choose one in Settings (the standard object, or a custom object created for it)."
               if can_manage else "Ask a CS settings manager to set them up in Settings."),
            icon=":material/toggle_off:")  # fmt: skip
    if can_manage:
        st.page_link("app_pages/settings.py", label=f"Open {section.title()} settings", icon=":material/settings:",
                     query_params={"section": section})  # fmt: skip
