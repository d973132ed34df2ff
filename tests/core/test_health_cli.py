"""python -m cs_core health …: import a profile, recompute, export, summary and backtest as JSON.

Every date comes from --now / --as-of, so these figures hold whatever day the suite runs.
"""

import csv
import json

from tests.core.test_cli import run
from tests.core.test_health_telco import PROFILE, TELCO

NOW = "2026-11-28T15:00:00Z"


def _telco_workspace(tmp_path) -> str:
    """A workspace with the Telco customers, imported on 20 Nov 2026."""
    path = str(tmp_path / "w.duckdb")
    run(
        "import",
        "--db",
        path,
        "--object",
        "companies",
        "--file",
        str(TELCO),
        "--now",
        "2026-11-20T09:00:00Z",
    )
    return path


def test_the_health_commands_end_to_end(tmp_path):
    path = _telco_workspace(tmp_path)
    profile = tmp_path / "telco.json"
    profile.write_text(json.dumps({**PROFILE, "status": "draft"}))
    # The file before or after --db: both forms work.
    assert (
        "Saved profile 'Telco' (draft, version 1)."
        in run("health", "import-profile", "--db", path, str(profile), "--now", NOW).stdout
    )
    profile.write_text(json.dumps(PROFILE))
    assert (
        "Saved profile 'Telco' (live, version 1)."
        in run("health", "import-profile", str(profile), "--db", path, "--now", NOW).stdout
    )
    assert "Telco: 7,043 records scored for 2026-11-28, 0 alerts raised." in run(
        "health", "recompute", "--as-of", "2026-11-28", "--db", path, "--now", NOW).stdout  # fmt: skip
    summary = json.loads(run("health", "summary", "--profile", "Telco", "--json", "--db", path,
                             "--now", NOW).stdout)  # fmt: skip
    assert summary["count"] == 7043 and summary["average"] == 33.1
    assert summary["at_risk"] == {"count": 3814, "percent": 54.2}
    assert summary["distribution"][0] == 1763 and sum(summary["distribution"]) == 7043
    backtest = json.loads(run("health", "backtest", "--profile", "Telco", "--outcome-property", "churn",
                              "--churned-value", "Yes", "--json", "--db", path).stdout)  # fmt: skip
    assert backtest["auc"] == 0.7919
    assert backtest["churn_rate"] == {"at_risk": 0.4303, "neutral": 0.0816, "successful": 0.0473}
    out = tmp_path / "scores.csv"
    run("health", "export", "--profile", "Telco", "--out", str(out), "--db", path)
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 7043 and list(rows[0]) == ["record_id", "external_id", "score", "category"]
    assert rows[1] == {
        "record_id": "2",
        "external_id": "5575-GNVDE",
        "score": "60",
        "category": "neutral",
    }
    exported = json.loads(run("health", "export-profile", "Telco", "--db", path).stdout)
    assert exported["groups"] == PROFILE["groups"]


def test_a_live_profile_imported_from_the_command_line_is_scored_at_once(tmp_path):
    """Publishing scores the profile whoever publishes it: the CLI as well as the editor."""
    path = _telco_workspace(tmp_path)
    profile = tmp_path / "telco.json"
    profile.write_text(json.dumps(PROFILE))
    run("health", "import-profile", str(profile), "--db", path, "--now", NOW)
    summary = json.loads(run("health", "summary", "--profile", "Telco", "--json", "--db", path,
                             "--now", NOW).stdout)  # fmt: skip
    assert summary["count"] == 7043 and summary["at_risk"]["count"] == 3814


def test_bad_profile_input_is_a_message_not_a_traceback(tmp_path):
    path = str(tmp_path / "w.duckdb")
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "X", "groups": [')
    result = run("health", "import-profile", str(bad), "--db", path, code=1)
    assert "is not valid JSON" in result.stderr and "Traceback" not in result.stderr
    result = run("health", "import-profile", str(tmp_path / "missing.json"), "--db", path, code=1)
    assert "cannot be read" in result.stderr
    result = run("health", "recompute", "--as-of", "28.11.2026", "--db", path, code=1)
    assert "is not a date; use YYYY-MM-DD" in result.stderr
