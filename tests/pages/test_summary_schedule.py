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
