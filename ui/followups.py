"""Follow-up icons for a contact (FED-5, CUS-5): log a call or an email, create a task (the
Actions form), write a note, schedule a meeting. The same bar on a feed notification, the
record preview and the record page; the chosen form opens in place, and a refused
follow-up keeps what was typed."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import duckdb
import streamlit as st

from cs_core import clock, followups
from cs_core.followups import DURATIONS, FollowUpRefused
from cs_core.users import PermissionDenied, User
from ui import state, task_form
from ui import text as ut

ACTIONS = {  # kind: (button label, icon, form title)
    "call": ("Log call", ":material/call:", "Log a call"),
    "email": ("Log email", ":material/mail:", "Log an email"),
    "task": ("Task", ":material/add_task:", "Create a task"),
    "note": ("Note", ":material/edit_note:", "Write a note"),
    "meeting": ("Meeting", ":material/event:", "Schedule a meeting"),
}


def bar(con: duckdb.DuckDBPyConnection, *, user: User, contact_id: int, contact_name: str, prefix: str,
        compact: bool = False, extra=None) -> None:  # fmt: skip
    """The icons, then the form of the one chosen (closed by Cancel or once saved).
    ``compact``: icons only (a tooltip names each). ``extra``: a callable drawing one more
    control in the row (the feed's remove button)."""
    opened = f"{prefix}.fu.open"
    # Icons sit close together at the left; labelled buttons take more room each.
    buttons = len(ACTIONS) + (1 if extra else 0)
    cells = st.columns([1] * buttons + [14 if compact else 3], gap="small")
    for cell, (kind, (label, icon, _)) in zip(cells, ACTIONS.items(), strict=False):
        if cell.button(
            "" if compact else label,
            icon=icon,
            key=f"{prefix}.fu.{kind}",
            help=f"{label}: {ut.md(contact_name, ut.LABEL_LIMIT)}",
        ):
            st.session_state[opened] = None if st.session_state.get(opened) == kind else kind
            if kind == "task":
                st.session_state[f"{prefix}.fu.task.open"] = True
            st.rerun()
    if extra:
        with cells[len(ACTIONS)]:
            extra()
    kind = st.session_state.get(opened)
    if kind is None:
        return
    if kind == "task" and not st.session_state.get(
        f"{prefix}.fu.task.open", True
    ):  # created: closed
        st.session_state[opened] = None
        return
    with st.container(border=True, key=f"{prefix}-fu-form"):
        top = st.columns([4, 1], vertical_alignment="center")
        top[0].markdown(f"**{ACTIONS[kind][2]}** · {ut.md(contact_name, ut.LABEL_LIMIT)}")
        if top[1].button("Cancel", key=f"{prefix}.fu.cancel"):
            st.session_state[opened] = None
            st.rerun()
        if kind == "task":
            task_form.task_form(
                con, user=user, prefix=f"{prefix}.fu", record=("contacts", contact_id, contact_name)
            )
        elif kind == "meeting":
            _meeting_form(con, user=user, contact_id=contact_id, prefix=prefix)
        else:
            _log_form(con, user=user, contact_id=contact_id, kind=kind, prefix=prefix)


def _generation(prefix: str, kind: str) -> str:
    """The fields' key prefix: per form kind (a meeting's date is not a call's), renewed once
    saved so the next form starts empty."""
    gen = st.session_state.setdefault(f"{prefix}.fu.gen", 0)
    return f"{prefix}.fu.{gen}.{kind}"


def _saved(prefix: str, message: str) -> None:
    """Close the form, clear its fields for next time, say what was saved."""
    st.session_state[f"{prefix}.fu.gen"] = st.session_state.get(f"{prefix}.fu.gen", 0) + 1
    st.session_state[f"{prefix}.fu.open"] = None
    state.flash(message)
    st.rerun()


def _log_form(
    con: duckdb.DuckDBPyConnection, *, user: User, contact_id: int, kind: str, prefix: str
) -> None:
    key = _generation(prefix, kind)
    now = clock.now()
    local = clock.local(now, user.time_zone)
    subject = None
    if kind != "note":
        subject = st.text_input("Subject", key=f"{key}.subject", max_chars=followups.MAX_SUBJECT,
                                placeholder=followups.KINDS[kind])  # fmt: skip
        a, b = st.columns(2)
        day = a.date_input("Date", value=local.date(), max_value=local.date(), key=f"{key}.day",
                           help=f"In your time zone ({user.time_zone})")  # fmt: skip
        at = b.time_input(
            "Time", value=local.time().replace(second=0, microsecond=0), step=300, key=f"{key}.time"
        )
    body = st.text_area("Note" if kind == "note" else "What was said", key=f"{key}.body",
                        max_chars=followups.MAX_BODY, height=90)  # fmt: skip
    if not st.button("Save", type="primary", key=f"{prefix}.fu.save"):
        return
    when = None
    if kind != "note":
        when = datetime.combine(day, at or time(0, 0), tzinfo=clock.zone(user.time_zone))
    try:
        followups.log(con, actor=user, contact_id=contact_id, kind=kind, subject=subject, body=body,
                      occurred_at=when, now=clock.now())  # fmt: skip
    except (FollowUpRefused, PermissionDenied) as exc:
        ut.error(exc)
        return
    _saved(prefix, f"{followups.KINDS[kind]} saved on the contact.")


def _meeting_form(
    con: duckdb.DuckDBPyConnection, *, user: User, contact_id: int, prefix: str
) -> None:
    key = _generation(prefix, "meeting")
    local = clock.local(clock.now(), user.time_zone)
    title = st.text_input(
        "Title", key=f"{key}.title", max_chars=followups.MAX_SUBJECT, placeholder="Meeting"
    )
    a, b, c = st.columns(3)
    day = a.date_input("Date", value=local.date() + timedelta(days=1), key=f"{key}.day",
                       help=f"In your time zone ({user.time_zone})")  # fmt: skip
    at = b.time_input("Time", value=time(10, 0), step=900, key=f"{key}.time")
    minutes = c.selectbox("Duration", DURATIONS, index=DURATIONS.index(30), key=f"{key}.minutes",
                          format_func=lambda m: f"{m} min")  # fmt: skip
    attendees = st.text_input(
        "Attendees", key=f"{key}.attendees", placeholder="Emails or names, comma-separated"
    )
    notes = st.text_area("Notes", key=f"{key}.notes", max_chars=followups.MAX_BODY, height=70)
    if not st.button("Schedule", type="primary", key=f"{prefix}.fu.save"):
        return
    start = datetime.combine(day, at or time(10, 0), tzinfo=clock.zone(user.time_zone))
    try:
        followups.schedule_meeting(con, actor=user, contact_id=contact_id, title=title, start=start, minutes=minutes,
                                   attendees=attendees.split(","), notes=notes, now=clock.now())  # fmt: skip
    except (FollowUpRefused, PermissionDenied) as exc:
        ut.error(exc)
        return
    _saved(prefix, f"Meeting “{ut.short(title.strip())}” scheduled; it is on your Schedule tab.")


def for_record(con: duckdb.DuckDBPyConnection, *, user: User, object_name: str, record_id: int, title: str,
               contacts, prefix: str) -> None:  # fmt: skip
    """The follow-up icons under a record's properties: for a contact, on it; for another
    record, on one of its contacts (``contacts``: its associated contacts, id and Name)."""
    if object_name == "contacts":
        bar(con, user=user, contact_id=record_id, contact_name=title, prefix=prefix)
        return
    if contacts is None or contacts.empty:
        st.caption("Follow-ups are saved on a contact: this record has no associated contact yet.")
        return
    names = dict(zip(contacts["id"], contacts["Name"], strict=True))
    ids = list(names)
    chosen = st.selectbox(
        "Follow up with", ids, format_func=lambda i: names[i], key=f"{prefix}.fu.contact"
    )
    bar(
        con,
        user=user,
        contact_id=int(chosen),
        contact_name=str(names[chosen]),
        prefix=f"{prefix}.c{chosen}",
    )
