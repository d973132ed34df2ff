"""``python -m cs_core tasks COMMAND --db PATH``: a user's task buckets, and a task view as CSV."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click

from cs_core import db, record_list, tasks, users, views
from cs_core.cli import db_option, fail_cleanly, moment, now_option
from cs_core.record_list import Query, Viewer
from cs_core.records import TASKS


@click.group("tasks")
def task_commands() -> None:
    """Tasks: due-day buckets and exports."""


def _user(con, email: str) -> users.User:
    found = users.find_by_email(con, email)
    if found is None:
        raise click.ClickException(f"There is no active user with the email {email!r}.")
    return found


@task_commands.command("buckets")
@db_option
@click.option("--user", "email", required=True, help="Whose tasks (their email).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@now_option
@fail_cleanly
def buckets_command(db_path: str, email: str, as_json: bool, now: datetime | None) -> None:
    """The user's tasks due today, overdue, due tomorrow, open and completed (their zone)."""
    con = db.open_workspace(db_path)
    try:
        user = _user(con, email)
        counts = tasks.bucket_counts(con, user=user, now=moment(now))
    finally:
        con.close()
    found = asdict(counts)
    if as_json:
        click.echo(json.dumps(found))
        return
    for key, (name, _) in tasks.TASK_VIEWS.items():
        click.echo(f"{name}: {found[key]:,}")


@task_commands.command("export")
@db_option
@click.option(
    "--view",
    "view_name",
    required=True,
    help="A task view's name, or a standard view's key (overdue, ...).",
)
@click.option(
    "--user", "email", required=True, help="Who lists the view (their email): their tasks and zone."
)
@click.option("--out", "out_path", required=True, help="The CSV file to write.")
@now_option
@fail_cleanly
def export_command(
    db_path: str, view_name: str, email: str, out_path: str, now: datetime | None
) -> None:
    """Every task of a view as CSV (spreadsheet formulas neutralised), as the user sees it."""
    con = db.open_workspace(db_path)
    try:
        user = _user(con, email)
        when = moment(now)
        views.ensure_standard_views(con, TASKS, now=when)
        found = views.list_views(con, object_name=TASKS, user=user)
        wanted = view_name.strip().lower()
        view = next(
            (v for v in found if v.name.lower() == wanted or (v.standard_key or "") == wanted), None
        )
        if view is None:
            names = ", ".join(v.name for v in found)
            raise click.ClickException(
                f"There is no task view {view_name!r} for {user.name}. Views: {names}."
            )
        sort = tuple((s["property"], s.get("direction", "asc")) for s in view.sort[:1])
        query = Query(TASKS, view.filters, tuple(view.columns or tasks.TASK_COLUMNS), sort=sort,
                      owner_property="owner_id")  # fmt: skip
        viewer = Viewer(user.id, when, user.time_zone)
        data = record_list.export_csv(con, query, viewer)
        rows = record_list.count(con, query, viewer)
    finally:
        con.close()
    Path(out_path).write_bytes(data)
    click.echo(f"Wrote {rows:,} task{'s' if rows != 1 else ''} of “{view.name}” to {out_path}.")
