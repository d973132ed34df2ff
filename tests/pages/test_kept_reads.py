"""The pages' kept reads of a CSM's own records (ui.listing_data, ui.summary_data): kept through
another CSM's edit of their account, read again after one of the CSM's own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_core import clock, filters, record_list, record_values, settings, snapshot, users
from cs_core.health import reports
from cs_core.record_list import Query, Viewer
from cs_core.tasks import TASK_COLUMNS, TASK_VIEWS
from tests.conftest import CSM, NOW
from ui import db as ui_db
from ui import listing_data, summary_data

MEI = 5


@pytest.fixture
def workspace(demo_path, monkeypatch):
    monkeypatch.setenv("CS_WORKSPACE_DB", str(demo_path))
    yield ui_db.connection()
    snapshot.clear()


def _run(read):
    """``read()`` as a page run does it: with the workspace's versions pinned for the run."""
    path = ui_db.workspace_path()
    snapshot.pin((path, id(ui_db._open(path))))
    try:
        return read()
    finally:
        snapshot.unpin()


def _counted(monkeypatch, module, name: str) -> list:
    calls, real = [], getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def _edit(con, user_id: int, nps: str) -> None:
    """An edit of the NPS (both live profiles read it) of one of the user's scored accounts."""
    owner = settings.get_customer_settings(con).owner_property
    account = con.execute(
        f"SELECT min(r.id) FROM companies r JOIN health_current h ON h.record_id = r.id WHERE r.{owner} = ?",
        [user_id],
    ).fetchone()[0]  # fmt: skip
    record_values.update_property(con, actor=users.get_user(con, user_id), object_name="companies",
                                  record_id=account, property_name="nps", value=nps, now=NOW)  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "kept"),
    [
        (
            [[{"property": filters.OWNER, "operator": "eq", "value": filters.ME}]],
            True,
        ),  # Owned by me
        ([[{"property": "segment", "operator": "eq", "value": "Enterprise"}]], False),  # anybody's
    ],
)
def test_a_listing_is_kept_through_another_csms_edit_when_it_lists_ones_own(
    workspace, monkeypatch, spec, kept
):
    calls = _counted(monkeypatch, record_list, "page")
    owner = settings.get_customer_settings(workspace).owner_property
    query = Query("companies", spec, ("name", "nps", "health_score"), (("name", "asc"),), owner)
    viewer = Viewer(CSM, NOW, "Europe/Berlin")

    def page():
        return _run(lambda: listing_data.page(workspace, query, viewer, number=1, size=25))

    page()
    _edit(workspace, MEI, "0")
    page()
    assert len(calls) == (1 if kept else 2)
    _edit(workspace, CSM, "0")
    after = page()
    assert len(calls) == (2 if kept else 3)
    assert after.rows.equals(record_list.page(workspace, query, viewer, size=25).rows)


def test_the_summary_health_figures_are_kept_through_another_csms_rescored_account(
    workspace, monkeypatch
):
    calls = _counted(monkeypatch, summary_data, "summary")
    day = clock.score_date(NOW)

    def figures():
        return _run(lambda: summary_data.health_panel(workspace, user_id=CSM, day=day).figures)

    before = figures()
    _edit(workspace, MEI, "0")
    assert figures() == before and len(calls) == 1
    _edit(workspace, CSM, "0")
    after = figures()
    assert len(calls) == 2 and after != before
    shown = summary_data.health_panel(workspace, user_id=CSM, day=day).shown
    assert after == reports.summary(workspace, shown, day=day, owner_id=CSM)


def test_the_summary_view_cards_are_counted_each_on_its_own(workspace, monkeypatch):
    """Of the cards "Owned by me" and "Enterprise accounts", another CSM's edit recounts the
    second only."""
    calls = _counted(monkeypatch, record_list, "count")
    owner = settings.get_customer_settings(workspace).owner_property
    mine = Query("companies", [[{"property": filters.OWNER, "operator": "eq", "value": filters.ME}]],
                 (), owner_property=owner)  # fmt: skip
    anybody = Query("companies", [[{"property": "segment", "operator": "eq", "value": "Enterprise"}]],
                    (), owner_property=owner)  # fmt: skip
    viewer = Viewer(CSM, NOW, "Europe/Berlin")

    def cards():
        return _run(lambda: listing_data.counts(workspace, [mine, anybody], viewer))

    before = cards()
    assert len(calls) == 2
    _edit(workspace, MEI, "0")
    assert cards() == before and len(calls) == 3  # the Enterprise count only
    _edit(workspace, CSM, "0")
    assert cards() == before and len(calls) == 5  # his own account: both (the NPS moved no count)


def test_a_listing_is_kept_all_day_and_read_again_the_next(workspace, monkeypatch):
    """A page depends on the clock by days only (the viewer's date, the score date): kept
    through the minutes of a day, read again, with the days moved on, the next."""
    calls = _counted(monkeypatch, record_list, "page")
    query = Query("tasks", TASK_VIEWS["today"][1], tuple(TASK_COLUMNS), (("due_at", "asc"),),
                  owner_property="owner_id")  # fmt: skip

    def page(at):
        viewer = Viewer(CSM, at, "Europe/Berlin")
        return _run(lambda: listing_data.page(workspace, query, viewer, number=1, size=25))

    today = page(NOW)
    assert page(NOW + timedelta(minutes=5)).rows.equals(today.rows)
    assert page(NOW + timedelta(hours=6)).total == today.total and len(calls) == 1  # 22:00 there
    tomorrow = page(NOW + timedelta(days=1))
    assert len(calls) == 2
    assert tomorrow.rows.equals(
        record_list.page(
            workspace, query, Viewer(CSM, NOW + timedelta(days=1), "Europe/Berlin")
        ).rows
    )
    assert not tomorrow.rows.equals(today.rows)  # other tasks are due that day
