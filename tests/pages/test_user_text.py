"""User text is shown as text: no markdown, LaTeX, colours or remote images anywhere (U-5, CUS-*).

Every payload goes into every kind of user text the landed tabs show (a record's name and
values, a property label, a view name and description, a profile name, a user's name, an
override reason, a flash message, an error naming a value); then every element of every
screen is read: a place that renders markdown must hold the payload escaped, never as is.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_core import views
from cs_core.health import overrides, profiles
from tests.conftest import CSM, NOW, SETTINGS_MANAGER
from tests.pages.conftest import plain, scalar
from ui import text as ut

P = "customers"
IMAGE = "![p](http://127.0.0.1:8999/pixel.png)"
PAYLOADS = ["**bold**", ":red[RED]", "$$x^2$$", IMAGE]
EVIL = " ".join(PAYLOADS)

# Element types whose strings are plain text (st.text, inputs' values, select options, tables).
PLAIN_TYPES = {"text", "dataframe", "arrow_data_frame", "plotly_chart", "json", "code"}
PLAIN_FIELDS = {"value", "options", "default", "placeholder"}
MARKDOWN_ELEMENTS = {"markdown", "caption", "title", "header", "subheader", "error", "warning",
                     "info", "success", "toast", "latex"}  # fmt: skip


def _nodes(node):
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _nodes(child)


def markdown_strings(at) -> list[tuple[str, str]]:
    """(element type, string) for every string the front end renders as markdown."""
    found = []
    for node in _nodes(at._tree):
        kind = getattr(node, "type", "")
        if kind in PLAIN_TYPES:
            continue
        fields = ["label", "help"]
        if kind in MARKDOWN_ELEMENTS:
            fields.append("value")
        if kind == "radio":
            fields.append("options")
        for field in fields:
            try:
                value = getattr(node, field)
            except Exception:  # an element without that field
                continue
            for v in value if isinstance(value, list | tuple) else [value]:
                if isinstance(v, str) and v:
                    found.append((kind, v))
    return found


def assert_shown_as_text(at) -> None:
    assert not at.exception, at.exception
    raw = [(kind, s) for kind, s in markdown_strings(at) if any(p in s for p in PAYLOADS)]
    assert raw == [], "user text rendered as markdown"


def plain_texts(at) -> list[str]:
    return [t.value for t in at.text]


@pytest.fixture
def hostile(demo_path):
    """The demo workspace with the payloads in every kind of user text; returns the record id."""
    from cs_core import db

    con = db.shared_workspace(demo_path).cursor()
    record = scalar(demo_path, "SELECT min(id) FROM companies WHERE csm_id = ?", [CSM])
    con.execute("UPDATE companies SET name = ?, industry = ? WHERE id = ?", [EVIL, EVIL, record])
    con.execute(
        "UPDATE properties SET label = ? WHERE object = 'companies' AND name = 'nps'", [EVIL]
    )
    con.execute("UPDATE users SET name = ? WHERE id = ?", [f"**Lucas** {IMAGE}", CSM])
    manager = _user(con, SETTINGS_MANAGER)
    view = views.create_view(con, actor=manager, object_name="companies", name=EVIL,
                             sharing="everyone", spec=[], columns=None, sort=None, now=NOW)  # fmt: skip
    views.set_default(con, actor=manager, view_id=view.id, description=EVIL, now=NOW)
    scoring = scalar(demo_path, "SELECT min(profile_id) FROM health_current WHERE record_id = ?",
                     [record])  # fmt: skip
    profile = profiles.get_profile(con, profile_id=scoring)
    con.execute("UPDATE health_profiles SET name = ? WHERE id = ?", [EVIL[:100], profile.id])
    overrides.set_override(con, actor=manager, profile_id=profile.id, record_id=record, score=90,
                           reason=EVIL, expires_on=(NOW + timedelta(days=30)).date(), now=NOW)  # fmt: skip
    con.close()
    return {"record": record, "view": view.id}


def _user(con, user_id):
    from cs_core import users

    return users.get_user(con, user_id)


def test_the_customers_tab_preview_and_record_page_show_user_text_as_text(app, hostile):
    at = app(CSM)
    at.switch_page("app_pages/customers.py").run()
    assert_shown_as_text(at)
    # The view's button and, once opened, the page title and description.
    at.button(key=f"{P}.view.{hostile['view']}").click().run()
    assert_shown_as_text(at)
    assert at.title[0].value == ut.md(EVIL, ut.TITLE_LIMIT)
    assert ut.md(EVIL, ut.VALUE_LIMIT) in [c.value for c in at.caption]
    # The preview of the record: its name as a heading, its values as plain text.
    at.session_state[f"{P}.record_id"] = hostile["record"]
    at.run()
    assert_shown_as_text(at)
    assert at.subheader[-1].value == ut.md(EVIL, ut.LABEL_LIMIT)
    assert EVIL in plain_texts(at)  # the industry value, as typed
    # The edit form's label is the property label, escaped; an error naming the value too.
    at.selectbox(key=f"{P}.edit.prop").set_value("nps").run()
    at.text_input(key=f"{P}.edit.value.{hostile['record']}.nps").set_value(IMAGE).run()
    at.button(key=f"{P}.edit.save").click().run()
    assert_shown_as_text(at)
    assert at.error and IMAGE not in at.error[0].value and "pixel" in at.error[0].value
    # The record page: title, properties, the health tab with the override reason.
    at.query_params["record"] = str(hostile["record"])
    at.run()
    assert_shown_as_text(at)
    assert at.title[0].value == ut.md(EVIL, ut.TITLE_LIMIT)
    assert any(ut.md(EVIL, ut.VALUE_LIMIT) in w.value for w in at.warning)  # the override reason


def test_the_summary_and_settings_show_user_text_as_text(app, hostile):
    at = app(CSM)
    assert_shown_as_text(at)
    assert at.title[0].value.endswith(", " + ut.md("**Lucas**"))
    box = at.selectbox(
        key=f"summary.health.profile.{CSM}.{CSM}"
    )  # the renamed profile, as plain text
    assert any(o.startswith(EVIL[:30]) for o in box.options)
    at = app(SETTINGS_MANAGER)
    at.switch_page("app_pages/settings.py").run()
    assert_shown_as_text(at)


def test_a_very_long_name_is_cut_with_the_whole_of_it_on_hover(app, demo_path):
    from cs_core import db

    long_name = "Northwind " * 1_000
    con = db.shared_workspace(demo_path).cursor()
    con.execute("UPDATE companies SET name = ? WHERE id = 7", [long_name])
    con.close()
    at = app(CSM)
    at.query_params["record"] = "7"
    at.switch_page("app_pages/customers.py").run()
    assert not at.exception
    title = at.title[0]
    assert len(title.value) <= ut.TITLE_LIMIT and title.value.endswith("…")
    assert title.help.startswith("Northwind Northwind") and len(title.help) >= 4_000


def test_md_escapes_every_payload_and_keeps_the_text():
    for payload in [*PAYLOADS, "<img src=x onerror=alert(1)>", "# Heading", "1. item", "`code`"]:
        escaped = ut.md(payload)
        marks = [i for i, ch in enumerate(escaped) if ch in ut.MARKUP and ch != "\\"]
        assert marks and all(escaped[i - 1] == "\\" for i in marks)
        assert plain(escaped) == payload
    assert ut.md("a\\b") == "a\\\\b"
    assert ut.short("x" * 100, 10) == "x" * 9 + "…"


def test_the_feed_shows_user_text_as_text(app, demo_path):
    from cs_core import db, feed

    con = db.shared_workspace(demo_path).cursor()
    first = feed.page(con, user=_user(con, CSM), now=NOW, limit=1).items[0]
    con.execute(
        "UPDATE contacts SET first_name = ?, last_name = ? WHERE id = ?",
        [EVIL, IMAGE, first.contact_id],
    )
    con.execute("UPDATE activities SET subject = ? WHERE id = ?", [EVIL, first.id])
    con.execute("UPDATE companies SET name = ? WHERE id = ?", [EVIL, first.account_id])
    con.execute("UPDATE sequences SET name = ?", [EVIL])
    con.close()
    at = app(CSM)
    at.switch_page("app_pages/feed.py").run()
    assert_shown_as_text(at)
    assert EVIL in plain_texts(at)  # the subject, as typed
    at.button(key=f"feed.n{first.id}.fu.note").click().run()  # the form names the contact
    assert_shown_as_text(at)
    at.selectbox(key="feed.sequence").set_value(feed.ANY_SEQUENCE).run()
    assert_shown_as_text(at)
