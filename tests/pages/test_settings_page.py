"""The Settings tab end to end in AppTest: choices offered, saves, refusals (S-1..S-4)."""

import json

from cs_core import db, records, users
from tests.conftest import SETTINGS_MANAGER, SUPER_ADMIN
from tests.pages.conftest import metric_values, plain, scalar


def _settings_page(app, user_id=SETTINGS_MANAGER):
    at = app(user_id)
    at.switch_page("app_pages/settings.py").run()
    assert not at.exception
    return at


def _stored(path, key):
    return json.loads(scalar(path, "SELECT value FROM settings WHERE key = ?", [key]))


def test_customer_choices_list_only_fitting_properties(app):
    at = _settings_page(app)
    assert at.selectbox(key="settings.customers.object").options == ["Companies", "Contacts"]
    owner = at.selectbox(key="settings.customers.owner.companies")
    assert owner.options == ["Company owner", "Customer Success Manager"]
    assert owner.value == "csm_id"
    renewal = at.selectbox(key="settings.customers.renewal.companies")
    assert renewal.options == ["None", "Renewal date", "Customer since"]
    # Choosing another object offers that object's properties.
    at.selectbox(key="settings.customers.object").set_value("contacts").run()
    assert at.selectbox(key="settings.customers.owner.contacts").options == ["Contact owner"]


def test_saving_the_owner_property_changes_the_summary_at_once(app, demo_path):
    at = _settings_page(app)
    at.selectbox(key="settings.customers.owner.companies").set_value("owner_id").run()
    at.button(key="settings.customers.save").click().run()
    assert not at.error
    assert [plain(t.value) for t in at.toast] == ["Customer settings saved."]
    assert _stored(demo_path, "customers") == {
        "object": "companies", "owner_property": "owner_id", "renewal_date_property": "renewal_date",
    }  # fmt: skip
    assert any("by Priya Raman" in c.value for c in at.main.caption)
    at.switch_page("app_pages/summary.py").run()
    owned = scalar(
        demo_path, "SELECT count(*) FROM companies WHERE owner_id = ?", [SETTINGS_MANAGER]
    )
    assert metric_values(at)["Companies you own"] == f"{owned:,}"


def test_a_third_revenue_object_is_refused_with_a_message(app, demo_path):
    con = db.open_workspace(str(demo_path))
    records.create_custom_object(
        con, actor=users.get_user(con, SUPER_ADMIN), name="licenses", label="License",
        label_plural="Licenses",
        properties=[{"name": "owner_id", "label": "License owner", "type": "user"}],
    )  # fmt: skip
    con.close()
    before = _stored(demo_path, "revenue")
    at = _settings_page(app)
    objects = at.multiselect(key="settings.revenue.objects")
    assert objects.options == ["Deals", "Subscriptions", "Licenses"]
    objects.set_value(["subscriptions", "deals", "licenses"]).run()
    assert "Choose at most 2 revenue objects; 3 are chosen." in at.warning[0].value
    at.button(key="settings.revenue.save").click().run()
    assert "Revenue: at most 2 revenue objects can be chosen (3 were given)." in plain(
        at.error[0].value
    )
    assert not at.toast
    assert _stored(demo_path, "revenue") == before
    # What the user chose is still there to correct.
    assert at.multiselect(key="settings.revenue.objects").value == [
        "subscriptions",
        "deals",
        "licenses",
    ]


def test_revenue_settings_save_per_object_choices(app, demo_path):
    at = _settings_page(app, SUPER_ADMIN)
    at.multiselect(key="settings.revenue.objects").set_value(["deals"]).run()
    at.multiselect(key="settings.revenue.pipelines.deals").set_value([2]).run()
    assert at.selectbox(key="settings.revenue.default_pipeline.deals").options == ["Expansion"]
    at.radio(key="settings.revenue.layout.deals").set_value("table").run()
    at.button(key="settings.revenue.save").click().run()
    assert not at.error
    assert _stored(demo_path, "revenue") == {
        "objects": [{"object": "deals", "owner_property": "owner_id",
                     "renewal_date_property": "close_date", "pipelines": [2],
                     "default_pipeline": 2, "default_layout": "table", "arr_property": None,
                     "start_property": None, "end_property": None}],
        "default_object": "deals",
    }  # fmt: skip


def test_revenue_settings_name_the_ledger_properties_for_retention(app, demo_path):
    at = _settings_page(app, SUPER_ADMIN)
    arr = at.selectbox(key="settings.revenue.arr.subscriptions")
    assert (arr.value, arr.options) == ("arr", ["None", "ARR"])  # number properties only
    assert at.selectbox(key="settings.revenue.start.subscriptions").value == "start_date"
    assert at.selectbox(key="settings.revenue.end.subscriptions").value == "end_date"
    assert at.selectbox(key="settings.revenue.arr.deals").value is None  # deals hold no lines
    assert at.selectbox(key="settings.revenue.start.deals").disabled
    at.selectbox(key="settings.revenue.end.subscriptions").select_index(0).run()  # "None"
    at.button(key="settings.revenue.save").click().run()
    assert not at.error
    subscriptions = _stored(demo_path, "revenue")["objects"][0]
    assert (subscriptions["object"], subscriptions["arr_property"], subscriptions["start_property"],
            subscriptions["end_property"]) == ("subscriptions", "arr", "start_date", None)  # fmt: skip


