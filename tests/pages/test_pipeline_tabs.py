"""The Services and Revenue tabs in AppTest: pipelines, objects, defaults from settings, views,
the board's data and the empty state (SRV-1..SRV-4, REV-1..REV-4)."""

import pytest

from cs_core import clock, db, settings, users, views
from cs_core.settings import ObjectSettings, RevenueSettings
from cs_core.users import PermissionDenied
from tests.conftest import CSM, NOW, SETTINGS_MANAGER
from tests.pages.conftest import plain, scalar


def open_tab(app, user_id, script):
    at = app(user_id)
    at.switch_page(f"app_pages/{script}").run()
    assert not at.exception
    return at


def shown_count(at) -> int:
    line = next(m.value for m in at.markdown if "in this pipeline" in m.value)
    return int(line.split("**")[1].replace(",", ""))


def _save(demo_path, key, value):
    cur = db.shared_workspace(demo_path).cursor()
    actor = users.get_user(cur, SETTINGS_MANAGER)
    saver = settings.save_service_settings if key == "services" else settings.save_revenue_settings
    saver(cur, actor=actor, value=value, now=clock.now())


def test_services_switch_pipeline_and_layout(app, demo_path):
    at = open_tab(app, CSM, "services.py")
    pipeline = at.selectbox(key="services.pipeline.services")
    assert pipeline.options == ["Onboarding", "Professional services"]
    assert (
        at.segmented_control(key="services.layout.services").value == "board"
    )  # the demo's default
    mine = "SELECT count(*) FROM services WHERE owner_id = ? AND pipeline_id = ?"
    assert shown_count(at) == scalar(demo_path, mine, [CSM, 3])
    pipeline.set_value(4).run()
    assert shown_count(at) == scalar(demo_path, mine, [CSM, 4])
    at.segmented_control(key="services.layout.services").set_value("table").run()
    assert not at.exception
    assert len(at.dataframe(key="services.table").value) == min(
        25, scalar(demo_path, mine, [CSM, 4])
    )


def test_the_default_pipeline_and_layout_follow_settings(app, demo_path):
    _save(demo_path, "services", ObjectSettings("services", "owner_id", None, (3, 4), 4, "table"))
    at = open_tab(app, CSM, "services.py")
    assert at.selectbox(key="services.pipeline.services").value == 4
    assert at.segmented_control(key="services.layout.services").value == "table"
    # Only the pipelines chosen in settings are offered.
    _save(demo_path, "services", ObjectSettings("services", "owner_id", None, (4,), 4, "board"))
    at = open_tab(app, CSM, "services.py")
    assert at.selectbox(key="services.pipeline.services").options == ["Professional services"]


def test_revenue_switches_between_its_two_objects(app, demo_path):
    deals = ObjectSettings("deals", "owner_id", "close_date", (1, 2), 2, "table")
    subs = ObjectSettings("subscriptions", "owner_id", None, (5,), 5, "board")
    _save(
        demo_path, "revenue", RevenueSettings(objects=(deals, subs), default_object="subscriptions")
    )
    at = open_tab(app, CSM, "revenue.py")
    picker = at.segmented_control(key="revenue.object")
    assert picker.value == "subscriptions"
    mine = "SELECT count(*) FROM {} WHERE owner_id = ? AND pipeline_id = ?"
    assert shown_count(at) == scalar(demo_path, mine.format("subscriptions"), [CSM, 5])
    picker.set_value("deals").run()
    assert not at.exception
    assert at.selectbox(key="revenue.deals.pipeline.deals").value == 2  # its default pipeline
    assert shown_count(at) == scalar(demo_path, mine.format("deals"), [CSM, 2])


def test_a_csm_cannot_share_a_pipeline_view_with_everyone(app, demo_path):
    at = open_tab(app, CSM, "services.py")
    at.button(key="services.create").click().run()
    assert at.radio(key="services.new.sharing").disabled
    cur = db.shared_workspace(demo_path).cursor()
    with pytest.raises(PermissionDenied):
        views.create_view(cur, actor=users.get_user(cur, CSM), object_name="services", name="Team onboarding",
                          sharing="everyone", now=NOW)  # fmt: skip
    # A private one is fine, and a settings manager may share.
    at.text_input(key="services.new.name").set_value("My onboarding").run()
    at.button(key="services.new.save").click().run()
    assert [plain(t.value) for t in at.toast] == ["View “My onboarding” created."]
    views.create_view(cur, actor=users.get_user(cur, SETTINGS_MANAGER), object_name="services",
                      name="Team onboarding", sharing="everyone", now=NOW)  # fmt: skip


def test_services_turned_off_show_how_to_set_them_up(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    db.write(
        cur, lambda c: c.execute("UPDATE objects SET is_enabled = FALSE WHERE name = 'services'")
    )
    at = open_tab(app, SETTINGS_MANAGER, "services.py")
    assert plain(at.title[0].value) == "Services"
    assert "are not set up in this workspace" in plain(at.info[0].value)
    at = open_tab(app, CSM, "services.py")
    assert "Ask a CS settings manager" in plain(at.info[0].value)
