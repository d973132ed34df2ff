"""python -m cs_core health …: import a profile, recompute, export, summary and backtest as JSON."""

import csv
import json
import subprocess
import sys

from tests.conftest import ROOT
from tests.core.test_health_telco import PROFILE, TELCO


def cli(*args):
    done = subprocess.run([sys.executable, "-m", "cs_core", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_health_commands_end_to_end(tmp_path):
    path = str(tmp_path / "w.duckdb")
    cli("import", "--db", path, "--object", "companies", "--file", str(TELCO))
    profile = tmp_path / "telco.json"
    profile.write_text(json.dumps(PROFILE))
    assert "Saved profile 'Telco' (live, version 1)." in cli(
        "health", "import-profile", str(profile), "--db", path
    )
    assert "Telco: 7,043 records scored for 2026-11-28, 0 alerts raised." in cli(
        "health", "recompute", "--as-of", "2026-11-28", "--db", path)  # fmt: skip
    summary = json.loads(cli("health", "summary", "--profile", "Telco", "--json", "--db", path))
    assert summary["count"] == 7043 and summary["average"] == 33.1
    assert summary["at_risk"] == {"count": 3814, "percent": 54.2}
    assert summary["distribution"][0] == 1763 and sum(summary["distribution"]) == 7043
    backtest = json.loads(cli("health", "backtest", "--profile", "Telco", "--outcome-property", "churn",
                              "--churned-value", "Yes", "--json", "--db", path))  # fmt: skip
    assert backtest["auc"] == 0.7919
    assert backtest["churn_rate"] == {"at_risk": 0.4303, "neutral": 0.0816, "successful": 0.0473}
    out = tmp_path / "scores.csv"
    cli("health", "export", "--profile", "Telco", "--out", str(out), "--db", path)
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 7043 and list(rows[0]) == ["record_id", "external_id", "score", "category"]
    assert rows[1] == {
        "record_id": "2",
        "external_id": "5575-GNVDE",
        "score": "60",
        "category": "neutral",
    }
    exported = json.loads(cli("health", "export-profile", "Telco", "--db", path))
    assert exported["groups"] == PROFILE["groups"]
