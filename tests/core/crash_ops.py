"""The writes the crash tests kill, each run in a process of its own:

    python -m tests.core.crash_ops OPERATION DB_PATH

With ``CS_KILL_AT`` set (see :mod:`cs_core.kill_points`) the process dies at that point of the
operation's write transaction; without, it prints "done" once the transaction committed.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cs_core import db, users

# As in tests.conftest, which is not imported here: it loads the demo generator, and a process
# starts for each kill (each operation imports what it uses for the same reason).
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
SUPER_ADMIN = 1
ROOT = Path(__file__).resolve().parent.parent.parent
TELCO = ROOT / "tests" / "data" / "telco-customer-churn.csv"
TELCO_ROWS = 7_043
BULK_TITLE = "Quarterly check-in"  # the title of the tasks completed in bulk
BULK_TASKS = 10_000
PROFILE = 1
LATER = NOW + timedelta(days=1)  # the health recompute's day
MOVE_TO = 3  # Negotiation: needs an amount and a close date
MOVE_VALUES = {"amount": "125000", "close_date": "2026-12-31"}
DASHBOARD = 1
NEW_NAME = "CS leadership (weekly)"
NEW_TILES = [(7, "full"), (5, "third"), (3, "third"), (1, "third")]


def the_deal(con) -> int:
    """The deal the board move moves (its amount and close date are emptied beforehand)."""
    return con.execute(
        "SELECT min(id) FROM deals WHERE pipeline_id = 1 AND stage_id = 1"
    ).fetchone()[0]


def run_import(con, admin) -> None:
    from cs_core import imports

    imports.import_file(con, TELCO, object_name="companies", actor=admin, now=NOW)


def recompute(con, admin) -> None:
    from cs_core.health import engine, profiles

    profile = profiles.get_profile(con, profile_id=PROFILE)
    engine.run(con, profile, score_date=LATER.date(), now=LATER)


def complete_tasks(con, admin) -> None:
    from cs_core import task_actions

    ids = [
        r[0] for r in con.execute("SELECT id FROM tasks WHERE title = ?", [BULK_TITLE]).fetchall()
    ]
    assert len(ids) == BULK_TASKS
    task_actions.complete(
        con, actor=admin, selection=task_actions.Selection(ids=tuple(ids)), now=NOW
    )


def move_deal(con, admin) -> None:
    from cs_core import pipelines

    pipelines.move_record(con, actor=admin, object_name="deals", record_id=the_deal(con), stage_id=MOVE_TO,
                          now=NOW, expected_stage=1, values=MOVE_VALUES)  # fmt: skip


def save_dashboard(con, admin) -> None:
    from cs_core import dashboards

    opened = dashboards.get(con, DASHBOARD).updated_at
    dashboards.save(con, actor=admin, dashboard_id=DASHBOARD, name=NEW_NAME, tiles=NEW_TILES,
                    opened_at=opened, now=NOW)  # fmt: skip


OPERATIONS = {"import": run_import, "recompute": recompute, "complete": complete_tasks,
              "move": move_deal, "dashboard": save_dashboard}  # fmt: skip


def main(operation: str, path: str) -> None:
    con = db.open_workspace(path)
    OPERATIONS[operation](con, users.get_user(con, SUPER_ADMIN))
    print("done", flush=True)
    con.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
