"""Reads shared between page runs (cs_core.snapshot): kept while the tables they read are
unwritten, read again after a write to them, never inside a write, never when nothing is pinned.

A label changed with plain SQL (no transaction, so no version moves) shows whether a read was
kept: a kept read still has the old label."""

from __future__ import annotations

import shutil
import threading

import duckdb

from cs_core import db, records, settings, settings_store, snapshot, table_versions, users, views
from tests.conftest import NOW


def _relabel(con, label: str) -> None:
    con.execute(
        "UPDATE properties SET label = ? WHERE object = 'companies' AND name = 'industry'", [label]
    )


def _label(con) -> str:
    return records.get_property(con, "companies", "industry").label


def test_a_pinned_run_keeps_a_catalog_read_until_the_catalog_is_written(pinned):
    before = _label(pinned)
    _relabel(pinned, "Sector (unversioned)")
    assert _label(pinned) == before  # kept: the properties' version did not move

    with db.transaction(pinned) as cur:  # a task written: the catalog read stays kept
        cur.execute("UPDATE tasks SET title = title WHERE id = (SELECT min(id) FROM tasks)")
    assert _label(pinned) == before

    with db.transaction(pinned) as cur:  # the catalog written: read again
        cur.execute(
            "UPDATE properties SET label = 'Sector' WHERE object = 'companies' AND name = 'industry'"
        )
    assert _label(pinned) == "Sector"


def test_a_run_that_pinned_nothing_reads_every_time(demo_con):
    _label(demo_con)
    _relabel(demo_con, "Sector")
    assert _label(demo_con) == "Sector"


def test_a_write_reads_the_catalog_as_it_is_not_as_kept(pinned):
    before = _label(pinned)
    _relabel(pinned, "Sector")
    with db.transaction(pinned) as cur:
        assert _label(cur) == "Sector"
        assert table_versions.versions(cur, ["properties"]) == tuple(
            cur.execute(
                "SELECT coalesce(max(value) FILTER (name = 'table.*'), 0), "
                "coalesce(max(value) FILTER (name = 'table.properties'), 0) FROM counters"
            ).fetchone()
        )
    assert before != "Sector"


def test_the_pinned_data_version_moves_with_the_threads_own_commit_only(pinned):
    first = snapshot.data_version(pinned)
    assert first == db.data_version(pinned)

    other = threading.Thread(target=lambda: db.write(pinned, lambda cur: None))
    other.start()
    other.join()
    assert db.data_version(pinned) == first + 1
    assert snapshot.data_version(pinned) == first  # another session's write: the next run sees it

    db.write(pinned, lambda cur: None)
    assert snapshot.data_version(pinned) == first + 2  # its own write: read back at once


def test_each_caller_gets_its_own_lists_and_dicts(pinned, demo_con):
    props = records.list_properties(pinned, "companies")
    props.clear()
    assert len(records.list_properties(pinned, "companies")) > 10

    people = users.list_users(pinned)
    people.pop()
    assert len(users.list_users(pinned)) == len(people) + 1

    csm = users.get_user(pinned, 4)
    mine = views.list_views(pinned, object_name="companies", user=csm)
    mine[0].filters.append({"property": "x"})
    assert views.list_views(pinned, object_name="companies", user=csm)[0].filters != mine[0].filters

    db.write(pinned, lambda cur: cur.execute(
        "INSERT INTO settings VALUES ('test.section', '{\"a\": 1}', ?, 1)", [NOW.replace(tzinfo=None)]
    ))  # fmt: skip
    section = settings_store.stored(pinned, "test.section")
    section["a"] = 2
    assert settings_store.stored(pinned, "test.section") == {"a": 1}


