"""Health-profile rules within range, a broken profile skipped rather than stopping every score
(HS-1, HS-5), and every bad profile input on the command line a one-line message (HS-9).
"""

from __future__ import annotations

import copy
import json
from datetime import datetime

import pytest

from cs_core import db, health, record_values
from cs_core.health import ProfileError, profiles
from cs_core.users import User
from tests.core.test_cli import run
from tests.core.test_health_engine import BASE, ENGAGEMENT, FIT, with_companies

NOW = datetime(2026, 11, 28, 12)


def _with(change) -> dict:
    d = copy.deepcopy(BASE)
    change(d)
    return d


def _engagement(**rule) -> dict:
    return _with(lambda d: d["groups"][1]["rules"][0].update(rule))


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        (_engagement(window_days=99_999_999_999), "window_days, a whole number from 1 to 36,500"),
        (_engagement(window_days=0), "window_days, a whole number from 1 to 36,500"),
        (_engagement(value=float("inf")), "value must be a finite number"),
        (_engagement(value=float("nan")), "value must be a finite number"),
        (_engagement(value=1e12), "value must be a finite number within ±1,000,000,000"),
        (_engagement(operator="between", value=[5, 1]), "'between' needs low <= high"),
        (_engagement(operator="between", value=[1, float("inf")]), "'between' needs [low, high]"),
        (_engagement(points=10**20), "points must be a whole number from -1,000 to 1,000"),
        (_engagement(activity_types=[["call"]]), "activity_types must list some of"),
        (
            _with(
                lambda d: d["groups"][0]["rules"][0]["when"][0].update(
                    property="nps", operator="gte", value=float("inf")
                )
            ),
            "needs a finite number",
        ),  # fmt: skip
        (
            _with(
                lambda d: d["groups"][0]["rules"][0]["when"][0].update(
                    property="created_at", operator="in_last_days", value=99_999_999_999
                )
            ),
            "at most 36,500",
        ),  # fmt: skip
        (_with(lambda d: d.update(groups=[1])), "Group 1: a group must be an object"),
        (_with(lambda d: d.update(thresholds=[10, 20])), "thresholds need whole numbers"),
        (_with(lambda d: d.update(record_filter={"x": 1})), "record_filter must be a list"),
        (
            _with(lambda d: d["groups"][0].update(max_points=10**9)),
            "max_points must be a whole number from 1",
        ),
        (_with(lambda d: d.update(status=["live"])), "status must be draft or live"),
    ],
)
def test_out_of_range_rules_are_refused_with_their_problem(empty_con, definition, problem):
    con = with_companies(empty_con)
    with pytest.raises(ProfileError) as err:
        profiles.validate(con, definition)
    assert any(problem in p for p in err.value.problems), err.value.problems


def _store_unchecked(con, definition: dict) -> int:
    """A live profile written as an older version of the app could have (no range checks)."""

    def _insert(cur):
        pid = db.new_id(cur, "health_profiles")
        text = json.dumps(definition)
        cur.execute("INSERT INTO health_profiles VALUES (?, ?, 'companies', 'live', 1, ?, NULL, ?, ?)",
                    [pid, definition["name"], text, NOW, NOW])  # fmt: skip
        cur.execute(
            "INSERT INTO health_profile_versions VALUES (?, 1, ?, NULL, ?, ?)",
            [pid, text, NOW, NOW],
        )
        return pid

    return db.write(con, _insert)


def _broken() -> dict:
    rules = copy.deepcopy(ENGAGEMENT)
    rules["rules"][0]["window_days"] = 99_999_999_999
    return {**BASE, "name": "Broken", "groups": [copy.deepcopy(FIT), rules]}


def test_a_broken_profile_is_skipped_and_the_others_are_scored(empty_con, tmp_path):
    path = tmp_path / "w.duckdb"
    con = with_companies(db.open_workspace(path))
    good = health.save_profile(con, actor=None, definition=BASE, now=NOW)
    broken = _store_unchecked(con, _broken())
    # An edit rescores through the change path: the broken profile is skipped, the edit saved.
    admin = User(1, "Admin", "admin@example.com", None, None, "UTC", True, True, True, True)
    record_values.update_property(con, actor=admin, object_name="companies", record_id=1,
                                  property_name="nps", value=3, now=NOW)  # fmt: skip
    assert con.execute("SELECT nps FROM companies WHERE id = 1").fetchone()[0] == 3
    con.close()
    # The command line scores the good profile and names the broken one, exit status 1.
    result = run("health", "recompute", "--db", str(path), "--now", "2026-11-29T09:00:00Z", code=1)
    assert f"{good.name}: 11 records scored for 2026-11-29" in result.stdout
    assert "Broken: not scored. The profile 'Broken' cannot be scored:" in result.stderr
    assert "1 of 2 profiles could not be scored" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    con = db.open_workspace(path)
    counts = dict(con.execute("SELECT profile_id, count(*) FROM health_scores WHERE score_date = '2026-11-29' "
                              "GROUP BY ALL").fetchall())  # fmt: skip
    assert counts == {good.id: 11} and broken not in counts
    con.close()


def test_every_bad_profile_input_on_the_command_line_is_one_line(tmp_path):
    path = str(tmp_path / "w.duckdb")
    with_companies(db.open_workspace(path)).close()
    good = tmp_path / "good.json"
    good.write_text(json.dumps(BASE))
    run("health", "import-profile", str(good), "--db", path, "--now", "2026-11-28T12:00:00Z")

    def bad_file(name: str, text: str) -> str:
        (tmp_path / name).write_text(text)
        return str(tmp_path / name)

    cases = [
        (["health", "import-profile", bad_file("cut.json", '{"name": "X", "groups": [')], "is not valid JSON"),
        (["health", "import-profile", bad_file("g.json", json.dumps({**BASE, "groups": [1]}))],
         "Group 1: a group must be an object"),
        (["health", "import-profile", bad_file("t.json", json.dumps({**BASE, "thresholds": [1, 2]}))],
         "thresholds need whole numbers"),
        (["health", "import-profile", bad_file("w.json", json.dumps(_broken()))], "window_days"),
        (["health", "import-profile", bad_file("inf.json", json.dumps(BASE).replace('"value": 9', '"value": 1e999'))],
         "needs a finite number"),
        (["health", "import-profile", bad_file("list.json", "[1, 2]")], "A profile must be a JSON object"),
        (["health", "import-profile", str(tmp_path / "missing.json")], "cannot be read"),
        (["health", "import-profile"], "Missing argument 'FILE'"),
        (["health", "recompute", "--as-of", "28.11.2026"], "is not a date; use YYYY-MM-DD"),
        (["health", "backtest", "--profile", "Test", "--outcome-property", "nope", "--churned-value", "Yes"],
         "nope"),
        (["health", "export", "--profile", "Test", "--out", str(tmp_path / "no" / "such" / "x.csv")],
         "does not exist"),
        (["health", "summary", "--profile", "Nobody"], "There is no profile named 'Nobody'"),
    ]  # fmt: skip
    for args, words in cases:
        result = run(*args, "--db", path, code=2 if words.startswith("Missing") else 1)
        assert words in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 8
