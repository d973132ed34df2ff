"""The Feed (FED-1..FED-4): what the contacts of a user's accounts just did, newest first.

A notification is an activity a contact did (an email opened, a page viewed, a meeting
booked; not what a user logged) that belongs to an account record the user owns, by the
one rule of :mod:`cs_core.activities` (a company's activities are its contacts'). Pages
are keyset-paginated on ``(occurred_at, id)``: "load older" continues below the last
item shown, so activities that arrive meanwhile (newer than the first page) neither
repeat nor push items out of the pages that follow. A user removes a notification for
themselves only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from cs_core import activities, clock, db
from cs_core.record_values import title_sql
from cs_core.records import get_object, get_property
from cs_core.settings import get_customer_settings
from cs_core.sql import col, id_list, ident, literal
from cs_core.users import Action, User, require

# What contacts do, by activity type, with the words of a notification.
TYPES = {
    "email_open": "opened an email",
    "email_click": "clicked a link in an email",
    "email_reply": "replied to an email",
    "page_view": "viewed a page",
    "form_submission": "submitted a form",
    "sequence_enrolled": "was enrolled in a sequence",
    "sequence_unenrolled": "was unenrolled from a sequence",
    "meeting_booked": "booked a meeting",
}
PAGE_SIZE = 25
MAX_PAGE = 100
MAX_SEARCH = 200
WINDOWS = (7, 35, 180, None)  # days back from the newest possible item, tried in turn
ANY_SEQUENCE = "any"


@dataclass(frozen=True)
class Cursor:
    """Where the next (older) page starts: below this item."""

    occurred_at: datetime
    id: int


@dataclass(frozen=True)
class Notification:
    id: int
    occurred_at: datetime  # UTC, naive as stored
    activity_type: str
    subject: str | None
    body: str | None
    contact_id: int
    contact_name: str
    account_object: str
    account_id: int
    account_name: str
    sequence: str | None

    @property
    def action(self) -> str:
        return TYPES.get(self.activity_type, self.activity_type.replace("_", " "))


@dataclass(frozen=True)
class FeedPage:
    items: tuple[Notification, ...]
    older: Cursor | None  # None: nothing older


class FeedError(ValueError):
    """A request the feed cannot answer; the message names the problem."""


def _owned(con: duckdb.DuckDBPyConnection, user: User) -> tuple[str, str, str, str, list]:
    """For the activities of the user's account records: (account object, FROM clause on
    ``activities a``, a condition, the SQL of the account record's id, params)."""
    chosen = get_customer_settings(con)
    obj = chosen.object
    if get_object(con, obj) is None or get_property(con, obj, chosen.owner_property) is None:
        raise FeedError("The customer settings name no account object with an owner property.")
    mine = f"SELECT id FROM {ident(obj)} o WHERE {col('o', chosen.owner_property)} = ?"
    column = activities.OWN_COLUMN.get(obj)
    if column is not None:  # one column of the activity says whose it is
        return obj, "activities a", f"a.{column} IN ({mine})", f"a.{column}", [user.id]
    linked, params = activities.linked(obj)  # an activity may belong to several records
    owned = (
        f"(SELECT l.id, min(l.rid) AS rid FROM ({linked}) l WHERE l.rid IN ({mine}) GROUP BY l.id)"
    )
    return obj, f"activities a JOIN {owned} o ON o.id = a.id", "TRUE", "o.rid", [*params, user.id]