def test_reads_of_two_workspaces_are_kept_apart(demo_path, tmp_path):

    other_path = tmp_path / "other.duckdb"
    shutil.copy(demo_path, other_path)  # the same counters, so only the workspace tells them apart
    one, two = db.open_workspace(demo_path), db.open_workspace(other_path)
    try:
        _relabel(one, "Sector one")
        _relabel(two, "Sector two")
        snapshot.pin(("one", id(one)))
        assert _label(one) == "Sector one"
        snapshot.pin(("two", id(two)))
        assert _label(two) == "Sector two"
    finally:
        snapshot.unpin()
        snapshot.clear()
        one.close()
        two.close()


# --- remembered reads: the tables they depend on are learned ------------------------------


class _Counted:
    """A read of a task's title through a recording cursor, counted."""

    def __init__(self, con) -> None:
        self.con, self.calls = con, 0

    def __call__(self):
        self.calls += 1
        cur = snapshot.Reading(self.con.cursor())
        with cur:
            return cur.execute("SELECT title FROM tasks WHERE id = 1").fetchone()[0]

    def remembered(self, **kw):
        return snapshot.remembered(self.con, "test", "title", b"1", self, **kw)


def _commit(con, sql: str) -> None:
    with db.transaction(con) as cur:
        cur.execute(sql)


def test_a_remembered_read_is_kept_until_a_table_it_named_is_written(pinned):
    read = _Counted(pinned)
    first = read.remembered()
    assert read.remembered() == first and read.calls == 1

    _commit(pinned, "UPDATE deals SET name = name WHERE id = (SELECT min(id) FROM deals)")
    assert read.remembered() == first and read.calls == 1  # another table: kept

    _commit(pinned, "UPDATE tasks SET title = 'Call back' WHERE id = 1")
    assert read.remembered() == "Call back" and read.calls == 2


def test_a_remembered_read_depends_on_what_its_shared_reads_and_version_keys_stand_for(pinned):
    records.list_properties(pinned, "companies")  # now kept: the next call runs no statement

    def read():
        cur = snapshot.Reading(pinned.cursor())
        labels = [p.label for p in records.list_properties(cur, "companies")]
        table_versions.versions(cur, ["subscriptions"])  # a key of a cache beneath, as results'
        with cur.cursor() as inner:  # a cursor of the recording cursor records too
            deals = inner.execute("SELECT count(*) FROM deals").fetchone()[0]
        return labels, deals

    calls = []

    def counted():
        calls.append(1)
        return read()

    def remembered():
        return snapshot.remembered(pinned, "test", "mixed", b"", counted)

    remembered()
    for table, sql in (
        ("properties", "UPDATE properties SET label = label WHERE name = 'industry'"),
        ("subscriptions", "UPDATE subscriptions SET id = id WHERE id = 1"),
        ("deals", "UPDATE deals SET name = name WHERE id = (SELECT min(id) FROM deals)"),
    ):
        before = len(calls)
        remembered()
        assert len(calls) == before, f"read again before {table} was written"
        _commit(pinned, sql)
        remembered()
        assert len(calls) == before + 1, f"kept after {table} was written"


def test_parameters_do_not_hide_the_tables_a_statement_names():
    assert snapshot.tables_named(
        "WITH mine AS (SELECT id FROM tasks WHERE owner_id = ?) SELECT 'a?', \"b?\" FROM mine, "
        "users u WHERE u.id = $user AND u.team_id IN (SELECT id FROM Teams WHERE name = $1)"
    ) == {"tasks", "users", "teams"}
    assert snapshot.tables_named("SELECT * FROM range(?)") == set()


def test_a_statement_it_cannot_read_ties_a_read_to_every_write(pinned):
    # Not parsed here: a statement the read gives as DuckDB's parsed object, or text the
    # parser refuses (the statement would fail too).
    assert snapshot.tables_named("SELECT id FROM tasks WHERE id = ? ?") == {snapshot.DATA}
    calls = []

    def read():
        calls.append(1)
        cur = snapshot.Reading(pinned.cursor())
        with cur:
            statement = duckdb.extract_statements("SELECT count(*) FROM range(3)")[0]
            return cur.execute(statement).fetchone()[0]

    def remembered():
        return snapshot.remembered(pinned, "test", "unparsed", b"", read)

    assert remembered() == 3 and remembered() == 3 and len(calls) == 1
    _commit(pinned, "UPDATE users SET name = name WHERE id = 1")  # any table at all
    assert remembered() == 3 and len(calls) == 2


