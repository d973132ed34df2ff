"""Two walkthroughs of the Customers tab in a real browser.

1. A CS settings manager builds a view from advanced filters (two OR groups) and a quick
   filter, shares it with everyone, makes it a default view, reloads and finds it again.
2. With the record preview open, the table still shows at least five whole columns at
   1440 px; screenshots at 1280, 1440 and 1920 px, and no two visible buttons overlap.

The table is an st.dataframe drawn on a canvas: a row is selected by clicking its checkbox by
position, and column edges are read from the pixels of the header row (the grid draws a
vertical line between two columns).
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from pathlib import Path

import duckdb
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import open_and_settle

PRIYA_ID = 3  # Priya Raman, CS settings manager: may share views and manage default views
LUCAS_ID = 4  # Lucas Fischer, a CSM with a seat
VIEW_NAME = "Quiet accounts: mine with an a, or Lucas's"
DESCRIPTION = "Accounts without activity for a month: follow up this week."
QUICK = "More than 30 days ago"
QUICK_CONDITION = {"property": "last_activity_at", "operator": "more_than_days_ago", "value": 30}
HEADER_PX, ROW_PX = 38, 35  # st.dataframe's header and row heights (ui/record_table.py)
MIN_COLUMNS = 5


# --- helpers (the same waits as tests/e2e/test_customers.py) ---------------------------------


def expect_no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def settled(page: Page) -> None:
    """Wait for the script run an action started to finish."""
    page.wait_for_timeout(150)  # the rerun request leaves the browser
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def choose(page: Page, scope: Page | Locator, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` (the first one inside ``scope``)."""
    scope.get_by_role("combobox", name=label, exact=True).first.click()
    page.keyboard.type(option)  # narrows the virtualised list to the option
    page.get_by_role("option", name=option, exact=True).click()
    settled(page)


def open_expander(page: Page, expander: Locator, title: str) -> None:
    """Open ``expander`` and wait until it stops growing."""
    open_and_settle(page, expander, title)


def key(name: str) -> str:
    """The CSS selector of the element of the Streamlit widget or container keyed ``name``
    (Streamlit writes the key into a class, dots turned into dashes)."""
    return ".st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def count_line(page: Page) -> Locator:
    """The "**N** companies" line above the table."""
    return page.get_by_test_id("stMarkdownContainer").filter(
        has_text=re.compile(r"^[\d,]+ compan(y|ies)$")
    )


def shown_count(page: Page) -> int:
    expect(count_line(page)).to_have_count(1)
    return int(count_line(page).inner_text().split()[0].replace(",", ""))


def click_row(page: Page, index: int) -> None:
    """Tick the selection checkbox of row ``index`` (0-based) of the first table.

    The row is first scrolled to the upper part of the window, but below the app's top bar
    (scroll_into_view_if_needed puts a table taller than the window under that bar)."""
    grid = page.get_by_test_id("stDataFrame").first
    offset = HEADER_PX + index * ROW_PX + ROW_PX / 2
    height = page.viewport_size["height"]
    for _ in range(5):
        box = grid.bounding_box()
        assert box is not None
        y = box["y"] + offset
        if 120 <= y <= height - 40:
            page.mouse.click(box["x"] + 15, y)
            return
        page.mouse.move(box["x"] + box["width"] / 2, height / 2)
        page.mouse.wheel(0, y - height / 3)
        page.wait_for_timeout(300)
    raise AssertionError(f"row {index} of the table could not be scrolled into view")


# --- 1. a shared default view that survives a reload ----------------------------------------


def expect_advanced_open(page: Page, advanced: Locator, groups: int) -> None:
    """The "Advanced filters" expander is still open and shows ``groups`` groups."""
    expect(advanced.locator("details").first).to_have_attribute("open", "")
    expect(advanced.get_by_test_id("stExpanderDetails")).to_be_visible()
    expect(advanced.get_by_text("Match all of these", exact=True)).to_be_visible()
    expect(advanced.get_by_text("… or all of these", exact=True)).to_have_count(groups - 1)
    expect(advanced.get_by_role("button", name="Add an OR group")).to_be_visible()


def last_condition(block: Locator) -> Locator:
    """The last condition row (property | operator | value | remove) of a group."""
    return (
        block.get_by_test_id("stHorizontalBlock")
        .filter(has=block.page.get_by_role("combobox", name="Property", exact=True))
        .last
    )


