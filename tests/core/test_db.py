"""Opening workspaces: migrations, refusal of newer or locked files, transactions, ids."""

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from cs_core import db


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_migrations_build_every_table_once(tmp_path):
    path = tmp_path / "w.duckdb"
    con = db.open_workspace(str(path))
    versions = con.execute(
        "SELECT version, name FROM schema_migrations ORDER BY version"
    ).fetchall()
    assert versions[:2] == [(1, "workspace"), (2, "standard_catalog")]
    assert [v for v, _ in versions] == list(range(1, db.latest_version() + 1))
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    for name in (
        "users", "teams", "objects", "properties", "companies", "contacts", "deals", "services",
        "pipelines", "stages", "associations", "property_history", "tasks", "meetings",
        "activities", "sequences", "sequence_enrollments", "follows", "views", "settings",
        "health_profiles", "health_profile_versions", "health_scores", "alerts", "reports",
        "dashboards", "dashboard_reports", "dashboard_access", "summary_reports",
    ):  # fmt: skip
        assert name in tables, name
    con.close()
    # Opening again applies nothing new.
    con = db.open_workspace(str(path))
    assert db.migrate(con) == []
    assert (
        con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == db.latest_version()
    )
    con.close()


def test_columns_use_portable_types_only(empty_con):
    types = {
        r[0]
        for r in empty_con.execute(
            "SELECT DISTINCT data_type FROM information_schema.columns"
        ).fetchall()
    }
    assert types <= {"BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP"}


def test_a_failing_migration_leaves_nothing_behind(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    db.open_workspace(str(path)).close()
    shipped = db.migrations()
    broken = db.Migration(
        db.latest_version() + 1, "broken", "CREATE TABLE half_done (id BIGINT); SELECT * FROM nope;"
    )
    monkeypatch.setattr(db, "migrations", lambda: [*shipped, broken])
    with pytest.raises(duckdb.CatalogException):
        db.open_workspace(str(path))
    monkeypatch.undo()
    con = db.open_workspace(str(path))
    assert db.schema_version(con) == db.latest_version()
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert "half_done" not in tables
    con.close()


def test_a_newer_schema_is_refused_and_the_file_is_unchanged(tmp_path):
    path = tmp_path / "newer.duckdb"
    con = db.open_workspace(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (9999, 'from_the_future', now()::TIMESTAMP)")
    con.close()
    before = _digest(path)
    with pytest.raises(db.WorkspaceTooNew) as err:
        db.open_workspace(str(path))
    message = str(err.value)
    assert str(path) in message
    assert "schema version 9999" in message
    assert "Update the app" in message
    assert _digest(path) == before


def test_a_file_held_by_another_process_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "held.duckdb"
    db.open_workspace(str(path)).close()
    before = _digest(path)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(db.WorkspaceLocked) as err:
            db.open_workspace(str(path))
        message = str(err.value)
        assert str(path) in message
        assert f"process id {holder.pid}" in message
        assert "stop the app or command that has it open" in message
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert _digest(path) == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("these are not the tables you are looking for\n" * 100)
    with pytest.raises(db.WorkspaceError) as err:
        db.open_workspace(str(path))
    assert str(path) in str(err.value)
    assert path.read_text().startswith("these are not")


def test_a_transaction_commits_whole_and_bumps_the_data_version(empty_con):
    start = db.data_version(empty_con)

    def add_team(cur, name):
        cur.execute("INSERT INTO teams VALUES (?, ?)", [db.new_id(cur, "teams"), name])

    db.write(empty_con, add_team, "Enterprise CS")
    assert db.data_version(empty_con) == start + 1
    assert empty_con.execute("SELECT id, name FROM teams").fetchall() == [(1, "Enterprise CS")]


def test_a_failed_transaction_writes_nothing(empty_con):
    start = db.data_version(empty_con)

    def half(cur):
        cur.execute("INSERT INTO teams VALUES (1, 'Growth CS')")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        db.write(empty_con, half)
    assert empty_con.execute("SELECT count(*) FROM teams").fetchone()[0] == 0
    assert db.data_version(empty_con) == start


def test_ids_are_allocated_in_consecutive_blocks(empty_con):
    first = db.write(empty_con, db.allocate_ids, "tasks", 3)
    second = db.write(empty_con, db.allocate_ids, "tasks", 2)
    other = db.write(empty_con, db.allocate_ids, "meetings", 1)
    assert list(first) == [1, 2, 3]
    assert list(second) == [4, 5]
    assert list(other) == [1]


def test_concurrent_writers_lose_no_update(tmp_path):
    """Writers take turns: a read inside the transaction sees every write before it. (Without
    the lock, threads read the same value and DuckDB refuses or loses the later writes.)"""
    con = db.open_workspace(str(tmp_path / "w.duckdb"))
    con.execute("INSERT INTO counters VALUES ('test.clicks', 0)")

    def click(cur):
        seen = cur.execute("SELECT value FROM counters WHERE name = 'test.clicks'").fetchone()[0]
        time.sleep(0.0005)  # widen the window between the read and the write
        cur.execute("UPDATE counters SET value = ? WHERE name = 'test.clicks'", [seen + 1])

    def worker():
        cur = con.cursor()
        for _ in range(50):
            db.write(cur, click)
        cur.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert con.execute("SELECT value FROM counters WHERE name = 'test.clicks'").fetchone()[0] == 400
    con.close()


def test_an_older_workspace_is_upgraded_in_place_keeping_its_data(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    shipped = db.migrations()
    monkeypatch.setattr(db, "migrations", lambda: shipped[:2])
    con = db.open_workspace(str(path))
    con.execute(
        "INSERT INTO views (id, object, name, sharing, created_at, updated_at) "
        "VALUES (7, 'companies', 'Renewing soon', 'everyone', now()::TIMESTAMP, now()::TIMESTAMP)"
    )
    con.close()
    monkeypatch.undo()
    con = db.open_workspace(str(path))
    assert db.schema_version(con) == db.latest_version()
    assert con.execute("SELECT name, standard_key, deleted_at FROM views").fetchall() == [
        ("Renewing soon", None, None)
    ]
    con.close()


def test_no_custom_object_can_take_the_name_of_a_workspace_table(empty_con):
    """A custom object is a table: every table the migrations create is a reserved name."""
    from cs_core import records

    tables = [r[0] for r in empty_con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name NOT IN (SELECT name FROM objects)").fetchall()]  # fmt: skip
    assert "health_current" in tables and "import_runs" in tables
    for name in tables:
        with pytest.raises(ValueError, match="reserved name"):
            records.custom_object_ddl(
                empty_con, name=name, label="X", label_plural="Xs", properties=[]
            )


def test_the_workspace_connection_reads_no_files_and_runs_in_utc(tmp_path):
    con = db.open_workspace(str(tmp_path / "w.duckdb"))
    with pytest.raises(duckdb.PermissionException):
        con.execute("SELECT * FROM read_text('/etc/hostname')").fetchall()
    with pytest.raises(duckdb.Error):
        con.execute("SET enable_external_access = true")
    cur = con.cursor()  # every session's cursor too
    assert cur.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "UTC"
    with pytest.raises(duckdb.PermissionException):
        cur.execute("COPY (SELECT 1) TO '/tmp/cs-workspace-copy.csv'")
    con.close()


def test_the_process_shares_one_connection_per_file(tmp_path):
    path = tmp_path / "w.duckdb"
    first = db.shared_workspace(path)
    assert db.shared_workspace(str(path)) is first
    db.close_shared(path)
    again = db.shared_workspace(path)
    assert again is not first
    db.close_shared(path)
