"""Demo tasks, meetings, sequences and activities, weighted towards the recent past."""

from __future__ import annotations

import json

import numpy as np

from cs_core.demo import words as W
from cs_core.demo.base import DAY, SECOND, Gen, skew

ACTIVITY_TYPES = [
    "email_open",
    "email_click",
    "email_reply",
    "page_view",
    "form_submission",
    "sequence_enrolled",
    "sequence_unenrolled",
    "meeting_booked",
    "call",
    "meeting",
    "note",
]
_ACTIVITY_WEIGHTS = [0.30, 0.11, 0.08, 0.25, 0.03, 0.0, 0.0, 0.03, 0.08, 0.06, 0.06]


def tasks(gen: Gen, t: int, co: dict, csm_ids: np.ndarray) -> dict:
    rng = gen.rng
    n = len(co["id"])
    company = rng.choice(n, size=t, p=skew(rng, n))
    # Due dates from 60 days ago to 30 days ahead, at working hours; a share on the
    # days a CSM looks at first (today, tomorrow, just overdue).
    offset = rng.integers(-60, 31, t)
    near = rng.random(t) < 0.06
    offset = np.where(near, rng.choice([-2, -1, 0, 0, 1, 1], t), offset)
    hour = rng.integers(13, 22, t)
    due = (gen.today + offset * DAY).astype("datetime64[s]") + (
        hour * 3600 + rng.choice([0, 1800], t)
    ) * SECOND
    past = due < gen.now
    completed = np.where(past, rng.random(t) < 0.75, rng.random(t) < 0.04)
    done_at = np.where(
        completed,
        np.minimum(due + rng.integers(-86400, 86400, t) * SECOND, gen.now),
        np.datetime64("NaT"),
    )
    template = rng.integers(0, len(W.TASK_TITLES), t)
    names = co["name"][company]
    titles = np.array(
        [W.TASK_TITLES[i].format(c=c) for i, c in zip(template, names, strict=True)], dtype=object
    )
    owner = co["csm_id"][company]
    owner = np.where(rng.random(t) < 0.1, csm_ids[rng.integers(0, len(csm_ids), t)], owner)
    created = np.minimum(due - rng.integers(1, 20, t) * DAY, gen.now - 3600 * SECOND)
    notes = np.where(rng.random(t) < 0.3, "Agenda shared in the success plan.", None)
    return {
        "id": np.arange(1, t + 1),
        "title": titles,
        "task_type": gen.pick(["todo", "call", "email"], t, p=[0.5, 0.25, 0.25]),
        "status": np.where(completed, "completed", "open"),
        "priority": gen.pick(["none", "low", "medium", "high"], t, p=[0.3, 0.25, 0.3, 0.15]),
        "due_at": due,
        "completed_at": done_at,
        "owner_id": owner,
        "object": np.full(t, "companies", dtype=object),
        "record_id": co["id"][company],
        "notes": notes,
        "created_at": created,
        "created_by": owner,
    }


