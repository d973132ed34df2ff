"""``python -m cs_core tasks``: bucket counts as JSON and a task view as CSV, at a given --now."""

import csv
import io
import json

from cs_core import db, tasks, users
from tests.conftest import CSM, NOW
from tests.core.test_cli import run

EMAIL = "lucas.fischer@northwind.example"


def test_buckets_as_json_match_the_core_counts(demo_path):
    con = db.open_workspace(str(demo_path))
    expected = tasks.bucket_counts(con, user=users.get_user(con, CSM), now=NOW)
    con.close()
    out = run(
        "tasks",
        "buckets",
        "--db",
        str(demo_path),
        "--user",
        EMAIL,
        "--now",
        NOW.isoformat(),
        "--json",
    )
    found = json.loads(out.stdout)
    assert found == {"today": expected.today, "overdue": expected.overdue, "tomorrow": expected.tomorrow,
                     "open": expected.open, "completed": expected.completed}  # fmt: skip
    assert found["overdue"] > 0 and found["today"] > 0
    text = run(
        "tasks", "buckets", "--db", str(demo_path), "--user", EMAIL, "--now", NOW.isoformat()
    )
    assert f"Overdue: {expected.overdue:,}" in text.stdout


def test_export_writes_the_views_tasks_with_local_times(demo_path, tmp_path):
    out = tmp_path / "overdue.csv"
    said = run("tasks", "export", "--db", str(demo_path), "--view", "Overdue", "--user", EMAIL,
               "--out", str(out), "--now", NOW.isoformat())  # fmt: skip
    con = db.open_workspace(str(demo_path))
    user = users.get_user(con, CSM)
    expected = tasks.bucket_counts(con, user=user, now=NOW).overdue
    first_id, first_due = con.execute(
        "SELECT id, due_at FROM tasks WHERE owner_id = ? AND status = 'open' AND due_at < ? "
        "ORDER BY due_at, id LIMIT 1", [CSM, tasks.local_day_bounds(NOW, user.time_zone)[0]]).fetchone()  # fmt: skip
    con.close()
    assert said.stdout.strip() == f"Wrote {expected:,} tasks of “Overdue” to {out}."
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == expected
    zone = user.time_zone
    assert list(rows[0]) == ["Task ID", "Title", "Type", "Priority", f"Due date ({zone})", "Associated record",
                             "Assigned to", "Status"]  # fmt: skip
    assert rows[0]["Task ID"] == str(first_id) and rows[0]["Status"] == "Not completed"
    from cs_core import clock

    assert rows[0][f"Due date ({zone})"] == str(clock.local(first_due, zone))


def test_export_names_the_views_there_are_when_one_is_unknown(demo_path, tmp_path):
    out = run("tasks", "export", "--db", str(demo_path), "--view", "Nope", "--user", EMAIL, "--out",
              str(tmp_path / "x.csv"), code=1)  # fmt: skip
    assert "There is no task view 'Nope' for Lucas Fischer. Views: Due today, Overdue" in out.stderr
    unknown = run(
        "tasks", "buckets", "--db", str(demo_path), "--user", "nobody@example.com", code=1
    )
    assert "There is no active user with the email 'nobody@example.com'." in unknown.stderr
