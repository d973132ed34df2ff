"""The workspace's command line: ``python -m cs_core COMMAND --db PATH ...``.

Every command takes ``--db`` anywhere among its arguments, ``--help``, and, where
the date matters, ``--now ISO-TIMESTAMP`` (default: the real time), so a test or
a backfill never depends on today's date. Bad input ends with a one-line message
and a non-zero exit status. Commands that write need the app stopped (DuckDB lets
one process write a file), and say so when it is not.
"""

from __future__ import annotations

import functools
import sys
import time
from datetime import datetime
from pathlib import Path

import click

from cs_core import clock, daily, db, demo, imports
from cs_core.errors import Problems


def fail_cleanly(fn):
    """Known faults as a one-line message (exit 1), never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Problems as exc:
            raise click.ClickException(
                "\n".join(["Refused:", *(f"- {p}" for p in exc.problems)])
            ) from None
        except (db.WorkspaceError, clock.ClockError, ValueError, OSError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


class Moment(click.ParamType):
    """An ISO timestamp option (``--now``), as an aware UTC datetime."""

    name = "ISO-TIMESTAMP"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            return clock.parse_moment(value)
        except clock.ClockError as exc:
            self.fail(str(exc), param, ctx)


MOMENT = Moment()
db_option = click.option("--db", "db_path", required=True, metavar="PATH",
                         help="The workspace database (a DuckDB file).")  # fmt: skip
now_option = click.option("--now", type=MOMENT, default=None,
                          help="The time to act at (ISO, e.g. 2026-11-28T15:00:00Z); default: now.")  # fmt: skip


def moment(value: datetime | None) -> datetime:
    return value or clock.now()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Command line of the Customer Success workspace."""


@main.command("demo")
@db_option
@click.option("--scale", default="demo", show_default=True, type=click.Choice(list(demo.SCALES)))
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing file (its data is lost).")
@now_option
@fail_cleanly
def demo_command(db_path: str, scale: str, seed: int, force: bool, now: datetime | None) -> None:
    """Create a demo workspace database (dated relative to --now)."""
    path = Path(db_path)
    if path.exists():
        if not force:
            click.echo(f"{path} exists already. Use --force to replace it with a new demo workspace "
                       "(its data will be lost), or choose another --db path.", err=True)  # fmt: skip
            sys.exit(2)
        # Opened first, so a file held by the running app is reported, not deleted.
        db.open_workspace(str(path)).close()
        path.unlink()
        Path(f"{path}.wal").unlink(missing_ok=True)
    started = time.perf_counter()
    summary = demo.create_demo_workspace(str(path), scale=scale, seed=seed, now=moment(now))
    took = time.perf_counter() - started
    counts = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in summary.counts.items())
    click.echo(f"Created {path} (scale {scale}, seed {seed}) in {took:.1f} s: {counts}.")


@main.command("import")
@db_option
@click.option("--object", "object_name", required=True,
              help="companies, contacts, deals, services, a custom object, tasks or activities.")  # fmt: skip
@click.option("--file", "file_path", required=True, help="A .csv or .parquet file.")
@click.option("--mapping", help="A JSON mapping saved earlier (default: the suggested one).")
@click.option("--id-column", help="The column with each record's id in the source system.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows, report the others.")
@click.option("--rejects", help="Where to write the report of rejected rows (CSV).")
@now_option
@fail_cleanly
def import_command(db_path, object_name, file_path, mapping, id_column, skip_invalid, rejects, now):
    """Import a CSV or Parquet file into an object, all or nothing."""
    source = Path(file_path)
    rejects_path = Path(rejects) if rejects else source.with_name(f"{source.stem}.rejected.csv")
    con = db.open_workspace(db_path)
    try:
        chosen = imports.load_mapping_file(mapping) if mapping else None
        started = time.perf_counter()
        try:
            result = imports.import_file(con, source, object_name=object_name, actor=None,
                                         now=moment(now), mapping=chosen, id_column=id_column,
                                         skip_invalid=skip_invalid)  # fmt: skip
        except (imports.ImportFileError, imports.MappingError) as exc:
            problems = getattr(exc, "problems", [str(exc)])
            raise click.ClickException(
                "Nothing was imported:\n" + "\n".join(f"- {p}" for p in problems)
            ) from None
        took = time.perf_counter() - started
    finally:
        con.close()
    click.echo(f"{result.summary()} Took {took:.1f} s.")
    if not result.report.empty:
        try:
            rejects_path.write_bytes(imports.report_csv(result.report))
        except OSError as exc:  # the import itself is done (or refused): say so, then why
            click.echo(f"The list of problems could not be written to {rejects_path}: "
                       f"{exc.strerror or exc}. The first ones:", err=True)  # fmt: skip
        else:
            click.echo(
                f"Every problem ({len(result.report):,}) is listed in {rejects_path}.", err=True
            )
        for row in result.report.head(10).itertuples(index=False):
            click.echo(f"  row {row.Row}, {row.Column}: {row.Value!r}: {row.Reason}", err=True)
    if not result.written:
        sys.exit(1)


@main.command("daily")
@db_option
@now_option
@fail_cleanly
def daily_command(db_path: str, now: datetime | None) -> None:
    """Run the daily job now: recompute every live profile and expire alerts (app stopped)."""
    con = db.open_workspace(db_path)
    try:
        result = daily.run_daily(con, now=moment(now), trigger="command line")
    finally:
        con.close()
    click.echo(f"Daily run {result.status}: {result.profiles} profiles, {result.records_scored:,} records "
               f"scored, {result.alerts_raised:,} alerts raised, {result.alerts_expired:,} expired.")  # fmt: skip
    for error in result.errors:
        click.echo(f"- {error}", err=True)
    if result.status != "ok":
        sys.exit(1)


def _register() -> None:
    from cs_core.backup_cli import backup_command, restore_command
    from cs_core.check_cli import check_command
    from cs_core.health.cli import health
    from cs_core.reports.cli import report_commands
    from cs_core.retention_cli import renewals_command, retention_command
    from cs_core.task_cli import task_commands

    main.add_command(health)
    main.add_command(task_commands)
    main.add_command(retention_command)
    main.add_command(renewals_command)
    main.add_command(report_commands)
    main.add_command(backup_command)
    main.add_command(restore_command)
    main.add_command(check_command)


_register()
