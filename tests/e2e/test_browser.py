"""A few high-value journeys in a real browser: deep links, settings that persist, every tab
for every kind of user, and the README screenshot."""

from __future__ import annotations

import os
import re

import duckdb
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT

SETTINGS_HEADING = "Customer Success settings"
NO_ACCESS_HEADING = "No access to the Customer Success workspace"
GREETING = re.compile(r"^Good (morning|afternoon|evening), ")


def greeting(first_name: str) -> re.Pattern:
    return re.compile(rf"^Good (morning|afternoon|evening), {first_name}$")


def top_nav(page: Page, title: str):
    """The tab link called ``title`` in the top navigation bar."""
    return page.get_by_role("navigation", name="App pages").get_by_role(
        "link", name=title, exact=True
    )


def expect_no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_deep_link_to_settings_on_a_fresh_server(page: Page, own_server):
    # /settings is the first page this server ever serves: st.navigation must route it,
    # as the entry script resolves the user (a pages/ folder once broke exactly this).
    own_server.start()
    page.goto(f"{own_server.url}/settings")

    expect(page.get_by_role("heading", name=SETTINGS_HEADING)).to_be_visible()
    expect(page.get_by_role("combobox", name="Acting as")).to_have_value(
        "Avery Morgan · Super admin"
    )
    expect(top_nav(page, "Summary")).to_be_visible()
    expect(top_nav(page, "Settings")).to_be_visible()
    expect(top_nav(page, "Settings")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect_no_exception(page)


def test_customer_owner_setting_persists_across_reload_and_restart(page: Page, own_server):
    own_server.start()
    owner = page.get_by_role("combobox", name="Owner property", exact=True)

    page.goto(f"{own_server.url}/settings")
    expect(page.get_by_role("heading", name=SETTINGS_HEADING)).to_be_visible()
    expect(page.get_by_role("tab", name="Customers")).to_have_attribute("aria-selected", "true")
    expect(owner).to_have_value("Customer Success Manager")

    choose(page, "Owner property", "Company owner")
    page.get_by_role("button", name="Save customer settings").click()
    expect(page.get_by_text("Customer settings saved.")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"^Last saved .* \(America/New_York\) by Avery Morgan\.$"))
    ).to_be_visible()

    page.reload()
    expect(page.get_by_role("heading", name=SETTINGS_HEADING)).to_be_visible()
    expect(owner).to_have_value("Company owner")

    own_server.stop()
    with duckdb.connect(str(own_server.db_path), read_only=True) as con:
        (value,) = con.execute("select value from settings where key = 'customers'").fetchone()
    assert '"owner_property": "owner_id"' in value

    own_server.start()
    page.goto(f"{own_server.url}/settings")
    expect(page.get_by_role("heading", name=SETTINGS_HEADING)).to_be_visible()
    expect(owner).to_have_value("Company owner")
    expect_no_exception(page)


# name, label in the "Acting as" switcher, the tabs they see
USERS = [
    ("Avery Morgan", "Super admin", ["Summary", "Customers", "Settings"]),
    ("Jordan Blake", "Super admin, no seat", ["Summary", "Settings"]),
    ("Priya Raman", "CS settings manager", ["Summary", "Customers", "Settings"]),
    ("Lucas Fischer", "CSM", ["Summary", "Customers"]),
    ("Sam Patel", "No workspace access", []),
]
ALL_TABS = ["Summary", "Customers", "Settings"]


@pytest.mark.parametrize(
    ("name", "role", "tabs"), USERS, ids=[u[0].split()[0].lower() for u in USERS]
)
def test_every_tab_renders_for_each_kind_of_user(page: Page, app, name, role, tabs):
    page.goto(app.url)
    expect(page.get_by_role("heading", name=greeting("Avery"))).to_be_visible()

    choose(page, "Acting as", f"{name} · {role}")
    expect(page.get_by_role("combobox", name="Acting as")).to_have_value(f"{name} · {role}")

    if not tabs:
        expect(page.get_by_role("heading", name=NO_ACCESS_HEADING)).to_be_visible()
        expect(page.get_by_text(f"{name} needs Customer Success workspace access")).to_be_visible()
        for title in ALL_TABS:
            expect(top_nav(page, title)).to_have_count(0)
        expect_no_exception(page)
        return

    headings = {
        "Summary": greeting(name.split()[0]),
        "Customers": "Owned by me",
        "Settings": SETTINGS_HEADING,
    }
    expect(page.get_by_role("heading", name=headings["Summary"])).to_be_visible()
    expect_no_exception(page)
    if len(tabs) == 1:
        # Streamlit shows no navigation bar for a single page: the tab is simply open.
        expect(page.get_by_test_id("stTopNavLink")).to_have_count(0)
        return
    for title in ALL_TABS:
        expect(top_nav(page, title)).to_have_count(1 if title in tabs else 0)
    for title in reversed(tabs):  # Summary is open already: visit the others, then come back
        top_nav(page, title).click()
        expect(top_nav(page, title)).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("heading", name=headings[title])).to_be_visible()
        expect_no_exception(page)


@pytest.mark.skipif(
    os.environ.get("CS_UPDATE_SCREENSHOT") != "1",
    reason="set CS_UPDATE_SCREENSHOT=1 to refresh docs/screenshot.png",
)
def test_update_readme_screenshot(page: Page, app):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(app.url)
    expect(page.get_by_role("heading", name=GREETING)).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(
        12
    )  # 4 workday figures, 4 per live profile
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    expect_no_exception(page)
    page.evaluate("document.fonts.ready")

    target = ROOT / "docs" / "screenshot.png"
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target), animations="disabled")
    assert target.stat().st_size > 10_000
