"""The Summary's schedule (SUM-4) in AppTest: the CSM's meetings and tasks of today in their
zone, in time order, with Start meeting where a meeting has a link."""

from cs_core import clock, db, schedule, users
from tests.conftest import CSM, NOW

P = "summary.schedule"


def _keys(at) -> list[str]:
    found: list[str] = []

    def walk(node):
        key = getattr(node, "key", None)
        if isinstance(key, str) and key.startswith(f"{P}-"):
            found.append(key.removeprefix(f"{P}-"))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


def test_todays_meetings_and_tasks_in_time_order_in_the_csms_zone(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    csm = users.get_user(cur, CSM)
    today = clock.local_date(NOW, csm.time_zone)
    expected = schedule.events(cur, user=csm, first=today, last=today)
    assert len(expected) >= 3 and {e.kind for e in expected} == {"meeting", "task"}
    at = app(CSM)
    assert not at.exception, [e.value for e in at.exception]
    assert _keys(at) == [e.key for e in expected]
    assert [e.start for e in expected] == sorted(e.start for e in expected)
    links = [b for b in at.get("link_button") if b.proto.label == "Start meeting"]
    with_link = [
        e
        for e in expected
        if e.kind == "meeting" and schedule.detail(cur, user=csm, key=e.key).link
    ]
    assert [b.proto.url for b in links] == [
        schedule.detail(cur, user=csm, key=e.key).link for e in with_link
    ]
    assert f"Today · {today:%A %d %B}" in [h.value for h in at.subheader]


def test_a_busy_day_lists_the_next_ten_events_then_all_of_them_on_request(app, demo_path):
    from datetime import datetime, timedelta

    cur = db.shared_workspace(demo_path).cursor()
    # Fourteen more meetings today, one an hour from 07:00 to 20:00 Berlin time (UTC+1).
    first_id = cur.execute("SELECT max(id) FROM meetings").fetchone()[0] + 1
    for i in range(14):
        start = datetime(2026, 11, 28, 6 + i, 0)  # UTC
        cur.execute(
            "INSERT INTO meetings (id, title, start_at, end_at, owner_id, meeting_link, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [first_id + i, f"Check-in {i + 1}", start, start + timedelta(minutes=30), CSM,
             f"https://meet.example.com/{i}", NOW.replace(tzinfo=None)],
        )  # fmt: skip
    csm = users.get_user(cur, CSM)
    today = clock.local_date(NOW, csm.time_zone)
    every = schedule.events(cur, user=csm, first=today, last=today)
    assert len(every) > 10
    at = app(CSM)
    # 16:00 in Berlin: the first event not over yet and the nine after it.
    local_now = clock.local(NOW, csm.time_zone)
    first = next(i for i, e in enumerate(every) if e.end > local_now)
    start = min(first, len(every) - 10)
    assert _keys(at) == [e.key for e in every[start : start + 10]]
    assert f"m{first_id + 10}" in _keys(at)  # the 17:00 check-in (16:00 UTC)
    at.button(key=f"{P}.more").click().run()
    assert _keys(at) == [e.key for e in every]
    assert not [b for b in at.button if b.key == f"{P}.more"]
