"""Follow-ups on a contact (FED-5): saved on the contact, counted by engagement rules at once."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from cs_core import followups, record_detail, schedule
from cs_core.followups import FollowUpRefused
from cs_core.health.explain import current_health
from cs_core.users import PermissionDenied, get_user
from tests.conftest import CSM, NO_ACCESS, NOW


def _quiet_smb_contact(con):
    """A contact of an SMB company of the CSM with no call or meeting in the last 60 days:
    the SMB profile gives 15 points for one (engagement, capped at its group's maximum)."""
    return con.execute(
        """
        SELECT c.id, c.company_id FROM contacts c JOIN companies co ON co.id = c.company_id
        WHERE co.segment = 'SMB' AND co.csm_id = ? AND NOT EXISTS (
            SELECT 1 FROM activities a WHERE a.company_id = co.id AND a.activity_type IN ('call', 'meeting')
            AND a.occurred_at > ? - INTERVAL 60 DAY)
        ORDER BY c.id LIMIT 1
        """,
        [CSM, NOW.replace(tzinfo=None)],
    ).fetchone()


def test_a_logged_call_is_on_the_contacts_timeline_and_moves_the_companys_score(demo_con):
    contact, company = _quiet_smb_contact(demo_con)
    (before,) = current_health(demo_con, "companies", company, day=NOW.date())
    lucas = get_user(demo_con, CSM)
    done = followups.log(demo_con, actor=lucas, contact_id=contact, kind="call", subject="Renewal check-in",
                         body="Asked about seats.", now=NOW)  # fmt: skip
    assert done.rescored >= 1
    row = demo_con.execute("SELECT activity_type, occurred_at, contact_id, company_id, user_id, subject, body "
                           "FROM activities WHERE id = ?", [done.activity_id]).fetchone()  # fmt: skip
    assert row == (
        "call",
        NOW.replace(tzinfo=None),
        contact,
        company,
        CSM,
        "Renewal check-in",
        "Asked about seats.",
    )
    timeline = record_detail.activities(demo_con, "contacts", contact, limit=1, time_zone="UTC")
    assert list(timeline["What"]) == ["Renewal check-in"] and list(timeline["Type"]) == ["Call"]
    assert list(record_detail.activities(demo_con, "companies", company, limit=1)["What"]) == [
        "Renewal check-in"
    ]
    (after,) = current_health(demo_con, "companies", company, day=NOW.date())
    assert after.score == min(before.score + 15, 100) and after.score > before.score
    last = demo_con.execute(
        "SELECT last_activity_at FROM companies WHERE id = ?", [company]
    ).fetchone()[0]
    assert last == NOW.replace(tzinfo=None)


def test_emails_and_notes_are_logged_with_their_words(demo_con):
    contact, _ = _quiet_smb_contact(demo_con)
    lucas = get_user(demo_con, CSM)
    email = followups.log(demo_con, actor=lucas, contact_id=contact, kind="email", now=NOW,
                          occurred_at=NOW - timedelta(hours=2))  # fmt: skip
    note = followups.log(demo_con, actor=lucas, contact_id=contact, kind="note", body="Champion leaves in May.\nFind a new one.",
                         now=NOW)  # fmt: skip
    rows = demo_con.execute("SELECT id, activity_type, subject, occurred_at FROM activities WHERE id IN (?, ?) "
                            "ORDER BY id", [email.activity_id, note.activity_id]).fetchall()  # fmt: skip
    assert [r[1:] for r in rows] == [("email", "Email", (NOW - timedelta(hours=2)).replace(tzinfo=None)),
                                     ("note", "Champion leaves in May.", NOW.replace(tzinfo=None))]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        (dict(kind="note", body="  "), "Give the note."),
        (dict(kind="call", occurred_at=NOW + timedelta(minutes=5)), "A call is logged when it happened"),
        (dict(kind="sms"), "A follow-up is one of: Call, Email, Note, or a meeting."),
        (dict(kind="call", subject="x" * 201), "The subject has at most 200 characters (201 given)."),
        (dict(kind="call", contact_id=999_999), "That contact does not exist any more."),
    ],
)  # fmt: skip
def test_a_refused_follow_up_says_why_and_writes_nothing(demo_con, kwargs, problem):
    before = demo_con.execute("SELECT count(*) FROM activities").fetchone()[0]
    args = {"contact_id": 1, **kwargs}
    with pytest.raises(FollowUpRefused, match=problem.replace("(", r"\(").replace(")", r"\)")):
        followups.log(demo_con, actor=get_user(demo_con, CSM), now=NOW, **args)
    assert demo_con.execute("SELECT count(*) FROM activities").fetchone()[0] == before


def test_a_user_without_workspace_access_logs_nothing(demo_con):
    with pytest.raises(PermissionDenied):
        followups.log(
            demo_con, actor=get_user(demo_con, NO_ACCESS), contact_id=1, kind="call", now=NOW
        )


def test_a_scheduled_meeting_is_on_the_schedule_and_the_contacts_timeline(demo_con):
    contact, _ = _quiet_smb_contact(demo_con)
    lucas = get_user(demo_con, CSM)
    start = (
        (NOW + timedelta(days=2))
        .astimezone(ZoneInfo("Europe/Berlin"))
        .replace(hour=10, minute=0, second=0)
    )
    done = followups.schedule_meeting(demo_con, actor=lucas, contact_id=contact, title="QBR prep", start=start,
                                      minutes=45, attendees=["ana@example.com", " "], notes="Agenda", now=NOW)  # fmt: skip
    events = schedule.events(
        demo_con, user=lucas, first=start.date(), last=start.date(), time_zone="Europe/Berlin"
    )
    mine = [e for e in events if e.kind == "meeting" and e.id == done.meeting_id]
    assert [(e.title, e.start.hour, (e.end - e.start).seconds // 60) for e in mine] == [
        ("QBR prep", 10, 45)
    ]
    found = schedule.detail(demo_con, user=lucas, key=mine[0].key, time_zone="Europe/Berlin")
    assert found.attendees == ("ana@example.com",) and found.record == ("contacts", contact)
    kind, when = demo_con.execute("SELECT activity_type, occurred_at FROM activities WHERE id = ?",
                                  [done.activity_id]).fetchone()  # fmt: skip
    assert (kind, when) == ("meeting", start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None))
    with pytest.raises(FollowUpRefused, match="A meeting lasts"):
        followups.schedule_meeting(demo_con, actor=lucas, contact_id=contact, title="x", start=start, minutes=7,
                                   now=NOW)  # fmt: skip


def test_a_meeting_without_attendees_is_scheduled(demo_con):
    contact, _ = _quiet_smb_contact(demo_con)
    lucas = get_user(demo_con, CSM)
    start = NOW + timedelta(days=1)
    done = followups.schedule_meeting(demo_con, actor=lucas, contact_id=contact, title="Check-in", start=start,
                                      minutes=30, now=NOW)  # fmt: skip
    found = schedule.detail(demo_con, user=lucas, key=f"m{done.meeting_id}")
    assert (found.title, found.attendees) == ("Check-in", ())