def test_a_settings_manager_sets_the_reports_time_limit(app, demo_path):
    at = _settings_page(app)
    limit = at.number_input(key="settings.reports.limit")
    assert limit.value == 10.0  # the default
    limit.set_value(25.0).run()
    at.button(key="settings.reports.save").click().run()
    assert not at.error and _stored(demo_path, "reports") == {"time_limit_seconds": 25.0}
    assert _settings_page(app).number_input(key="settings.reports.limit").value == 25.0


def test_a_service_object_without_pipelines_chosen_is_refused(app, demo_path):
    before = _stored(demo_path, "services")
    at = _settings_page(app)
    at.multiselect(key="settings.services.pipelines.services").set_value([]).run()
    at.button(key="settings.services.save").click().run()
    assert "Services: choose at least one pipeline to show." in plain(at.error[0].value)
    assert _stored(demo_path, "services") == before


def test_the_daily_run_shows_its_schedule_runs_now_and_saves_a_new_time(app, demo_path):
    at = _settings_page(app)
    shown = metric_values(at)
    assert shown["Last run"] == "Never"
    # Next run: 05:00 UTC tomorrow (the fixed clock is 15:00 UTC on 28 Nov), in Priya's zone.
    zone = scalar(demo_path, "SELECT time_zone FROM users WHERE id = ?", [SETTINGS_MANAGER])
    from datetime import datetime, time

    from cs_core import clock

    assert shown["Next run"] == clock.shown(datetime(2026, 11, 29, 5), zone, "%d %b, %H:%M")
    assert any("started without the daily scheduler" in i.value for i in at.info)
    at.button(key="settings.daily.run").click().run()
    assert not at.exception
    assert (
        scalar(
            demo_path, "SELECT count(*) FROM job_runs WHERE trigger = 'manual' AND status = 'ok'"
        )
        == 1
    )
    shown = metric_values(at)
    assert shown["Records scored"] == "400" and shown["Last run"] == clock.shown(
        datetime(2026, 11, 28, 15), zone, "%d %b, %H:%M"
    )
    assert any(
        "2 profiles scored" in s.value and "expired alerts cleared" in s.value for s in at.success
    )
    at.selectbox(key="settings.daily.zone").set_value("Asia/Tokyo")
    at.time_input(key="settings.daily.time").set_value(time(6, 15))
    at.button(key="FormSubmitter:settings.daily.form-Save schedule").click().run()
    assert not at.exception and not at.error
    assert _stored(demo_path, "daily_job") == {"time": "06:15", "time_zone": "Asia/Tokyo"}


def _open_section(at) -> str:
    """The label of the section the settings page opens on."""
    (container,) = [
        b for b in _blocks(at._tree) if b.proto.WhichOneof("type") == "tab_container"
        and b.proto.id.endswith("-settings.section")
    ]  # fmt: skip
    return at.tabs[container.proto.tab_container.default_tab_index].label


def _blocks(node):
    for child in getattr(node, "children", {}).values():
        if type(child).__name__ == "Block":
            yield child
        yield from _blocks(child)


def test_the_summary_link_opens_settings_on_the_health_scores_section(app):
    """Found 5: "Edit health-score profiles" is a deep link to the Health scores section."""
    at = app(SETTINGS_MANAGER)
    (link,) = [
        e.proto for e in at.get("page_link") if e.proto.label == "Edit health-score profiles"
    ]
    assert (link.page, link.query_string) == ("settings", "section=health")
    at.query_params["section"] = "health"
    at.switch_page("app_pages/settings.py").run()
    assert _open_section(at) == "Health scores"
    # Without a section (or an unknown one), the page opens on Customers.
    at.query_params["section"] = "nonsense"
    at.run()
    assert _open_section(at) == "Customers"


def test_a_settings_manager_chooses_the_preview_properties(app, demo_path):
    """Found 14: Settings → Customers chooses what the record preview shows."""
    at = _settings_page(app)
    box = at.multiselect(key="settings.preview.companies")
    assert box.value[:2] == ["name", "domain"]
    box.set_value(["name", "nps", "segment"]).run()
    at.button(key="settings.preview.save").click().run()
    assert not at.error
    assert json.loads(
        scalar(demo_path, "SELECT value FROM settings WHERE key = 'preview.companies'")
    ) == {"properties": ["name", "nps", "segment"]}
    assert any(plain(c.value).startswith("Last saved") for c in at.caption)


def test_a_save_from_a_page_opened_before_someone_elses_save_is_refused_then_replaces(
    app, demo_path
):
    """Two settings managers on the Customers section: the one who opened it before the
    other's save is told, and nothing of theirs is overwritten; saving again replaces it."""
    from cs_core import clock, settings
    from cs_core.settings import CustomerSettings

    at = _settings_page(app)
    at.selectbox(key="settings.customers.owner.companies").set_value("owner_id").run()
    cur = db.shared_workspace(demo_path).cursor()  # meanwhile, a colleague saves the section
    settings.save_customer_settings(cur, actor=users.get_user(cur, SUPER_ADMIN), now=clock.now(),
                                    value=CustomerSettings("companies", "csm_id", None))  # fmt: skip
    at.button(key="settings.customers.save").click().run()
    assert "Someone saved these settings since you opened them" in plain(at.error[0].value)
    assert not at.toast
    assert _stored(demo_path, "customers")["renewal_date_property"] is None  # theirs stays
    assert _stored(demo_path, "customers")["owner_property"] == "csm_id"
    at.button(key="settings.customers.save").click().run()  # told once: now it replaces theirs
    assert not at.error
    assert _stored(demo_path, "customers")["owner_property"] == "owner_id"
