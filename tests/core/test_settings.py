"""Customer, service and revenue settings (S-1..S-4): defaults, validation, saving."""

import pytest

from cs_core import preview_settings, records, settings
from cs_core.settings import CustomerSettings, ObjectSettings, RevenueSettings, SettingsError
from tests.conftest import SETTINGS_MANAGER, SUPER_ADMIN


def _settings_rows(con):
    return con.execute("SELECT key, value, updated_at FROM settings ORDER BY key").fetchall()


def test_an_empty_workspace_has_sensible_defaults(empty_con):
    assert settings.get_customer_settings(empty_con) == CustomerSettings(
        "companies", "csm_id", "renewal_date"
    )
    services = settings.get_service_settings(empty_con)
    assert (services.object, services.owner_property, services.default_layout) == (
        "services", "owner_id", "board",
    )  # fmt: skip
    assert services.pipelines == ()
    revenue = settings.get_revenue_settings(empty_con)
    assert [o.object for o in revenue.objects] == ["deals"]
    assert revenue.objects[0].renewal_date_property == "close_date"
    assert revenue.default_object == "deals"


def test_the_demo_configures_subscriptions_and_deals(demo_con):
    revenue = settings.get_revenue_settings(demo_con)
    assert [o.object for o in revenue.objects] == ["subscriptions", "deals"]
    assert revenue.default_object == "subscriptions"
    assert revenue.for_object("deals").pipelines == (1, 2)
    assert settings.get_service_settings(demo_con).default_pipeline == 3


def test_choices_offer_only_eligible_objects_and_property_types(demo_con):
    # Subscriptions are a standard revenue object; custom objects are offered everywhere.
    assert settings.customer_object_choices(demo_con) == ["companies", "contacts"]
    assert settings.service_object_choices(demo_con) == ["services"]
    assert settings.revenue_object_choices(demo_con) == ["deals", "subscriptions"]
    assert settings.owner_property_choices(demo_con, "companies") == ["owner_id", "csm_id"]
    assert settings.date_property_choices(demo_con, "companies") == [
        "renewal_date",
        "customer_since",
    ]
    assert settings.date_property_choices(demo_con, "subscriptions") == [
        "start_date",
        "end_date",
        "renewal_date",
    ]


def test_saving_customer_settings_takes_effect_at_once(demo_con, user, now):
    value = CustomerSettings("contacts", "owner_id", None)
    settings.save_customer_settings(demo_con, actor=user(SETTINGS_MANAGER), value=value, now=now)
    assert settings.get_customer_settings(demo_con) == value
    when, who = settings.last_change(demo_con, "customers")
    assert who == "Priya Raman"
    assert when == now.replace(tzinfo=None)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (CustomerSettings("companies", "renewal_date", None),
         "the owner property must be a user property; 'Renewal date' is a date property"),
        (CustomerSettings("companies", "csm_id", "name"),
         "the renewal date must be a date property; 'Company name' is a string property"),
        (CustomerSettings("companies", "csm_id", "created_at"),
         "the renewal date must be a date property; 'Create date' is a datetime property"),
        (CustomerSettings("companies", "no_such_owner", None),
         "Companies have no property 'no_such_owner' for the owner"),
        (CustomerSettings("deals", "owner_id", None), "'deals' cannot be the account object"),
        (CustomerSettings("tickets", "owner_id", None), "'tickets' cannot be the account object"),
    ],
)  # fmt: skip
def test_invalid_customer_settings_are_refused_and_nothing_is_saved(
    demo_con, user, now, value, problem
):
    before = _settings_rows(demo_con)
    with pytest.raises(SettingsError) as err:
        settings.save_customer_settings(demo_con, actor=user(SUPER_ADMIN), value=value, now=now)
    assert problem in str(err.value)
    assert _settings_rows(demo_con) == before


def _sub_settings(**changes):
    base = dict(object="subscriptions", owner_property="owner_id",
                renewal_date_property="renewal_date", pipelines=(5,), default_pipeline=5,
                default_layout="table")  # fmt: skip
    return ObjectSettings(**{**base, **changes})


def _deal_settings(**changes):
    base = dict(object="deals", owner_property="owner_id", renewal_date_property="close_date",
                pipelines=(1, 2), default_pipeline=1, default_layout="board")  # fmt: skip
    return ObjectSettings(**{**base, **changes})


def _add_licenses(con, actor):
    records.create_custom_object(
        con, actor=actor, name="licenses", label="License", label_plural="Licenses",
        properties=[{"name": "owner_id", "label": "License owner", "type": "user"},
                    {"name": "expires_on", "label": "Expiry date", "type": "date"}],
    )  # fmt: skip


