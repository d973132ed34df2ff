"""Backup and restore: a copy made through the app's process while it keeps writing, the
command line's hand-off to it, a round trip that gives back every table exactly, and every
refusal of a restore."""

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from cs_core import backup, backup_service, db, restore
from cs_core.cli import main
from cs_core.users import PermissionDenied
from tests.conftest import CSM, NOW, ROOT, SETTINGS_MANAGER

STAMP = "20261128T150000Z"  # NOW, as backups are named

# A process that holds the workspace the way the app does (its one shared connection) and,
# with "serve", answers backup requests through the service the launcher starts. Meanwhile it
# keeps writing: each transaction adds one to two counters, so a consistent copy has them
# equal. It stops when the file "stop" appears beside the workspace, printing its last count.
HOLDER = """
import sys, time
from pathlib import Path
from cs_core import backup_service, db
path, serve = sys.argv[1], sys.argv[2] == "serve"
con = db.shared_workspace(path)
con.execute("INSERT INTO counters VALUES ('test.a', 0), ('test.b', 0)")
if serve:
    backup_service.start_service(path)
print("ready", flush=True)
stop = Path(path).with_name("stop")
for _ in range(3000):
    if stop.exists():
        break
    with db.transaction(con) as cur:
        cur.execute("UPDATE counters SET value = value + 1 WHERE name IN ('test.a', 'test.b')")
    time.sleep(0.02)
print(con.execute("SELECT value FROM counters WHERE name = 'test.a'").fetchone()[0], flush=True)
"""


@pytest.fixture
def holder(demo_path):
    """``holder(serve)`` starts the holding process and returns it once it holds the file."""
    started = []

    def start(serve: bool) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(demo_path), "serve" if serve else "hold"],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True)  # fmt: skip
        started.append(proc)
        assert proc.stdout.readline().strip() == "ready"
        return proc

    yield start
    for proc in started:
        demo_path.with_name("stop").touch()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _stop(proc: subprocess.Popen, path: Path) -> int:
    """Stop the holder; its last count."""
    path.with_name("stop").touch()
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    return int(out.split()[-1])


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cs_core", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=120)  # fmt: skip


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def _contents(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows as text, in one order: what a restore must give back exactly."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        found = {
            f"{s}.{t}": con.execute(
                f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "{s}"."{t}" ORDER BY ALL'
            ).fetchall()
            for s, t in tables
        }
        found["(catalog)"] = con.execute(
            "SELECT 'table', sql FROM duckdb_tables() UNION ALL "
            "SELECT 'view', sql FROM duckdb_views() WHERE NOT internal UNION ALL "
            "SELECT 'index', sql FROM duckdb_indexes() UNION ALL "
            "SELECT 'type', type_name || CAST(labels AS VARCHAR) FROM duckdb_types() "
            "WHERE NOT internal UNION ALL "
            "SELECT 'sequence', sql FROM duckdb_sequences() UNION ALL "
            "SELECT 'macro', macro_definition FROM duckdb_functions() WHERE NOT internal "
            "ORDER BY ALL"
        ).fetchall()
        return found
    finally:
        con.close()


def _digest(path: Path) -> bytes:
    return path.read_bytes()


