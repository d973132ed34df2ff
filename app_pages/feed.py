"""Feed tab (FED-1..FED-5): what the people at the user's accounts just did, newest first, with
a follow-up one click away; a contact's record page opens here (``?object=contacts&record=ID``)."""

import time as timer
from datetime import datetime

import streamlit as st

from cs_core import clock, feed, records, settings
from cs_core.activities import LABELS
from cs_core.feed import TYPES, FeedError
from cs_core.users import Action, list_users
from ui import auth, db, followups, record_panel
from ui import text as ut

P = "feed"
UNDO_SECONDS = 8
ICONS = {
    "email_open": ":material/drafts:", "email_click": ":material/ads_click:", "email_reply": ":material/reply:",
    "page_view": ":material/web:", "form_submission": ":material/assignment:",
    "sequence_enrolled": ":material/playlist_add:", "sequence_unenrolled": ":material/playlist_remove:",
    "meeting_booked": ":material/event_available:",
}  # fmt: skip
con = db.connection()
user = auth.require_page(con, Action.USE_WORKSPACE)
account = settings.get_customer_settings(con).object

if st.query_params.get("object") == "contacts" and records.get_object(con, "contacts"):
    users = {u.id: u.name for u in list_users(con)}
    if record_panel.record_page_from_url(
        con, object_name="contacts", user=user, prefix=f"{P}.contact", users=users
    ):
        st.stop()


def _ago(when: datetime, now: datetime) -> str:
    seconds = max(0, int((clock.utc_naive(now) - when).total_seconds()))
    for size, unit in ((86400 * 7, "week"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


ut.title("Feed")
st.caption("What the people at your accounts did lately, newest first. Follow up in one click.")
a, b, c = st.columns([2, 2, 1.4])
search = a.text_input("Search", key=f"{P}.search", placeholder="Contact, company, subject",
                      max_chars=feed.MAX_SEARCH, icon=":material/search:")  # fmt: skip
kinds = b.multiselect("Activity types", list(TYPES), key=f"{P}.types", placeholder="All types",
                      format_func=lambda t: TYPES[t].capitalize())  # fmt: skip
sequences = dict(feed.sequences(con))
options = [None, feed.ANY_SEQUENCE, *sequences]
sequence = c.selectbox("Sequence", options, key=f"{P}.sequence",
                       format_func=lambda o: "All contacts" if o is None else ("Enrolled in any sequence"
                                                                                if o == feed.ANY_SEQUENCE else sequences[o]))  # fmt: skip

# A new search or filter starts again at the newest page.
asked = (search, tuple(kinds), sequence)
if st.session_state.get(f"{P}.asked") != asked:
    st.session_state[f"{P}.asked"] = asked
    st.session_state[f"{P}.pages"] = 1
pages = st.session_state.setdefault(f"{P}.pages", 1)

removed = st.session_state.get(f"{P}.removed")  # (activity id, when, the id shown below it)
if removed and st.session_state.get(f"{P}.undo"):  # Undo was clicked: honoured even if just late
    feed.restore(con, user=user, activity_id=removed[0])
    removed = st.session_state[f"{P}.removed"] = None
elif removed and timer.monotonic() - removed[1] >= UNDO_SECONDS:
    removed = st.session_state[f"{P}.removed"] = None


def _undo_banner() -> None:
    """Where the removed notification was: what happened, and Undo for a few seconds."""
    with st.container(border=True, key=f"{P}-undo"):
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(":material/delete: Notification removed from your feed.")
        right.button("Undo", key=f"{P}.undo")  # read at the top of the next run


now = clock.now()
items, cursor = [], None
try:
    for _ in range(pages):  # the pages loaded so far, each continuing below the previous one
        found = feed.page(con, user=user, now=now, older_than=cursor, search=search, types=kinds or None,
                          sequence=sequence)  # fmt: skip
        items += found.items
        cursor = found.older
        if cursor is None:
            break
except FeedError as exc:
    ut.error(exc)
    st.stop()

if not items:
    if search or kinds or sequence is not None:
        st.info("No notification matches these filters. Clear the search or choose other types.",
                icon=":material/filter_alt_off:")  # fmt: skip
    else:
        st.info("Nothing yet: when contacts at the accounts you own open emails, visit pages or book meetings, "
                "it shows here.", icon=":material/notifications:")  # fmt: skip


def _remove(activity_id: int, below: int | None) -> None:
    feed.remove(con, user=user, activity_id=activity_id, now=clock.now())
    st.session_state[f"{P}.removed"] = (activity_id, timer.monotonic(), below)


shown_ids = {item.id for item in items}
for item, after in zip(items, [*items[1:], None][: len(items)], strict=True):
    next_id = after.id if after is not None else None  # the one the undo banner shows above
    if removed and removed[2] == item.id:
        _undo_banner()
    with st.container(border=True, key=f"{P}-item-{item.id}"):
        icon, body = st.columns([0.35, 9], vertical_alignment="top")
        icon.markdown(ICONS.get(item.activity_type, ":material/notifications:"))
        with body:
            who, what, where = st.columns([2, 4, 2], vertical_alignment="center")
            who.page_link("app_pages/feed.py", label=ut.md(item.contact_name, ut.LABEL_LIMIT),
                          query_params={"object": "contacts", "record": str(item.contact_id)})  # fmt: skip
            exact = clock.shown(item.occurred_at, user.time_zone, "%a %d %b %Y, %H:%M")
            what.markdown(f"{ut.md(item.action)} · **{_ago(item.occurred_at, now)}**")
            if item.account_object == account and account != "contacts":
                where.page_link("app_pages/customers.py", label=ut.md(item.account_name, ut.LABEL_LIMIT),
                                icon=":material/business:", query_params={"record": str(item.account_id)})  # fmt: skip
            if item.subject and item.subject != LABELS.get(
                item.activity_type
            ):  # not the type said twice
                ut.show(item.subject)
            st.caption(f"{exact} ({ut.md(user.time_zone)})")
            if item.sequence:
                st.caption(f"Sequence: {ut.md(item.sequence, ut.LABEL_LIMIT)}")
            followups.bar(
                con, user=user, contact_id=item.contact_id, contact_name=item.contact_name, prefix=f"{P}.n{item.id}",
                compact=True,
                extra=lambda i=item.id, below=next_id: st.button(
                    "", icon=":material/delete:", key=f"{P}.remove.{i}", help="Remove from my feed", on_click=_remove,
                    args=(i, below)),
            )  # fmt: skip

if removed and removed[2] not in shown_ids:  # it was the last one shown
    _undo_banner()
if cursor is not None:
    if st.button("Load older activities", icon=":material/expand_more:", key=f"{P}.older"):
        st.session_state[f"{P}.pages"] = pages + 1
        st.rerun()
elif items:
    st.caption("That is everything in your feed.")
