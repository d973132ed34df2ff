"""Customer view cards (SUM-3) in AppTest: one card per default view in the admins' order, each
with its description, its live count for the user, a link opening it; admins reorder them here;
six at most (a seventh is refused by cs_core)."""

import pytest

from cs_core import db, record_list, users, views
from cs_core.demo import DEFAULT_VIEWS
from cs_core.record_list import Query, Viewer
from tests.conftest import CSM, NOW, SETTINGS_MANAGER, without_demo_views
from tests.pages.conftest import plain

P = "summary.views"
SPECS = {
    "My Enterprise accounts": [[{"property": "csm_id", "operator": "eq", "value": "$me"},
                                {"property": "segment", "operator": "eq", "value": "Enterprise"}]],
    "All SMB": [[{"property": "segment", "operator": "eq", "value": "SMB"}]],
}  # fmt: skip


def _defaults(cur):
    without_demo_views(cur)  # the demo's own cards: see test_the_demo_has_three_cards_for_each_csm
    manager = users.get_user(cur, SETTINGS_MANAGER)
    made = []
    for name, spec in SPECS.items():
        view = views.create_view(cur, actor=manager, object_name="companies", name=name, sharing="everyone",
                                 spec=spec, columns=["name"], now=NOW)  # fmt: skip
        made.append(
            views.set_default(
                cur, actor=manager, view_id=view.id, description=f"About {name}", now=NOW
            )
        )
    return made


def _cards(at) -> list[tuple[str, str]]:
    return [
        (plain(m.label), m.value) for m in at.metric if m.label in SPECS or plain(m.label) in SPECS
    ]


def test_cards_count_for_the_user_link_to_their_view_and_are_reordered_by_admins(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    made = _defaults(cur)
    viewer = Viewer(CSM, NOW, users.get_user(cur, CSM).time_zone)
    counts = {v.name: record_list.count(cur, Query("companies", v.filters, ("name",), owner_property="csm_id"), viewer)
              for v in made}  # fmt: skip
    assert (
        counts["My Enterprise accounts"] > 0
        and counts["All SMB"] > counts["My Enterprise accounts"]
    )
    at = app(CSM)
    assert not at.exception, [e.value for e in at.exception]
    assert _cards(at) == [(name, f"{counts[name]:,}") for name in SPECS]
    assert "About All SMB" in [plain(c.value) for c in at.main.caption]
    links = [e.proto.query_string for e in at.get("page_link") if e.proto.label == "Open view"]
    assert links == [f"view={v.id}" for v in made]
    assert not [
        b for b in at.button if b.key and b.key.startswith(f"{P}.left.")
    ]  # a CSM does not reorder
    manager = app(SETTINGS_MANAGER)
    manager.button(key=f"{P}.left.{made[1].id}").click().run()
    assert [v.name for v in views.default_views(cur, "companies")] == [
        "All SMB",
        "My Enterprise accounts",
    ]
    assert [name for name, _ in _cards(manager)] == ["All SMB", "My Enterprise accounts"]


def test_a_sixth_default_view_shows_and_a_seventh_is_refused(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    without_demo_views(cur)
    manager = users.get_user(cur, SETTINGS_MANAGER)
    for i in range(7):
        view = views.create_view(cur, actor=manager, object_name="companies", name=f"V{i}", sharing="everyone",
                                 spec=[], columns=["name"], now=NOW)  # fmt: skip
        if i < 6:
            views.set_default(cur, actor=manager, view_id=view.id, description=f"Card {i}", now=NOW)
    with pytest.raises(views.ViewError, match="at most 6 default views"):
        views.set_default(cur, actor=manager, view_id=view.id, description="The seventh", now=NOW)
    assert len(views.default_views(cur, "companies")) == 6
    at = app(CSM)
    cards = [plain(m.label) for m in at.metric if plain(m.label).startswith("V")]
    assert sorted(cards) == [f"V{i}" for i in range(6)]  # the sixth among them (three columns)


def test_a_cards_link_opens_the_customers_tab_on_that_view(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    made = _defaults(cur)
    at = app(CSM)
    at.switch_page("app_pages/customers.py")
    at.query_params["view"] = str(made[0].id)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "My Enterprise accounts" in [plain(t.value) for t in at.title]


def test_the_demo_has_three_cards_counting_each_users_own_customers(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    defaults = views.default_views(cur, "companies")
    assert [(v.name, v.description) for v in defaults] == [(n, d) for n, d, _ in DEFAULT_VIEWS]
    viewer = Viewer(CSM, NOW, users.get_user(cur, CSM).time_zone)
    counts = [record_list.count(cur, Query("companies", v.filters, ("name",), owner_property="csm_id"), viewer)
              for v in defaults]  # fmt: skip
    owned, enterprise = (cur.execute(sql).fetchone()[0] for sql in (
        f"SELECT count(*) FROM companies WHERE csm_id = {CSM}",
        "SELECT count(*) FROM companies WHERE segment = 'Enterprise'"))  # fmt: skip
    assert (
        0 < counts[0] < owned
        and 0.05 * owned <= counts[1] <= 0.35 * owned
        and counts[2] == enterprise
    )
    at = app(CSM)
    cards = [
        (plain(m.label), m.value) for m in at.metric if plain(m.label) in {v.name for v in defaults}
    ]
    assert cards == [(v.name, f"{n:,}") for v, n in zip(defaults, counts, strict=True)]


def test_card_counts_are_kept_between_runs_until_a_company_is_written(app, demo_path, monkeypatch):
    cur = db.shared_workspace(demo_path).cursor()
    _defaults(cur)
    calls = []
    real = record_list.counts
    monkeypatch.setattr(record_list, "counts", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = app(CSM)
    before = dict(_cards(at))
    assert len(calls) == len(before)  # each card counted on its own
    at.run()  # a rerun that changed nothing (a panel opened, a task ticked)
    assert dict(_cards(at)) == before and len(calls) == len(before)
    (smb,) = cur.execute("SELECT min(id) FROM companies WHERE segment = 'SMB'").fetchone()
    db.write(
        cur, lambda w: w.execute("UPDATE companies SET segment = 'Enterprise' WHERE id = ?", [smb])
    )
    at.run()
    assert len(calls) == 2 * len(before)  # a write that names no owner: every card recounted
    assert dict(_cards(at))["All SMB"] == f"{int(before['All SMB'].replace(',', '')) - 1:,}"