def test_a_backup_restores_every_table_exactly(demo_path, tmp_path):
    con = db.open_workspace(demo_path)
    # Beside the demo's tables: every DuckDB type, an enum, a view and an index, so the copy
    # is shown exact for more than today's columns.
    con.execute("CREATE TYPE mood AS ENUM ('calm', 'busy')")
    con.execute("""CREATE TABLE odd_values AS SELECT
        170141183460469231731687303715884105727::HUGEINT h,
        340282366920938463463374607431768211455::UHUGEINT uh,
        '8d6f1c56-0b7d-4e43-9e8f-2f1b0c8d9a11'::UUID u, 12345678901234567890.1234567890::DECIMAL(38,10) d,
        INTERVAL '1 month 2 days 3 seconds' iv, TIMETZ '12:34:56+02' ttz,
        TIMESTAMPTZ '2026-01-01 12:00:00+03' tstz, TIMESTAMP_NS '2026-01-01 12:00:00.123456789' tns,
        'busy'::mood m, [1, 2, NULL] l, {'x': 1, 'y': 'z'} s, MAP {'k': 1} mp, '\\xAA'::BLOB b,
        '0101'::BIT bits, '{"a": 1}'::JSON j, -0.0::DOUBLE nz, 'nan'::DOUBLE nan, 1e-310::DOUBLE tiny,
        [1, 2, 3]::INTEGER[3] arr""")  # fmt: skip
    con.execute("CREATE VIEW big_companies AS SELECT id, name FROM companies WHERE id > 100")
    con.execute("CREATE INDEX odd_values_u ON odd_values (u)")
    con.execute("CREATE SCHEMA extra")
    con.execute("CREATE TABLE extra.parents (id BIGINT PRIMARY KEY, name VARCHAR UNIQUE)")
    con.execute("CREATE TABLE extra.children (id BIGINT PRIMARY KEY CHECK (id > 0), "
                "parent BIGINT REFERENCES extra.parents (id), note VARCHAR DEFAULT 'x')")  # fmt: skip
    con.execute("INSERT INTO extra.parents VALUES (1, 'a'), (2, 'b')")
    con.execute("INSERT INTO extra.children (id, parent) VALUES (10, 1), (11, 2), (12, NULL)")
    con.execute("CREATE SEQUENCE numbers START 5")
    assert con.execute("SELECT nextval('numbers'), nextval('numbers')").fetchone() == (5, 6)
    con.execute("CREATE MACRO twice(x) AS x * 2")
    con.close()
    before = _contents(demo_path)
    assert len(before) > 40 and all(before[t] for t in ("main.companies", "main.activities"))

    con = db.open_workspace(demo_path)
    made = backup.back_up(con, actor=backup.OPERATOR, folder=tmp_path / "backups", now=NOW,
                          trigger="command line")  # fmt: skip
    assert made.file == str(tmp_path / "backups" / f"workspace-{STAMP}.duckdb")
    assert made.bytes == Path(made.file).stat().st_size and made.status == "ok"
    assert backup.last_backup(con) == made  # logged for Settings
    assert made.schema_version == db.latest_version()
    con.close()
    assert os.listdir(tmp_path / "backups") == [Path(made.file).name]  # no partial file left

    done = restore.restore(made.file, tmp_path / "restored.duckdb")
    assert done.migrated_from is None and done.schema_version == db.latest_version()
    after = _contents(tmp_path / "restored.duckdb")
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table
    assert done.rows == sum(len(rows) for table, rows in before.items() if table != "(catalog)")
    # The restored file is a workspace the app opens as it is.
    con = db.open_workspace(tmp_path / "restored.duckdb")
    assert db.schema_version(con) == db.latest_version()
    # The sequence goes on from where it was, the macro works.
    assert con.execute("SELECT nextval('numbers'), twice(21)").fetchone() == (7, 42)
    con.close()


def test_the_command_line_backs_up_through_the_app_while_it_keeps_writing(holder, demo_path,
                                                                          tmp_path):  # fmt: skip
    app = holder(serve=True)
    socket_file = backup_service.socket_path(demo_path)
    assert socket_file.exists() and socket_file.stat().st_mode & 0o777 == 0o600
    # The file is the app's: nobody else may open it.
    with pytest.raises(db.WorkspaceLocked):
        db.open_workspace(demo_path)
    out = tmp_path / "backups"
    # The command runs in this process (another one than the app's), as an operator would.
    result = _run("backup", "--db", str(demo_path), "--out", str(out), "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    file = out / f"workspace-{STAMP}.duckdb"
    assert result.output.startswith(f"Backed up {demo_path} through the running app (process "
                                    f"{app.pid}) to {file}: ")  # fmt: skip
    # Asked again in the same second: a second file, the first one kept.
    again = _run("backup", "--db", str(demo_path), "--out", str(out), "--now", NOW.isoformat())
    assert again.exit_code == 0, again.output
    assert sorted(os.listdir(out)) == [f"workspace-{STAMP}-2.duckdb", file.name]
    final = _stop(app, demo_path)
    assert not socket_file.exists()  # removed when the app ends

    copy = duckdb.connect(str(file), read_only=True)
    a, b = copy.execute(
        "SELECT max(value) FILTER (name = 'test.a'), max(value) FILTER (name = 'test.b') FROM counters"
    ).fetchone()  # fmt: skip
    copy.close()
    assert a == b  # one moment: never between the two counters' update
    assert 0 < a < final  # the app wrote before the backup and went on writing after it
    con = db.open_workspace(demo_path)
    logged = backup.recent_backups(con)
    con.close()
    assert [(m.file, m.trigger, m.status, m.actor_id) for m in logged] == [
        (str(out / f"workspace-{STAMP}-2.duckdb"), backup_service.TRIGGER, "ok", None),
        (str(file), backup_service.TRIGGER, "ok", None),
    ]


def test_without_an_app_the_command_opens_the_file_itself(demo_path, tmp_path):
    result = _run("backup", "--db", str(demo_path), "--out", str(tmp_path / "b"), "--now", NOW.isoformat())  # fmt: skip
    assert result.exit_code == 0, result.output
    file = tmp_path / "b" / f"workspace-{STAMP}.duckdb"
    assert result.output.startswith(f"Backed up {demo_path} (no app had it open) to {file}: ")
    con = db.open_workspace(demo_path)
    assert backup.last_backup(con).trigger == "command line"
    con.close()
    # A socket left by an app that ended without removing it: nobody answers, same path.
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(backup_service.socket_path(demo_path)))
    stale.close()
    result = _run("backup", "--db", str(demo_path), "--out", str(tmp_path / "b"))
    assert result.exit_code == 0 and "(no app had it open)" in result.output
    missing = _run("backup", "--db", str(tmp_path / "nothing.duckdb"), "--out", str(tmp_path))
    assert missing.exit_code == 1
    assert f"There is no workspace database at {tmp_path / 'nothing.duckdb'}." in missing.output
    assert not (tmp_path / "nothing.duckdb").exists()