def test_a_settings_manager_builds_a_shared_default_view_that_survives_a_reload(
    page: Page, own_server
):
    started = time.monotonic()
    page.set_viewport_size({"width": 1440, "height": 1600})
    own_server.start()
    page.goto(f"{own_server.url}/customers?as={PRIYA_ID}")
    expect(page.get_by_role("combobox", name="Acting as")).to_have_value(
        "Priya Raman · CS settings manager"
    )
    expect(page.get_by_role("heading", name="Owned by me")).to_be_visible()
    expect(count_line(page)).to_be_visible()
    settled(page)
    before = shown_count(page)

    advanced = page.locator(key("customers.advanced"))
    open_expander(page, advanced, "Advanced filters")
    expect_advanced_open(page, advanced, groups=1)
    first = (
        advanced.get_by_test_id("stVerticalBlock")
        .filter(has=page.get_by_text("Match all of these", exact=True))
        .last
    )
    # the "Owned by me" view starts with one condition: Customer Success Manager is Me
    expect(first.get_by_role("combobox", name="Property", exact=True)).to_have_count(1)

    # group 1: ... and Company name contains "a"
    advanced.locator(key("customers.add.0")).get_by_role("button").click()
    settled(page)
    expect_advanced_open(page, advanced, groups=1)
    expect(first.get_by_role("combobox", name="Property", exact=True)).to_have_count(2)
    row = last_condition(first)
    expect(row.get_by_role("combobox", name="Property", exact=True)).to_have_value("Company name")
    choose(page, row, "Operator", "contains")
    expect(row.get_by_role("combobox", name="Operator", exact=True)).to_have_value("contains")
    value = row.get_by_role("textbox", name="Value", exact=True)
    value.fill("a")
    value.press("Enter")
    settled(page)
    expect_advanced_open(page, advanced, groups=1)

    # group 2 (OR): Customer Success Manager is Lucas Fischer
    advanced.get_by_role("button", name="Add an OR group").click()
    settled(page)
    expect_advanced_open(page, advanced, groups=2)
    second = (
        advanced.get_by_test_id("stVerticalBlock")
        .filter(has=page.get_by_text("… or all of these", exact=True))
        .last
    )
    row = last_condition(second)
    choose(page, row, "Property", "Customer Success Manager")
    expect_advanced_open(page, advanced, groups=2)
    row = last_condition(second)
    expect(row.get_by_role("combobox", name="Property", exact=True)).to_have_value(
        "Customer Success Manager"
    )
    expect(row.get_by_role("combobox", name="Operator", exact=True)).to_have_value("is")
    choose(page, row, "Value", "Lucas Fischer")
    expect(row.get_by_role("combobox", name="Value", exact=True)).to_have_value("Lucas Fischer")
    expect_advanced_open(page, advanced, groups=2)
    expect(page.get_by_text(re.compile(r"^Not applied yet"))).to_have_count(0)

    choose(page, page, "Last activity date", QUICK)
    expect(page.get_by_role("combobox", name="Last activity date")).to_have_value(QUICK)
    expect_advanced_open(page, advanced, groups=2)
    filtered = shown_count(page)
    assert filtered > 0, "the filters match no company: the demo data no longer exercises them"
    expect_no_exception(page)

    # Create view (left column): name, Everyone, Create
    page.get_by_role("button", name="Create view").click()
    settled(page)
    name = page.locator(key("customers.new.name")).get_by_role("textbox")
    name.fill(VIEW_NAME)
    name.press("Enter")
    settled(page)
    page.locator(key("customers.new.sharing")).get_by_text("Everyone", exact=True).click()
    settled(page)
    page.locator(key("customers.new.save")).get_by_role("button", name="Create").click()
    settled(page)
    expect(
        page.get_by_test_id("stToast").filter(has_text=f"View “{VIEW_NAME}” created.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name=VIEW_NAME, exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Last activity date")).to_have_value(QUICK)
    expect(count_line(page)).to_have_text(f"{filtered:,} companies")
    expect(page.locator(key("customers.unsaved"))).to_have_count(0)

    # View settings: a default view, with a description
    settings = page.get_by_test_id("stExpander").filter(
        has=page.get_by_text("View settings", exact=True)
    )
    open_expander(page, settings, "View settings")
    description = settings.get_by_role("textbox", name="Description on the Summary card")
    description.fill(DESCRIPTION)
    description.press("Control+Enter")
    settled(page)
    settings.get_by_role("button", name="Set as default view").click()
    settled(page)
    expect(
        page.get_by_test_id("stToast").filter(has_text=f"“{VIEW_NAME}” is a default view.")
    ).to_be_visible()
    expect(page.get_by_text("Default views", exact=True)).to_be_visible()
    expect(
        page.get_by_test_id("stCaptionContainer").get_by_text(DESCRIPTION, exact=True)
    ).to_be_visible()
    expect_no_exception(page)
    count = shown_count(page)
    assert count == filtered

    page.reload()
    expect(page).to_have_url(re.compile(rf"[?&]as={PRIYA_ID}(&|$)"))
    expect(page.get_by_role("combobox", name="Acting as")).to_have_value(
        "Priya Raman · CS settings manager"
    )
    expect(page.get_by_role("heading", name="Owned by me")).to_be_visible()  # the first view
    expect(count_line(page)).to_have_text(f"{before:,} companies")
    settled(page)
    page.get_by_role("button", name=VIEW_NAME, exact=True).click()
    settled(page)
    expect(page.get_by_role("heading", name=VIEW_NAME, exact=True)).to_be_visible()
    expect(count_line(page)).to_have_text(f"{count:,} companies")
    expect(page.get_by_role("combobox", name="Last activity date")).to_have_value(QUICK)
    expect(
        page.get_by_text("3 advanced conditions in 2 groups applied", exact=True)
    ).to_be_visible()
    expect(page.locator(key("customers.unsaved"))).to_have_count(0)
    expect_no_exception(page)

    own_server.stop()
    with duckdb.connect(str(own_server.db_path), read_only=True) as con:
        sharing, is_default, saved_description, filters = con.execute(
            "SELECT sharing, is_default, description, filters FROM views "
            "WHERE name = ? AND owner_id = ? AND deleted_at IS NULL",
            [VIEW_NAME, PRIYA_ID],
        ).fetchone()
    spec = json.loads(filters)
    assert (sharing, is_default, saved_description) == ("everyone", True, DESCRIPTION)
    assert len(spec) == 2 and all(QUICK_CONDITION in g for g in spec), spec
    print(f"test 1: {count} companies in the view, {time.monotonic() - started:.1f} s")


