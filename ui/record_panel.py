"""The record preview panel and the full record page, with inline edit, follow and merge."""

from __future__ import annotations

import duckdb
import pandas as pd
import streamlit as st

from cs_core import clock, follows, merges, record_detail, record_list, record_values, tasks
from cs_core.merges import MergeRefused
from cs_core.record_values import ValueRefused
from cs_core.records import Property, get_object
from cs_core.users import PermissionDenied, User
from ui import followups, health_panel, record_table, sections, state, task_form
from ui import text as ut


def edit_input(prop: Property, current, key: str, users: dict[int, str], time_zone: str):
    """A type-fitting input; numbers and dates are typed so that a wrong value can be explained."""
    if prop.type == "enumeration":
        options = [None, *prop.options]
        index = options.index(current) if current in options else 0
        return st.selectbox(ut.md(prop.label, ut.LABEL_LIMIT), options, index=index, key=key,
                            format_func=lambda o: "(empty)" if o is None else prop.option_label(o))  # fmt: skip
    if prop.type == "user":
        options = [None, *users]
        index = options.index(current) if current in options else 0
        return st.selectbox(ut.md(prop.label, ut.LABEL_LIMIT), options, index=index, key=key,
                            format_func=lambda o: "(no owner)" if o is None else users[o])  # fmt: skip
    if prop.type == "boolean":
        options = [None, True, False]
        return st.selectbox(ut.md(prop.label, ut.LABEL_LIMIT), options,
                            index=options.index(current) if current in options else 0,
                            key=key, format_func={None: "(empty)", True: "Yes", False: "No"}.get)  # fmt: skip
    hint = {"number": "a number", "date": "YYYY-MM-DD", "datetime": "YYYY-MM-DD HH:MM"}.get(
        prop.type
    )
    shown = record_values.as_text(current) or ""
    if prop.type == "datetime" and current is not None:  # seconds only when there are some
        shown = clock.shown(
            current, time_zone, "%Y-%m-%d %H:%M:%S" if current.second else "%Y-%m-%d %H:%M"
        )
    return st.text_input(ut.md(prop.label, ut.LABEL_LIMIT), value=shown, key=key, placeholder=hint,
                         help="In your time zone" if prop.type == "datetime" else None)  # fmt: skip


def edit_form(con: duckdb.DuckDBPyConnection, *, object_name: str, record_id: int, user: User,
              prefix: str, users: dict[int, str]) -> None:  # fmt: skip
    """Pick a property, enter a value, save: validated in cs_core, written with history."""
    props = {p.name: p for p in record_values.editable_properties(con, object_name)}
    record = record_values.get_record(con, object_name, record_id)
    name = st.selectbox(
        "Property", list(props), format_func=lambda n: props[n].label, key=f"{prefix}.edit.prop"
    )
    prop = props[name]
    key = f"{prefix}.edit.value.{record_id}.{name}"
    # The value the user saw when the input appeared: a save compares with it, so an edit of a
    # value someone changed meanwhile is refused instead of overwriting theirs.
    seen = st.session_state.setdefault(f"{key}.seen", {"value": record.get(name)})["value"]
    edit_input(prop, seen, key, users, user.time_zone)
    # Saved in the button's callback, before the page is drawn again: one run shows the new
    # value, instead of a run that saves and a second one that shows it.
    st.button("Save", type="primary", key=f"{prefix}.edit.save", icon=":material/save:",
              on_click=_save_edit, args=(object_name, record_id, prop, key, user))  # fmt: skip
    problem = st.session_state.pop(f"{key}.problem", None)
    if problem is not None:
        ut.error(problem[0], icon=problem[1])


