"""Reads shared between page runs (cs_core.snapshot): kept while the tables they read are
unwritten, read again after a write to them, never inside a write, never when nothing is pinned.

A label changed with plain SQL (no transaction, so no version moves) shows whether a read was
kept: a kept read still has the old label."""

from __future__ import annotations

import shutil
import threading

import pytest

from cs_core import db, records, settings_store, snapshot, table_versions, users, views
from tests.conftest import NOW


def _relabel(con, label: str) -> None:
    con.execute(
        "UPDATE properties SET label = ? WHERE object = 'companies' AND name = 'industry'", [label]
    )


def _label(con) -> str:
    return records.get_property(con, "companies", "industry").label


@pytest.fixture
def pinned(demo_con):
    snapshot.pin(("test", id(demo_con)))
    yield demo_con
    snapshot.unpin()
    snapshot.clear()


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
