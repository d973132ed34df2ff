"""The Services board in a real browser: drag a card to a stage with a required property, fill
it in the prompt, find the card in its new column after a reload; cancelling a move leaves the
card where it was; a drop on a stage that needs nothing moves the card at once."""

from __future__ import annotations

import duckdb
from playwright.sync_api import Page, expect

from tests.e2e.test_customers import expect_no_exception, settled

CSM = 4
KICK_OFF, SETUP, TRAINING = "Kick-off scheduled", "Technical setup", "Training"  # Onboarding
NAME = "Board move check"
ARTIFACTS = "test-results"


def _column(page: Page, label: str):
    return page.locator(f".col[aria-label='{label}']")


def test_drag_a_card_fill_the_required_property_and_it_stays_after_a_reload(
    page: Page, own_server, monkeypatch, tmp_path
):
    with duckdb.connect(str(own_server.db_path)) as con:
        (service_id,) = con.execute(
            "SELECT min(id) FROM services WHERE pipeline_id = 3 AND stage_id = 11"
        ).fetchone()
        # The first card of its column (sorted by name), the CSM's, without a start date.
        con.execute("UPDATE services SET name = ?, owner_id = ?, start_date = NULL WHERE id = ?",
                    [NAME, CSM, service_id])  # fmt: skip
    runs = tmp_path / "runs.log"  # the app writes a line for each run of the page
    monkeypatch.setenv("CS_TIMING_LOG", str(runs))
    own_server.start()
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{own_server.url}/services?as={CSM}")
    card = _column(page, KICK_OFF).locator(".card", has_text=NAME)
    expect(card).to_be_visible(timeout=30_000)
    settled(page)
    expect_no_exception(page)

    # A move that is cancelled leaves the card where it was.
    card.drag_to(_column(page, TRAINING))
    prompt = page.locator(".st-key-services-move-prompt")
    expect(prompt).to_be_visible()
    expect(prompt.get_by_text(f"Move “{NAME}” to “{TRAINING}”")).to_be_visible()
    prompt.get_by_role("button", name="Cancel").click()
    settled(page)
    expect(prompt).to_have_count(0)
    expect(_column(page, KICK_OFF).locator(".card", has_text=NAME)).to_be_visible()

    # Dragged to "Technical setup", which needs a start date: the prompt asks for it.
    _column(page, KICK_OFF).locator(".card", has_text=NAME).drag_to(_column(page, SETUP))
    expect(prompt).to_be_visible()
    prompt.get_by_label("Start date").fill("2026-12-15")
    prompt.get_by_role("button", name="Move", exact=True).click()
    settled(page)
    expect(
        page.get_by_test_id("stToast").filter(has_text=f"“{NAME}” moved to “{SETUP}”.")
    ).to_be_visible()
    page.reload()
    expect(_column(page, SETUP).locator(".card", has_text=NAME)).to_be_visible(timeout=30_000)
    settled(page)
    page.screenshot(path=f"{ARTIFACTS}/services-board-after-move.png", full_page=True)
    expect(_column(page, KICK_OFF).locator(".card", has_text=NAME)).to_have_count(0)

    # Back to "Kick-off scheduled", which needs nothing: the drop moves it at once (in the
    # drop's own run), and the board shows it there without a prompt.
    before = len(runs.read_text().splitlines())
    _column(page, SETUP).locator(".card", has_text=NAME).drag_to(_column(page, KICK_OFF))
    expect(
        page.get_by_test_id("stToast").filter(has_text=f"“{NAME}” moved to “{KICK_OFF}”.")
    ).to_be_visible()
    expect(_column(page, KICK_OFF).locator(".card", has_text=NAME)).to_be_visible()
    expect(_column(page, SETUP).locator(".card", has_text=NAME)).to_have_count(0)
    expect(prompt).to_have_count(0)
    settled(page)
    expect_no_exception(page)
    assert len(runs.read_text().splitlines()) == before + 1
    own_server.stop()
    with duckdb.connect(str(own_server.db_path), read_only=True) as con:
        assert con.execute("SELECT stage_id, CAST(start_date AS VARCHAR) FROM services WHERE id = ?",
                           [service_id]).fetchone() == (11, "2026-12-15")  # fmt: skip
        moves = con.execute("SELECT property, old_value, new_value, changed_by FROM property_history "
                            "WHERE object = 'services' AND record_id = ? AND source = 'ui' ORDER BY id",
                            [service_id]).fetchall()  # fmt: skip
    assert moves == [("start_date", None, "2026-12-15", CSM), ("stage_id", "11", "12", CSM),
                     ("stage_id", "12", "11", CSM)]  # fmt: skip
