"""Import in Chromium: upload the Telco file on Settings → Import, import it, find it in Customers."""

from __future__ import annotations

import duckdb
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT

TELCO = ROOT / "tests" / "data" / "telco-customer-churn.csv"


def test_upload_and_import_the_telco_file(page: Page, own_server):
    own_server.start()
    page.goto(f"{own_server.url}/settings")
    expect(page.get_by_role("heading", name="Customer Success settings")).to_be_visible()
    page.get_by_role("tab", name="Import").click()
    page.locator('input[type="file"][accept*=".csv"]').set_input_files(str(TELCO))
    expect(page.get_by_text("7,043 rows, 21 columns")).to_be_visible()
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("All 7,043 rows can be imported.")).to_be_visible()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(
        page.get_by_text("Imported 7,043 of 7,043 rows: 7,043 created, 0 updated.")
    ).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    own_server.stop()
    with duckdb.connect(str(own_server.db_path), read_only=True) as con:
        assert (
            con.execute(
                "SELECT count(*) FROM record_external_ids WHERE object = 'companies'"
            ).fetchone()[0]
            == 7043
        )
        assert (
            con.execute("SELECT count(*) FROM companies WHERE contract = 'Two year'").fetchone()[0]
            == 1695
        )
        assert (
            con.execute(
                "SELECT count(*) FROM companies WHERE total_charges IS NULL AND id > 400"
            ).fetchone()[0]
            == 11
        )
