"""The Dashboards tab in a real browser (DSH-1, DSH-3): the demo's "CS leadership" dashboard
draws all seven of its charts, in order and each with something drawn, and a report's CSV
download holds exactly the rows its table shows.

st.dataframe draws on a canvas but keeps an accessibility table (``table[role=grid]``) of the
rows it drew, with the raw cell values; the shown table is read from it.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import StreamlitServer
from tests.e2e.test_customers import expect_no_exception, settled

CSM = 4  # Lucas Fischer: the dashboard is shared with everyone
TILES = ["Health category mix by owner", "Average health score over time", "Renewals next 90 days by stage",
         "Tasks completed per week by owner", "Net revenue retention by quarter", "Logo churn by quarter",
         "Activities per week by type"]  # fmt: skip
# Something drawn: a bar's path, a line's path, or a pie slice.
DRAWN = ".barlayer .point path, .scatterlayer .trace path.js-line, .pielayer .slice path"


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CS_E2E_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _plain(text: str) -> str:
    """A CSV cell as the accessibility table writes it (numbers raw: no trailing .0)."""
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else str(number)


def test_the_leadership_dashboard_draws_every_chart_and_a_csv_equals_its_table(app: StreamlitServer, page: Page,
                                                                              tmp_path: Path) -> None:  # fmt: skip
    page.goto(f"{app.url}/dashboards?as={CSM}")
    expect(page.get_by_role("heading", name="CS leadership")).to_be_visible(timeout=30_000)
    settled(page)
    expect_no_exception(page)
    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(len(TILES))
    titles = (
        page.get_by_test_id("stMain")
        .locator("[data-testid=stMarkdownContainer] strong")
        .all_inner_texts()
    )
    assert [t for t in titles if t in TILES] == TILES  # every tile, in the dashboard's order
    for i, title in enumerate(TILES):
        assert charts.nth(i).locator(DRAWN).count() > 0, f"{title}: nothing drawn"
    page.screenshot(path=str(_artifacts(tmp_path) / "dashboards-cs-leadership.png"), full_page=True)

    tile = (
        page.get_by_test_id("stVerticalBlock")
        .filter(has=page.locator("strong", has_text="Renewals next 90 days by stage"))
        .last
    )
    tile.get_by_text("Table", exact=True).click()
    settled(page)
    grid = tile.get_by_test_id("stDataFrame").locator("table[role=grid]")
    expect(grid).to_be_attached()
    header = grid.locator("th").all_inner_texts()
    shown = grid.locator("tr:has(td)").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(c => c.innerText.trim()))"
    )
    # The table's own toolbar offers no download: the one CSV writer's button is the only way.
    expect(tile.get_by_role("button", name="Download as CSV")).to_have_count(0)
    with page.expect_download() as download:
        tile.get_by_role("button", name="CSV").click()
    assert download.value.suggested_filename == "renewals-next-90-days-by-stage.csv"
    table = list(
        csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig")))
    )
    assert table[0] == ["Deal stage", "Sum of Amount"]
    assert [h.strip() for h in header if h.strip()][-2:] == table[0]
    assert len(table) > 1 and [[_plain(c) for c in row] for row in table[1:]] == [
        [c for c in row if c != ""][-2:] for row in shown
    ]
    assert all(row[0].startswith("Renewals · ") for row in table[1:])  # stage labels, not ids