def _save_edit(object_name: str, record_id: int, prop: Property, key: str, user: User) -> None:
    """The Save button's callback: the value in the field, written if nobody changed the stored
    one since the user saw it; a refusal is kept for the form to show."""
    from ui import db

    con = db.connection()
    seen = st.session_state.get(f"{key}.seen", {}).get("value")
    try:
        change = record_values.update_property(
            con, actor=user, object_name=object_name, record_id=record_id,
            property_name=prop.name, value=st.session_state.get(key), now=clock.now(), expected=seen,
        )  # fmt: skip
    except record_values.StaleEdit as exc:
        # Nothing was overwritten. The user's value stays in the field; saving again (now
        # that they have seen the other change) replaces it.
        fresh = record_values.get_record(con, object_name, record_id) or {}
        st.session_state[f"{key}.seen"] = {"value": fresh.get(prop.name)}
        st.session_state[f"{key}.problem"] = (
            f"{exc} Your value is still in the field: save again to replace theirs.",
            ":material/sync_problem:",
        )
        return
    except (ValueRefused, PermissionDenied) as exc:
        st.session_state[f"{key}.problem"] = (str(exc), ":material/error:")
        return
    _forget_edit(key)
    state.flash(f"{prop.label} saved." if change else f"{prop.label} was already that value.")


def _forget_edit(key: str) -> None:
    """Start the input afresh from the stored value on the next run."""
    st.session_state.pop(f"{key}.seen", None)
    st.session_state.pop(key, None)


def history_table(con: duckdb.DuckDBPyConnection, object_name: str, record_id: int, *, prefix: str,
                  time_zone: str, compact: bool = False) -> None:  # fmt: skip
    """Property history, newest first, optionally for one property; times in the user's zone.
    ``compact`` (the preview): old → new in one column, so nothing scrolls sideways."""
    frame = record_values.property_history(con, object_name, record_id, time_zone=time_zone)
    if frame.empty:
        st.caption("No changes recorded yet.")
        return
    frame.loc[frame["internal_name"] == merges.MERGE_PROPERTY, "Property"] = "Merged record"
    options = ["All properties", *dict.fromkeys(frame["Property"])]
    which = st.selectbox("Show changes of", options, key=f"{prefix}.history.prop")
    if which != "All properties":
        frame = frame[frame["Property"] == which]
    frame = frame.drop(columns=["internal_name", "code"])
    if compact:
        frame = frame.assign(Change=frame["Old value"] + " → " + frame["New value"])[
            ["When", "Property", "Change", "By"]
        ]
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{prefix}.history.table",
                 column_config={"When": st.column_config.DatetimeColumn(f"When ({time_zone})",
                                                                        format="YYYY-MM-DD HH:mm")})  # fmt: skip


def merge_form(con: duckdb.DuckDBPyConnection, *, object_name: str, record_id: int, title: str,
               user: User, prefix: str) -> None:  # fmt: skip
    """Merge with another record of the same object; the user picks which one survives."""
    label = get_object(con, object_name).label.lower()
    text = st.text_input(
        f"Find the other {label}", key=f"{prefix}.merge.search", placeholder="name contains…"
    )
    if not text.strip():
        st.caption(f"Type part of the other {label}'s name.")
        return
    found = record_list.search(con, object_name, text, exclude=record_id)
    if not found:
        st.caption(f"No other {ut.md(label)} matches “{ut.md(text, ut.LABEL_LIMIT)}”.")
        return
    names = dict(found)
    other = st.selectbox("Merge with", list(names), format_func=lambda i: f"{ut.short(names[i])} (#{i})",
                         key=f"{prefix}.merge.other")  # fmt: skip
    keep = st.radio("Keep", [record_id, other], key=f"{prefix}.merge.keep",
                    format_func=lambda i: f"{ut.md(title if i == record_id else names[i], ut.LABEL_LIMIT)} (#{i})",
                    help="The record kept keeps its id and values; its empty values take the other's.")  # fmt: skip
    gone = other if keep == record_id else record_id
    _merge_comparison(con, object_name=object_name, first=(record_id, title), second=(other, names[other]),
                      keep=keep, user=user, prefix=prefix)  # fmt: skip
    sure = st.checkbox(
        "I understand: associations, activities, tasks and history move to the record kept, "
        "and the other record is deleted.",
        key=f"{prefix}.merge.confirm",
    )
    if st.button("Merge", type="primary", disabled=not sure, key=f"{prefix}.merge.go"):
        try:
            merges.merge_records(con, actor=user, object_name=object_name, survivor_id=keep,
                                 merged_id=gone, now=clock.now())  # fmt: skip
        except (MergeRefused, PermissionDenied) as exc:
            ut.error(exc)
            return
        st.session_state[f"{prefix}.record_id"] = keep
        for k in ("merge.search", "merge.confirm"):
            st.session_state.pop(f"{prefix}.{k}", None)
        state.flash("Records merged.")
        st.rerun()


