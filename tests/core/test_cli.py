"""The command line, run in-process with click's CliRunner: demo, and every command's form."""

import duckdb
import pytest
from click.testing import CliRunner

from cs_core import db
from cs_core.cli import main
from tests.conftest import NOW


def run(*args, code: int = 0):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output + result.stderr
    return result


def test_demo_command_creates_a_workspace_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "ws.duckdb"
    made = run("demo", "--db", str(path), "--seed", "3", "--now", NOW.isoformat())
    assert "400 companies" in made.stdout and "30,000 activities" in made.stdout
    con = duckdb.connect(str(path), read_only=True, config=db.CONFIG)
    assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] == 2_000
    # Dated from --now: the newest activity is before it, none after.
    newest = con.execute("SELECT max(occurred_at) FROM activities").fetchone()[0]
    assert newest <= NOW.replace(tzinfo=None)
    con.close()

    again = run("demo", "--db", str(path), code=2)
    assert "exists already" in again.stderr and "--force" in again.stderr

    forced = run("demo", "--force", "--seed", "4", "--db", str(path))  # --db anywhere
    assert "seed 4" in forced.stdout


def test_demo_command_names_the_file_when_it_cannot_open_it(tmp_path):
    path = tmp_path / "ws.duckdb"
    path.write_text("not a database")
    result = run("demo", "--db", str(path), "--force", code=1)
    assert str(path) in result.stderr
    assert path.read_text() == "not a database"


@pytest.mark.parametrize(
    "args",
    [["--help"], ["demo", "--help"], ["import", "--help"], ["daily", "--help"], ["health", "--help"],
     ["health", "import-profile", "--help"], ["health", "recompute", "--help"], ["health", "summary", "--help"],
     ["health", "export", "--help"], ["health", "backtest", "--help"], ["health", "export-profile", "--help"],
     ["tasks", "--help"], ["tasks", "buckets", "--help"], ["tasks", "export", "--help"]],
)  # fmt: skip
def test_every_command_has_help(args):
    assert "Usage:" in run(*args).stdout


def test_a_bad_now_is_one_line_not_a_traceback(tmp_path):
    result = run("demo", "--db", str(tmp_path / "w.duckdb"), "--now", "yesterday", code=2)
    assert "'yesterday' is not a timestamp" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_an_import_whose_rows_were_saved_says_so_when_its_report_cannot_be_written(tmp_path):
    source = tmp_path / "accounts.csv"
    source.write_text("Company name,Number of employees\nGood Co,12\nBad Co,lots\n")
    path = str(tmp_path / "w.duckdb")
    result = run("import", "--db", path, "--object", "companies", "--file", str(source),
                 "--skip-invalid", "--rejects", str(tmp_path / "gone" / "r.csv"))  # fmt: skip
    assert "Imported 1 of 2 rows: 1 created, 0 updated, 1 rejected." in result.stdout
    assert (
        f"The list of problems could not be written to {tmp_path / 'gone' / 'r.csv'}"
        in result.stderr
    )
    assert (
        "row 2, Number of employees: 'lots': not a number" in result.stderr
        and "Traceback" not in result.stderr
    )
    con = duckdb.connect(path, read_only=True, config=db.CONFIG)
    assert con.execute("SELECT name FROM companies").fetchall() == [("Good Co",)]
    con.close()
