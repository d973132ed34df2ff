"""Schedule tab: the user's meetings and tasks in a calendar with day, week, month and list
views, a time-zone choice and "Hide weekends"; a click shows the event's summary (SCH-1..SCH-3)."""

from datetime import date, timedelta
from zoneinfo import available_timezones

import streamlit as st
from streamlit_calendar import calendar

from cs_core import clock, schedule, settings
from cs_core.schedule import Event
from cs_core.users import Action
from ui import auth, db
from ui import text as ut

P = "schedule"
con = db.connection()
user = auth.require_page(con, Action.USE_WORKSPACE)
now = clock.now()
VIEWS = {"Day": "timeGridDay", "Week": "timeGridWeek", "Month": "dayGridMonth", "List": "listWeek"}


@st.cache_data(show_spinner=False)
def _zones() -> list[str]:
    return sorted(
        z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    ) + ["UTC"]


def _step(day: date, view: str, sign: int) -> date:
    if view == "Day":
        return day + timedelta(days=sign)
    if view == "Month":
        first = day.replace(day=1)
        return (
            (first + timedelta(days=32)).replace(day=1)
            if sign > 0
            else (first - timedelta(days=1)).replace(day=1)
        )
    return day + timedelta(days=7 * sign)


def _range(day: date, view: str) -> tuple[date, date]:
    if view == "Day":
        return day, day
    if view == "Month":
        return schedule.month_grid(day)
    return schedule.week_range(day)


zones = _zones()
st.session_state.setdefault(f"{P}.zone", user.time_zone if user.time_zone in zones else "UTC")
st.session_state.setdefault(f"{P}.view", "Week")
zone = st.session_state[f"{P}.zone"]
today = clock.local_date(now, zone)
day = st.session_state.setdefault(f"{P}.day", today)

bar = st.columns([2.6, 0.5, 0.8, 0.5, 2.6, 1.6], vertical_alignment="bottom")
view = (
    bar[0].segmented_control("View", list(VIEWS), key=f"{P}.view", label_visibility="collapsed")
    or "Week"
)
if bar[1].button("", icon=":material/chevron_left:", key=f"{P}.prev", help="Previous"):
    st.session_state[f"{P}.day"] = _step(day, view, -1)
    st.rerun()
if bar[2].button("Today", key=f"{P}.today"):
    st.session_state[f"{P}.day"] = today
    st.rerun()
if bar[3].button("", icon=":material/chevron_right:", key=f"{P}.next", help="Next"):
    st.session_state[f"{P}.day"] = _step(day, view, 1)
    st.rerun()
bar[4].selectbox("Time zone", zones, key=f"{P}.zone", help="Events move to this zone's clock")
hide = bar[5].checkbox("Hide weekends", key=f"{P}.hide_weekends", disabled=view in ("Day", "List"),
                       help="Week and month views")  # fmt: skip

first, last = _range(day, view)
found = schedule.events(con, user=user, first=first, last=last, time_zone=zone)
heading = (first.strftime("%A %d %B %Y") if view == "Day" else day.strftime("%B %Y") if view == "Month"
           else f"{first.strftime('%d %b')} – {last.strftime('%d %b %Y')}")  # fmt: skip
st.title(heading, anchor=False)
meetings = sum(e.kind == "meeting" for e in found)
st.caption(f"{meetings:,} meeting{'s' if meetings != 1 else ''} and {len(found) - meetings:,} task"
           f"{'s' if len(found) - meetings != 1 else ''} · times in {ut.md(zone)}")  # fmt: skip


def _scroll_to(shown: list[Event]) -> str:
    """Where the time grid opens: an hour before the earliest event (between 06:00 and 12:00)."""
    hour = min(12, max(6, min((e.start.hour for e in shown), default=9) - 1))
    return f"{hour:02d}:00:00"


COLOURS = {"meeting": "#3b6fd8", "task": "#e8833a", "done": "#9aa3ad"}


def _event(e: Event) -> dict:
    colour = COLOURS["done"] if e.completed else COLOURS[e.kind]
    return {
        "id": e.key, "title": ("✓ " if e.completed else "") + e.title,
        "start": e.start.isoformat(timespec="minutes"), "end": e.end.isoformat(timespec="minutes"),
        "backgroundColor": colour, "borderColor": colour,
        "classNames": ["cs-" + ("done" if e.completed else e.kind)],
    }  # fmt: skip


options = {
    "initialView": VIEWS[view], "initialDate": day.isoformat(), "firstDay": 1, "timeZone": "UTC",
    "headerToolbar": {"left": "", "center": "", "right": ""}, "weekends": not (hide and view in ("Week", "Month")),
    "nowIndicator": True, "now": schedule.now_local(now, zone).isoformat(timespec="minutes"),
    "slotMinTime": "06:00:00", "scrollTime": _scroll_to(found), "height": 640, "allDaySlot": False,
    "eventTimeFormat": {"hour": "2-digit", "minute": "2-digit", "hour12": False},
    "slotLabelFormat": {"hour": "2-digit", "minute": "2-digit", "hour12": False},
}  # fmt: skip
CSS = ".cs-done .fc-event-title, .cs-done .fc-list-event-title { text-decoration: line-through; opacity: .75; }"
by_key = {e.key: e for e in found}
left, right = st.columns([3.2, 1.4], gap="medium")
with left:
    state = calendar(events=[_event(e) for e in found], options=options, custom_css=CSS, callbacks=["eventClick"],
                     key=f"{P}.calendar.{view}.{day.isoformat()}.{zone}.{hide}")  # fmt: skip
    if not found:
        st.info("No meetings or tasks in these days. Create tasks on the Actions tab; meetings come with "
                "your customers' records.", icon=":material/event_available:")  # fmt: skip
clicked = (
    (state or {}).get("eventClick", {}).get("event", {}).get("id")
    if isinstance(state, dict)
    else None
)
if clicked:
    st.session_state[f"{P}.event"] = clicked

with right:
    picked = st.session_state.get(f"{P}.event")
    chosen = (
        schedule.detail(con, user=user, key=picked, time_zone=zone) if picked in by_key else None
    )
    if chosen is None:
        st.caption("Click an event to see its summary.")
    else:
        with st.container(border=True, key=f"{P}-summary"):
            kind = (
                "Meeting"
                if chosen.kind == "meeting"
                else "Task" + (" (completed)" if chosen.completed else "")
            )
            st.caption(kind)
            ut.title(chosen.title, level="subheader")
            when = f"{chosen.start.strftime('%a %d %b %Y, %H:%M')}"
            when += f"–{chosen.end.strftime('%H:%M')}" if chosen.kind == "meeting" else " (due)"
            st.markdown(f":material/schedule: {ut.md(when)} ({ut.md(zone)})")
            if chosen.record is not None:
                account = settings.get_customer_settings(con).object
                name = chosen.record_name or f"Record {chosen.record[1]}"
                if chosen.record[0] == account:
                    st.page_link("app_pages/customers.py", label=ut.md(name, ut.LABEL_LIMIT),
                                 icon=":material/business:", query_params={"record": str(chosen.record[1])})  # fmt: skip
                else:
                    ut.show(name)
            if chosen.attendees:
                st.markdown("**Attendees**")
                for person in chosen.attendees:
                    ut.show(person)
            if chosen.location:
                st.caption(ut.md(chosen.location, ut.VALUE_LIMIT))
            if chosen.notes:
                st.markdown("**Notes**")
                ut.show(chosen.notes)
            if chosen.link:
                st.link_button(
                    "Start meeting", chosen.link, icon=":material/videocam:", type="primary"
                )
