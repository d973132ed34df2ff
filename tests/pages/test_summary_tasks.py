"""The Summary's tasks (SUM-2) in AppTest: exact counts per bucket in the CSM's zone, the first
tasks by due time, one completed in place, and "Show all" opening the Actions tab's view."""

from datetime import timedelta

from cs_core import clock, db, tasks, users
from tests.conftest import CSM, NOW
from tests.pages.conftest import metric_values, scalar

P = "summary.tasks"


def test_the_csms_buckets_their_first_tasks_completing_one_and_show_all(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    counts = tasks.bucket_counts(cur, user=users.get_user(cur, CSM), now=NOW)
    at = app(CSM)
    assert not at.exception, [e.value for e in at.exception]
    shown = metric_values(at)
    assert (shown["Due today"], shown["Overdue"], shown["Due tomorrow"]) == (
        f"{counts.due_today:,}", f"{counts.overdue:,}", f"{counts.due_tomorrow:,}")  # fmt: skip
    assert counts.overdue > 3  # the demo's CSM has more overdue tasks than the panel lists
    first = [b.key for b in at.button if b.key and b.key.startswith(f"{P}.done.")]
    # By hand: each bucket's first three open tasks by due time, from the CSM's local days.
    zone = users.get_user(cur, CSM).time_zone
    today = clock.local_date(NOW, zone)
    start, tomorrow, after = (clock.day_start(today + timedelta(days=n), zone) for n in (0, 1, 2))
    expected = []
    for low, high in ((start, tomorrow), (None, start), (tomorrow, after)):
        expected += [r[0] for r in cur.execute(
            "SELECT id FROM tasks WHERE owner_id = ? AND status = 'open' AND due_at >= coalesce(CAST(? AS TIMESTAMP), TIMESTAMP '1900-01-01') "
            "AND due_at < ? ORDER BY due_at, id LIMIT 3",
            [CSM, low and clock.utc_naive(low), clock.utc_naive(high)]).fetchall()]  # fmt: skip
    assert [int(k.rsplit(".", 1)[1]) for k in first] == expected
    links = {e.proto.query_string: (e.proto.page, e.proto.label) for e in at.get("page_link")
             if e.proto.label.startswith("Show all")}  # fmt: skip
    assert links["view=overdue"] == ("actions", f"Show all {counts.overdue:,}")
    assert set(links) == {f"view={k}" for k, n in (("today", counts.due_today), ("overdue", counts.overdue),
                                                   ("tomorrow", counts.due_tomorrow)) if n > 3}  # fmt: skip
    task_id = int(first[0].rsplit(".", 1)[1])
    at.button(key=first[0]).click().run()
    assert scalar(demo_path, "SELECT status FROM tasks WHERE id = ?", [task_id]) == "completed"
    after = tasks.bucket_counts(cur, user=users.get_user(cur, CSM), now=NOW)
    assert sum((after.due_today, after.overdue, after.due_tomorrow)) == sum(
        (counts.due_today, counts.overdue, counts.due_tomorrow)) - 1  # fmt: skip


def _kinds(node, found: list[str]) -> list[str]:
    found.append(getattr(node, "type", type(node).__name__))
    for child in getattr(node, "children", {}).values():
        _kinds(child, found)
    return found


def test_each_listed_task_is_one_row_block_with_its_button_and_its_text(app):
    # Columns would make three blocks of each row, sent on every run of the Summary.
    at = app(CSM)
    assert not at.exception, [e.value for e in at.exception]
    (bucket,) = [c for c in at.container if c.key == f"{P}-today"]
    kinds = _kinds(bucket, [])
    assert kinds.count("button") == kinds.count("markdown") == 3  # three tasks listed
    assert (
        kinds.count("flex_container") == 1 + 3 and "column" not in kinds
    )  # the bucket, a row each
