"""The Revenue tab's two leader panels in a real browser (REN-1, REN-2).

1. Retention, as the CS settings manager: the GRR / NRR / logo churn chart draws its three
   series over the 8 quarters before the current one, the period table holds exactly those
   quarters with the figures cs_core.retention computes, and a click on a bar of the ARR
   movement waterfall turns "Accounts behind" to that movement and lists its accounts, whose
   start ARR sums to the bar.
2. Renewals, as a CSM: the three metrics follow the 30 / 60 / 90 day window with the figures
   cs_core.renewals gives, and "Export CSV" downloads the accounts of the window.

st.dataframe draws on a canvas, but keeps an accessibility table (``table[role=grid]``) of
the rows it has drawn, with the raw cell values: rows are read from it. Expected figures come
from the server's own workspace file, read before it starts (the server holds the file), with
the server's clock: CS_NOW pins it to the moment the demo workspace is dated, so no day
boundary can pass between the two.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from cs_core import clock, db, renewals, retention, users
from cs_core.demo import create_demo_workspace
from tests.e2e.conftest import StreamlitServer
from tests.e2e.test_customers import expect_no_exception, settled

SETTINGS_MANAGER = 3  # Priya Raman, CS settings manager (Europe/Berlin)
CSM = 4  # Lucas Fischer, CSM (Europe/Berlin)
VIEWPORT = {"width": 1440, "height": 900}
STEPS = ["Start ARR", "Expansion", "Contraction", "Churn", "New", "End ARR"]
MOVEMENTS = {
    "Expansion": "expansion",
    "Contraction": "contraction",
    "Churn": "churned",
    "New": "new",
}
MAX_DRAWN_ROWS = 10  # a table of more rows scrolls: its accessibility table lacks the rest


@dataclass(frozen=True)
class Expected:
    quarters: list[str]  # the 8 quarters of the retention panel's default range
    periods: list[retention.Period]
    behind: dict[str, list[tuple[str, Decimal, Decimal]]]  # the last period's movement: accounts
    renewing: dict[int, renewals.Renewals]  # window: the CSM's own renewals


@dataclass(frozen=True)
class RevenueApp:
    url: str
    expected: Expected


def _quarter(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _eight_quarters_before(today: date) -> list[str]:
    year, q = _quarter(today)
    out = []
    for _ in range(8):
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
        out.append(f"{year}-Q{q}")
    return out[::-1]


def _expected(path: Path, now: datetime) -> Expected:
    con = db.open_workspace(str(path))
    try:
        manager = users.get_user(con, SETTINGS_MANAGER)
        quarters = _eight_quarters_before(clock.local_date(now, manager.time_zone))
        y0, q0 = (int(p) for p in quarters[0].split("-Q"))
        y1, q1 = _quarter(clock.local_date(now, manager.time_zone))
        source = retention.default_source(con, retention.ledger_objects(con)[0])
        found = retention.retention(con, source=source, grain="quarter",
                                    first=date(y0, 3 * q0 - 2, 1), last=date(y1, 3 * q1 - 2, 1))  # fmt: skip
        last = found.periods[-1]
        behind = {}
        for label, movement in MOVEMENTS.items():
            frame = retention.accounts(con, source=source, start=last.start, end=last.end, movement=movement)  # fmt: skip
            behind[label] = list(
                zip(frame["name"], frame["start_arr"], frame["end_arr"], strict=True)
            )
        csm = users.get_user(con, CSM)
        renewing = {w: renewals.renewals(con, user=csm, now=now, window=w, owners=[CSM])
                    for w in renewals.WINDOWS}  # fmt: skip
    finally:
        con.close()
    return Expected(quarters, list(found.periods), behind, renewing)


@pytest.fixture(scope="module")
def revenue_app(tmp_path_factory) -> Iterator[RevenueApp]:
    """A server on a demo workspace dated now, with its clock fixed at that moment."""
    tmp = tmp_path_factory.mktemp("e2e_revenue")
    now = clock.now().replace(microsecond=0)
    path = tmp / "workspace.duckdb"
    create_demo_workspace(str(path), scale="demo", seed=7, now=now)
    expected = _expected(path, now)
    server = StreamlitServer(path, tmp / "streamlit.log")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(clock.NOW_VARIABLE, now.isoformat())  # the server reads it at start
        server.start()
    try:
        yield RevenueApp(server.url, expected)
    finally:
        server.stop()


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CS_E2E_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open_panel(page: Page, url: str, user_id: int, acting_as: str, panel: str) -> None:
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{url}/revenue?as={user_id}")
    expect(page.get_by_role("combobox", name="Acting as")).to_have_value(acting_as, timeout=30_000)
    settled(page)
    page.locator(".st-key-revenue-mode").get_by_text(panel, exact=True).click()
    expect(page.get_by_role("heading", name=panel, exact=True)).to_be_visible()
    settled(page)
    expect_no_exception(page)


def _grid(page: Page, index: int) -> Locator:
    """The accessibility table of the page's st.dataframe number ``index`` (a table without
    selection gets no st-key class, so tables are told apart by their order)."""
    return page.get_by_test_id("stDataFrame").nth(index).locator("table[role=grid]")


def _rows(grid: Locator) -> list[list[str]]:
    """The body rows of a grid's accessibility table, as cell texts."""
    return grid.locator("tr:has(td)").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(c => c.innerText.trim()))"
    )


