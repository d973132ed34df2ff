"""The Customers tab in a real browser: filter the table, select a row, edit it in the preview,
reload and find the edit again; open the full record page and come back.

The table is an st.dataframe, drawn on a canvas: a row is selected by clicking its checkbox
by position, and cells cannot be read, so expected rows come from the workspace file.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import open_and_settle

AVERY_ID = 1  # the demo's default user, a super admin; the "Owned by me" view is hers
AVERY_TZ = ZoneInfo("America/New_York")
FILTER, FILTER_DAYS = "Last 7 days", 7  # the demo's 90-day range would keep every one of hers
NPS = "Latest NPS score"
HEADER_PX, ROW_PX = 36, 35  # st.dataframe's header and row heights
# The preview panel is long: a viewport that shows all of it means no widget is reached by
# scrolling (an open select list closes when a container around it scrolls), and a screenshot
# shows the whole panel.
TALL = {"width": 1400, "height": 2800}


def expect_no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def settled(page: Page) -> None:
    """Wait for the script runs an action started to finish: acting while Streamlit still
    redraws the page can close a list just opened, or lose a click."""
    page.wait_for_timeout(150)  # the rerun request leaves the browser
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def choose(page: Page, scope: Page | Locator, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` (inside ``scope``)."""
    scope.get_by_role("combobox", name=label, exact=True).click()
    # Typing narrows the (virtualised) list to the option; while the list is open the rest of
    # the page is hidden from role locators, so the option is looked up on the page.
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    settled(page)


def open_expander(page: Page, scope: Locator, title: str) -> None:
    """Open the expander ``title`` inside ``scope`` and wait until it stops growing."""
    expander = scope.get_by_test_id("stExpander").filter(has=page.get_by_text(title, exact=True))
    open_and_settle(page, expander, title)


def count_line(page: Page) -> Locator:
    """The "**N** companies" line above the table."""
    return page.get_by_test_id("stMarkdownContainer").filter(
        has_text=re.compile(r"^[\d,]+ compan(y|ies)$")
    )


def click_row(page: Page, index: int) -> None:
    """Tick the selection checkbox of row ``index`` (0-based) of the first table."""
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 15, box["y"] + HEADER_PX + index * ROW_PX + ROW_PX / 2)


def preview(page: Page, title: str | None = None) -> Locator:
    """The preview panel (of record ``title``): the innermost block with a heading and the
    "Open record" button."""
    heading = (
        page.get_by_role("heading", name=title, exact=True)
        if title
        else page.get_by_role("heading")
    )
    return (
        page.get_by_test_id("stVerticalBlock")
        .filter(has=heading)
        .filter(has=page.get_by_role("button", name="Open record"))
        .last
    )


def field_row(panel: Locator, label: str) -> Locator:
    """The "label | value" line of the panel's property list."""
    caption = panel.page.get_by_test_id("stCaptionContainer").get_by_text(label, exact=True)
    return panel.get_by_test_id("stHorizontalBlock").filter(has=caption)


def filter_and_select_first(page: Page, total: int, filtered: int, company: str) -> Locator:
    """On the open customers tab: apply the quick filter, check the count, select row 0."""
    expect(page.get_by_role("heading", name="Owned by me")).to_be_visible()
    expect(page.get_by_role("button", name="Assigned to me in the last 30 days")).to_be_visible()
    expect(page.get_by_role("button", name="Create view")).to_be_visible()
    expect(count_line(page)).to_have_text(f"{total:,} companies")

    choose(page, page, "Last activity date", FILTER)
    expect(page.get_by_role("combobox", name="Last activity date")).to_have_value(FILTER)
    expect(count_line(page)).to_have_text(f"{filtered:,} companies")
    settled(page)

    click_row(page, 0)
    panel = preview(page, company)
    expect(panel).to_be_visible()
    settled(page)
    expect(panel.get_by_role("button", name="Follow")).to_be_visible()
    for section in ("Edit a property", "Property history", "Merge with another record"):
        expect(panel.get_by_text(section, exact=True)).to_be_visible()
    return panel