def test_a_write_committed_while_a_read_runs_is_not_hidden_by_it(demo_con):
    # Not pinned: the versions are read before the read, so a write that lands during the read
    # leaves the kept value older than its key says, and it is read again.
    state = {"first": True}

    def read():
        cur = snapshot.Reading(demo_con.cursor())
        with cur:
            title = cur.execute("SELECT title FROM tasks WHERE id = 1").fetchone()[0]
        if state.pop("first", False):
            writer = threading.Thread(
                target=_commit, args=(demo_con, "UPDATE tasks SET title = 'Renewal' WHERE id = 1")
            )
            writer.start()
            writer.join()
        return title

    def remembered():
        return snapshot.remembered(demo_con, "test", "racing", b"", read)

    assert remembered() != "Renewal"
    assert remembered() == "Renewal"
    snapshot.clear()


def test_a_remembered_value_is_a_copy_for_each_caller_unless_shared(pinned):
    def read():
        return [1, 2, 3]

    mine = snapshot.remembered(pinned, "test", "list", b"", read)
    mine.append(4)
    assert snapshot.remembered(pinned, "test", "list", b"", read) == [1, 2, 3]

    one = snapshot.remembered(pinned, "test", "shared", b"", read, shared=True)
    assert snapshot.remembered(pinned, "test", "shared", b"", read, shared=True) is one
    assert snapshot.remembered(pinned, "test", "list", b"other args", lambda: ["x"]) == ["x"]


def test_inside_a_write_a_remembered_read_always_reads(pinned):
    read = _Counted(pinned)
    read.remembered()
    with db.transaction(pinned):
        read.remembered()
    assert read.calls == 2


def test_a_read_scoped_to_an_owner_is_kept_through_writes_declared_for_others(pinned):
    """A CSM's Summary numbers (their tasks, their accounts, read in snapshot.scoped) are kept
    through another CSM's completed task and edited account, and read again after their own,
    after a reassignment to them, and after any write that does not say whose rows it changed."""
    from cs_core import record_values, task_actions

    lucas, mei = users.get_user(pinned, 4), users.get_user(pinned, 5)
    owner = settings.get_customer_settings(pinned).owner_property  # the accounts' owner (csm_id)
    calls = []

    def read():
        calls.append(1)
        cur = snapshot.Reading(pinned.cursor())
        with snapshot.scoped(lucas.id):
            records.list_properties(cur, "tasks")  # a shared read inside keeps its own key
            return (
                cur.execute("SELECT count(*) FILTER (status = 'open') FROM tasks WHERE owner_id = ?",
                            [lucas.id]).fetchone()[0],  # fmt: skip
                cur.execute(f"SELECT count(*) FROM companies WHERE {owner} = ?", [lucas.id]).fetchone()[0],
            )  # fmt: skip

    def lucas_numbers():
        return snapshot.remembered(pinned, "test", "scoped", b"", read)

    def reads_after(change) -> int:
        lucas_numbers()
        before = len(calls)
        change()
        lucas_numbers()
        return len(calls) - before

    def open_task_of(user) -> int:
        return pinned.execute("SELECT min(id) FROM tasks WHERE status = 'open' AND owner_id = ?",
                              [user.id]).fetchone()[0]  # fmt: skip

    def company_of(user) -> int:
        return pinned.execute(
            f"SELECT min(id) FROM companies WHERE {owner} = ?", [user.id]
        ).fetchone()[0]

    def complete(user):
        return lambda: task_actions.complete(pinned, actor=user, now=NOW,
                                             selection=task_actions.Selection(ids=(open_task_of(user),)))  # fmt: skip

    def edit(user, company, prop="nps", value="7"):
        return lambda: record_values.update_property(pinned, actor=user, object_name="companies", record_id=company,
                                                     property_name=prop, value=value, now=NOW)  # fmt: skip

    open_before, owned_before = lucas_numbers()
    assert reads_after(complete(mei)) == 0  # Mei's task: Lucas's numbers kept
    assert reads_after(edit(mei, company_of(mei))) == 0  # Mei's account: kept
    assert reads_after(complete(lucas)) == 1  # his own task: read again
    assert lucas_numbers()[0] == open_before - 1
    assert reads_after(edit(lucas, company_of(lucas))) == 1  # his own account
    # Mei's account handed to Lucas: it names both owners, so his count is read again.
    moved = company_of(mei)
    assert reads_after(edit(mei, moved, owner, str(lucas.id))) == 1
    assert lucas_numbers()[1] == owned_before + 1
    # A write that does not say whose rows it changed (plain SQL in a transaction).
    assert reads_after(lambda: _commit(pinned, "UPDATE tasks SET title = title WHERE id = 1")) == 1
    # A read that is not scoped is read again after every write of its table, as before.
    unscoped = []

    def every_task():
        unscoped.append(1)
        return snapshot.Reading(pinned.cursor()).execute("SELECT count(*) FROM tasks").fetchone()[0]

    snapshot.remembered(pinned, "test", "unscoped", b"", every_task)
    complete(mei)()
    snapshot.remembered(pinned, "test", "unscoped", b"", every_task)
    assert len(unscoped) == 2