def _plain(value) -> str:
    """A number as the accessibility table writes it (raw: no grouping, no trailing .0)."""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def _metric(page: Page, label: str) -> Locator:
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return metric.get_by_test_id("stMetricValue")


def _click_bar(page: Page, chart: Locator, step: str) -> None:
    """A real mouse click in the middle of the waterfall bar of ``step``."""
    bar = chart.locator(".trace.bars .point path").nth(STEPS.index(step))
    bar.scroll_into_view_if_needed()
    # Where the bar is once the chart has stopped redrawing: after a click on another bar the
    # chart may still rescale its axis (measured: the box moved while a click aimed at the old one).
    box, previous = bar.bounding_box(), None
    for _ in range(50):
        if box is not None and box == previous:
            break
        page.wait_for_timeout(100)
        previous, box = box, bar.bounding_box()
    assert box is not None and box["height"] >= 2, f"the {step} bar is not drawn: {box}"
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    settled(page)


def test_retention_chart_table_and_a_click_on_a_waterfall_bar(page: Page, revenue_app, tmp_path):
    folder = _artifacts(tmp_path)
    want = revenue_app.expected
    last = want.periods[-1]
    churned = want.behind["Churn"]
    assert [p.period for p in want.periods] == want.quarters
    # Preconditions on the demo data, so that the click below has something to show.
    assert last.churned_arr > 0 and 0 < len(churned) <= MAX_DRAWN_ROWS, churned
    assert want.behind["New"] and last.new_arr > 0

    _open_panel(
        page, revenue_app.url, SETTINGS_MANAGER, "Priya Raman · CS settings manager", "Retention"
    )

    # The ratios chart over the 8 quarters: GRR and NRR as lines (8 markers each), logo churn
    # as 8 bars on its own axis on the right.
    ratios = page.locator(".st-key-revenue-retention-ratios .js-plotly-plot")
    expect(ratios.locator(".trace.scatter")).to_have_count(2)
    expect(ratios.locator(".trace.scatter .point")).to_have_count(2 * 8)
    expect(ratios.locator(".trace.bars .point")).to_have_count(8)
    assert ratios.locator(".legendtext").all_text_contents() == ["GRR", "NRR", "Logo churn"]
    assert ratios.locator(".xtick text").all_text_contents() == want.quarters
    assert ratios.locator(".ytick text").all_text_contents()[-1].endswith("%")
    assert ratios.locator(".y2tick text").all_text_contents()[-1].endswith("%")

    # The period table: the same 8 quarters, with the core's figures.
    table = _grid(page, 0)
    expect(table).to_have_attribute("aria-rowcount", str(8 + 1))  # and the header row
    shown = [p.shown(r) for p in want.periods for r in ("grr", "nrr", "logo_churn")]
    assert _rows(table) == [
        [p.period, *shown[3 * i: 3 * i + 3],
         *(_plain(v) for v in (p.start_arr, p.expansion, p.contraction, p.churned_arr, p.new_arr, p.end_arr)),
         str(p.accounts_start), str(p.accounts_churned)]
        for i, p in enumerate(want.periods)
    ]  # fmt: skip
    expect(page.get_by_role("combobox", name="Period", exact=True)).to_have_value(last.period)
    page.screenshot(path=str(folder / "revenue-retention-chart-and-table.png"))

    # The waterfall of the last quarter, then a click on its "Churn" bar.
    waterfall = page.locator(".st-key-revenue-retention-waterfall .js-plotly-plot")
    expect(waterfall.locator(".trace.bars .point")).to_have_count(len(STEPS))
    assert waterfall.locator(".xtick text").all_text_contents() == STEPS
    behind = page.get_by_role("combobox", name="Accounts behind", exact=True)
    expect(behind).to_have_value("Expansion")  # the first movement until a bar is clicked
    _click_bar(page, waterfall, "Churn")
    expect_no_exception(page)
    # Before the checks: a failure leaves the screenshot of what the click did.
    page.locator(".st-key-revenue-retention-movement").scroll_into_view_if_needed()
    page.screenshot(path=str(folder / "revenue-retention-after-churn-click.png"))
    expect(behind).to_have_value("Churn")
    n = len(churned)
    expect(page.get_by_text(f"{n} account{'s' if n != 1 else ''} · churn in {last.period}",
                            exact=True)).to_be_visible()  # fmt: skip
    accounts = _grid(page, 1)
    expect(accounts).to_have_attribute("aria-rowcount", str(n + 1))
    rows = _rows(accounts)
    assert [r[1:] for r in rows] == [[name, _plain(s), _plain(e)] for name, s, e in churned]
    assert sum(Decimal(r[2]) for r in rows) == last.churned_arr  # the bar's height
    assert {r[3] for r in rows} == {"0"}  # churned: no ARR at the end

    # A click on another bar follows it.
    _click_bar(page, waterfall, "New")
    expect(behind).to_have_value("New")
    n = len(want.behind["New"])
    expect(page.get_by_text(f"{n} account{'s' if n != 1 else ''} · new in {last.period}",
                            exact=True)).to_be_visible()  # fmt: skip
    expect(_grid(page, 1)).to_have_attribute("aria-rowcount", str(n + 1))
    expect_no_exception(page)


