"""A record's activities: the one rule that the health engine, previews, merges and imports use.

As spec/health-profiles.md says, a record's activities are its own and those of the
records associated with it:

- a company: every activity logged on it or on one of its contacts (``company_id``);
- a contact: its own (``contact_id``);
- any other object (a custom one): its own (``object``, ``record_id``), and those of
  the contacts and companies associated with the record.

:func:`linked` gives every record's activities at once (for a whole scoring run) and
:func:`of_record` one record's (read through the activities' indexes); a test holds
them to the same answer.
"""

from __future__ import annotations

import duckdb

# Every activity type, with the words a person reads: what contacts do (the feed's), then
# what users log (follow-ups).
LABELS = {
    "email_open": "Email opened", "email_click": "Email clicked", "email_reply": "Email replied",
    "page_view": "Page viewed", "form_submission": "Form submitted",
    "sequence_enrolled": "Enrolled in sequence", "sequence_unenrolled": "Unenrolled from sequence",
    "meeting_booked": "Meeting booked", "call": "Call", "meeting": "Meeting", "note": "Note", "email": "Email",
}  # fmt: skip
TYPES = tuple(LABELS)
LOGGED = ("call", "email", "note", "meeting")

# Columns of an activity row that name the records it belongs to, by object.
OWN_COLUMN = {"companies": "company_id", "contacts": "contact_id"}
# Objects whose associated records' activities count for a custom object's record.
_VIA = (("contacts", "contact_id"), ("companies", "company_id"))


def linked(object_name: str) -> tuple[str, list]:
    """SQL for activity rows with ``rid``: the id of the object's record they belong to.

    One row per (record, activity); an activity can belong to several records of a custom
    object (two records associated with one contact).
    """
    column = OWN_COLUMN.get(object_name)
    if column is not None:
        return f"SELECT a.{column} AS rid, a.* FROM activities a WHERE a.{column} IS NOT NULL", []
    parts = ["SELECT a.record_id AS rid, a.* FROM activities a WHERE a.object = ?"]
    params: list = [object_name]
    for other, other_column in _VIA:
        parts.append(
            f"SELECT s.from_id AS rid, a.* FROM associations s JOIN activities a ON a.{other_column} = s.to_id "
            "WHERE s.from_object = ? AND s.to_object = ?"
        )  # fmt: skip
        params += [object_name, other]
    return " UNION ".join(parts), params


def of_record(object_name: str, record_id: int, *, alias: str = "a") -> tuple[str, list]:
    """A condition on ``activities {alias}`` that holds for the record's activities."""
    column = OWN_COLUMN.get(object_name)
    if column is not None:
        return f"{alias}.{column} = ?", [record_id]
    sql = [f"({alias}.object = ? AND {alias}.record_id = ?)"]
    params: list = [object_name, record_id]
    for other, other_column in _VIA:
        sql.append(
            f"{alias}.{other_column} IN (SELECT to_id FROM associations "
            "WHERE from_object = ? AND from_id = ? AND to_object = ?)"
        )
        params += [object_name, record_id, other]
    return "(" + " OR ".join(sql) + ")", params


def account_columns(
    cur: duckdb.DuckDBPyConnection, account_object: str, record_ids: list[int]
) -> dict[str, list]:
    """For activities added to these records of the account object: the value of each
    column that makes them the record's activities by :func:`of_record` (and, for a
    contact, its company's too)."""
    if account_object == "companies":
        return {"company_id": list(record_ids)}
    if account_object == "contacts":
        companies = dict(
            cur.execute(
                "SELECT id, company_id FROM contacts WHERE list_contains(?, id)",
                [sorted(set(record_ids))],
            ).fetchall()
        )
        return {
            "contact_id": list(record_ids),
            "company_id": [companies.get(r) for r in record_ids],
        }
    return {}
