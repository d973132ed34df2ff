"""A realistic, deterministic demo workspace (DAT-1), and the bench-scale generator.

Everything is drawn from one seeded random generator, and every date is placed
relative to ``now``, so the same seed and day give the same workspace and it
always looks alive: tasks overdue, due today and tomorrow, meetings this week,
recent activity and renewals in the coming months.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

from cs_core import clock, db
from cs_core.demo import accounts, engagement, revenue
from cs_core.demo import health as demo_health
from cs_core.demo import reports as demo_reports
from cs_core.demo import words as W
from cs_core.demo.base import DAY, SCALES, Gen, Scale
from cs_core.settings import CustomerSettings, ObjectSettings, RevenueSettings
from cs_core.sql import ident

__all__ = ["SCALES", "DemoSummary", "Scale", "create_demo_workspace", "generate", "is_empty"]


@dataclass(frozen=True)
class DemoSummary:
    scale: str
    seed: int
    counts: dict[str, int]


def associations(
    pairs: list[tuple[str, np.ndarray, str, np.ndarray]], now: np.datetime64
) -> pa.Table:
    """Both directions of every (from object, ids, to object, ids) pairing."""
    parts = []
    for a_obj, a_ids, b_obj, b_ids in pairs:
        for f_obj, f_ids, t_obj, t_ids in (
            (a_obj, a_ids, b_obj, b_ids),
            (b_obj, b_ids, a_obj, a_ids),
        ):
            k = len(f_ids)
            parts.append(
                pa.table(
                    {
                        "from_object": pa.array(np.full(k, f_obj, dtype=object), pa.string()),
                        "from_id": pa.array(f_ids, pa.int64()),
                        "to_object": pa.array(np.full(k, t_obj, dtype=object), pa.string()),
                        "to_id": pa.array(t_ids, pa.int64()),
                        "label": pa.nulls(k, pa.string()),
                        "created_at": pa.array(np.full(k, now), pa.timestamp("s")),
                    }
                )
            )
    return pa.concat_tables(parts)


_NULL_IF_ZERO = {"user_id", "sequence_id", "changed_by"}


def _table(columns: dict) -> pa.Table:
    """A pyarrow table from numpy columns; NaN/NaT become NULL, helper columns are dropped."""
    arrays = {}
    for name, values in columns.items():
        if name.startswith("_"):
            continue
        values = np.asarray(values)
        if name in _NULL_IF_ZERO:
            arrays[name] = pa.array(values.astype(np.int64), pa.int64(), mask=values == 0)
        elif values.dtype.kind == "M":
            unit = np.datetime_data(values.dtype)[0]
            kind = pa.date32() if unit == "D" else pa.timestamp("s")
            arrays[name] = pa.array(values, kind, from_pandas=True)
        elif values.dtype == object:
            arrays[name] = pa.array(values, pa.string(), from_pandas=True)
        else:
            arrays[name] = pa.array(values, from_pandas=True)
    return pa.table(arrays)


def _insert(cur: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> int:
    cur.register("_demo_rows", data)
    cols = ", ".join(ident(c) for c in data.column_names)
    cur.execute(f"INSERT INTO {ident(table)} ({cols}) SELECT {cols} FROM _demo_rows")
    cur.unregister("_demo_rows")
    cur.execute(
        "INSERT INTO counters VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [f"ids.{table}", data.num_rows],
    )
    return data.num_rows


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True while the workspace has no users and no companies."""
    return (
        con.execute(
            "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM companies)"
        ).fetchone()[0]
        == 0
    )


