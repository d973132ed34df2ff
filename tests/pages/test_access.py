"""Every page for every kind of user (U-2): which tabs exist and what each shows."""

import pytest

from tests.conftest import (
    ANALYST,
    CSM,
    NO_ACCESS,
    NO_SEAT,
    SEATLESS_ADMIN,
    SETTINGS_MANAGER,
    SUPER_ADMIN,
)
from tests.pages.conftest import metric_values, plain, scalar, tab_scripts

WORKSPACE_TABS = [
    "summary.py",
    "customers.py",
    "services.py",
    "revenue.py",
    "actions.py",
    "schedule.py",
    "feed.py",
    "dashboards.py",
]
TABS = {
    SUPER_ADMIN: [*WORKSPACE_TABS, "settings.py"],
    SEATLESS_ADMIN: ["summary.py", "settings.py"],
    SETTINGS_MANAGER: [*WORKSPACE_TABS, "settings.py"],
    CSM: WORKSPACE_TABS,
    ANALYST: WORKSPACE_TABS,  # reports and dashboards are sections of the Dashboards tab, not Settings
    NO_SEAT: ["no_access.py"],
    NO_ACCESS: ["no_access.py"],
}
FIRST_NAMES = {
    SUPER_ADMIN: "Avery",
    SEATLESS_ADMIN: "Jordan",
    SETTINGS_MANAGER: "Priya",
    CSM: "Lucas",
}


@pytest.mark.parametrize("user_id", list(TABS))
def test_each_user_sees_exactly_their_tabs_and_each_renders(app, user_id):
    at = app(user_id)
    assert not at.exception
    assert tab_scripts(at) == TABS[user_id]
    for script in TABS[user_id]:
        at.switch_page(f"app_pages/{script}").run()
        assert not at.exception, script
        assert not at.error, script
        assert at.title, script


@pytest.mark.parametrize("user_id", [SUPER_ADMIN, SETTINGS_MANAGER, CSM, SEATLESS_ADMIN])
def test_summary_greets_the_user_with_their_own_numbers(app, demo_path, user_id):
    at = app(user_id)
    assert at.title[0].value.endswith(f", {FIRST_NAMES[user_id]}")
    owned = scalar(demo_path, "SELECT count(*) FROM companies WHERE csm_id = ?", [user_id])
    open_tasks = scalar(
        demo_path, "SELECT count(*) FROM tasks WHERE owner_id = ? AND status = 'open'", [user_id]
    )
    numbers = metric_values(at)
    if user_id == SEATLESS_ADMIN:  # no seat: words instead of zeros (U-2)
        assert owned == open_tasks == 0 and numbers == {}
        assert "You are a super admin without a service seat" in at.info[0].value
    else:
        assert owned > 0
        assert numbers["Companies you own"] == f"{owned:,}"
        assert numbers["Open tasks"] == f"{open_tasks:,}"


def test_a_csm_cannot_reach_settings_even_by_path(app):
    at = app(CSM)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/settings.py")


@pytest.mark.parametrize(
    ("user_id", "need"),
    [(NO_SEAT, "Olivia Grant** needs a service seat"),
     (NO_ACCESS, "Sam Patel** needs Customer Success workspace access")],
)  # fmt: skip
def test_users_without_access_see_only_the_no_access_page(app, user_id, need):
    at = app(user_id)
    assert at.title[0].value == "No access to the Customer Success workspace"
    assert need in plain(at.markdown[0].value)
    assert not at.metric


def test_demo_mode_offers_every_user_in_the_switcher(app):
    at = app()
    switcher = at.sidebar.selectbox(key="as")
    assert switcher.label == "Acting as"
    assert len(switcher.options) == 13  # the 12 demo users and the analyst
    assert "Rina Kapoor · Analyst" in switcher.options
    assert switcher.value == SUPER_ADMIN  # the default: a super admin with a seat
    switcher.set_value(CSM).run()
    assert at.title[0].value.endswith(", Lucas")
    assert tab_scripts(at) == WORKSPACE_TABS


def test_the_demo_user_survives_a_reload_and_a_new_tab(app, monkeypatch):
    """Found 13: the choice is in the URL (?as=) and in a cookie; the sidebar says who you are."""
    at = app()
    at.sidebar.selectbox(key="as").set_value(CSM).run()
    assert list(at.query_params["as"]) == [str(CSM)]
    assert ":material/person: You are acting as **Lucas Fischer** (CSM)" in [
        m.value for m in at.sidebar.markdown
    ]
    remember = [h for h in at.get("html") if "cs_demo_user=4" in h.proto.body]
    assert remember, "the choice is written to a cookie"
    # A reload: a new session with the same URL.
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import APP

    again = AppTest.from_file(str(APP), default_timeout=30)
    again.query_params["as"] = str(CSM)
    again.run()
    assert again.sidebar.selectbox(key="as").value == CSM and again.title[0].value.endswith(
        ", Lucas"
    )
    # A new tab without ?as=: the browser's cookie names the user.
    import ui.auth

    monkeypatch.setattr(ui.auth, "_cookie_user", lambda by_id: by_id[SETTINGS_MANAGER])
    tab = app()
    assert tab.sidebar.selectbox(key="as").value == SETTINGS_MANAGER
    assert tab.title[0].value.endswith(", Priya")


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s3cret",
        "client_id": "cs", "client_secret": "x",
        "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}  # fmt: skip


def test_with_sign_in_configured_nothing_shows_before_sign_in(app):
    at = app(auth=AUTH)
    assert not at.exception
    assert at.button(key="auth.sign_in").label == "Sign in"
    assert not at.metric
    assert not at.sidebar.selectbox


@pytest.mark.parametrize(
    ("email", "title"),
    [("Lucas.Fischer@northwind.example", "Lucas"),
     ("stranger@elsewhere.example", "No access to the Customer Success workspace")],
)  # fmt: skip
def test_signed_in_email_is_matched_to_a_workspace_user(demo_path, monkeypatch, email, title):
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import APP

    monkeypatch.setenv("CS_WORKSPACE_DB", str(demo_path))
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    assert not at.exception
    assert title in at.title[0].value
    assert not at.sidebar.selectbox  # no demo switcher once sign-in is configured
    if "No access" in title:
        assert "stranger@elsewhere.example" in plain(at.markdown[0].value)
        assert tab_scripts(at) == ["no_access.py"]


@pytest.mark.parametrize("claim", [False, None, "false", "yes", 1])
def test_an_email_the_provider_has_not_verified_signs_nobody_in(demo_path, monkeypatch, claim):
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import APP

    monkeypatch.setenv("CS_WORKSPACE_DB", str(demo_path))
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "Lucas.Fischer@northwind.example"}
    if claim is not None:
        at.user["email_verified"] = claim
    at.run()
    assert not at.exception
    assert at.title[0].value == "Your email address is not verified"
    assert not at.metric and tab_scripts(at) == ["streamlit_app.py"]  # no tab: no navigation ran
    assert at.button(key="auth.sign_out").label == "Sign out"
