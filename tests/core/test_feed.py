"""The Feed (FED-1..FED-4) on a hand-made workspace: exactly whose activities, in which
order, across "load older" pages while activities arrive, filtered, searched, removed."""

from datetime import UTC, datetime, timedelta

import pytest

from cs_core import db, feed, settings
from cs_core.feed import Cursor, FeedError
from cs_core.settings import CustomerSettings
from cs_core.users import PermissionDenied, User, get_user

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 6, 1, 11, 0)  # activity times are naive UTC, as stored
KEI, ANA, NOBODY = 10, 11, 12
# company id: name, CSM
COMPANIES = {1: ("Acme", KEI), 2: ("Globex", KEI), 3: ("Initech", ANA)}
# contact id: first, last, company
CONTACTS = {
    1: ("Mia", "Wong", 1),
    2: ("Leo", "Park", 1),
    3: ("Zoe", "Ruiz", 2),
    4: ("Sam", "Cole", 3),
}
# activity id: type, contact (None: logged on the company), company, minutes before T0, subject
ACTIVITIES = {
    1: ("email_open", 1, 1, 0, "Opened: Renewal options"),
    2: ("page_view", 3, 2, 5, "Viewed /pricing"),
    3: ("call", 1, 1, 6, "Call with Mia"),  # logged by a user: not a notification
    4: ("email_reply", 2, 1, 10, "Re: Quarterly review"),
    5: ("page_view", 4, 3, 11, "Viewed /pricing"),  # Ana's account
    6: ("meeting_booked", 3, 2, 10, "Booked: onboarding"),  # same time as 4: the id decides
    7: ("form_submission", None, 1, 20, "Form on the company"),  # no contact: not a notification
    8: ("sequence_enrolled", 1, 1, 30, "Enrolled in Renewal countdown"),
    9: ("email_click", 2, 1, -90, "Future"),  # after now: not yet
    10: ("email_open", 3, 2, 40, "Opened: Welcome"),
}


