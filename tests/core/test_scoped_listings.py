"""A listing of the viewer's own records (record_list.owned_tables, read in snapshot.scoped) is
kept through other CSMs' edits of theirs and read again, right, after the viewer's own."""

from __future__ import annotations

from cs_core import db, filters, record_list, record_values, settings, snapshot, task_actions, users
from cs_core.record_list import Query, Viewer
from cs_core.tasks import TASK_COLUMNS, TASK_VIEWS
from tests.conftest import CSM, NOW

MEI = 5
MINE = {"property": filters.OWNER, "operator": "eq", "value": filters.ME}
COLUMNS = ("name", "segment", "nps", "health_score")


def _accounts(con, spec, columns=COLUMNS) -> Query:
    owner = settings.get_customer_settings(con).owner_property
    return Query("companies", spec, columns, (("name", "asc"),), owner_property=owner)


def _tasks(key: str) -> Query:
    return Query("tasks", TASK_VIEWS[key][1], tuple(TASK_COLUMNS), (("due_at", "asc"),),
                 owner_property="owner_id")  # fmt: skip


def test_the_tables_a_listing_of_ones_own_records_is_scoped_on(demo_con):
    lucas = Viewer(CSM, NOW, "Europe/Berlin")
    owner = settings.get_customer_settings(demo_con).owner_property
    scores = {"companies", "health_current", "health_scores"}
    assert record_list.owned_tables(demo_con, _accounts(demo_con, [[MINE]]), lucas) == scores
    by_column = {"property": owner, "operator": "eq", "value": filters.ME}
    renewals = [[by_column, {"property": "renewal_date", "operator": "in_next_days", "value": 90}]]
    assert record_list.owned_tables(demo_con, _accounts(demo_con, renewals), lucas) == scores
    assert record_list.owned_tables(demo_con, _tasks("open"), lucas) == {"tasks"}
    # Anybody's records may be listed: not scoped.
    segment = {"property": "segment", "operator": "eq", "value": "Enterprise"}
    for spec in ([], [[segment]], [[MINE], [segment]],  # a group without the owner
                 [[{**MINE, "operator": "neq"}]], [[{**MINE, "value": CSM}]]):  # fmt: skip
        assert record_list.owned_tables(demo_con, _accounts(demo_con, spec), lucas) is None, spec
    assert record_list.owned_tables(demo_con, Query("deals", [[MINE]], ("name",)), lucas) is None
    assert (
        record_list.owned_tables(demo_con, _accounts(demo_con, [[MINE]]), Viewer(None, NOW)) is None
    )


def _kept_listing(con, query: Query, viewer: Viewer):
    """The listing as ui.listing_data reads it: remembered, scoped when owned_tables says so;
    returns the page and how many times it was read."""
    calls = []

    def read():
        calls.append(1)
        tables = record_list.owned_tables(con, query, viewer)
        assert tables, "the listing is of the viewer's own records"
        with snapshot.scoped(viewer.user_id, tables):
            return record_list.page(snapshot.Reading(con.cursor()), query, viewer, size=100)

    return lambda: snapshot.remembered(con, "test", "listing", repr(query).encode(), read), calls


def test_ones_own_accounts_are_kept_through_another_csms_rescored_account(pinned):
    lucas = Viewer(CSM, NOW, "Europe/Berlin")
    owner = settings.get_customer_settings(pinned).owner_property
    query = _accounts(pinned, [[MINE]])
    listing, calls = _kept_listing(pinned, query, lucas)

    def account_of(user_id) -> int:  # scored by a live profile, which reads the NPS
        return pinned.execute(
            f"SELECT min(r.id) FROM companies r JOIN health_current h ON h.record_id = r.id WHERE r.{owner} = ?",
            [user_id],
        ).fetchone()[0]  # fmt: skip

    def edit(user_id, record_id, prop="nps", value="0"):
        record_values.update_property(pinned, actor=users.get_user(pinned, user_id), object_name="companies",
                                      record_id=record_id, property_name=prop, value=value, now=NOW)  # fmt: skip

    before = listing()
    edit(MEI, account_of(MEI))  # her account, rescored
    assert listing().rows.equals(before.rows) and len(calls) == 1  # kept
    mine = account_of(CSM)
    edit(CSM, mine)
    after = listing()
    assert len(calls) == 2  # his own: read again, and right
    assert after.rows.equals(record_list.page(pinned, query, lucas, size=100).rows)
    assert after.rows.loc[after.rows["id"] == mine, "Latest NPS score"].tolist() == [0]
    # Her account handed to him: both owners named, so his listing is read again with it.
    edit(MEI, account_of(MEI), owner, str(CSM))
    assert listing().total == after.total + 1 and len(calls) == 3
    # A write that says nothing of whose rows it changed: read again.
    with db.transaction(pinned) as cur:
        cur.execute("UPDATE companies SET segment = segment WHERE id = ?", [mine])
    listing()
    assert len(calls) == 4


def test_ones_own_tasks_are_kept_through_another_csms_completed_task(pinned):
    lucas = Viewer(CSM, NOW, "Europe/Berlin")
    query = _tasks("open")
    listing, calls = _kept_listing(pinned, query, lucas)

    def complete_one_of(user_id) -> int:
        task = pinned.execute("SELECT min(id) FROM tasks WHERE status = 'open' AND owner_id = ?",
                              [user_id]).fetchone()[0]  # fmt: skip
        task_actions.complete(pinned, actor=users.get_user(pinned, user_id), now=NOW,
                              selection=task_actions.Selection(ids=(task,)))  # fmt: skip
        return task

    before = listing()
    complete_one_of(MEI)
    assert listing().total == before.total and len(calls) == 1  # kept
    done = complete_one_of(CSM)
    after = listing()
    assert len(calls) == 2 and after.total == before.total - 1
    assert done not in after.rows["id"].tolist()


def test_ones_own_tasks_show_another_csms_renamed_account_at_once(pinned):
    """Scoped on the tasks only: the name of a task's account (anybody's) is read as any read's,
    so a rename by the account's owner shows in the viewer's kept task listing."""
    lucas = Viewer(CSM, NOW, "Europe/Berlin")
    owner = settings.get_customer_settings(pinned).owner_property
    listing, calls = _kept_listing(pinned, _tasks("open"), lucas)
    task, account, its_owner = pinned.execute(
        f"SELECT t.id, c.id, c.{owner} FROM tasks t JOIN companies c ON t.object = 'companies' AND c.id = t.record_id "
        f"WHERE t.owner_id = ? AND t.status = 'open' AND c.{owner} <> ? ORDER BY t.id LIMIT 1",
        [CSM, CSM],
    ).fetchone()  # fmt: skip
    listing()
    record_values.update_property(pinned, actor=users.get_user(pinned, its_owner), object_name="companies",
                                  record_id=account, property_name="name", value="Renamed Account Ltd", now=NOW)  # fmt: skip
    row = listing().rows.set_index("id").loc[task]
    assert len(calls) == 2 and "Renamed Account Ltd" in row.tolist()