def test_renewals_follow_the_window_and_export_the_accounts(page: Page, revenue_app, tmp_path):
    folder = _artifacts(tmp_path)
    want = revenue_app.expected.renewing
    counts = [len(want[w].rows) for w in renewals.WINDOWS]
    # The windows must give different counts, or a switch that does nothing would pass.
    assert len(set(counts)) == len(counts) and 0 < counts[-1] <= MAX_DRAWN_ROWS, counts

    _open_panel(page, revenue_app.url, CSM, "Lucas Fischer · CSM", "Renewals")
    window = page.locator(".st-key-revenue-renewals-window")
    for step, days in enumerate((90, 30, 60, 90)):  # 90 is the default; then each in turn
        if step:
            window.get_by_text(f"{days} days", exact=True).click()
            settled(page)
        found = want[days]
        expect(_metric(page, "Accounts renewing")).to_have_text(f"{len(found.rows):,}")
        expect(_metric(page, "ARR renewing")).to_have_text(f"{float(found.total_arr):,.0f}")
        expect(_metric(page, "ARR at risk")).to_have_text(f"{float(found.arr_at_risk):,.0f}")
        table = _grid(page, 0)
        expect(table).to_have_attribute("aria-rowcount", str(len(found.rows) + 1))
        assert [r[1] for r in _rows(table)] == list(found.rows["name"])
        if days == 30:
            page.screenshot(path=str(folder / "revenue-renewals-30-days.png"))
    expect_no_exception(page)
    page.screenshot(path=str(folder / "revenue-renewals-90-days.png"))

    # "Export CSV" downloads the 90 days' accounts.
    button = page.get_by_role("button", name="Export CSV")
    expect(button).to_be_visible()
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "renewals-90-days.csv"
    lines = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    found = want[90]
    assert [(r["Name"], int(r["Record ID"]), Decimal(r["ARR today"])) for r in lines] == list(
        zip(found.rows["name"], found.rows["id"], found.rows["arr"], strict=True)
    )
