"""The demo's starter reports and its "CS leadership" dashboard, shared with everyone."""

from __future__ import annotations

from datetime import datetime

import duckdb

from cs_core import dashboards, users
from cs_core.reports import saved

PROFILE = "Enterprise and Mid-Market"


def starter_reports(renewals_pipeline: int) -> list[dict]:
    """The definitions (spec/reports.md) of the starter set, in the dashboard's order."""
    return [
        {"name": "Health category mix by owner",
         "description": f"Accounts of the {PROFILE} profile by their latest category.",
         "source": f"health:{PROFILE}", "filters": [[{"property": "latest", "operator": "eq", "value": True}]],
         "measure": {"op": "count"}, "dimensions": [{"property": "owner"}, {"property": "category"}],
         "sort": "dimension", "limit": None, "chart": "stacked_bar"},
        {"name": "Average health score over time",
         "description": f"The weekly average score of the {PROFILE} profile's accounts.",
         "source": f"health:{PROFILE}", "filters": [], "measure": {"op": "avg", "property": "score"},
         "dimensions": [{"property": "score_date", "grain": "week"}], "sort": "dimension", "limit": None,
         "chart": "line"},
        {"name": "Renewals next 90 days by stage",
         "description": "Amount of the renewal deals closing in the next 90 days, by stage.",
         "source": "object:deals",
         "filters": [[{"property": "pipeline_id", "operator": "eq", "value": renewals_pipeline},
                      {"property": "close_date", "operator": "in_next_days", "value": 90}]],
         "measure": {"op": "sum", "property": "amount"}, "dimensions": [{"property": "stage_id"}],
         "sort": "dimension", "limit": None, "chart": "bar"},
        {"name": "Tasks completed per week by owner",
         "description": "Tasks completed in the last 12 weeks.",
         "source": "tasks",
         "filters": [[{"property": "status", "operator": "eq", "value": "completed"},
                      {"property": "completed_at", "operator": "in_last_days", "value": 84}]],
         "measure": {"op": "count"},
         "dimensions": [{"property": "completed_at", "grain": "week"}, {"property": "owner"}],
         "sort": "dimension", "limit": None, "chart": "stacked_bar"},
        {"name": "Net revenue retention by quarter", "description": "NRR of the subscription lines, last 8 quarters.",
         "source": "retention:subscriptions", "filters": [], "measure": {"op": "nrr"},
         "dimensions": [{"property": "period", "grain": "quarter"}], "sort": "dimension", "limit": None,
         "chart": "line"},
        {"name": "Logo churn by quarter", "description": "Share of accounts lost, last 8 quarters.",
         "source": "retention:subscriptions", "filters": [], "measure": {"op": "logo_churn"},
         "dimensions": [{"property": "period", "grain": "quarter"}], "sort": "dimension", "limit": None,
         "chart": "bar"},
        {"name": "Activities per week by type", "description": "What contacts did in the last 12 weeks.",
         "source": "activities",
         "filters": [[{"property": "occurred_at", "operator": "in_last_days", "value": 84}]],
         "measure": {"op": "count"},
         "dimensions": [{"property": "occurred_at", "grain": "week"}, {"property": "activity_type"}],
         "sort": "dimension", "limit": None, "chart": "area"},
    ]  # fmt: skip


WIDTHS = ("half", "half", "third", "third", "third", "half", "half")


def add(
    con: duckdb.DuckDBPyConnection, *, now: datetime, author_id: int, renewals_pipeline: int
) -> None:
    author = users.get_user(con, author_id)
    ids = [
        saved.save(con, actor=author, definition=d, now=now).id
        for d in starter_reports(renewals_pipeline)
    ]
    board = dashboards.create(con, actor=author, name="CS leadership", now=now)
    dashboards.save(con, actor=author, dashboard_id=board.id, name=board.name, tiles=list(zip(ids, WIDTHS, strict=True)),
                    opened_at=board.updated_at, now=now)  # fmt: skip
    dashboards.add_to_workspace(con, actor=author, dashboard_id=board.id, team_ids=(), everyone=True,
                                confirmed=True, now=now)  # fmt: skip