def test_filter_select_edit_in_preview_and_the_edit_survives_reload(
    page: Page, own_server, tmp_path
):
    today = datetime.now(UTC).astimezone(AVERY_TZ).date()
    with duckdb.connect(str(own_server.db_path), read_only=True) as con:
        (total,) = con.execute(
            "SELECT count(*) FROM companies WHERE csm_id = ?", [AVERY_ID]
        ).fetchone()
        # "Last 7 days" are the 7 local days ending today in Avery's zone (stored times are UTC).
        con.execute("SET TimeZone = 'UTC'")
        mine_recent = (
            "FROM companies WHERE csm_id = ? AND CAST(timezone('America/New_York', "
            "CAST(last_activity_at AS TIMESTAMPTZ)) AS DATE) BETWEEN ? AND ?"
        )
        params = [AVERY_ID, today - timedelta(days=FILTER_DAYS - 1), today]
        (filtered,) = con.execute(f"SELECT count(*) {mine_recent}", params).fetchone()
        company_id, company, old_nps = con.execute(
            f"SELECT id, name, nps {mine_recent} ORDER BY lower(name), id LIMIT 1", params
        ).fetchone()
    assert 0 < filtered < total, "the demo data no longer exercises the quick filter"
    new_nps = 9 if old_nps == 10 else 10

    page.set_viewport_size(TALL)
    own_server.start()
    page.goto(f"{own_server.url}/customers")
    expect(page.get_by_role("combobox", name="Acting as")).to_have_value(
        "Avery Morgan · Super admin"
    )
    panel = filter_and_select_first(page, total, filtered, company)

    open_expander(page, panel, "Edit a property")
    choose(page, panel, "Property", NPS)
    value = panel.get_by_role("textbox", name=NPS, exact=True)
    value.fill("notanumber")
    value.press("Enter")
    settled(page)
    panel.get_by_role("button", name="Save").click()
    settled(page)
    expect(
        panel.get_by_text(f"{NPS} must be a number; 'notanumber' is not one.", exact=True)
    ).to_be_visible()

    value.fill(str(new_nps))
    value.press("Enter")
    settled(page)
    panel.get_by_role("button", name="Save").click()
    settled(page)
    expect(page.get_by_test_id("stToast").filter(has_text=f"{NPS} saved.")).to_be_visible()
    expect(field_row(panel, NPS)).to_have_count(1)
    expect(field_row(panel, NPS).get_by_text(str(new_nps), exact=True)).to_be_visible()
    expect(panel.get_by_text("must be a number")).to_have_count(0)
    expect_no_exception(page)
    page.screenshot(path=str(tmp_path / "preview_after_edit.png"))

    page.reload()
    panel = filter_and_select_first(page, total, filtered, company)
    expect(field_row(panel, NPS).get_by_text(str(new_nps), exact=True)).to_be_visible()
    open_expander(page, panel, "Property history")
    # the demo records only owner changes: the NPS edit is what adds this choice
    choose(page, panel, "Show changes of", NPS)
    expect(panel.get_by_role("combobox", name="Show changes of")).to_have_value(NPS)
    expect_no_exception(page)

    own_server.stop()
    with duckdb.connect(str(own_server.db_path), read_only=True) as con:
        (nps,) = con.execute("SELECT nps FROM companies WHERE id = ?", [company_id]).fetchone()
        history = con.execute(
            "SELECT old_value, new_value, changed_by, source FROM property_history "
            "WHERE object = 'companies' AND record_id = ? AND property = 'nps'",
            [company_id],
        ).fetchall()
    assert nps == new_nps
    old_text = None if old_nps is None else f"{old_nps:g}"
    assert history == [(old_text, str(new_nps), AVERY_ID, "ui")]


def test_open_record_from_the_preview_and_back(page: Page, app):
    page.set_viewport_size(TALL)
    page.goto(f"{app.url}/customers")
    expect(count_line(page)).to_be_visible()
    settled(page)
    click_row(page, 0)
    panel = preview(page)
    settled(page)
    title = panel.get_by_role("heading").first
    expect(title).to_be_visible()
    company = title.inner_text()
    expect(preview(page, company)).to_be_visible()

    panel.get_by_role("button", name="Open record").click()
    settled(page)
    expect(page).to_have_url(re.compile(r"/customers\?(as=\d+&)?record=\d+(&as=\d+)?$"))
    record_id = re.search(r"record=(\d+)", page.url).group(1)
    expect(page.get_by_role("heading", name=company, exact=True)).to_be_visible()
    expect(page.get_by_text(f"Company · record id {record_id}", exact=True)).to_be_visible()
    for tab in ("Properties", "Activity", "Associations", "History", "Health score"):
        expect(page.get_by_role("tab", name=tab, exact=True)).to_be_visible()
    expect(page.get_by_role("tab", name="Properties")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("heading", name="Owned by me")).to_have_count(0)
    expect_no_exception(page)

    page.get_by_role("button", name="Back to companies").click()
    settled(page)
    expect(page).not_to_have_url(re.compile(r"record="))
    expect(page.get_by_role("heading", name="Owned by me")).to_be_visible()
    expect(count_line(page)).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect_no_exception(page)