def _fill(cur):
    cur.execute(
        "INSERT INTO counters VALUES ('ids.activities', 100) ON CONFLICT (name) DO UPDATE SET value = 100"
    )
    for uid, name in ((KEI, "Kei"), (ANA, "Ana"), (NOBODY, "Noa")):
        cur.execute("INSERT INTO users (id, name, email, time_zone, has_workspace_access, has_service_seat, created_at) "
                    "VALUES (?, ?, ?, 'UTC', ?, TRUE, ?)", [uid, name, f"{name.lower()}@example.com", uid != NOBODY, T0])  # fmt: skip
    for cid, (name, csm) in COMPANIES.items():
        cur.execute("INSERT INTO companies (id, name, csm_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    [cid, name, csm, T0, T0])  # fmt: skip
    for cid, (first, last, company) in CONTACTS.items():
        cur.execute("INSERT INTO contacts (id, first_name, last_name, company_id, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [cid, first, last, company, T0, T0])  # fmt: skip
        cur.execute(
            "INSERT INTO associations VALUES ('contacts', ?, 'companies', ?, NULL, ?)",
            [cid, company, T0],
        )
        cur.execute(
            "INSERT INTO associations VALUES ('companies', ?, 'contacts', ?, NULL, ?)",
            [company, cid, T0],
        )
    for aid, (kind, contact, company, before, subject) in ACTIVITIES.items():
        _activity(cur, aid, kind, contact, company, T0 - timedelta(minutes=before), subject)
    cur.execute(
        "INSERT INTO sequences VALUES (1, 'Renewal countdown', ?, ?), (2, 'Welcome', ?, ?)",
        [KEI, T0, KEI, T0],
    )
    # Mia is enrolled in the renewal countdown; Zoe was in Welcome and left it.
    cur.execute("INSERT INTO sequence_enrollments VALUES (1, 1, 1, ?, ?, NULL), (2, 2, 3, ?, ?, ?)",
                [KEI, T0 - timedelta(days=3), KEI, T0 - timedelta(days=9), T0 - timedelta(days=1)])  # fmt: skip


def _activity(cur, aid, kind, contact, company, when, subject, body=None):
    cur.execute("INSERT INTO activities (id, activity_type, occurred_at, contact_id, company_id, subject, body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", [aid, kind, when, contact, company, subject, body])  # fmt: skip


@pytest.fixture
def con(empty_con):
    db.write(empty_con, _fill)
    return empty_con


def _ids(found):
    return [n.id for n in found.items]


def test_only_the_contacts_activities_of_the_users_accounts_newest_first(con):
    found = feed.page(con, user=get_user(con, KEI), now=NOW)
    assert _ids(found) == [1, 2, 6, 4, 8, 10] and found.older is None
    first = found.items[0]
    assert (first.contact_name, first.account_name, first.action, first.subject) == (
        "Mia Wong", "Acme", "opened an email", "Opened: Renewal options")  # fmt: skip
    assert (first.contact_id, first.account_object, first.account_id) == (1, "companies", 1)
    assert _ids(feed.page(con, user=get_user(con, ANA), now=NOW)) == [5]


def test_load_older_has_no_duplicates_or_gaps_while_activities_arrive(con):
    kei = get_user(con, KEI)
    first = feed.page(con, user=kei, now=NOW, limit=2)
    assert _ids(first) == [1, 2] and first.older == Cursor(T0 - timedelta(minutes=5), 2)
    # New activities arrive between the pages: two newer ones and one at the cursor's time.
    db.write(con, lambda cur: (_activity(cur, 11, "email_open", 2, 1, T0 + timedelta(minutes=1), "New"),
                               _activity(cur, 12, "page_view", 3, 2, T0 - timedelta(minutes=5), "Same time"),
                               _activity(cur, 13, "email_open", 1, 1, T0 - timedelta(minutes=35), "Older")))  # fmt: skip
    later = NOW + timedelta(minutes=2)
    pages, cursor = [], first.older
    while cursor is not None:
        found = feed.page(con, user=kei, now=later, limit=2, older_than=cursor)
        pages.append(_ids(found))
        cursor = found.older
    # 12 shares 2's time with a higher id: it sorts above 2, so it is not in the older pages.
    assert pages == [[6, 4], [8, 13], [10]]
    assert _ids(feed.page(con, user=kei, now=later, limit=3)) == [11, 1, 12]


def test_a_removed_notification_is_hidden_for_that_user_only(con):
    kei, ana = get_user(con, KEI), get_user(con, ANA)
    settings.save_customer_settings(con, actor=User(99, "Admin", "a@example.com", None, None, "UTC", True, True, True,
                                                    True), value=CustomerSettings("companies", "owner_id", None), now=NOW)  # fmt: skip
    db.write(con, lambda cur: cur.execute("UPDATE companies SET owner_id = csm_id"))
    feed.remove(con, user=kei, activity_id=2, now=NOW)
    assert 2 not in _ids(feed.page(con, user=kei, now=NOW))
    db.write(con, lambda cur: cur.execute("UPDATE companies SET owner_id = ? WHERE id = 2", [ANA]))
    assert _ids(feed.page(con, user=ana, now=NOW)) == [2, 6, 5, 10]  # Ana still sees it
    feed.restore(con, user=kei, activity_id=2)
    db.write(con, lambda cur: cur.execute("UPDATE companies SET owner_id = ? WHERE id = 2", [KEI]))
    assert 2 in _ids(feed.page(con, user=kei, now=NOW))
    with pytest.raises(FeedError, match="does not exist"):
        feed.remove(con, user=kei, activity_id=999, now=NOW)


def test_filters_by_type_and_sequence_and_search(con):
    kei = get_user(con, KEI)
    assert _ids(feed.page(con, user=kei, now=NOW, types=["email_open", "email_reply"])) == [
        1,
        4,
        10,
    ]
    assert _ids(feed.page(con, user=kei, now=NOW, sequence=1)) == [1, 8]  # Mia's
    assert _ids(feed.page(con, user=kei, now=NOW, sequence=2)) == []  # Zoe left Welcome
    assert _ids(feed.page(con, user=kei, now=NOW, sequence=feed.ANY_SEQUENCE)) == [1, 8]
    assert _ids(feed.page(con, user=kei, now=NOW, search="PRICING")) == [2]  # the subject
    assert _ids(feed.page(con, user=kei, now=NOW, search="zoe")) == [2, 6, 10]  # the contact
    assert _ids(feed.page(con, user=kei, now=NOW, search="acme")) == [1, 4, 8]  # the company
    assert _ids(feed.page(con, user=kei, now=NOW, search="initech")) == []  # Ana's company
    assert (
        feed.page(con, user=kei, now=NOW, sequence=1).items[1].sequence is None
    )  # no sequence on it
    with pytest.raises(FeedError, match="'call' is not an activity type of the feed"):
        feed.page(con, user=kei, now=NOW, types=["call"])


def test_contacts_as_the_account_object_follow_the_same_rule(con):
    admin = User(99, "Admin", "a@example.com", None, None, "UTC", True, True, True, True)
    settings.save_customer_settings(
        con, actor=admin, value=CustomerSettings("contacts", "owner_id", None), now=NOW
    )
    db.write(
        con, lambda cur: cur.execute("UPDATE contacts SET owner_id = ? WHERE id IN (1, 4)", [KEI])
    )
    found = feed.page(con, user=get_user(con, KEI), now=NOW)
    assert _ids(found) == [1, 5, 8]  # Mia's and Sam's own activities
    assert (found.items[1].account_object, found.items[1].account_id, found.items[1].account_name) == (
        "contacts", 4, "Sam Cole")  # fmt: skip


def test_a_user_without_workspace_access_gets_no_feed(con):
    with pytest.raises(PermissionDenied):
        feed.page(con, user=get_user(con, NOBODY), now=NOW)


def test_a_custom_account_object_follows_the_association_rule_of_the_health_engine(con):
    """A custom account record's activities are those of the contacts and companies
    associated with it (cs_core.activities): here the clinic is linked to Acme."""
    from cs_core import records

    admin = User(99, "Admin", "a@example.com", None, None, "UTC", True, True, True, True)
    records.create_custom_object(
        con, actor=admin, name="clinics", label="Clinic", label_plural="Clinics",
        properties=[{"name": "csm_id", "label": "CSM", "type": "user"}],
    )  # fmt: skip
    db.write(con, lambda cur: (
        cur.execute("INSERT INTO clinics (id, name, csm_id, created_at, updated_at) VALUES (1, 'North clinic', ?, ?, ?)",
                    [KEI, T0, T0]),
        cur.execute("INSERT INTO associations VALUES ('clinics', 1, 'companies', 1, NULL, ?)", [T0])))  # fmt: skip
    settings.save_customer_settings(
        con, actor=admin, value=CustomerSettings("clinics", "csm_id", None), now=NOW
    )
    found = feed.page(con, user=get_user(con, KEI), now=NOW)
    assert _ids(found) == [1, 4, 8]  # Acme's contacts' notifications
    assert {(n.account_object, n.account_id, n.account_name) for n in found.items} == {
        ("clinics", 1, "North clinic")
    }
    assert _ids(feed.page(con, user=get_user(con, KEI), now=NOW, search="north")) == [1, 4, 8]