def meetings(gen: Gen, co: dict, contacts: dict, csm_ids: np.ndarray) -> dict:
    rng = gen.rng
    n = len(co["id"])
    k = max(len(csm_ids) * 6, n * 3 // 4)
    company = rng.choice(n, size=k, p=skew(rng, n))
    owner = co["csm_id"][company]
    day = rng.integers(-30, 15, k)
    # Every CSM has two meetings today and one tomorrow.
    m = len(csm_ids)
    owner = np.concatenate([owner, csm_ids, csm_ids, csm_ids])
    day = np.concatenate([day, np.zeros(2 * m, int), np.ones(m, int)])
    company = np.concatenate([company, rng.choice(n, 3 * m)])
    k = len(owner)
    hour = np.concatenate(
        [rng.integers(13, 21, k - 3 * m), np.full(m, 14), np.full(m, 17), np.full(m, 15)]
    )
    start = (gen.today + day * DAY).astype("datetime64[s]") + hour * 3600 * SECOND
    length = rng.choice([30, 45, 60], k) * 60 * SECOND
    # The first contact of the company attends.
    first_contact = np.searchsorted(contacts["company_id"], co["id"][company])
    attendee = contacts["first_name"][first_contact] + " " + contacts["last_name"][first_contact]
    attendees = np.array([json.dumps([a]) for a in attendee], dtype=object)
    has_link = rng.random(k) < 0.7
    token = rng.integers(100_000, 999_999, k).astype(str).astype(object)
    return {
        "id": np.arange(1, k + 1),
        "title": gen.pick(W.MEETING_TITLES, k) + " – " + co["name"][company],
        "start_at": start,
        "end_at": start + length,
        "owner_id": owner,
        "object": np.full(k, "companies", dtype=object),
        "record_id": co["id"][company],
        "attendees": attendees,
        "location": np.where(has_link, "Video call", "Customer office"),
        "meeting_link": np.where(has_link, "https://meet.example.com/" + token, None),
        "notes": np.where(rng.random(k) < 0.4, "Review adoption and open questions.", None),
        "created_at": start - rng.integers(2, 20, k) * DAY,
    }


def activities(
    gen: Gen, a: int, contacts: dict, co: dict, seq_owner: np.ndarray
) -> tuple[dict, dict]:
    rng = gen.rng
    m = len(contacts["id"])
    n_seq = len(W.SEQUENCES)
    # Sequence enrollments first; their enroll/unenroll events become activities.
    e = max(1, a // 40)
    e_contact = rng.choice(m, e)
    e_seq = rng.integers(1, n_seq + 1, e)
    enrolled = gen.days_ago(0.1, 180, e)
    gone = rng.random(e) < 0.4
    unenrolled = np.where(
        gone, np.minimum(enrolled + rng.integers(1, 30, e) * DAY, gen.now), np.datetime64("NaT")
    )
    enrollments = {
        "id": np.arange(1, e + 1),
        "sequence_id": e_seq,
        "contact_id": contacts["id"][e_contact],
        "enrolled_by": seq_owner[e_seq - 1],
        "enrolled_at": enrolled,
        "unenrolled_at": unenrolled,
    }
    u_idx = np.flatnonzero(gone)
    rest = a - e - len(u_idx)
    weights = np.array(_ACTIVITY_WEIGHTS) / sum(_ACTIVITY_WEIGHTS)
    kinds = np.asarray(ACTIVITY_TYPES, dtype=object)[
        rng.choice(len(ACTIVITY_TYPES), rest, p=weights)
    ]
    contact = rng.choice(m, rest, p=skew(rng, m))
    # Engagement follows health: a company at risk often went quiet weeks or months ago, a
    # healthy one stays active. Each activity's age is its company's quiet days plus an
    # exponential age (more activity lately), within the 180 days of history.
    quiet, scale = _quiet_days(gen, co)
    of = contacts["company_id"][contact] - 1
    span = 179.9 - quiet[of]
    age = quiet[of] + np.mod(rng.exponential(scale[of]), span)
    when = gen.now - (age * 86400).astype(np.int64) * SECOND - rng.integers(60, 3600, rest) * SECOND
    kinds = np.concatenate(
        [
            kinds,
            np.full(e, "sequence_enrolled", dtype=object),
            np.full(len(u_idx), "sequence_unenrolled", dtype=object),
        ]
    )
    contact = np.concatenate([contact, e_contact, e_contact[u_idx]])
    when = np.concatenate([when, enrolled, unenrolled[u_idx]])
    seq = np.concatenate([np.zeros(rest, int), e_seq, e_seq[u_idx]])
    order = np.argsort(when, kind="stable")
    kinds, contact, when, seq = kinds[order], contact[order], when[order], seq[order]
    company = contacts["company_id"][contact]
    logged = np.isin(kinds, ["call", "meeting", "note"])
    subject = subjects(gen, kinds)
    return {
        "id": np.arange(1, a + 1),
        "activity_type": kinds,
        "occurred_at": when,
        "contact_id": contacts["id"][contact],
        "company_id": company,
        "object": np.full(a, "contacts", dtype=object),
        "record_id": contacts["id"][contact],
        "user_id": np.where(logged, co["csm_id"][company - 1], 0),
        "sequence_id": seq,
        "subject": subject,
        "body": np.full(a, None, dtype=object),
    }, enrollments


def _quiet_days(gen: Gen, co: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per company: the days since it went quiet (0: active) and the typical age of its
    activities. Former customers went quiet months ago; detractors (NPS 6 or less) and
    accounts with many open tickets often did; a few healthy ones are just quiet lately."""
    rng = gen.rng
    n = len(co["id"])
    nps = np.asarray(co["nps"], dtype=float)
    former = co["lifecycle_stage"] == "Former customer"
    risky = (np.nan_to_num(nps, nan=7.0) <= 6) | (np.asarray(co["open_tickets"]) >= 3)
    draw = rng.random(n)
    quiet = np.zeros(n)
    quiet = np.where(risky & (draw < 0.35), rng.uniform(31, 120, n), quiet)
    quiet = np.where(~risky & (draw < 0.04), rng.uniform(31, 60, n), quiet)
    quiet = np.where(former, rng.uniform(60, 170, n), quiet)
    scale = np.where(risky, 45.0, 22.0)
    return quiet, scale


def subjects(gen: Gen, kinds: np.ndarray) -> np.ndarray:
    k = len(kinds)
    email = gen.pick(W.EMAIL_SUBJECTS, k)
    page = gen.pick(W.PAGES, k)
    form = gen.pick(W.FORMS, k)
    out = np.empty(k, dtype=object)
    for kind, template in W.ACTIVITY_SUBJECTS.items():
        mask = kinds == kind
        if "{s}" in template:
            out[mask] = template.split("{s}")[0] + email[mask]
        elif "{p}" in template:
            out[mask] = template.split("{p}")[0] + page[mask]
        elif "{f}" in template:
            out[mask] = template.split("{f}")[0] + form[mask]
        else:
            out[mask] = template
    return out
