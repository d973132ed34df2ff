"""``python -m cs_core check --db PATH``: the workspace's consistency check (:mod:`cs_core.check`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cs_core import check, db
from cs_core.cli import db_option, fail_cleanly


@click.command("check")
@db_option
@fail_cleanly
def check_command(db_path: str) -> None:
    """Check that every reference between rows points at a row that exists (exit 1 if not)."""
    if not Path(db_path).exists():
        raise click.ClickException(f"There is no workspace database at {db_path}.")
    con = db.open_workspace(db_path)
    try:
        result = check.check_workspace(con)
    finally:
        con.close()
    for problem in result.problems:
        click.echo(problem.line())
    if result.consistent:
        click.echo(f"Consistent: {result.rules} rules hold ({result.seconds:.2f} s).")
        return
    click.echo(f"Not consistent: {len(result.problems)} of {result.rules} rules are broken "
               f"({result.seconds:.2f} s).", err=True)  # fmt: skip
    sys.exit(1)