def _merge_comparison(con, *, object_name: str, first: tuple[int, str], second: tuple[int, str], keep: int,
                      user: User, prefix: str) -> None:  # fmt: skip
    """The two records side by side (differing values highlighted) and what the one kept will hold."""
    try:
        rows = merges.compare(con, object_name=object_name, first_id=first[0], second_id=second[0],
                              survivor_id=keep, time_zone=user.time_zone)  # fmt: skip
    except MergeRefused as exc:
        ut.error(exc)
        return
    heads = [f"{ut.short(first[1], 40)} (#{first[0]})", f"{ut.short(second[1], 40)} (#{second[0]})"]
    if heads[0] == heads[1]:
        heads[1] += " "
    frame = pd.DataFrame({"Property": [r.label for r in rows], heads[0]: [r.first for r in rows],
                          heads[1]: [r.second for r in rows], "After the merge": [r.kept for r in rows]})  # fmt: skip
    differs = [r.differs for r in rows]
    styled = frame.style.apply(
        lambda col: ["background-color: #fef3c7" if d else "" for d in differs], axis=0,
        subset=heads,
    )  # fmt: skip
    st.caption(f"{sum(differs):,} of {len(rows):,} properties differ (highlighted).")
    st.dataframe(styled, hide_index=True, width="stretch", key=f"{prefix}.merge.compare")


FIELD_LABEL_PX = 150  # the labels' width, so that the values line up


def _fields_block(fields) -> None:
    """Label | value, a row block each (two columns would be three blocks a row, every run)."""
    for f in fields:
        with st.container(horizontal=True, gap="small"):
            st.caption(ut.md(f.label, ut.LABEL_LIMIT), help=ut.tooltip(f.label, ut.LABEL_LIMIT),
                       width=FIELD_LABEL_PX)  # fmt: skip
            ut.show(f.display)


