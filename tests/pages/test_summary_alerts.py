"""The Summary's alerts (SUM-1) in AppTest: the CSM's active alerts newest first, 25 a page, old
→ new category as labels, each linked to its customer, dismissed one by one; expired ones gone."""

from datetime import timedelta

from cs_core import alerts, db
from tests.conftest import CSM, NOW
from tests.pages.conftest import plain, scalar

P = "summary.alerts"


def _shown(at) -> list[int]:
    return [
        int(b.key.rsplit(".", 1)[1])
        for b in at.button
        if b.key and b.key.startswith(f"{P}.dismiss.")
    ]


def test_alerts_page_by_25_link_to_their_customer_and_are_dismissed(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    # One alert has expired: it is not shown nor counted.
    expired = scalar(demo_path, "SELECT min(id) FROM alerts WHERE user_id = ?", [CSM])
    cur.execute("UPDATE alerts SET expires_at = ? WHERE id = ?", [NOW.replace(tzinfo=None) - timedelta(minutes=1),
                                                                  expired])  # fmt: skip
    # More alerts than a page holds: 20 more on the CSM's own companies, an hour apart.
    owned = [
        r[0]
        for r in cur.execute(
            "SELECT id FROM companies WHERE csm_id = ? ORDER BY id LIMIT 20", [CSM]
        ).fetchall()
    ]
    stamp = NOW.replace(tzinfo=None)
    for i, company in enumerate(owned):
        cur.execute("INSERT INTO alerts VALUES (?, ?, 'companies', ?, 1, 'neutral', 'at_risk', ?, ?)",
                    [900_000 + i, CSM, company, stamp - timedelta(hours=i), stamp + timedelta(days=13)])  # fmt: skip
    total = alerts.count_active(cur, user_id=CSM, now=NOW)
    expected = alerts.active_alerts(cur, user_id=CSM, now=NOW, limit=1000)
    assert total == len(expected) > 25 and expired not in set(expected["id"])
    at = app(CSM)
    assert not at.exception, [e.value for e in at.exception]
    assert f"Alerts · {total:,}" in [plain(h.value) for h in at.subheader]
    assert _shown(at) == list(expected["id"][:25])
    first = expected.iloc[0]
    link = next(
        e.proto
        for e in at.get("page_link")
        if e.proto.query_string == f"record={first['record_id']}"
    )
    assert (link.page, plain(link.label)) == ("customers", first["Customer"])
    labels = {
        "at_risk": "red-badge[At risk]",
        "neutral": "orange-badge[Neutral]",
        "successful": "green-badge[Successful]",
    }
    assert f":{labels[first['To']]}" in [
        m.value.split(" → ")[-1] for m in at.markdown if " → " in m.value
    ]
    at.button(key=f"{P}.older").click().run()
    assert _shown(at) == list(expected["id"][25:50])
    at.button(key=f"{P}.dismiss.{expected['id'][25]}").click().run()
    assert alerts.count_active(cur, user_id=CSM, now=NOW) == total - 1
    assert _shown(at) == list(expected["id"][26:51])  # the next one moved up into the page
    assert f"Alerts · {total - 1:,}" in [plain(h.value) for h in at.subheader]
