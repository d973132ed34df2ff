"""Every CSV the workspace writes goes through cs_core.csvfile: a text cell that a spreadsheet
would run as a formula starts with ' ; numbers stay numbers (DAT-2, DAT-3, HS-5, CUS-*).

Each export path is tested: Export CSV of a list, the import problem report (the page's
download and the command line's <file>.rejected.csv), and the health-score export.
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd

from cs_core import csvfile, imports, record_list
from cs_core.record_list import Query, Viewer
from tests.conftest import CSM, NOW
from tests.core.test_cli import run
from tests.core.test_health_telco import PROFILE

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
            "\t=1+1", "\r=1+1", "=1", "+", "-", "@", "=A1*2", "-1e3", "+49 30 1234", "@home"]  # fmt: skip


def _rows(data: bytes | str) -> list[dict]:
    text = data.decode() if isinstance(data, bytes) else data
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_writer_quotes_formula_starts_and_keeps_numbers():
    frame = pd.DataFrame({"Name": [*FORMULAS, "plain", None],
                          "Amount": [-2.5, 3.0, *[1.0] * (len(FORMULAS))]})  # fmt: skip
    rows = _rows(csvfile.to_bytes(frame))
    assert [r["Name"] for r in rows] == [*("'" + f for f in FORMULAS), "plain", ""]
    assert [r["Amount"] for r in rows][:2] == ["-2.5", "3.0"]  # numbers are not text cells
    assert list(_rows(csvfile.to_bytes(pd.DataFrame({"=cmd()": [1]})))[0]) == ["'=cmd()"]


def test_export_csv_of_a_list_neutralises_every_formula(demo_con, user):
    ids = [r[0] for r in demo_con.execute(
        "SELECT id FROM companies WHERE csm_id = ? ORDER BY id LIMIT ?", [CSM, len(FORMULAS)]).fetchall()]  # fmt: skip
    for record, value in zip(ids, FORMULAS, strict=True):
        demo_con.execute(
            "UPDATE companies SET name = ?, employees = -5 WHERE id = ?", [value, record]
        )
    query = Query("companies", [[{"property": "csm_id", "operator": "eq", "value": CSM}]],
                  ("name", "employees"), sort=(("employees", "asc"),))  # fmt: skip
    rows = _rows(record_list.export_csv(demo_con, query, Viewer(CSM, NOW, "UTC")))
    rows = sorted(
        (r for r in rows if int(r["Record ID"]) in ids), key=lambda r: int(r["Record ID"])
    )
    assert [r["Company name"] for r in rows] == ["'" + f for f in FORMULAS]  # 14 of 14
    assert {r["Number of employees"] for r in rows} == {"-5"}


def test_the_import_report_on_the_page_and_the_command_line_is_neutralised(tmp_path, demo_con):
    source = tmp_path / "accounts.csv"
    pd.DataFrame({"Company name": ["Fine", "Also fine"] * 7, "Number of employees": FORMULAS}).to_csv(
        source, index=False, quoting=csv.QUOTE_ALL, lineterminator="\r\n")  # fmt: skip
    # The page's download is imports.report_csv of the result's report.
    frame = imports.read_table(str(source))
    mapping = imports.suggest_mapping(demo_con, frame, object_name="companies")
    report = imports.check(demo_con, frame, mapping, object_name="companies")
    page_rows = _rows(imports.report_csv(report))
    assert page_rows and all(not r["Value"].startswith(csvfile.FORMULA_STARTS) for r in page_rows)
    assert {r["Value"] for r in page_rows} >= {"'=1", "'@SUM(1+1)", "'-2+3"}
    # The command line's <file>.rejected.csv.
    path = str(tmp_path / "w.duckdb")
    run("import", "--db", path, "--object", "companies", "--file", str(source), code=1)
    cli_rows = _rows((tmp_path / "accounts.rejected.csv").read_bytes())
    assert [r["Value"] for r in cli_rows] == [r["Value"] for r in page_rows]


def test_the_health_score_export_is_neutralised(tmp_path):
    source = tmp_path / "accounts.csv"
    pd.DataFrame({"customerID": ["=1+2", "@evil", "-3"], "Company name": ["A", "B", "C"],
                  "Latest NPS score": [9, 3, 7]}).to_csv(source, index=False)  # fmt: skip
    path = str(tmp_path / "w.duckdb")
    run("import", "--db", path, "--object", "companies", "--file", str(source),
        "--id-column", "customerID", "--now", "2026-11-20T09:00:00Z")  # fmt: skip
    profile = tmp_path / "p.json"
    simple = {**PROFILE, "record_filter": [], "groups": [{"name": "NPS", "kind": "property",
              "max_points": 100, "rules": [{"when": [{"property": "nps", "operator": "gte",
                                                       "value": 5}], "points": 100}]}]}  # fmt: skip
    profile.write_text(json.dumps(simple))
    run("health", "import-profile", str(profile), "--db", path, "--now", NOW.isoformat())
    out = tmp_path / "scores.csv"
    run("health", "export", "--profile", simple["name"], "--out", str(out), "--db", path)
    rows = _rows(out.read_bytes())
    assert [r["external_id"] for r in rows] == ["'=1+2", "'@evil", "'-3"]
    assert [r["score"] for r in rows] == ["100", "0", "100"]