def test_a_users_health_figures_are_kept_through_another_csms_rescored_account(pinned):
    """The Summary's health figures (read in snapshot.scoped) are kept through an edit that
    rescores another CSM's account, and read again, right, after one that rescores the user's."""
    from cs_core import clock, record_values
    from cs_core import summary as summary_core
    from cs_core.health import reports

    lucas, mei = users.get_user(pinned, 4), users.get_user(pinned, 5)
    owner = settings.get_customer_settings(pinned).owner_property
    day = clock.score_date(NOW)
    calls = []

    def figures(con) -> list:
        choice = summary_core.health_profile(con, user_id=lucas.id)
        return [(p.id, n, reports.summary(con, p, day=day, owner_id=lucas.id).to_json())
                for p, n in choice.profiles]  # fmt: skip

    def read():
        calls.append(1)
        with snapshot.scoped(lucas.id):
            return figures(snapshot.Reading(pinned.cursor()))

    def lucas_figures():
        return snapshot.remembered(pinned, "test", "health", b"", read)

    def scored_company_of(user) -> int:  # an account a live profile scores
        return pinned.execute(
            f"SELECT min(r.id) FROM companies r JOIN health_current h ON h.record_id = r.id WHERE r.{owner} = ?",
            [user.id],
        ).fetchone()[0]  # fmt: skip

    def rescored_for(user) -> int:
        found = pinned.execute(
            "SELECT value FROM counters WHERE name = ?", [f"table.health_current@{user.id}"]
        ).fetchone()
        return found[0] if found else 0

    def edit(user, nps: str):  # both live profiles read the NPS
        record_values.update_property(pinned, actor=user, object_name="companies", record_id=scored_company_of(user),
                                      property_name="nps", value=nps, now=NOW)  # fmt: skip

    before = lucas_figures()
    mei_rescored = rescored_for(mei)
    edit(mei, "0")
    assert rescored_for(mei) == mei_rescored + 1  # her account's scores were written, and said so
    assert lucas_figures() == before and len(calls) == 1  # kept
    edit(lucas, "0")
    after = lucas_figures()
    assert len(calls) == 2  # his own account rescored: read again
    assert after == figures(pinned) and after != before