def generate(
    con: duckdb.DuckDBPyConnection, *, scale: str = "demo", seed: int = 7, now: datetime
) -> DemoSummary:
    """Fill an empty workspace with a demo company's data, all in one transaction."""
    if scale not in SCALES:
        raise ValueError(f"Unknown scale {scale!r}; choose one of {', '.join(SCALES)}.")
    if not is_empty(con):
        raise ValueError(
            "This workspace has data already; the demo is only generated into an empty one."
        )
    size = SCALES[scale]
    gen = Gen(seed, now)
    teams, users, csm_ids = accounts.users(gen, size)
    seat_ids = np.array([u["id"] for u in users.to_pylist() if u["has_service_seat"]])
    settings_manager = 3
    co = accounts.companies(gen, size.companies, csm_ids, seat_ids)
    history, co["csm_id"] = accounts.owner_history(gen, co, csm_ids, changer=settings_manager)
    contacts = accounts.contacts(gen, size.contacts, co)
    pipes, stages = revenue.pipeline_tables(W.PIPELINES)
    subs = revenue.subscriptions(gen, co, stages)
    deals = revenue.deals(gen, co, subs, stages)
    lines = revenue.ledger(np.random.default_rng([seed, 2]), gen.today, co, subs, stages)
    services = revenue.services(gen, co, stages)
    tasks = engagement.tasks(gen, size.tasks, co, csm_ids)
    meetings = engagement.meetings(gen, co, contacts, csm_ids)
    seq_owner = csm_ids[np.arange(len(W.SEQUENCES)) % len(csm_ids)]
    activities, enrollments = engagement.activities(gen, size.activities, contacts, co, seq_owner)
    sequences = {
        "id": np.arange(1, len(W.SEQUENCES) + 1),
        "name": np.array(W.SEQUENCES, dtype=object),
        "owner_id": seq_owner,
        "created_at": np.full(len(W.SEQUENCES), gen.now - 365 * DAY),
    }
    links = associations(
        [
            ("contacts", contacts["id"], "companies", contacts["company_id"]),
            ("deals", deals["id"], "companies", deals["company_id"]),
            ("subscriptions", lines["id"], "companies", lines["_company_id"]),
            ("services", services["id"], "companies", services["company_id"]),
        ],
        gen.now,
    )
    counts: dict[str, int] = {}

    def _fill(cur):
        counts["teams"] = _insert(cur, "teams", teams)
        counts["users"] = _insert(cur, "users", users)
        counts["users"] += _add_analyst(cur, team_ids=dict(zip(teams["name"].to_pylist(), teams["id"].to_pylist(), strict=True)),
                                        created=clock.utc_naive(now))  # fmt: skip
        pipe_rows = pa.table(
            {k: [p[i] for p in pipes] for i, k in enumerate(["id", "object", "label", "position"])}
        )
        stage_cols = [
            "id",
            "pipeline_id",
            "label",
            "position",
            "probability",
            "is_closed",
            "required_properties",
        ]
        stage_rows = pa.table({k: [s[i] for s in stages] for i, k in enumerate(stage_cols)})
        counts["pipelines"] = _insert(cur, "pipelines", pipe_rows)
        counts["stages"] = _insert(cur, "stages", stage_rows)
        for name, data in (
            ("companies", co),
            ("contacts", contacts),
            ("subscriptions", lines),
            ("deals", deals),
            ("services", services),
            ("tasks", tasks),
            ("meetings", meetings),
            ("sequences", sequences),
            ("sequence_enrollments", enrollments),
            ("activities", activities),
            ("property_history", history),
        ):
            counts[name] = _insert(cur, name, _table(data))
        cur.register("_demo_rows", links)
        cur.execute("INSERT INTO associations SELECT * FROM _demo_rows")
        cur.unregister("_demo_rows")
        counts["associations"] = links.num_rows
        _last_activity(cur)
        _demo_settings(cur, now, settings_manager)

    db.write(con, _fill)
    demo_health.add_profiles(con, now=now, history=scale == "demo")
    renewals = next(
        pid for pid, (_, label, _) in enumerate(W.PIPELINES, start=1) if label == "Renewals"
    )
    demo_reports.add(con, now=now, author_id=settings_manager, renewals_pipeline=renewals)
    _default_views(con, now=now, author_id=settings_manager)
    counts["health scores"] = con.execute("SELECT count(*) FROM health_scores").fetchone()[0]
    return DemoSummary(scale=scale, seed=seed, counts=counts)


