"""Who may do what (U-1..U-5), answered by cs_core.users.can and enforced on writes."""

import pytest

from cs_core import records, settings, users
from cs_core.settings import CustomerSettings
from cs_core.users import Action, PermissionDenied
from tests.conftest import CSM, NO_ACCESS, NO_SEAT, SEATLESS_ADMIN, SETTINGS_MANAGER, SUPER_ADMIN

A = Action
# user id -> the actions they may do; every other action is refused.
ALLOWED = {
    SUPER_ADMIN: set(Action),
    SEATLESS_ADMIN: {A.VIEW_SUMMARY, A.MANAGE_SETTINGS, A.VIEW_AS_OTHER_USER,
                     A.SHARE_VIEWS_WITH_EVERYONE, A.MANAGE_DEFAULT_VIEWS, A.IMPORT_DATA, A.EDIT_REPORTS},
    SETTINGS_MANAGER: set(Action),
    CSM: {A.VIEW_SUMMARY, A.USE_WORKSPACE, A.EDIT_RECORDS},
    NO_SEAT: set(),
    NO_ACCESS: set(),
}  # fmt: skip


@pytest.mark.parametrize("user_id", list(ALLOWED))
@pytest.mark.parametrize("action", list(Action))
def test_permission_table(user, user_id, action):
    assert users.can(user(user_id), action) == (action in ALLOWED[user_id])


def test_nobody_and_inactive_users_may_do_nothing(demo_con, user):
    demo_con.execute("UPDATE users SET is_active = FALSE WHERE id = ?", [SUPER_ADMIN])
    inactive = user(SUPER_ADMIN)
    for action in Action:
        assert not users.can(None, action)
        assert not users.can(inactive, action)


def test_demo_users_have_the_roles_the_switcher_shows(user):
    assert user(SUPER_ADMIN).role == "Super admin"
    assert user(SEATLESS_ADMIN).role == "Super admin, no seat"
    assert user(SETTINGS_MANAGER).role == "CS settings manager"
    assert user(CSM).role == "CSM"
    assert user(NO_SEAT).role == "No workspace access"
    assert user(NO_ACCESS).role == "No workspace access"


def test_find_by_email_ignores_case_and_spaces(demo_con):
    found = users.find_by_email(demo_con, "  Lucas.Fischer@Northwind.example ")
    assert found.id == CSM
    assert users.find_by_email(demo_con, "stranger@elsewhere.example") is None


def test_default_demo_user_is_a_super_admin_with_a_seat(demo_con):
    assert users.default_demo_user(demo_con).name == "Avery Morgan"


@pytest.mark.parametrize("user_id", [CSM, NO_SEAT, NO_ACCESS])
def test_settings_writes_are_refused_in_core_without_the_permission(demo_con, user, now, user_id):
    before = demo_con.execute("SELECT value, updated_at FROM settings ORDER BY key").fetchall()
    with pytest.raises(PermissionDenied) as err:
        settings.save_customer_settings(
            demo_con, actor=user(user_id), now=now,
            value=CustomerSettings("companies", "owner_id", None),
        )  # fmt: skip
    assert "may not manage Customer Success settings" in str(err.value)
    assert user(user_id).name in str(err.value)
    after = demo_con.execute("SELECT value, updated_at FROM settings ORDER BY key").fetchall()
    assert after == before


def test_creating_a_custom_object_needs_the_settings_permission(demo_con, user):
    with pytest.raises(PermissionDenied):
        records.create_custom_object(
            demo_con, actor=user(CSM), name="licenses", label="License",
            label_plural="Licenses", properties=[],
        )  # fmt: skip
    assert records.get_object(demo_con, "licenses") is None
    tables = [r[0] for r in demo_con.execute("SELECT table_name FROM information_schema.tables")
              .fetchall()]  # fmt: skip
    assert "licenses" not in tables