def page(con: duckdb.DuckDBPyConnection, *, user: User, now: datetime, older_than: Cursor | None = None,
         limit: int = PAGE_SIZE, search: str = "", types: list[str] | None = None,
         sequence: int | str | None = None) -> FeedPage:  # fmt: skip
    """One page of the user's notifications, newest first, older than ``older_than``;
    ``search`` matches the contact, the account and the activity's subject and body;
    ``types`` keeps those activity types; ``sequence`` keeps the contacts enrolled in that
    sequence now (``"any"``: in any)."""
    require(user, Action.USE_WORKSPACE)
    if not 1 <= limit <= MAX_PAGE:
        raise FeedError(f"A feed page has 1 to {MAX_PAGE} notifications.")
    wanted = list(types) if types else list(TYPES)
    unknown = [t for t in wanted if t not in TYPES]
    if unknown:
        raise FeedError(f"{unknown[0]!r} is not an activity type of the feed.")
    obj, source, condition, rid, params = _owned(con, user)
    stamp = clock.utc_naive(now)
    # The types as literals (checked above), compared one by one: cheaper than an IN list,
    # which DuckDB turns into a join.
    kinds = " OR ".join(f"a.activity_type = {literal(t)}" for t in wanted)
    where = [condition, "a.contact_id IS NOT NULL", f"({kinds})",
             "a.occurred_at <= ?",
             "a.id NOT IN (SELECT activity_id FROM feed_dismissals WHERE user_id = ?)"]  # fmt: skip
    where_params: list = [stamp, user.id]
    if older_than is not None:
        where.append("(a.occurred_at < ? OR (a.occurred_at = ? AND a.id < ?))")
        older = clock.utc_naive(older_than.occurred_at)
        where_params += [older, older, older_than.id]
    if sequence is not None:
        enrolled = ("SELECT contact_id FROM sequence_enrollments WHERE enrolled_at <= ? "
                    "AND (unenrolled_at IS NULL OR unenrolled_at > ?)")  # fmt: skip
        where_params += [stamp, stamp]
        if sequence != ANY_SEQUENCE:
            if not isinstance(sequence, int):
                raise FeedError("Choose a sequence, or any sequence.")
            enrolled += " AND sequence_id = ?"
            where_params.append(sequence)
        where.append(f"a.contact_id IN ({enrolled})")
    needle = (search or "").strip().lower()[:MAX_SEARCH]
    top = clock.utc_naive(older_than.occurred_at) if older_than is not None else stamp
    conditions = " AND ".join(where)
    if needle:
        # The user's activities first, then joined to their contacts' and accounts' names:
        # matches are few and far apart, so one pass over all of them.
        sql = f"""
            WITH mine AS MATERIALIZED (SELECT a.id, a.occurred_at, {rid} AS rid, a.contact_id, a.subject, a.body
                                      FROM {source} WHERE {conditions} AND a.occurred_at >= ?)
            SELECT m.id, m.occurred_at, m.rid FROM mine m JOIN contacts c ON c.id = m.contact_id
            LEFT JOIN {ident(obj)} r ON r.id = m.rid
            WHERE contains(lower(coalesce(m.subject, '')), ?) OR contains(lower(coalesce(m.body, '')), ?)
               OR contains(lower({title_sql(con, 'contacts', 'c')}), ?) OR contains(lower({title_sql(con, obj, 'r')}), ?)
            ORDER BY m.occurred_at DESC, m.id DESC LIMIT ?
        """  # fmt: skip
        windows, search_params = (None,), [needle] * 4
    else:
        # Only the keys (no texts read), newest first through growing windows of time:
        # activities are stored roughly in time order, so a window is a few blocks the
        # dates' zone maps find; a page the window does not fill is asked again over a
        # longer one, the last without a bound.
        sql = f"""
            SELECT a.id, a.occurred_at, {rid} AS rid FROM {source}
            WHERE {conditions} AND a.occurred_at >= ?
            ORDER BY a.occurred_at DESC, a.id DESC LIMIT ?
        """  # fmt: skip
        windows, search_params = WINDOWS, []
    for days in windows:
        since = top - timedelta(days=days) if days is not None else datetime.min
        keys = con.execute(
            sql, [*params, *where_params, since, *search_params, limit + 1]
        ).fetchall()
        if len(keys) > limit:
            break
    more = len(keys) > limit
    keys = keys[:limit]
    found = {}
    if keys:  # the page's rows by id
        found = {r[0]: r[1:] for r in con.execute(
            "SELECT id, activity_type, subject, body, contact_id, sequence_id FROM activities "
            f"WHERE id IN ({id_list(k[0] for k in keys)})").fetchall()}  # fmt: skip
    rows = [(i, at, rid_, *found[i]) for i, at, rid_ in keys if i in found]
    names = _names(con, obj, rows)
    items = tuple(
        Notification(
            i,
            at,
            kind,
            subject,
            body,
            contact,
            names[("contacts", contact)],
            obj,
            rid_,
            names[(obj, rid_)],
            names.get(("sequence", seq)),
        )  # fmt: skip
        for i, at, rid_, kind, subject, body, contact, seq in rows
    )
    last = items[-1] if items else None
    return FeedPage(items, Cursor(last.occurred_at, last.id) if more and last else None)


def _names(con: duckdb.DuckDBPyConnection, obj: str, rows: list) -> dict[tuple[str, int], str]:
    """The names of a page's contacts, accounts and sequences, looked up by id."""
    contacts = {r[6] for r in rows}
    accounts = {r[2] for r in rows}
    sequences = {r[7] for r in rows if r[7] is not None}
    out: dict[tuple[str, int], str] = {}
    if not rows:
        return out
    parts = [f"SELECT 'contacts', c.id, {title_sql(con, 'contacts', 'c')} FROM contacts c WHERE c.id IN ({id_list(contacts)})"]  # fmt: skip
    if obj != "contacts":
        parts.append(
            f"SELECT ?, r.id, {title_sql(con, obj, 'r')} FROM {ident(obj)} r WHERE r.id IN ({id_list(accounts)})"
        )
    if sequences:
        parts.append(
            f"SELECT 'sequence', s.id, s.name FROM sequences s WHERE s.id IN ({id_list(sequences)})"
        )
    params = [obj] if obj != "contacts" else []
    for kind, rid, name in con.execute(" UNION ALL ".join(parts), params).fetchall():
        out[(kind, rid)] = name
    for r in rows:  # a record gone since (merged away): still named
        out.setdefault(("contacts", r[6]), f"Contact {r[6]}")
        out.setdefault((obj, r[2]), f"Record {r[2]}")
    return out


def sequences(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """Every sequence, by name, for the sequence filter."""
    return [
        (r[0], r[1])
        for r in con.execute("SELECT id, name FROM sequences ORDER BY lower(name), id").fetchall()
    ]


def remove(con: duckdb.DuckDBPyConnection, *, user: User, activity_id: int, now: datetime) -> None:
    """Hide a notification from this user's feed (FED-4); others still see it."""
    require(user, Action.USE_WORKSPACE)

    def _hide(cur) -> None:
        if not cur.execute(
            "SELECT count(*) FROM activities WHERE id = ?", [activity_id]
        ).fetchone()[0]:
            raise FeedError("That notification does not exist any more.")
        cur.execute(
            "INSERT INTO feed_dismissals (user_id, activity_id, dismissed_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [user.id, activity_id, clock.utc_naive(now)],
        )

    db.write(con, _hide)


def restore(con: duckdb.DuckDBPyConnection, *, user: User, activity_id: int) -> None:
    """Undo :func:`remove` for this user."""
    require(user, Action.USE_WORKSPACE)
    db.write(
        con,
        lambda cur: cur.execute(
            "DELETE FROM feed_dismissals WHERE user_id = ? AND activity_id = ?",
            [user.id, activity_id],
        ),
    )
