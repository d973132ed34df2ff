"""``python -m cs_core report run|export``: a report definition (a file, or a saved report by
name) run against a workspace; the result as JSON, or as CSV through the one CSV writer."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from cs_core import csvfile, db, users
from cs_core.cli import db_option, fail_cleanly, moment, now_option
from cs_core.reports import definition, engine, results, saved
from cs_core.reports.definition import ReportError


def _definition(con, file: str | None, name: str | None) -> definition.Report:
    if (file is None) == (name is None):
        raise click.UsageError("Give a definition FILE or --name of a saved report (one of them).")
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read {file}: {exc.strerror}", param_hint="FILE"
            ) from None
    else:
        row = con.execute(
            "SELECT definition FROM reports WHERE name = ? ORDER BY id LIMIT 1", [name]
        ).fetchone()
        if row is None:
            raise click.BadParameter(
                f"there is no saved report named {name!r}.", param_hint="--name"
            )
        text = row[0]
    return definition.parse(text)


def _result(db_path: str, file: str | None, name: str | None, now) -> engine.Result:
    con = db.open_workspace(db_path)
    try:
        report = _definition(con, file, name)
        return results.run_with_limit(
            con, report, now=moment(now), user=None, seconds=results.time_limit(con)
        )
    except ReportError as exc:
        raise click.ClickException(
            "The report cannot run:\n" + "\n".join(f"- {p}" for p in exc.problems)
        ) from None
    finally:
        con.close()


@click.group("report")
def report_commands() -> None:
    """Reports as code (spec/reports.md)."""


@report_commands.command("run")
@click.argument("file", required=False)
@click.option("--name", help="A saved report's name, instead of FILE.")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the default is a table).")
@now_option
@fail_cleanly
def run_command(file, name, db_path, as_json, now) -> None:
    """Run a report definition and print its result."""
    result = _result(db_path, file, name, now)
    if as_json:
        click.echo(json.dumps(result.as_json()))
        return
    click.echo("\t".join(result.columns))
    for row in result.rows:
        click.echo("\t".join("(no value)" if v is None else str(v) for v in row))


@report_commands.command("export")
@click.argument("file", required=False)
@click.option("--name", help="A saved report's name, instead of FILE.")
@db_option
@click.option("--out", "out", required=True, help="The CSV file to write.")
@now_option
@fail_cleanly
def export_command(file, name, db_path, out, now) -> None:
    """Write a report's result as CSV (formulas in text cells neutralised)."""
    result = _result(db_path, file, name, now)
    csvfile.write(pd.DataFrame([list(r) for r in result.rows], columns=list(result.columns)), out)
    click.echo(f"{len(result.rows):,} rows written to {out}.")


def _actor(con, email: str | None) -> users.User:
    """Who saves: the user named by ``--as``, or the command line itself (whoever may run it
    holds the database file, so it acts as an administrator)."""
    if email is None:
        return users.User(None, "The command line", "", None, None, "UTC", True, True, True, True)
    found = users.find_by_email(con, email)
    if found is None:
        raise click.BadParameter(
            f"there is no active user with the email {email!r}.", param_hint="--as"
        )
    return found


@report_commands.command("save")
@click.argument("file")
@db_option
@click.option(
    "--as", "as_email", metavar="EMAIL", help="Save as this user (default: the command line)."
)
@now_option
@fail_cleanly
def save_command(file, db_path, as_email, now) -> None:
    """Save a definition as a report; a saved report of the same name gets this version."""
    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise click.BadParameter(f"cannot read {file}: {exc.strerror}", param_hint="FILE") from None
    con = db.open_workspace(db_path)
    try:
        report = definition.parse(text)
        existing = next(
            (s for s in saved.list_saved(con) if s.name.lower() == report.name.lower()), None
        )
        done = saved.save(con, actor=_actor(con, as_email), definition=text, now=moment(now),
                          report_id=existing.id if existing else None)  # fmt: skip
    except ReportError as exc:
        raise click.ClickException(
            "The report was not saved:\n" + "\n".join(f"- {p}" for p in exc.problems)
        ) from None
    finally:
        con.close()
    click.echo(f"{'Updated' if existing else 'Saved'} report {done.name!r} (id {done.id}).")


@report_commands.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@fail_cleanly
def list_command(db_path, as_json) -> None:
    """The saved reports: id, name, source and chart."""
    con = db.open_workspace(db_path)
    try:
        found = saved.list_saved(con)
    finally:
        con.close()
    if as_json:
        click.echo(json.dumps([{"id": s.id, "name": s.name, "source": s.report.source, "chart": s.report.chart}
                               for s in found]))  # fmt: skip
        return
    click.echo("id\tname\tsource\tchart")
    for s in found:
        click.echo(f"{s.id}\t{s.name}\t{s.report.source}\t{s.report.chart}")
