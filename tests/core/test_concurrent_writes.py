"""Writes that lose nothing: 20 people at once on one property, one record, one view, the
default views' order, and opposite merges. Every applied change is in history with its true
prior value; every refused one is reported to its caller; no record disappears unmerged."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest

from cs_core import merges, record_values, views
from cs_core.merges import MergeRefused
from cs_core.record_values import StaleEdit
from cs_core.views import ViewError
from tests.conftest import CSM, NOW, SETTINGS_MANAGER, without_demo_views

WRITERS = 20


def at_once(con, jobs) -> list:
    """Run each job(cur) in its own thread, all released together; their results or errors."""
    barrier = threading.Barrier(len(jobs))
    out: list = [None] * len(jobs)

    def work(i, job):
        cur = con.cursor()
        barrier.wait()
        try:
            out[i] = job(cur)
        except Exception as exc:  # reported to the caller, as the UI shows it
            out[i] = exc
        finally:
            cur.close()

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def edit(actor, record_id: int, prop: str, value, **extra):
    """A job that sets one property of one company."""
    return lambda cur: record_values.update_property(cur, actor=actor, object_name="companies", record_id=record_id,
                                                     property_name=prop, value=value, now=NOW, **extra)  # fmt: skip


def history(con, record_id: int, prop: str) -> list[tuple[str | None, str | None]]:
    return con.execute(
        "SELECT old_value, new_value FROM property_history WHERE object = 'companies' AND record_id = ? "
        "AND property = ? AND source = 'ui' ORDER BY id",
        [record_id, prop],
    ).fetchall()


def test_twenty_writers_of_one_property_each_record_the_true_prior_value(demo_con, user):
    csm = user(CSM)
    demo_con.execute("UPDATE companies SET employees = 1000 WHERE id = 7")
    jobs = [edit(csm, 7, "employees", str(1001 + i)) for i in range(WRITERS)]
    results = at_once(demo_con, jobs)
    assert all(isinstance(r, record_values.Change) for r in results), results
    rows = history(demo_con, 7, "employees")
    assert len(rows) == WRITERS
    # A chain: each change starts from the value the one before it left.
    assert rows[0][0] == "1000"
    for before, after in zip(rows, rows[1:], strict=False):
        assert after[0] == before[1]
    final = demo_con.execute("SELECT employees FROM companies WHERE id = 7").fetchone()[0]
    assert str(int(final)) == rows[-1][1]


def test_twenty_stale_editors_one_wins_the_others_are_told(demo_con, user):
    csm = user(CSM)
    demo_con.execute("UPDATE companies SET employees = 1000 WHERE id = 7")
    jobs = [edit(csm, 7, "employees", str(2000 + i), expected=1000.0) for i in range(WRITERS)]
    results = at_once(demo_con, jobs)
    applied = [r for r in results if isinstance(r, record_values.Change)]
    refused = [r for r in results if isinstance(r, StaleEdit)]
    assert len(applied) == 1 and len(refused) == WRITERS - 1
    assert "changed by someone else" in str(refused[0]) and "Nothing was overwritten" in str(
        refused[0]
    )
    assert history(demo_con, 7, "employees") == [("1000", applied[0].new)]
    final = demo_con.execute("SELECT employees FROM companies WHERE id = 7").fetchone()[0]
    assert str(int(final)) == applied[0].new


def test_twenty_writers_of_different_properties_of_one_record_all_land(demo_con, user):
    csm = user(CSM)
    props = ["employees", "annual_revenue", "nps", "open_tickets", "city", "country", "domain"]
    numbers = {"employees", "annual_revenue", "nps", "open_tickets"}
    before = dict(zip(props, demo_con.execute(f"SELECT {', '.join(props)} FROM companies WHERE id = 8").fetchone(),
                      strict=True))  # fmt: skip
    # Each property written by about three of the twenty, each with its own value.
    jobs = [
        edit(
            csm,
            8,
            props[i % len(props)],
            str(10 + i) if props[i % len(props)] in numbers else f"v{i}",
        )
        for i in range(WRITERS)
    ]
    results = at_once(demo_con, jobs)
    assert all(isinstance(r, record_values.Change) for r in results), results
    for p in props:
        rows = history(demo_con, 8, p)
        assert rows[0][0] == record_values.as_text(before[p])
        for a, b in zip(rows, rows[1:], strict=False):
            assert b[0] == a[1]
        final = demo_con.execute(f"SELECT {p} FROM companies WHERE id = 8").fetchone()[0]
        assert record_values.as_text(final) == rows[-1][1]


def test_a_rename_and_a_column_change_at_once_both_stay(demo_con, user):
    manager = user(SETTINGS_MANAGER)
    view = views.create_view(demo_con, actor=manager, object_name="companies", name="Renewals",
                             sharing="everyone", columns=["name"], now=NOW)  # fmt: skip
    for round_ in range(30):
        columns = ["name", "renewal_date"] if round_ % 2 else ["name", "csm_id"]
        results = at_once(demo_con, [
            lambda cur, r=round_: views.update_view(cur, actor=manager, view_id=view.id, name=f"Renewals {r}", now=NOW),
            lambda cur, c=columns: views.update_view(cur, actor=manager, view_id=view.id, columns=c, now=NOW),
        ])  # fmt: skip
        assert not any(isinstance(r, Exception) for r in results), results
        found = views.get_view(demo_con, view.id)
        assert (found.name, found.columns) == (f"Renewals {round_}", columns)


def test_twenty_editors_of_one_view_lose_no_change(demo_con, user):
    manager = user(SETTINGS_MANAGER)
    view = views.create_view(demo_con, actor=manager, object_name="companies", name="Team view",
                             sharing="private", columns=["name"], now=NOW)  # fmt: skip
    other = views.create_view(demo_con, actor=manager, object_name="companies", name="Other view",
                              sharing="private", now=NOW)  # fmt: skip
    jobs = []

    def change(target, **fields):
        return lambda cur: views.update_view(
            cur, actor=manager, view_id=target.id, now=NOW, **fields
        )

    for i in range(WRITERS):
        kind = i % 4
        if kind == 0:
            jobs.append(change(view, name=f"Team {i}"))
        elif kind == 1:
            jobs.append(change(view, columns=["name", "csm_id"][: 1 + i % 2]))
        elif kind == 2:
            jobs.append(change(view, sharing="everyone" if i % 8 == 2 else "private"))
        else:  # both views renamed to one name at once: the later one is refused, and told why
            jobs.append(change(view if i == 3 else other, name="Same name"))
    results = at_once(demo_con, jobs)  # fmt: skip
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, ViewError) and "There is a view called 'Same name' already" in str(e)
               for e in errors), errors  # fmt: skip
    final, final_other = views.get_view(demo_con, view.id), views.get_view(demo_con, other.id)
    assert final.name != final_other.name
    applied = [r for r in results if isinstance(r, views.View)]
    assert len(applied) + len(errors) == WRITERS
    # The last applied change of each kind is what the view holds (none was overwritten by a copy).
    assert final.columns in (["name"], ["name", "csm_id"]) and final.sharing in (
        "private",
        "everyone",
    )
    assert {final.name} <= {f"Team {i}" for i in range(0, WRITERS, 4)} | {"Same name", "Team view"}


def test_twenty_reorders_of_the_default_views_leave_a_true_order(demo_con, user):
    without_demo_views(demo_con)
    manager = user(SETTINGS_MANAGER)
    ids = []
    for i in range(5):
        v = views.create_view(demo_con, actor=manager, object_name="companies", name=f"Default {i}",
                              sharing="everyone", now=NOW)  # fmt: skip
        views.set_default(demo_con, actor=manager, view_id=v.id, description=f"Card {i}", now=NOW)
        ids.append(v.id)
    rng = random.Random(3)
    orders = [rng.sample(ids, len(ids)) for _ in range(WRITERS)]
    jobs = [lambda cur, o=o: views.reorder_defaults(cur, actor=manager, object_name="companies", view_ids=o)
            for o in orders]  # fmt: skip
    # One more writer removes a default view meanwhile: orders made without it are refused.
    jobs.append(lambda cur: views.remove_default(cur, actor=manager, view_id=ids[0], now=NOW))
    results = at_once(demo_con, jobs)
    refused = [r for r in results[:-1] if isinstance(r, ViewError)]
    assert results[-1] is None
    assert all("changed meanwhile" in str(r) for r in refused)
    positions = demo_con.execute(
        "SELECT default_position FROM views WHERE object = 'companies' AND is_default ORDER BY 1"
    ).fetchall()
    assert [p[0] for p in positions] == [1, 2, 3, 4]


@pytest.mark.parametrize("trial", range(10))
def test_opposite_merges_at_once_merge_once_and_delete_one_record(demo_con, user, trial):
    csm = user(CSM)
    a, b = 20 + 2 * trial, 21 + 2 * trial
    contacts = demo_con.execute(
        "SELECT count(*) FROM contacts WHERE company_id IN (?, ?)", [a, b]
    ).fetchone()[0]
    results = at_once(demo_con, [
        lambda cur: merges.merge_records(cur, actor=csm, object_name="companies", survivor_id=a, merged_id=b, now=NOW),
        lambda cur: merges.merge_records(cur, actor=csm, object_name="companies", survivor_id=b, merged_id=a, now=NOW),
    ])  # fmt: skip
    done = [r for r in results if isinstance(r, merges.MergeResult)]
    refused = [r for r in results if isinstance(r, MergeRefused)]
    assert len(done) == 1 and len(refused) == 1 and "does not exist any more" in str(refused[0])
    survivor = done[0].survivor_id
    left = demo_con.execute("SELECT id FROM companies WHERE id IN (?, ?)", [a, b]).fetchall()
    assert left == [(survivor,)]
    assert (
        demo_con.execute(
            "SELECT count(*) FROM contacts WHERE company_id = ?", [survivor]
        ).fetchone()[0]
        == contacts
    )
    assert (
        demo_con.execute(
            "SELECT count(*) FROM record_merges WHERE survivor_id IN (?, ?)", [a, b]
        ).fetchone()[0]
        == 1
    )


def test_the_same_merge_twice_at_once_is_recorded_once(demo_con, user):
    csm = user(CSM)
    results = at_once(demo_con, [
        lambda cur: merges.merge_records(cur, actor=csm, object_name="companies", survivor_id=50, merged_id=51, now=NOW)
        for _ in range(2)
    ])  # fmt: skip
    assert sum(isinstance(r, merges.MergeResult) for r in results) == 1
    assert (
        demo_con.execute("SELECT count(*) FROM record_merges WHERE merged_id = 51").fetchone()[0]
        == 1
    )
    assert (
        demo_con.execute("SELECT count(*) FROM companies WHERE id IN (50, 51)").fetchone()[0] == 1
    )


def test_two_first_sessions_create_the_standard_views_once(empty_con):
    results = at_once(empty_con, [
        lambda cur, i=i: views.ensure_standard_views(cur, "companies", now=NOW + timedelta(seconds=i))
        for i in range(WRITERS)
    ])  # fmt: skip
    assert not any(isinstance(r, Exception) for r in results), results
    rows = empty_con.execute(
        "SELECT standard_key, count(*) FROM views WHERE object = 'companies' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert rows == [("assigned_recently", 1), ("owned_by_me", 1)]


def test_two_profiles_cannot_share_a_name(empty_con):
    from cs_core.health import save_profile
    from tests.core.test_health_engine import BASE

    draft = {**BASE, "status": "draft"}
    results = at_once(empty_con, [
        lambda cur, n=n: save_profile(cur, actor=None, definition={**draft, "name": n}, now=NOW)
        for n in ("Churn watch", "churn watch", "CHURN WATCH")
    ])  # fmt: skip
    assert not any(isinstance(r, Exception) for r in results), results
    names = empty_con.execute("SELECT name FROM health_profiles").fetchall()
    assert len(names) == 1  # the same profile, saved three times
    import duckdb

    with pytest.raises(duckdb.ConstraintException):
        empty_con.execute("INSERT INTO health_profiles VALUES (99, 'Churn Watch', 'companies', 'draft', 1, '{}', "
                          "NULL, now()::TIMESTAMP, now()::TIMESTAMP)")  # fmt: skip


def test_two_custom_objects_of_one_name_at_once_make_one(demo_con, user):
    from cs_core import records

    admin = user(SETTINGS_MANAGER)
    results = at_once(demo_con, [
        lambda cur, i=i: records.create_custom_object(cur, actor=admin, name="partners", label=f"Partner {i}",
                                                      label_plural="Partners", properties=[])
        for i in range(4)
    ])  # fmt: skip
    made = [r for r in results if isinstance(r, records.ObjectInfo)]
    refused = [r for r in results if isinstance(r, ValueError)]
    assert len(made) == 1 and len(refused) == 3 and all("exists already" in str(r) for r in refused)
    positions = [
        r[0] for r in demo_con.execute("SELECT position FROM objects ORDER BY position").fetchall()
    ]
    assert len(positions) == len(set(positions))
