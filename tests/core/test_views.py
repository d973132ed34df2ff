"""Views (CUS-1, CUS-3, CUS-4): standard, custom, shared, default; who may do what."""

from datetime import datetime, timedelta

import pytest

from cs_core import views
from cs_core.record_list import Query, Viewer, count
from cs_core.users import PermissionDenied
from cs_core.views import ViewError
from tests.conftest import CSM, NO_ACCESS, NOW, SETTINGS_MANAGER, SUPER_ADMIN, without_demo_views

SEGMENT_SMB = [[{"property": "segment", "operator": "eq", "value": "SMB"}]]


def _count(con, spec, user_id):
    q = Query("companies", spec, ("name",), owner_property="csm_id")
    return count(con, q, Viewer(user_id, NOW))


def test_standard_views_are_created_once_and_listed_first(demo_con, user):
    without_demo_views(demo_con)
    views.ensure_standard_views(demo_con, "companies", now=NOW)
    views.ensure_standard_views(demo_con, "companies", now=NOW)
    listed = views.list_views(demo_con, object_name="companies", user=user(CSM))
    assert [v.name for v in listed] == ["Owned by me", "Assigned to me in the last 30 days"]
    assert all(v.kind == "standard" for v in listed)


def test_owned_by_me_follows_the_owner_property(demo_con, user):
    views.ensure_standard_views(demo_con, "companies", now=NOW)
    owned = views.list_views(demo_con, object_name="companies", user=user(CSM))[0]
    expected = demo_con.execute(
        "SELECT count(*) FROM companies WHERE csm_id = ?", [CSM]
    ).fetchone()[0]
    assert _count(demo_con, owned.filters, CSM) == expected
    q = Query("companies", owned.filters, ("name",), owner_property="owner_id")
    by_company_owner = demo_con.execute(
        "SELECT count(*) FROM companies WHERE owner_id = ?", [CSM]
    ).fetchone()[0]
    assert count(demo_con, q, Viewer(CSM, NOW)) == by_company_owner