# The Summary's view cards (SUM-3): default views shared with everyone, as a settings manager
# would set them up for a CS team. ``$me`` makes each card count the reader's own customers.
DEFAULT_VIEWS = (
    ("My renewals in the next 90 days", "Your customers whose renewal date falls in the next 90 days.",
     [[{"property": "csm_id", "operator": "eq", "value": "$me"},
       {"property": "renewal_date", "operator": "in_next_days", "value": 90}]]),
    ("My quiet customers", "Your customers with no activity in the last 30 days: time to reach out.",
     [[{"property": "csm_id", "operator": "eq", "value": "$me"},
       {"property": "last_activity_at", "operator": "more_than_days_ago", "value": 30}]]),
    ("Enterprise accounts", "Every Enterprise customer, whoever owns it.",
     [[{"property": "segment", "operator": "eq", "value": "Enterprise"}]]),
)  # fmt: skip


def _default_views(con: duckdb.DuckDBPyConnection, *, now: datetime, author_id: int) -> None:
    from cs_core import users, views

    author = users.get_user(con, author_id)
    for name, description, spec in DEFAULT_VIEWS:
        view = views.create_view(con, actor=author, object_name="companies", name=name,
                                 sharing="everyone", spec=spec, now=now)  # fmt: skip
        views.set_default(con, actor=author, view_id=view.id, description=description, now=now)


def _add_analyst(cur: duckdb.DuckDBPyConnection, *, team_ids: dict[str, int], created) -> int:
    """The demo's analyst (U-4: builds reports and dashboards, does not manage settings), after
    every other user so no generated id moves."""
    name, email, team, zone = W.ANALYST
    cur.execute(
        "INSERT INTO users (id, name, email, team_id, time_zone, has_workspace_access, has_service_seat, "
        "can_edit_reports, created_at) SELECT max(id) + 1, ?, ?, ?, ?, TRUE, TRUE, TRUE, ? FROM users",
        [name, email, team_ids[team], zone, created],
    )  # fmt: skip
    cur.execute("UPDATE counters SET value = value + 1 WHERE name = 'ids.users'")  # its id is taken
    return 1


def _last_activity(cur: duckdb.DuckDBPyConnection) -> None:
    """Each company's and contact's last activity date, from the activity log."""
    for table, key in (("companies", "company_id"), ("contacts", "contact_id")):
        cur.execute(
            f"UPDATE {table} SET last_activity_at = a.last_at "
            f"FROM (SELECT {key} AS rid, max(occurred_at) AS last_at FROM activities "
            f"GROUP BY {key}) a WHERE {table}.id = a.rid"
        )


def _demo_settings(cur: duckdb.DuckDBPyConnection, now: datetime, actor_id: int) -> None:
    pipes = {label: pid for pid, (_, label, _) in enumerate(W.PIPELINES, start=1)}
    values = {
        "customers": CustomerSettings("companies", "csm_id", "renewal_date"),
        "services": ObjectSettings(
            "services",
            "owner_id",
            None,
            (pipes["Onboarding"], pipes["Professional services"]),
            pipes["Onboarding"],
            "board",
        ),
        "revenue": RevenueSettings(
            objects=(
                ObjectSettings(
                    "subscriptions",
                    "owner_id",
                    "renewal_date",
                    (pipes["Subscription lifecycle"],),
                    pipes["Subscription lifecycle"],
                    "table",
                    arr_property="arr",
                    start_property="start_date",
                    end_property="end_date",
                ),
                ObjectSettings(
                    "deals",
                    "owner_id",
                    "close_date",
                    (pipes["Renewals"], pipes["Expansion"]),
                    pipes["Renewals"],
                    "board",
                ),
            ),
            default_object="subscriptions",
        ),
    }
    for key, value in values.items():
        cur.execute(
            "INSERT INTO settings VALUES (?, ?, ?, ?)",
            [key, json.dumps(asdict(value)), clock.utc_naive(now), actor_id],
        )


def create_demo_workspace(
    path: str, *, scale: str = "demo", seed: int = 7, now: datetime
) -> DemoSummary:
    """Create a workspace file at ``path`` and fill it (the file must not hold data yet),
    dated relative to ``now``."""
    con = db.open_workspace(path)
    try:
        summary = generate(con, scale=scale, seed=seed, now=now)
        con.execute("CHECKPOINT")
        return summary
    finally:
        con.close()
