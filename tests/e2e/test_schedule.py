"""The Schedule and Actions tabs in a real browser: the calendar component renders the user's
events in its iframe, "Hide weekends" leaves five day columns, a click shows the event's
summary; ``actions?view=overdue`` opens the Actions tab on that view with the Summary's count."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_customers import expect_no_exception, settled

CSM = 4  # Lucas Fischer: the demo gives every CSM two meetings today and one tomorrow
ARTIFACTS = "test-results"


def _calendar(page: Page):
    frame = page.frame_locator("iframe[title*='calendar']")
    expect(frame.locator(".fc")).to_be_visible(timeout=30_000)
    return frame


def test_the_schedule_shows_the_week_hides_weekends_and_explains_an_event(app, page: Page):
    page.goto(f"{app.url}/schedule?as={CSM}")
    expect(page.get_by_text("Hide weekends")).to_be_visible(timeout=30_000)
    settled(page)
    expect_no_exception(page)
    frame = _calendar(page)
    expect(frame.locator(".fc-timegrid-event").first).to_be_visible()
    assert frame.locator(".fc-col-header-cell").count() == 7
    caption = page.get_by_text(re.compile(r"\d+ meetings? and \d+ tasks? · times in ")).inner_text()
    meetings = int(caption.split()[0])
    assert meetings >= 3  # two today and one tomorrow at least
    page.get_by_text("Hide weekends").click()
    settled(page)
    frame = _calendar(page)
    expect(frame.locator(".fc-col-header-cell")).to_have_count(5)
    headers = [h.inner_text() for h in frame.locator(".fc-col-header-cell").all()]
    assert not any(h.startswith(("Sat", "Sun")) for h in headers), headers
    page.screenshot(path=f"{ARTIFACTS}/schedule-week-without-weekends.png", full_page=True)
    # The week as a list (no events drawn over each other), then click its first meeting.
    page.get_by_test_id("stButtonGroup").get_by_text("List", exact=True).click()
    settled(page)
    frame = _calendar(page)
    meeting = frame.locator(".fc-list-event.cs-meeting").first
    expect(meeting).to_be_visible()
    title = meeting.locator(".fc-list-event-title").inner_text()
    meeting.locator(".fc-list-event-title").click()
    settled(page)
    summary = page.locator(".st-key-schedule-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_text("Meeting", exact=True)).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text(title)
    expect(summary.get_by_text("Attendees")).to_be_visible()
    page.screenshot(path=f"{ARTIFACTS}/schedule-event-summary.png", full_page=True)


def test_the_overdue_link_opens_the_actions_tab_with_the_summarys_count(app, page: Page):
    page.goto(f"{app.url}/?as={CSM}")
    panel = page.locator(".st-key-summary-tasks-overdue")
    metric = panel.get_by_test_id("stMetric")
    expect(metric).to_be_visible(timeout=30_000)
    overdue = int(metric.get_by_test_id("stMetricValue").inner_text().replace(",", ""))
    assert overdue > 3  # more than the panel lists: it links to the rest
    link = panel.get_by_role("link", name=f"Show all {overdue:,}")  # the Summary's own link
    assert link.get_attribute("href") == "actions?view=overdue"
    page.goto(f"{app.url}/actions?view=overdue&as={CSM}")
    expect(page.get_by_role("heading", name="Overdue")).to_be_visible(timeout=30_000)
    settled(page)
    expect_no_exception(page)
    expect(page.get_by_text(re.compile(rf"^{overdue:,} tasks?$"))).to_be_visible()
    page.screenshot(path=f"{ARTIFACTS}/actions-overdue.png", full_page=True)
