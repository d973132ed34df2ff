"""User text in a real browser: a name holding markdown shows as typed, fetches nothing, and a
very long one does not make the page tall (U-5)."""

from __future__ import annotations

import duckdb
from playwright.sync_api import Page, expect

IMAGE_URL = "http://127.0.0.1:8999/pixel.png"
EVIL = f"**bold** :red[RED] $$x^2$$ ![p]({IMAGE_URL})"


def test_a_hostile_name_shows_as_typed_and_fetches_nothing(own_server, page: Page):
    con = duckdb.connect(str(own_server.db_path))
    con.execute("UPDATE companies SET name = ? WHERE id = 7", [EVIL])
    con.execute("UPDATE companies SET name = ? WHERE id = 8", ["Northwind " * 1_000])
    con.close()
    own_server.start()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.goto(f"{own_server.url}/customers?record=7")
    title = page.get_by_test_id("stHeadingWithActionElements").locator("h1").first
    expect(title).to_contain_text("**bold**")
    assert (
        title.inner_text().replace("\u2060", "") == EVIL
    )  # as typed (word joiners keep URLs text)
    expect(title.locator("a")).to_have_count(0)  # not even a link
    main = page.get_by_test_id("stMain")
    expect(main.locator("strong", has_text="bold")).to_have_count(0)
    expect(main.locator(".katex")).to_have_count(0)
    expect(main.locator("img")).to_have_count(0)
    page.wait_for_timeout(500)  # anything the page would fetch has been asked for by now
    assert [u for u in requests if "8999" in u] == []

    page.goto(f"{own_server.url}/customers?record=8")
    title = page.get_by_test_id("stHeadingWithActionElements").locator("h1").first
    expect(title).to_contain_text("Northwind Northwind")
    box = title.bounding_box()
    assert box is not None and box["height"] < 200, box
