"""``python -m cs_core retention`` and ``renewals``: the figures of spec/retention.md as JSON."""

from __future__ import annotations

import json
from datetime import date, datetime

import click

from cs_core import db, renewals, retention, users
from cs_core.cli import db_option, fail_cleanly, moment, now_option


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a day (YYYY-MM-DD).", param_hint=name) from None


def _iso(value) -> str:
    return (value.date() if isinstance(value, datetime) else value).isoformat()


@click.command("retention")
@db_option
@click.option(
    "--object",
    "object_name",
    default="subscriptions",
    show_default=True,
    help="The revenue object.",
)
@click.option("--grain", type=click.Choice(["month", "quarter"]), required=True)
@click.option(
    "--from", "first", required=True, metavar="YYYY-MM-DD", help="First day of the range."
)
@click.option(
    "--to", "last", required=True, metavar="YYYY-MM-DD", help="First day after the range."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the default is a table).")
@fail_cleanly
def retention_command(
    db_path: str, object_name: str, grain: str, first: str, last: str, as_json: bool
) -> None:
    """ARR movements, GRR, NRR and logo churn per whole period starting in [from, to)."""
    con = db.open_workspace(db_path)
    try:
        source = retention.default_source(con, object_name)
        found = retention.retention(con, source=source, grain=grain, first=_day(first, "--from"),
                                    last=_day(last, "--to"))  # fmt: skip
    finally:
        con.close()
    if as_json:
        click.echo(json.dumps(found.as_json()))
        return
    for p in found.periods:
        click.echo(f"{p.period}: start {p.start_arr:,.2f}, end {p.end_arr:,.2f}, GRR {p.shown('grr')}, "
                   f"NRR {p.shown('nrr')}, logo churn {p.shown('logo_churn')}")  # fmt: skip
    click.echo(
        f"Unassigned lines: {found.unassigned_lines:,}; invalid lines: {found.invalid_lines:,}."
    )


@click.command("renewals")
@db_option
@click.option("--window", type=click.Choice(["30", "60", "90"]), default="90", show_default=True)
@click.option(
    "--owner", "email", help="Only this owner's accounts (their email); default: everyone's."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@now_option
@fail_cleanly
def renewals_command(
    db_path: str, window: str, email: str | None, as_json: bool, now: datetime | None
) -> None:
    """Accounts renewing in the next N days (the owner's zone, else UTC) and the ARR at risk."""
    con = db.open_workspace(db_path)
    try:
        owner = users.find_by_email(con, email) if email else None
        if email and owner is None:
            raise click.ClickException(f"There is no active user with the email {email!r}.")
        viewer = owner or users.User(
            0, "command line", "", None, None, "UTC", False, False, False, False
        )
        found = renewals.renewals(con, user=viewer, now=moment(now), window=int(window),
                                  owners=[owner.id] if owner else None)  # fmt: skip
    finally:
        con.close()
    rows = [{"id": int(r.id), "name": r.name, "owner": r.owner, "renewal_date": _iso(r.renewal_date),
             "health_category": r.category, "arr": float(r.arr)} for r in found.rows.itertuples()]  # fmt: skip
    if as_json:
        click.echo(json.dumps({"window_days": int(window), "accounts": rows, "arr_at_risk": float(found.arr_at_risk),
                               "total_arr": float(found.total_arr)}))  # fmt: skip
        return
    for r in rows:
        click.echo(
            f"{r['renewal_date']}  {r['name']}  {r['arr']:,.2f}  {r['health_category'] or '-'}"
        )
    click.echo(
        f"{len(rows):,} renewals; ARR at risk {found.arr_at_risk:,.2f} of {found.total_arr:,.2f}."
    )