def test_assigned_to_me_in_the_last_30_days_reads_owner_history(empty_con, now):
    con = empty_con
    t = now.replace(tzinfo=None)
    con.execute(
        "INSERT INTO users (id, name, email, created_at) VALUES (4, 'Lucas', 'l@x', ?), (5, 'Mei', 'm@x', ?)",
        [t, t],
    )
    # 1: assigned to Lucas 3 days ago. 2: assigned 40 days ago. 3: assigned to Lucas 5 days ago,
    # then moved to Mei yesterday. 4: Lucas's since creation (import, 200 days ago).
    for rid, owner in [(1, 4), (2, 4), (3, 5), (4, 4)]:
        con.execute("INSERT INTO companies (id, name, csm_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    [rid, f"Co {rid}", owner, t, t])  # fmt: skip
    history = [(1, 1, None, "4", 3), (2, 2, None, "4", 40), (3, 3, None, "4", 5), (4, 3, "4", "5", 1),
               (5, 4, None, "4", 200)]  # fmt: skip
    for hid, rid, old, new, days in history:
        con.execute(
            "INSERT INTO property_history VALUES (?, 'companies', ?, 'csm_id', ?, ?, ?, NULL, 'ui')",
            [hid, rid, old, new, t - timedelta(days=days)],
        )
    spec = views.STANDARD_VIEWS["assigned_recently"][1]
    q = Query("companies", spec, ("name",), owner_property="csm_id")
    from cs_core.record_list import page

    rows = page(con, q, Viewer(4, now)).rows
    assert rows["id"].tolist() == [1]
    assert page(con, q, Viewer(5, now)).rows["id"].tolist() == [3]


def test_a_csm_creates_private_views_but_cannot_share_with_everyone(demo_con, user):
    csm = user(CSM)
    mine = views.create_view(demo_con, actor=csm, object_name="companies", name="My SMB accounts",
                             spec=SEGMENT_SMB, columns=["name", "segment"], now=NOW)  # fmt: skip
    assert (mine.sharing, mine.owner_name, mine.kind) == ("private", "Lucas Fischer", "mine")
    with pytest.raises(PermissionDenied, match="may not create or edit views shared with everyone"):
        views.create_view(demo_con, actor=csm, object_name="companies", name="Team SMB",
                          sharing="everyone", now=NOW)  # fmt: skip
    with pytest.raises(PermissionDenied):
        views.update_view(demo_con, actor=csm, view_id=mine.id, sharing="everyone", now=NOW)
    assert views.get_view(demo_con, mine.id).sharing == "private"
    # Others do not see a private view, and may not change it.
    other = user(SETTINGS_MANAGER)
    assert mine.id not in [
        v.id for v in views.list_views(demo_con, object_name="companies", user=other)
    ]
    with pytest.raises(PermissionDenied):
        views.delete_view(demo_con, actor=other, view_id=mine.id, now=NOW)


def test_view_content_is_validated(demo_con, user):
    csm = user(CSM)
    bad = [
        ({"name": "  "}, "Give the view a name."),
        ({"name": "x" * 101}, "at most 100 characters"),
        (
            {"name": "V", "spec": [[{"property": "nope", "operator": "eq", "value": 1}]]},
            "no property 'nope'",
        ),
        ({"name": "V", "columns": ["name", "nope"]}, "no property 'nope' to show"),
        ({"name": "V", "sort": [{"property": "segment", "direction": "up"}]}, "'asc' or 'desc'"),
    ]
    for kwargs, message in bad:
        with pytest.raises(ValueError, match=message):
            views.create_view(demo_con, actor=csm, object_name="companies", now=NOW, **kwargs)
    views.create_view(demo_con, actor=csm, object_name="companies", name="Mine", now=NOW)
    with pytest.raises(ViewError, match="There is a view called 'mine' already"):
        views.create_view(demo_con, actor=csm, object_name="companies", name="mine", now=NOW)
    with pytest.raises(PermissionDenied):
        views.create_view(
            demo_con, actor=user(NO_ACCESS), object_name="companies", name="X", now=NOW
        )


def test_defaults_need_everyone_sharing_a_description_and_at_most_six(demo_con, user):
    without_demo_views(demo_con)
    admin = user(SETTINGS_MANAGER)
    shared = [
        views.create_view(demo_con, actor=admin, object_name="companies", name=f"Shared {i}",
                          sharing="everyone", now=NOW)
        for i in range(7)
    ]  # fmt: skip
    private = views.create_view(
        demo_con, actor=admin, object_name="companies", name="Private", now=NOW
    )
    with pytest.raises(ViewError, match="Only custom views shared with everyone"):
        views.set_default(demo_con, actor=admin, view_id=private.id, description="x", now=NOW)
    with pytest.raises(ViewError, match="Describe the default view"):
        views.set_default(demo_con, actor=admin, view_id=shared[0].id, description=" ", now=NOW)
    with pytest.raises(PermissionDenied):
        views.set_default(demo_con, actor=user(CSM), view_id=shared[0].id, description="x", now=NOW)
    for i, v in enumerate(shared[:6]):
        views.set_default(demo_con, actor=admin, view_id=v.id, description=f"Card {i}", now=NOW)
    with pytest.raises(ViewError, match="at most 6 default views"):
        views.set_default(demo_con, actor=admin, view_id=shared[6].id, description="x", now=NOW)
    defaults = views.default_views(demo_con, "companies")
    assert [v.name for v in defaults] == [f"Shared {i}" for i in range(6)]
    assert [v.default_position for v in defaults] == [1, 2, 3, 4, 5, 6]
    # A default view cannot become private; removing renumbers; reordering keeps every view.
    with pytest.raises(ViewError, match="must stay shared with everyone"):
        views.update_view(demo_con, actor=admin, view_id=shared[0].id, sharing="private", now=NOW)
    views.remove_default(demo_con, actor=admin, view_id=shared[1].id, now=NOW)
    ids = [v.id for v in views.default_views(demo_con, "companies")]
    assert ids == [shared[i].id for i in (0, 2, 3, 4, 5)]
    views.reorder_defaults(demo_con, actor=admin, object_name="companies", view_ids=ids[::-1])
    assert [v.id for v in views.default_views(demo_con, "companies")] == ids[::-1]
    with pytest.raises(ViewError, match="changed meanwhile"):
        views.reorder_defaults(demo_con, actor=admin, object_name="companies", view_ids=ids[:2])
    with pytest.raises(PermissionDenied):
        views.reorder_defaults(demo_con, actor=user(CSM), object_name="companies", view_ids=ids)


def test_standard_views_cannot_be_edited_but_can_be_deleted_by_admins(demo_con, user):
    without_demo_views(demo_con)
    views.ensure_standard_views(demo_con, "companies", now=NOW)
    owned = views.list_views(demo_con, object_name="companies", user=user(CSM))[0]
    with pytest.raises(ViewError, match="Standard views cannot be edited"):
        views.update_view(demo_con, actor=user(SUPER_ADMIN), view_id=owned.id, name="Mine", now=NOW)
    with pytest.raises(PermissionDenied):
        views.delete_view(demo_con, actor=user(CSM), view_id=owned.id, now=NOW)
    views.delete_view(demo_con, actor=user(SUPER_ADMIN), view_id=owned.id, now=NOW)
    views.ensure_standard_views(demo_con, "companies", now=NOW + timedelta(days=1))
    names = [v.name for v in views.list_views(demo_con, object_name="companies", user=user(CSM))]
    assert names == ["Assigned to me in the last 30 days"]


def test_shared_views_are_edited_and_deleted_by_settings_managers(demo_con, user):
    admin = user(SETTINGS_MANAGER)
    shared = views.create_view(demo_con, actor=admin, object_name="companies", name="Team",
                               sharing="everyone", spec=SEGMENT_SMB, now=NOW)  # fmt: skip
    with pytest.raises(PermissionDenied):
        views.update_view(demo_con, actor=user(CSM), view_id=shared.id, name="Mine now", now=NOW)
    changed = views.update_view(demo_con, actor=user(SUPER_ADMIN), view_id=shared.id, name="Team SMB",
                                columns=["name", "plan"], now=NOW + timedelta(hours=1))  # fmt: skip
    assert (changed.name, changed.columns, changed.filters) == (
        "Team SMB",
        ["name", "plan"],
        SEGMENT_SMB,
    )
    views.delete_view(demo_con, actor=admin, view_id=shared.id, now=NOW)
    assert views.get_view(demo_con, shared.id) is None
    assert isinstance(NOW, datetime)
