"""python -m cs_core demo: creates a workspace, never silently replaces one."""

import subprocess
import sys

import duckdb

from tests.conftest import ROOT


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "cs_core", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_command_creates_a_workspace_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "ws.duckdb"
    made = _cli("demo", "--db", str(path), "--seed", "3")
    assert made.returncode == 0, made.stderr
    assert "400 companies" in made.stdout and "30,000 activities" in made.stdout
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] == 2_000
    con.close()

    again = _cli("demo", "--db", str(path))
    assert again.returncode == 2
    assert "exists already" in again.stderr and "--force" in again.stderr

    forced = _cli("demo", "--db", str(path), "--force", "--seed", "4")
    assert forced.returncode == 0, forced.stderr
    assert "seed 4" in forced.stdout


def test_demo_command_names_the_file_when_it_cannot_open_it(tmp_path):
    path = tmp_path / "ws.duckdb"
    path.write_text("not a database")
    result = _cli("demo", "--db", str(path), "--force")
    assert result.returncode == 1
    assert str(path) in result.stderr
    assert path.read_text() == "not a database"
