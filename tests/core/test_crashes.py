"""Crashes lose nothing: a write killed with SIGKILL during its transaction, just before its
commit or just after it leaves a workspace that opens, passes the consistency check and holds
the whole change (killed after the commit) or none of it (killed before): never part of it.

Each write runs in a process of its own (:mod:`tests.core.crash_ops`) on a copy of one
prepared demo workspace, killed at a point of :mod:`cs_core.kill_points`.
"""

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from cs_core import check, db
from tests import conftest
from tests.conftest import CSM, NOW, ROOT
from tests.core import crash_ops as ops

# Per write: where it is killed during its transaction (before the n-th statement writing a
# table), then just before and just after its commit.
DURING = {
    "import": "write.record_external_ids:1",  # the records inserted, their external ids not yet
    "recompute": "write.health_current:2",  # the day's history written, the current scores deleted
    "complete": "write.tasks:1",  # 20,000 history rows written, the tasks not yet updated
    "move": "write.deals:2",  # the amount written, the close date and the stage not yet
    "dashboard": "write.dashboard_reports:2",  # the old tiles deleted, the new ones not yet written
}
# The tables a write changes (the others must be exactly as they were, even after a commit).
CHANGES = {
    "import": {"companies", "properties", "record_external_ids", "import_runs", "import_run_records"},
    "recompute": {"health_scores", "health_current", "alerts"},
    "complete": {"tasks", "property_history"},
    "move": {"deals", "property_history"},
    "dashboard": {"dashboards", "dashboard_reports"},
}  # fmt: skip
CASES = [
    (op, point) for op, during in DURING.items() for point in (during, "commit:1", "committed:1")
]


def content(con) -> dict:
    """Every table's row count and content hash (counters too: ids and data versions)."""
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                                        "ORDER BY 1").fetchall()]  # fmt: skip
    return {
        t: con.execute(f'SELECT count(*), sum(hash(t)::HUGEINT) FROM "{t}" t').fetchone()
        for t in tables
    }


@dataclass(frozen=True)
class Before:
    """The prepared workspace before any write: every table's content, the data version, and
    the deal the board move moves."""

    content: dict
    data_version: int
    deal: int


def one(con, sql: str, params=()):
    return con.execute(sql, list(params)).fetchone()[0]


@pytest.fixture(scope="module")
def prepared(demo_template, tmp_path_factory):
    """The demo workspace with 10,000 more open tasks (made in SQL) and a deal in its first
    stage without an amount or a close date; and its content."""
    path = tmp_path_factory.mktemp("crashes") / "prepared.duckdb"
    shutil.copy(demo_template, path)
    con = db.open_workspace(path)
    con.execute(
        "INSERT INTO tasks (id, title, task_type, status, priority, due_at, owner_id, object, record_id, "
        "created_at, created_by) SELECT c.value + i, ?, 'todo', 'open', 'medium', "
        "TIMESTAMP '2026-12-01 15:00:00' + i * INTERVAL 1 MINUTE, ?, 'companies', 1 + i % 400, "
        "TIMESTAMP '2026-11-20 09:00:00', ? FROM range(1, ? + 1) r(i), counters c WHERE c.name = 'ids.tasks'",
        [ops.BULK_TITLE, CSM, CSM, ops.BULK_TASKS],
    )  # fmt: skip
    con.execute("UPDATE counters SET value = value + ? WHERE name = 'ids.tasks'", [ops.BULK_TASKS])
    deal = ops.the_deal(con)
    con.execute("UPDATE deals SET amount = NULL, close_date = NULL WHERE id = ?", [deal])
    assert check.check_workspace(con).consistent
    before = Before(content(con), db.data_version(con), deal)
    con.close()
    return path, before


