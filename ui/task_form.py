"""The "Create task" form (ACT-2): on the Actions tab, and for one record on its preview and
record page, so a CSM acting on a customer never leaves it."""

from __future__ import annotations

from datetime import time, timedelta

import duckdb
import streamlit as st

from cs_core import clock, record_list, settings, tasks, users
from cs_core.records import get_object
from cs_core.tasks import PRIORITIES, TYPES, TaskRefused
from cs_core.users import PermissionDenied, User
from ui import state
from ui import text as ut

RESULTS = 20  # records offered per searched object


def _record_choices(con: duckdb.DuckDBPyConnection, text: str) -> dict[str, str]:
    """Records matching ``text`` in the account object and contacts ("object:id" -> name)."""
    account = settings.get_customer_settings(con).object
    found: dict[str, str] = {}
    for name in dict.fromkeys([account, "contacts"]):
        info = get_object(con, name)
        if info is None:
            continue
        for rid, title in record_list.search(con, name, text, limit=RESULTS):
            found[f"{name}:{rid}"] = f"{title} ({info.label})"
    return found


def task_form(con: duckdb.DuckDBPyConnection, *, user: User, prefix: str,
              record: tuple[str, int, str] | None = None) -> None:  # fmt: skip
    """Title, type, due date and time (the user's zone), priority, owner (default: me), the
    associated record and notes; "Create", and "Create and add another" (the form stays,
    cleared, the first task saved). ``record`` (object, id, name) fixes the record.

    A refused task keeps everything typed; the fields are cleared only once it is saved.
    """
    gen = st.session_state.setdefault(f"{prefix}.task.gen", 0)
    key = f"{prefix}.task.{gen}"
    now = clock.now()
    today = clock.local_date(now, user.time_zone)
    people = {u.id: u.name for u in users.list_users(con) if u.has_full_access or u.id == user.id}
    title = st.text_input("Title", key=f"{key}.title", max_chars=tasks.MAX_TITLE,
                          placeholder="What needs doing?")  # fmt: skip
    a, b, c = st.columns(3)
    kind = a.selectbox("Type", list(TYPES), format_func=TYPES.get, key=f"{key}.type")
    day = b.date_input("Due date", value=today + timedelta(days=1), key=f"{key}.day",
                       help=f"In your time zone ({user.time_zone})")  # fmt: skip
    at = c.time_input("Time", value=time(9, 0), step=900, key=f"{key}.time")
    d, e = st.columns(2)
    priority = d.selectbox(
        "Priority", list(PRIORITIES), format_func=PRIORITIES.get, key=f"{key}.priority"
    )
    ids = list(people)
    owner = e.selectbox("Assigned to", ids, index=ids.index(user.id) if user.id in ids else 0,
                        format_func=lambda i: "Me" if i == user.id else people[i], key=f"{key}.owner")  # fmt: skip
    if record is not None:
        linked: tuple[str, int] | None = (record[0], record[1])
        st.caption(f"For {ut.md(record[2], ut.LABEL_LIMIT)}")
    else:
        linked = record_picker(con, key)
    notes = st.text_area("Notes", key=f"{key}.notes", max_chars=tasks.MAX_NOTES, height=80)
    x, y, _ = st.columns([1, 1.6, 2])
    create = x.button("Create", type="primary", key=f"{prefix}.task.create")
    another = y.button("Create and add another", key=f"{prefix}.task.another")
    if not (create or another):
        return
    try:
        made = tasks.create_task(
            con, actor=user, title=title, task_type=kind, priority=priority, owner_id=owner,
            due_at=tasks.local_due(day, at, user.time_zone), record=linked, notes=notes, now=clock.now(),
        )  # fmt: skip
    except (TaskRefused, PermissionDenied) as exc:
        ut.error(exc)
        return
    st.session_state[f"{prefix}.task.gen"] = gen + 1  # new, empty fields
    state.flash(f"Task “{made.title}” created.")
    if create:
        st.session_state[f"{prefix}.task.open"] = False
    st.rerun()


def record_picker(
    con: duckdb.DuckDBPyConnection, key: str, label: str = "Associated record"
) -> tuple[str, int] | None:
    """Search the account object and contacts by name, then pick one (or none)."""
    a, b = st.columns(2)
    text = a.text_input(label, key=f"{key}.search", placeholder="Search by name")
    if not text.strip():
        b.selectbox("Record", ["(none)"], key=f"{key}.record.none", disabled=True)
        return None
    choices = _record_choices(con, text)
    if not choices:
        b.selectbox("Record", [f"No record matches “{ut.short(text, 30)}”"], key=f"{key}.record.none",
                    disabled=True)  # fmt: skip
        return None
    options = [None, *choices]
    picked = b.selectbox("Record", options, index=1, key=f"{key}.record.{text.strip().lower()[:40]}",
                         format_func=lambda o: "(none)" if o is None else choices[o])  # fmt: skip
    if picked is None:
        return None
    obj, _, rid = picked.partition(":")
    return obj, int(rid)


def create_task_panel(con: duckdb.DuckDBPyConnection, *, user: User, prefix: str,
                      record: tuple[str, int, str] | None = None) -> None:  # fmt: skip
    """A "Create task" button that opens the form in place (closed again after "Create")."""
    opened = f"{prefix}.task.open"
    if not st.session_state.get(opened):
        if st.button("Create task", icon=":material/add_task:", key=f"{prefix}.task.start"):
            st.session_state[opened] = True
            st.rerun()
        return
    with st.container(border=True, key=f"{prefix}-task-form"):
        top = st.columns([4, 1], vertical_alignment="center")
        top[0].markdown("**New task**")
        if top[1].button("Cancel", key=f"{prefix}.task.cancel"):
            st.session_state[opened] = False
            st.session_state[f"{prefix}.task.gen"] = (
                st.session_state.get(f"{prefix}.task.gen", 0) + 1
            )
            st.rerun()
        task_form(con, user=user, prefix=prefix, record=record)