def test_a_process_that_holds_the_file_without_answering_is_named(holder, demo_path, tmp_path):
    other = holder(serve=False)
    result = _run("backup", "--db", str(demo_path), "--out", str(tmp_path / "b"))
    assert result.exit_code == 1
    assert (f"{demo_path} is in use by process id {other.pid}, and no app answers backup "
            "requests for it.") in result.output  # fmt: skip
    assert "make run" in result.output and not (tmp_path / "b").exists()
    # A restore onto it is refused too, whatever --force says.
    spare = tmp_path / "spare.duckdb"
    db.open_workspace(spare).close()
    backup_file = _backup_of(spare, tmp_path / "bk")
    refused = _run("restore", "--from", str(backup_file), "--db", str(demo_path), "--force")
    assert refused.exit_code == 1
    assert f"Not restored: {demo_path} is in use by process id {other.pid}" in refused.output
    assert "a live workspace is never replaced" in refused.output
    _stop(other, demo_path)
    con = db.open_workspace(demo_path)  # the holder's file, with what it wrote, not the backup
    assert con.execute("SELECT count(*) FROM companies").fetchone()[0] == 400
    con.close()


def _backup_of(path: Path, folder: Path) -> Path:
    con = db.open_workspace(path)
    try:
        return Path(backup.back_up(con, actor=backup.OPERATOR, folder=folder, now=NOW,
                                   trigger="command line").file)  # fmt: skip
    finally:
        con.close()


