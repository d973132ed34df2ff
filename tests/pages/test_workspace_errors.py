"""The app explains a workspace it cannot open, and creates one that is missing."""

import hashlib
import subprocess
import sys

from streamlit.testing.v1 import AppTest

from cs_core import db
from tests.pages.conftest import APP, plain, scalar


def _run(monkeypatch, path):
    monkeypatch.setenv("CS_WORKSPACE_DB", str(path))
    return AppTest.from_file(str(APP), default_timeout=60).run()


def test_a_database_held_by_another_process_is_explained(monkeypatch, demo_path):
    before = hashlib.sha256(demo_path.read_bytes()).hexdigest()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); sys.stdin.read()", str(demo_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        at = _run(monkeypatch, demo_path)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert not at.exception
    message = plain(at.error[0].value)
    assert f"The workspace database {demo_path} is in use by another process" in message
    assert "stop the app or command that has it open" in message
    assert not at.metric and not at.title
    assert hashlib.sha256(demo_path.read_bytes()).hexdigest() == before


def test_a_database_from_a_newer_version_is_explained(monkeypatch, tmp_path):
    path = tmp_path / "newer.duckdb"
    con = db.open_workspace(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (9999, 'future', now()::TIMESTAMP)")
    con.close()
    at = _run(monkeypatch, path)
    assert not at.exception
    assert "has schema version 9999" in plain(at.error[0].value)
    assert str(path) in plain(at.error[0].value)


def test_a_missing_database_is_created_with_the_demo_workspace(monkeypatch, tmp_path):
    path = tmp_path / "new" / "workspace.duckdb"
    at = _run(monkeypatch, path)
    assert not at.exception
    assert at.title[0].value.endswith(", Avery")
    assert scalar(path, "SELECT count(*) FROM companies") == 400