def test_a_third_revenue_object_is_refused(demo_con, user, now):
    admin = user(SUPER_ADMIN)
    _add_licenses(demo_con, admin)
    assert settings.revenue_object_choices(demo_con) == ["deals", "subscriptions", "licenses"]
    before = _settings_rows(demo_con)
    three = RevenueSettings(
        objects=(_sub_settings(), _deal_settings(),
                 ObjectSettings("licenses", "owner_id", "expires_on")),
        default_object="deals",
    )  # fmt: skip
    with pytest.raises(SettingsError) as err:
        settings.save_revenue_settings(demo_con, actor=admin, value=three, now=now)
    assert err.value.problems == [
        "Revenue: at most 2 revenue objects can be chosen (3 were given)."
    ]
    assert _settings_rows(demo_con) == before


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (RevenueSettings((), None), "Revenue: choose at least one revenue object."),
        (RevenueSettings((_deal_settings(), _deal_settings()), "deals"),
         "Revenue: the same object is chosen twice."),
        (RevenueSettings((_deal_settings(),), "subscriptions"),
         "Revenue: the default object must be one of the chosen objects."),
        (RevenueSettings((_deal_settings(pipelines=(1, 5)),), "deals"),
         "Revenue (Deals): Deals have no pipeline with id 5."),
        (RevenueSettings((_deal_settings(pipelines=(2,), default_pipeline=1),), "deals"),
         "Revenue (Deals): the default pipeline must be one of the pipelines shown."),
        (RevenueSettings((_deal_settings(pipelines=()),), "deals"),
         "Revenue (Deals): choose at least one pipeline to show."),
        (RevenueSettings((_deal_settings(default_layout="kanban"),), "deals"),
         "Revenue (Deals): the default layout must be 'table' or 'board'."),
        (RevenueSettings((_deal_settings(owner_property="amount"),), "deals"),
         "the owner property must be a user property; 'Amount' is a number property"),
        (RevenueSettings((_sub_settings(renewal_date_property="arr"),), "subscriptions"),
         "the renewal date must be a date property; 'ARR' is a number property"),
        (RevenueSettings((_deal_settings(object="companies"),), "companies"),
         "'companies' cannot be chosen here"),
    ],
)  # fmt: skip
def test_invalid_revenue_settings_are_refused(demo_con, user, now, value, problem):
    before = _settings_rows(demo_con)
    with pytest.raises(SettingsError) as err:
        settings.save_revenue_settings(demo_con, actor=user(SUPER_ADMIN), value=value, now=now)
    assert problem in str(err.value)
    assert _settings_rows(demo_con) == before


def test_valid_revenue_and_service_settings_round_trip(demo_con, user, now):
    admin = user(SUPER_ADMIN)
    revenue = RevenueSettings((_deal_settings(pipelines=(2,), default_pipeline=2),), "deals")
    settings.save_revenue_settings(demo_con, actor=admin, value=revenue, now=now)
    assert settings.get_revenue_settings(demo_con) == revenue
    services = ObjectSettings("services", "owner_id", "target_date", (4,), 4, "table")
    settings.save_service_settings(demo_con, actor=admin, value=services, now=now)
    assert settings.get_service_settings(demo_con) == services


def test_a_custom_object_can_be_the_service_object(demo_con, user, now):
    from cs_core import records

    records.create_custom_object(demo_con, actor=user(SUPER_ADMIN), name="projects", label="Project",
                                 label_plural="Projects", properties=[{"name": "owner_id", "label": "Project owner",
                                                                       "type": "user"}])  # fmt: skip
    assert settings.service_object_choices(demo_con) == ["services", "projects"]
    value = ObjectSettings("projects", "owner_id", None, (), None, "board")
    settings.save_service_settings(demo_con, actor=user(SUPER_ADMIN), value=value, now=now)
    assert settings.get_service_settings(demo_con).object == "projects"


def test_a_seatless_super_admin_may_save_settings(demo_con, user, now):
    from tests.conftest import SEATLESS_ADMIN

    value = CustomerSettings("companies", "owner_id", None)
    settings.save_customer_settings(demo_con, actor=user(SEATLESS_ADMIN), value=value, now=now)
    assert settings.get_customer_settings(demo_con) == value


def test_the_preview_shows_imported_properties_and_the_chosen_ones(demo_con):
    """Found 14: imported properties appear in the preview by default; settings choose them."""
    import pandas as pd

    from cs_core import imports, record_detail, users
    from cs_core.users import PermissionDenied
    from tests.conftest import CSM, NOW

    frame = pd.DataFrame(
        {"Company name": ["Acme"], "MonthlyCharges": ["70.5"], "Contract": ["One year"]}
    )
    imports.run_import(demo_con, frame, imports.suggest_mapping(demo_con, frame, object_name="companies"),
                       object_name="companies", actor=None, now=NOW, file_name="x.csv")  # fmt: skip
    shown = record_detail.preview_properties(demo_con, "companies")
    assert shown[:3] == ["name", "domain", "segment"] and shown[-2:] == [
        "monthly_charges",
        "contract",
    ]
    record = demo_con.execute("SELECT id FROM companies WHERE name = 'Acme'").fetchone()[0]
    manager, csm = users.get_user(demo_con, SETTINGS_MANAGER), users.get_user(demo_con, CSM)
    preview = record_detail.preview(demo_con, object_name="companies", record_id=record, user=csm)
    assert {f.label: f.display for f in preview.fields}["Monthly charges"] == "70.50"
    preview_settings.save_preview_properties(demo_con, actor=manager, object_name="companies",
                                     properties=["name", "contract", "nps"], now=NOW)  # fmt: skip
    preview = record_detail.preview(demo_con, object_name="companies", record_id=record, user=csm)
    assert [f.name for f in preview.fields] == ["name", "contract", "nps"]
    with pytest.raises(SettingsError) as refused:
        preview_settings.save_preview_properties(demo_con, actor=manager, object_name="companies",
                                         properties=["name", "nope", "name"], now=NOW)  # fmt: skip
    assert refused.value.problems == ["There is no property 'nope' on this object.",
                                      "Each property can be chosen once."]  # fmt: skip
    with pytest.raises(PermissionDenied):
        preview_settings.save_preview_properties(
            demo_con, actor=csm, object_name="companies", properties=["name"], now=NOW
        )