def preview_panel(con: duckdb.DuckDBPyConnection, *, object_name: str, record_id: int, user: User,
                  prefix: str, users: dict[int, str]) -> None:  # fmt: skip
    """The side panel for a selected record."""
    p = record_detail.preview(con, object_name=object_name, record_id=record_id, user=user)
    if p is None:
        st.info("This record no longer exists.", icon=":material/info:")
        return
    top = st.columns([4, 1])
    ut.title(p.title, where=top[0], level="subheader", limit=ut.LABEL_LIMIT)
    if top[1].button(
        "", icon=":material/close:", key=f"{prefix}.preview.close", help="Close the preview"
    ):
        st.session_state[f"{prefix}.record_id"] = None
        record_table.clear_selection(prefix)  # no row stays ticked behind a closed preview
        st.rerun()
    a, b = st.columns(2)
    if a.button("Open record", icon=":material/open_in_full:", key=f"{prefix}.preview.open"):
        st.query_params["record"] = str(record_id)
        st.rerun()
    label = "Unfollow" if p.following else "Follow"
    if b.button(label, icon=":material/notifications:", key=f"{prefix}.preview.follow"):
        follows.set_following(con, actor=user, object_name=object_name, record_id=record_id,
                              follow=not p.following, now=clock.now())  # fmt: skip
        state.flash(
            "You follow this record now."
            if not p.following
            else "You no longer follow this record."
        )
        st.rerun()
    task_form.create_task_panel(
        con, user=user, prefix=f"{prefix}.preview", record=(object_name, record_id, p.title)
    )
    health_panel.summary_line(con, object_name, record_id, day=clock.score_date(clock.now()))
    _fields_block(p.fields)
    followups.for_record(con, user=user, object_name=object_name, record_id=record_id, title=p.title,
                         contacts=p.associations.get("Contacts"), prefix=f"{prefix}.preview")  # fmt: skip
    with st.expander("Edit a property", icon=":material/edit:"):
        edit_form(
            con, object_name=object_name, record_id=record_id, user=user, prefix=prefix, users=users
        )
    st.markdown("**Recent activity**")
    if p.activities.empty:
        st.caption("No activity yet.")
    else:
        st.dataframe(
            p.activities,
            hide_index=True,
            width="stretch",
            key=f"{prefix}.preview.activity",
        )
    _tasks_block(
        con,
        object_name,
        record_id,
        prefix=f"{prefix}.preview",
        time_zone=user.time_zone,
        open_only=True,
    )
    st.markdown("**Associated records**")
    if not p.associations:
        st.caption("No associated records.")
    for label, frame in p.associations.items():
        count = p.association_counts[label]
        st.caption(f"{ut.md(label)} ({count:,})")
        st.markdown(
            "\n".join(f"- {ut.md(n, ut.LABEL_LIMIT)}" for n in frame["Name"])
            + ("\n- …" if count > len(frame) else "")
        )
    # Built only while open: most previews are glanced at, not dug into.
    with sections.folded("Property history", key=f"{prefix}.preview.history",
                         icon=":material/history:") as fold:  # fmt: skip
        if fold.build:
            history_table(con, object_name, record_id, prefix=f"{prefix}.preview",
                          time_zone=user.time_zone, compact=True)  # fmt: skip
    with sections.folded("Merge with another record", key=f"{prefix}.preview.merge",
                         icon=":material/merge:") as fold:  # fmt: skip
        if fold.build:
            merge_form(con, object_name=object_name, record_id=record_id, title=p.title, user=user,
                       prefix=prefix)  # fmt: skip


def record_page_from_url(con: duckdb.DuckDBPyConnection, *, object_name: str, user: User, prefix: str,
                         users: dict[int, str]) -> bool:  # fmt: skip
    """The record page when the URL names a record (``?record=ID``); True when it was shown
    (or the id was refused with a message), so the tab shows nothing else."""
    if "record" not in st.query_params:
        return False
    try:
        record_id = int(st.query_params["record"])
    except ValueError:
        ut.error(f"“{ut.short(st.query_params['record'])}” is not a record id.")
        return True
    record_page(
        con, object_name=object_name, record_id=record_id, user=user, prefix=prefix, users=users
    )
    return True