# --- 2. the table with the preview open --------------------------------------------------------


def column_edges(page: Page) -> tuple[list[int], int]:
    """The x positions (relative to the grid) of the vertical lines between header cells, and
    the grid's visible width. Read from a screenshot of the header row: at its top and bottom
    rows only the lines between columns are drawn (the titles sit in the middle)."""
    canvas = page.get_by_test_id("data-grid-canvas").first
    box = canvas.bounding_box()
    assert box is not None
    shot = page.screenshot(
        clip={"x": box["x"], "y": box["y"], "width": box["width"], "height": HEADER_PX - 2}
    )
    img = Image.open(io.BytesIO(shot)).convert("RGB")
    width, height = img.size

    def lines(y: int) -> set[int]:
        background = sum(img.getpixel((width // 2, y)))
        return {x for x in range(2, width - 2) if sum(img.getpixel((x, y))) < background - 20}

    return sorted(lines(3) & lines(height - 4)), width


def visible_titles(page: Page) -> list[str]:
    """The column titles the grid reports as on screen (its accessibility table, which also
    lists a column only partly shown)."""
    headers = page.get_by_test_id("data-grid-canvas").first.locator("th[role=columnheader]")
    expect(headers.first).to_be_attached()
    return [t for t in headers.all_inner_texts() if t.strip()]


def whole_columns(page: Page) -> list[str]:
    """The data columns wholly inside the grid's visible width, one title each (the grid is not
    scrolled sideways: its first column is the row-selection checkboxes, without a title).
    Counted from the lines between columns; named from the accessibility table, which is
    updated a moment later, so a name may read "?" just after a resize."""
    edges, _width = column_edges(page)
    count = max(0, len(edges) - 1)
    titles = visible_titles(page)
    return [titles[i] if i < len(titles) else "?" for i in range(count)]


VISIBLE_BUTTONS_JS = """() => {
    // The part of an element's box that is on screen: clipped by the window and by every
    // ancestor that hides its overflow. Null when nothing is left, or when the element is not
    // drawn (display, visibility, opacity, or the inside of a closed <details>).
    function shown(el) {
        if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) return null;
        const details = el.closest('details');
        if (details && !details.open && !el.closest('summary')) return null;
        let r = el.getBoundingClientRect();
        let box = {x: r.left, y: r.top, r: r.right, b: r.bottom};
        const clip = (c) => { box = {x: Math.max(box.x, c.left), y: Math.max(box.y, c.top),
                                     r: Math.min(box.r, c.right), b: Math.min(box.b, c.bottom)}; };
        clip({left: 0, top: 0, right: innerWidth, bottom: innerHeight});
        for (let a = el.parentElement; a; a = a.parentElement) {
            const s = getComputedStyle(a);
            if (s.overflowX !== 'visible' || s.overflowY !== 'visible') clip(a.getBoundingClientRect());
        }
        return box.r - box.x > 0 && box.b - box.y > 0 ? box : null;
    }
    const out = [];
    for (const b of document.querySelectorAll('button')) {
        const box = shown(b);
        if (!box) continue;
        const keyed = b.closest('[class*="st-key-"]');
        const key = keyed ? [...keyed.classList].find(c => c.startsWith('st-key-')) : '';
        const text = (b.getAttribute('aria-label') || b.innerText || '').trim().replace(/\\s+/g, ' ');
        // a label cut short: an inner box that hides text wider than itself (an ellipsis);
        // boxes a few pixels wide are screen-reader labels, hidden on purpose
        const cut = [b, ...b.querySelectorAll('*')].some(e => e.clientWidth > 4
            && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible');
        out.push({...box, label: [text, key].filter(Boolean).join(' '), cut});
    }
    return out;
}"""


def visible_buttons(page: Page) -> list[dict]:
    """Every button drawn on screen: its label (text or aria-label, and the key of the widget
    around it), its visible box {x, y, r, b} in CSS pixels, and whether its label is cut."""
    return page.evaluate(VISIBLE_BUTTONS_JS)


def overlapping_buttons(page: Page) -> list[str]:
    """Pairs of visible buttons whose visible boxes overlap (by more than a pixel each way)."""
    boxes = visible_buttons(page)
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                min(a["r"], b["r"]) - max(a["x"], b["x"]) > 1
                and min(a["b"], b["b"]) - max(a["y"], b["y"]) > 1
            ):
                found.append(f"{a['label']!r} {_box(a)} overlaps {b['label']!r} {_box(b)}")
    return found


def _box(b: dict) -> str:
    return f"({b['x']:.0f},{b['y']:.0f})-({b['r']:.0f},{b['b']:.0f})"


def artifacts_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CS_E2E_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_with_the_preview_open_the_table_shows_at_least_five_columns(page: Page, app, tmp_path):
    started = time.monotonic()
    folder = artifacts_dir(tmp_path)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{app.url}/customers?as={LUCAS_ID}")
    expect(page.get_by_role("combobox", name="Acting as")).to_have_value("Lucas Fischer · CSM")
    expect(count_line(page)).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    settled(page)

    click_row(page, 0)
    panel = page.locator(key("customers.preview"))
    expect(panel).to_be_visible()
    settled(page)
    expect(panel.get_by_role("button", name="Open record")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()

    results: dict[int, dict] = {}
    for width in (1440, 1280, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(400)  # the grid measures its new width
        settled(page)
        expect(panel).to_be_visible()
        page.mouse.move(0, 0)  # no hover state in the screenshot
        page.wait_for_timeout(300)
        shot = folder / f"customers-preview-{width}.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
        grid = page.get_by_test_id("stDataFrame").first.bounding_box()
        box = panel.bounding_box()
        columns = whole_columns(page)
        results[width] = {
            "columns": columns,
            "partly": visible_titles(page)[len(columns) :],
            "grid": grid,
            "preview": box,
            "overlaps": overlapping_buttons(page),
            "cut": [b["label"] for b in visible_buttons(page) if b["cut"]],
        }
        print(
            f"{width} px: grid {grid['width']:.0f} px wide, preview {box['width']:.0f} px; "
            f"{len(columns)} whole columns {columns}, partly shown {results[width]['partly']}"
        )
        for overlap in results[width]["overlaps"]:
            print(f"  overlap at {width} px: {overlap}")
        for label in results[width]["cut"]:  # reported, not a failure
            print(f"  button label cut short at {width} px: {label!r}")
    expect_no_exception(page)
    print(f"test 2: {time.monotonic() - started:.1f} s")

    problems = []
    if len(results[1440]["columns"]) < MIN_COLUMNS:
        problems.append(
            f"at 1440 px the table shows {len(results[1440]['columns'])} whole columns "
            f"{results[1440]['columns']} (want >= {MIN_COLUMNS})"
        )
    for width, result in results.items():
        problems += [f"at {width} px: {o}" for o in result["overlaps"]]
    assert not problems, "\n".join(problems)