def test_restore_refuses_an_existing_file_unless_forced(demo_path, tmp_path):
    made = _backup_of(demo_path, tmp_path / "bk")
    con = db.open_workspace(demo_path)
    con.execute("DELETE FROM tasks")
    con.close()
    changed = _digest(demo_path)
    refused = _run("restore", "--from", str(made), "--db", str(demo_path))
    assert refused.exit_code == 1
    assert f"Not restored: {demo_path} exists already. Add --force" in refused.output
    assert _digest(demo_path) == changed
    # Forced, from the folder: its newest backup, over the changed file.
    forced = _run("restore", "--from", str(tmp_path / "bk"), "--db", str(demo_path), "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.output.startswith(f"Restored {demo_path} from {made} (schema version ")
    con = db.open_workspace(demo_path)
    assert con.execute("SELECT count(*) FROM tasks").fetchone()[0] == 1500
    con.close()
    assert not list(tmp_path.glob(".*restoring*"))  # nothing left beside it


def test_restore_checks_the_backup_before_it_replaces_anything(demo_path, tmp_path):
    made = _backup_of(demo_path, tmp_path / "bk")
    target = tmp_path / "target.duckdb"
    shutil.copy(demo_path, target)
    kept = _digest(target)

    def refused(source: Path) -> str:
        with pytest.raises(restore.RestoreRefused) as caught:
            restore.restore(source, target, force=True)
        assert _digest(target) == kept and not list(tmp_path.glob(".target*"))
        return str(caught.value)

    damaged = tmp_path / "damaged.duckdb"
    damaged.write_bytes(b"not a database" * 1000)
    assert "is not a usable backup: it does not open as a DuckDB database" in refused(damaged)
    half = tmp_path / "half.duckdb"
    half.write_bytes(made.read_bytes()[: made.stat().st_size // 2])
    assert "Choose another backup" in refused(half)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE t AS SELECT 1 x").close()
    assert "is a DuckDB database but not a workspace" in refused(other)
    newer = tmp_path / "newer.duckdb"
    shutil.copy(made, newer)
    with duckdb.connect(str(newer)) as c:
        c.execute("INSERT INTO schema_migrations VALUES (?, 'future', now())", [db.latest_version() + 1])  # fmt: skip
    assert f"has schema version {db.latest_version() + 1}; this version of the app" in refused(
        newer
    )
    lacking = tmp_path / "lacking.duckdb"
    shutil.copy(made, lacking)
    with duckdb.connect(str(lacking)) as c:
        c.execute("ALTER TABLE tasks DROP COLUMN title")
    assert "lacks what a workspace of schema version" in refused(lacking)
    assert "tasks.title (VARCHAR)" in refused(lacking)
    assert f"There is no backup at {tmp_path / 'nope'}." in refused(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    assert "holds no backup" in refused(tmp_path / "empty")
    assert "is the workspace database itself" in refused(target)


def test_an_older_backup_is_brought_up_to_date_as_it_is_restored(demo_path, tmp_path):
    made = _backup_of(demo_path, tmp_path / "bk")
    with duckdb.connect(str(made)) as c:  # as a backup from before the backups' log
        c.execute("DROP TABLE backups")
        c.execute("DELETE FROM schema_migrations WHERE version = 14")
    done = restore.restore(made, tmp_path / "restored.duckdb")
    assert (done.migrated_from, done.schema_version) == (13, db.latest_version())
    con = db.open_workspace(tmp_path / "restored.duckdb")
    assert con.execute("SELECT count(*) FROM backups").fetchone()[0] == 0
    con.close()


def test_a_write_that_skips_the_write_turn_during_the_copy_fails_the_backup(demo_con, tmp_path,
                                                                          monkeypatch):  # fmt: skip
    """The app's writes wait for the copy; one that did not (a program of its own on the
    connection) would tear it: refused, no file left, logged as failed."""
    real = shutil.copyfile

    def copy_while_written(source, target):
        demo_con.cursor().execute(
            "UPDATE counters SET value = value + 1 WHERE name = 'data_version'"
        )
        return real(source, target)

    monkeypatch.setattr(backup.shutil, "copyfile", copy_while_written)
    with pytest.raises(backup.BackupError, match="the workspace was written while it was copied"):
        backup.back_up(demo_con, actor=backup.OPERATOR, folder=tmp_path / "b", now=NOW,
                       trigger="command line")  # fmt: skip
    assert os.listdir(tmp_path / "b") == []  # no file, whole or partial
    assert [m.status for m in backup.recent_backups(demo_con)] == ["failed"]


def test_backing_up_needs_the_settings_permission(demo_con, user, tmp_path):
    with pytest.raises(PermissionDenied, match="may not manage Customer Success settings"):
        backup.back_up(demo_con, actor=user(CSM), folder=tmp_path / "b", now=NOW, trigger="settings")  # fmt: skip
    assert not (tmp_path / "b").exists() and backup.recent_backups(demo_con) == []


def test_the_folder_setting_refuses_a_stale_editor(demo_con, user):
    manager = user(SETTINGS_MANAGER)
    assert backup.backup_folder(demo_con, "data/workspace.duckdb") == Path("data/backups")
    backup.save_backup_folder(
        demo_con, actor=manager, folder=" /srv/backups ", now=NOW, expected=None
    )
    assert backup.backup_folder(demo_con, "data/workspace.duckdb") == Path("/srv/backups")
    with pytest.raises(backup.BackupError, match="Someone saved these settings since"):
        backup.save_backup_folder(demo_con, actor=manager, folder="/elsewhere", now=NOW, expected=None)  # fmt: skip
    assert backup.chosen_folder(demo_con) == "/srv/backups"
    backup.save_backup_folder(demo_con, actor=manager, folder="", now=NOW)  # back to the default
    assert backup.chosen_folder(demo_con) is None


def test_a_folder_that_cannot_be_written_is_reported_and_logged(demo_con, tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    with pytest.raises(backup.BackupError, match="No backup was made"):
        backup.back_up(demo_con, actor=backup.OPERATOR, folder=blocked / "sub", now=NOW,
                       trigger="command line")  # fmt: skip
    (failed,) = backup.recent_backups(demo_con)
    assert failed.status == "failed" and failed.error.startswith("No backup was made")
    assert backup.last_backup(demo_con) is None


def test_the_launcher_answers_backup_requests(demo_path, tmp_path):
    env = {**os.environ, "CS_WORKSPACE_DB": str(demo_path), "CS_SCHEDULER": "off"}
    cmd = [sys.executable, "-m", "ui.launch", "--server.port", str(_free_port()),
           "--server.headless", "true"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
                            stderr=subprocess.STDOUT)  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert line.startswith("Answering backup requests (python -m cs_core backup) on "), line
        # The operator's command, as its own process.
        result = _cli("backup", "--db", str(demo_path), "--out", str(tmp_path / "b"))
        assert result.returncode == 0, result.stderr
        assert f"through the running app (process {proc.pid})" in result.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert not backup_service.socket_path(demo_path).exists()
    assert len(list((tmp_path / "b").glob("workspace-*.duckdb"))) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_long_folder_path_still_reaches_the_app(tmp_path, demo_template):
    deep = tmp_path / ("a-rather-long-folder-name-" * 4)
    deep.mkdir()
    path = deep / "workspace.duckdb"
    shutil.copy(demo_template, path)
    assert len(str(backup_service.socket_path(path))) > 108  # longer than a socket name may be
    service = backup_service.BackupService(path).start()
    try:
        served = backup_service.request_backup(path, folder=tmp_path / "b", now=NOW)
        assert served.pid == os.getpid() and Path(served.file).exists()
    finally:
        service.stop()
        db.close_shared(path)
    assert not backup_service.socket_path(path).exists()


def test_writers_wait_for_the_copy_only_and_find_their_changes_after_it(demo_con, tmp_path,
                                                                      monkeypatch):  # fmt: skip
    """The copy is the file and its log as the last commit left them, the log folded into the
    copy; a write asked for during the copy waits, then commits on top of it."""
    import threading

    # Committed to the log, not yet to the file: the copy must carry the log.
    demo_con.execute("UPDATE companies SET name = 'Before the copy' WHERE id = 1")
    assert Path(f"{db.database_path(demo_con)}.wal").stat().st_size > 0
    from cs_core import admission

    writers, real = [], shutil.copyfile
    waiting = threading.Event()  # set when the writer finds the write turn held
    monkeypatch.setattr(admission, "before_waiting", waiting.set)

    def write() -> None:
        db.write(demo_con, lambda cur: cur.execute(
            "UPDATE companies SET name = 'During the copy' WHERE id = 1"))  # fmt: skip

    def copy(source, target):  # the file, then its log
        if not writers:
            writers.append(threading.Thread(target=write))
            writers[0].start()
            waiting.wait()  # untimed (a moved clock stretches timed waits): it waits for the copy
        return real(source, target)

    monkeypatch.setattr(backup.shutil, "copyfile", copy)
    made = backup.back_up(demo_con, actor=backup.OPERATOR, folder=tmp_path / "b", now=NOW,
                          trigger="command line")  # fmt: skip
    writers[0].join()
    assert not Path(f"{made.file}.wal").exists()  # one file: the log is in it
    with duckdb.connect(made.file, read_only=True) as copied:
        assert copied.execute("SELECT name FROM companies WHERE id = 1").fetchone() == (
            "Before the copy",
        )
    assert demo_con.execute("SELECT name FROM companies WHERE id = 1").fetchone() == (
        "During the copy",
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are Linux's")
def test_the_log_is_folded_into_the_copy_at_the_lowest_priority(demo_con, tmp_path, monkeypatch):
    """The sessions keep their speed while the copy's log is replayed (after the daily job,
    tens of MB): that work takes the cores they leave, and the caller keeps its own priority."""
    import threading

    from cs_core import admission

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    seen = []
    real = backup._fold_log
    monkeypatch.setattr(backup, "_fold_log", lambda *a: seen.append(niceness()) or real(*a))
    mine = niceness()
    made = backup.back_up(demo_con, actor=backup.OPERATOR, folder=tmp_path / "b", now=NOW,
                          trigger="command line")  # fmt: skip
    assert seen == [admission.BACKGROUND_NICE] and niceness() == mine
    assert made.status == "ok" and Path(made.file).stat().st_size == made.bytes