def record_page(con: duckdb.DuckDBPyConnection, *, object_name: str, record_id: int, user: User,
                prefix: str, users: dict[int, str]) -> None:  # fmt: skip
    """The whole record: properties by group, activity timeline, associations, history, health."""
    info = get_object(con, object_name)
    title = record_values.record_title(con, object_name, record_id)
    if st.button(
        f"Back to {ut.md(info.label_plural.lower(), ut.LABEL_LIMIT)}",
        icon=":material/arrow_back:",
        key=f"{prefix}.back",
    ):
        del st.query_params["record"]
        st.rerun()
    if title is None:
        ut.warning(
            f"There is no {info.label.lower()} with id {record_id}; it may have been merged or deleted."
        )
        return
    ut.title(title)
    st.caption(f"{ut.md(info.label, ut.LABEL_LIMIT)} · record id {record_id}")
    tabs = st.tabs(["Properties", "Activity", "Associations", "History", "Health score"])
    with tabs[0]:
        left, right = st.columns([3, 2])
        with left:
            grouped = record_detail.all_fields(
                con, object_name, record_id, time_zone=user.time_zone
            )
            for group, fields in grouped.items():
                with st.container(border=True):
                    st.markdown(f"**{ut.md(group, ut.LABEL_LIMIT)}**")
                    _fields_block(fields)
        with right, st.container(border=True):
            st.markdown("**Edit a property**")
            edit_form(con, object_name=object_name, record_id=record_id, user=user, prefix=f"{prefix}.page",
                      users=users)  # fmt: skip
    with tabs[1]:
        task_form.create_task_panel(
            con, user=user, prefix=f"{prefix}.page", record=(object_name, record_id, title)
        )
        linked, _ = record_detail.associations(con, object_name, record_id, limit=100)
        followups.for_record(con, user=user, object_name=object_name, record_id=record_id, title=title or "",
                             contacts=linked.get("Contacts"), prefix=f"{prefix}.page")  # fmt: skip
        _tasks_block(con, object_name, record_id, prefix=f"{prefix}.page", time_zone=user.time_zone)
        _timeline(con, object_name, record_id, prefix=prefix, time_zone=user.time_zone)
    with tabs[2]:
        assoc, counts = record_detail.associations(con, object_name, record_id, limit=100)
        if not assoc:
            st.caption("No associated records.")
        for label, frame in assoc.items():
            st.markdown(f"**{ut.md(label, ut.LABEL_LIMIT)}** ({counts[label]:,})")
            st.dataframe(frame, hide_index=True, width="stretch", key=f"{prefix}.assoc.{label}")
    with tabs[3]:
        history_table(
            con, object_name, record_id, prefix=f"{prefix}.page", time_zone=user.time_zone
        )
    with tabs[4]:
        health_panel.health_tab(con, object_name, record_id, prefix=prefix, user=user)  # fmt: skip


def _tasks_block(con, object_name: str, record_id: int, *, prefix: str, time_zone: str,
                 open_only: bool = False) -> None:  # fmt: skip
    """The record's tasks (the preview: its open ones), due times in the user's zone."""
    frame = tasks.record_tasks(
        con, object_name, record_id, time_zone=time_zone, open_only=open_only
    )
    st.markdown("**Open tasks**" if open_only else "**Tasks**")
    if frame.empty:
        st.caption("No open tasks." if open_only else "No tasks yet.")
        return
    config = {"Due": st.column_config.DatetimeColumn("Due", format="YYYY-MM-DD HH:mm"),
              "Completed": st.column_config.DatetimeColumn("Completed", format="YYYY-MM-DD HH:mm")}  # fmt: skip
    st.dataframe(
        frame, hide_index=True, width="stretch", key=f"{prefix}.tasks", column_config=config
    )


def _timeline(con, object_name: str, record_id: int, *, prefix: str, time_zone: str) -> None:
    labels = record_detail.ACTIVITY_LABELS
    types = st.multiselect("Activity types", list(labels), format_func=labels.get, key=f"{prefix}.timeline.types",
                           placeholder="All activity types")  # fmt: skip
    shown_key = f"{prefix}.timeline.limit.{record_id}"
    limit = st.session_state.get(shown_key, 25)
    total = record_detail.activity_count(con, object_name, record_id, types=types or None)
    frame = record_detail.activities(con, object_name, record_id, types=types or None, limit=limit,
                                     time_zone=time_zone)  # fmt: skip
    st.caption(
        f"{total:,} activities" + (f", newest {len(frame):,} shown" if total > len(frame) else "")
    )
    if frame.empty:
        st.caption("No activity of these types.")
        return
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{prefix}.timeline.table")
    if total > len(frame) and st.button("Load older activities", key=f"{prefix}.timeline.more"):
        st.session_state[shown_key] = limit + 50
        st.rerun()
