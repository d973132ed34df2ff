"""The Summary tab in a real browser on the demo workspace (SUM-1..SUM-7): every panel renders
with data, its charts are drawn, "[N] customers" opens the Customers tab on exactly those
customers, a view card opens its view, and a report added with "+ Add report" is drawn."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_customers import choose, expect_no_exception, settled
from tests.e2e.test_dashboards import DRAWN, _artifacts

CSM = 4  # Lucas Fischer


def _drawn(chart) -> None:
    """A plotly chart with something drawn (a bar, a line)."""
    expect(chart.locator(DRAWN).first).to_be_attached()


def test_the_summary_shows_every_panel_with_data_and_its_links_work(app, page: Page, tmp_path):
    page.goto(f"{app.url}/?as={CSM}")
    health = page.locator(".st-key-summary-health")
    expect(health.get_by_text("Average score")).to_be_visible(timeout=30_000)
    settled(page)
    expect_no_exception(page)
    for heading in ("Customer health", re.compile(r"^Alerts · \d+$"), "Customer views", "Tasks",
                    re.compile(r"^Today · "), "Reporting"):  # fmt: skip
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    charts = health.locator(".js-plotly-plot")
    expect(charts).to_have_count(2)
    for i in range(2):
        _drawn(charts.nth(i))
    expect(charts.nth(0).locator(".barlayer .point")).to_have_count(
        10
    )  # the distribution's ten bars
    page.screenshot(path=str(_artifacts(tmp_path) / "summary-top.png"))
    # Alerts, task buckets, view cards and today's schedule have rows.
    expect(page.get_by_role("link", name=re.compile(r"Open view$")).first).to_be_visible()
    expect(
        page.locator("[class*='st-key-summary-tasks-today'] [data-testid='stMetricValue']")
    ).to_be_visible()
    # A report added with "+ Add report" is drawn.
    reports = page.locator(".st-key-summary-reports")
    reports.get_by_role("button", name="Add report").click()
    choose(page, page, "Report", "Renewals next 90 days by stage")
    page.get_by_role("button", name="Add to the Summary").click()
    settled(page)
    chart = reports.locator(".js-plotly-plot")
    expect(chart).to_have_count(1)
    _drawn(chart)
    page.keyboard.press("Escape")
    settled(page)
    page.screenshot(path=str(_artifacts(tmp_path) / "summary-reporting.png"))
    # "[N] customers" opens the Customers tab on exactly those customers.
    link = health.get_by_role("link", name=re.compile(r"[\d,]+ customers$")).first
    count = re.search(r"([\d,]+) customers", link.inner_text()).group(1)
    href = link.get_attribute("href")
    assert re.fullmatch(r"customers\?health=at_risk&profile=[^&]+", href), href
    link.click()
    expect(page.get_by_text(re.compile(r"whose health is At risk"))).to_be_visible(timeout=30_000)
    settled(page)
    expect_no_exception(page)
    expect(page.get_by_text(f"{count} companies", exact=True)).to_be_visible()
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    expect(table.locator("table[role=grid] tr:has(td)")).to_have_count(int(count.replace(",", "")))
    page.screenshot(
        path=str(_artifacts(tmp_path) / "summary-at-risk-customers.png"), full_page=True
    )