def killed(prepared, tmp_path, operation: str, point: str):
    """A copy of the prepared workspace after ``operation`` was killed at ``point``, reopened."""
    source, _ = prepared
    path = tmp_path / "workspace.duckdb"
    shutil.copy(source, path)
    run = subprocess.run([sys.executable, "-m", "tests.core.crash_ops", operation, str(path)], cwd=ROOT,
                         env={**os.environ, "CS_KILL_AT": point}, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == -signal.SIGKILL, run.stdout + run.stderr
    assert "done" not in run.stdout
    if point.startswith("committed"):  # the change was in the write-ahead log only
        assert Path(f"{path}.wal").stat().st_size > 0
    return db.open_workspace(path)


def whole_change(con, operation: str, before: Before) -> None:
    """Exactly what the write changes, all of it."""
    count = {t: n for t, (n, _) in before.content.items()}
    if operation == "import":
        rows = ops.TELCO_ROWS
        assert one(con, "SELECT count(*) FROM companies") == count["companies"] + rows
        assert one(con, "SELECT count(*) FROM record_external_ids") == rows
        assert one(con, "SELECT count(DISTINCT record_id) FROM import_run_records") == rows
        run = con.execute(
            "SELECT row_count, created, updated, rejected FROM import_runs"
        ).fetchall()
        assert run == [(rows, rows, 0, 0)]
        # A new property for every column but customerID (the records' ids).
        custom = "SELECT count(*) FROM properties WHERE object = 'companies' AND is_custom"
        assert one(con, custom) == 20
    elif operation == "recompute":
        day = ops.LATER.date()
        scored = one(con, "SELECT count(*) FROM health_scores WHERE profile_id = ? AND score_date = ?",
                     [ops.PROFILE, day])  # fmt: skip
        assert scored > 100
        current = con.execute("SELECT count(*), min(score_date), max(score_date) FROM health_current "
                              "WHERE profile_id = ?", [ops.PROFILE]).fetchone()  # fmt: skip
        assert current == (scored, day, day)
        assert one(con, "SELECT count(*) FROM health_scores") == count["health_scores"] + scored
    elif operation == "complete":
        done = con.execute("SELECT count(*) FILTER (WHERE status = 'completed' AND completed_at = ?), count(*) "
                           "FROM tasks WHERE title = ?", [NOW.replace(tzinfo=None), ops.BULK_TITLE]).fetchone()  # fmt: skip
        assert done == (ops.BULK_TASKS, ops.BULK_TASKS)
        history = one(con, "SELECT count(*) FROM property_history")
        assert history == count["property_history"] + 2 * ops.BULK_TASKS  # status, completed_at
    elif operation == "move":
        deal = con.execute(
            "SELECT stage_id, amount, close_date FROM deals WHERE id = ?", [before.deal]
        )
        assert deal.fetchone() == (ops.MOVE_TO, 125_000.0, date(2026, 12, 31))
        history = con.execute("SELECT property FROM property_history WHERE object = 'deals' "
                              "AND record_id = ? ORDER BY id", [before.deal]).fetchall()  # fmt: skip
        assert history == [("amount",), ("close_date",), ("stage_id",)]
    else:
        assert one(con, "SELECT name FROM dashboards WHERE id = ?", [ops.DASHBOARD]) == ops.NEW_NAME
        tiles = con.execute("SELECT report_id, width FROM dashboard_reports WHERE dashboard_id = ? "
                            "ORDER BY position", [ops.DASHBOARD]).fetchall()  # fmt: skip
        assert tiles == ops.NEW_TILES


def test_the_writes_run_at_the_suites_time_by_a_super_admin():
    """The child processes do not import tests.conftest (it is slow to load): the same values."""
    assert (ops.NOW, ops.SUPER_ADMIN, ops.ROOT) == (NOW, conftest.SUPER_ADMIN, ROOT)


@pytest.mark.parametrize(("operation", "point"), CASES, ids=[f"{o}-{p}" for o, p in CASES])
def test_a_killed_write_leaves_all_of_it_or_none(prepared, tmp_path, operation, point):
    _, before = prepared
    con = killed(prepared, tmp_path, operation, point)
    try:
        result = check.check_workspace(con)
        assert result.consistent, [p.line() for p in result.problems]
        after = content(con)
        if point.startswith("committed"):
            whole_change(con, operation, before)
            untouched = set(before.content) - CHANGES[operation] - {"counters"}
            assert {t: after[t] for t in untouched} == {t: before.content[t] for t in untouched}
            assert db.data_version(con) == before.data_version + 1  # one transaction
        else:
            assert after == before.content
    finally:
        con.close()
