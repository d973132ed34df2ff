"""``python -m cs_core health COMMAND --db PATH``: profiles, recompute, export, summary, backtest."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click

from cs_core import clock, csvfile, db, users
from cs_core.cli import db_option, fail_cleanly, moment, now_option
from cs_core.health import engine, profiles, reports


@click.group()
def health() -> None:
    """Health-score profiles and scores."""


def _profile(con, name: str | None) -> profiles.Profile:
    found = profiles.get_profile(con, name=name) if name else None
    if found is None:
        known = ", ".join(p.name for p in profiles.list_profiles(con)) or "none yet"
        raise click.ClickException(f"There is no profile named {name!r}. Profiles: {known}.")
    return found


def _read_json(path: str) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"{path} cannot be read: {exc.strerror or exc}.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})."
        ) from None


def _day(text: str | None, now: datetime) -> date:
    if not text:
        return clock.score_date(now)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.ClickException(f"--as-of {text!r} is not a date; use YYYY-MM-DD.") from None


def _out(payload: dict, as_json: bool) -> None:
    click.echo(
        json.dumps(payload) if as_json else "\n".join(f"{k}: {v}" for k, v in payload.items())
    )


@health.command("import-profile")
@click.argument("file")
@db_option
@now_option
@fail_cleanly
def import_profile(file: str, db_path: str, now: datetime | None) -> None:
    """Create a profile from a JSON FILE, or replace the one with its name (live ones are scored)."""
    definition = _read_json(file)
    with db.open_workspace(db_path) as con:
        saved = profiles.save_profile(con, actor=None, definition=definition, now=moment(now))
    click.echo(f"Saved profile {saved.name!r} ({saved.status}, version {saved.version}).")


@health.command("export-profile")
@click.argument("name", required=False)
@click.option("--profile", "profile_name", help="The profile's name (or give it as NAME).")
@db_option
@fail_cleanly
def export_profile(name: str | None, profile_name: str | None, db_path: str) -> None:
    """Print a profile's JSON."""
    with db.open_workspace(db_path) as con:
        click.echo(json.dumps(_profile(con, name or profile_name).definition, indent=2))


@health.command("recompute")
@click.option("--profile", "profile_name", help="A profile's name (default: every live profile).")
@click.option("--as-of", help="The score date, YYYY-MM-DD (default: today, UTC, of --now).")
@db_option
@now_option
@fail_cleanly
def recompute(
    profile_name: str | None, as_of: str | None, db_path: str, now: datetime | None
) -> None:
    """Score and store a profile's records (a date in the past fills in history only)."""
    now = moment(now)
    day = _day(as_of, now)
    with db.open_workspace(db_path) as con:
        chosen = (
            [_profile(con, profile_name)]
            if profile_name
            else profiles.list_profiles(con, live_only=True)
        )
        if not chosen:
            click.echo("There is no live profile to compute.")
        failed = 0
        for p in chosen:  # each in its own transaction: one that fails leaves the others scored
            try:
                result = engine.run(con, p, score_date=day, now=now)
            except engine.ProfileUnusable as exc:
                failed += 1
                click.echo(f"{p.name}: not scored. {exc}", err=True)
                continue
            click.echo(
                f"{p.name}: {result.scored:,} records scored for {day}, {result.alerts:,} alerts raised."
            )
    if failed:
        raise click.ClickException(
            f"{failed} of {len(chosen)} profiles could not be scored; fix or take them back to draft."
        )


@health.command("export")
@click.option("--profile", "profile_name", required=True)
@click.option("--out", required=True, help="The CSV file to write.")
@db_option
@fail_cleanly
def export(profile_name: str, out: str, db_path: str) -> None:
    """Write a profile's current scores to a CSV file."""
    target = Path(out)
    if not target.parent.is_dir():
        raise click.ClickException(f"--out {out}: the folder {target.parent} does not exist.")
    with db.open_workspace(db_path) as con:
        frame = reports.export(con, _profile(con, profile_name))
    csvfile.write(frame, target)
    click.echo(f"Wrote {len(frame):,} scores to {out}.")


@health.command("summary")
@click.option("--profile", "profile_name", required=True)
@click.option("--owner", help="An owner's email: only their records.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
@now_option
@fail_cleanly
def summary(
    profile_name: str, owner: str | None, as_json: bool, db_path: str, now: datetime | None
) -> None:
    """Average score, categories and distribution of the scores in effect."""
    with db.open_workspace(db_path) as con:
        profile = _profile(con, profile_name)
        user = users.find_by_email(con, owner) if owner else None
        if owner and user is None:
            raise click.ClickException(f"No workspace user has the email {owner}.")
        result = reports.summary(con, profile, day=clock.score_date(moment(now)),
                                 owner_id=user.id if user else None)  # fmt: skip
    _out(result.to_json(), as_json)


@health.command("backtest")
@click.option("--profile", "profile_name", required=True)
@click.option("--outcome-property", required=True, help="The property that records the outcome.")
@click.option("--churned-value", required=True, help="Its value that means churned (e.g. Yes).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
@fail_cleanly
def backtest(
    profile_name: str, outcome_property: str, churned_value: str, as_json: bool, db_path: str
) -> None:
    """How well the current scores separate churned records from the others (AUC, precision, recall)."""
    with db.open_workspace(db_path) as con:
        profile = _profile(con, profile_name)
        result = reports.backtest(
            con, profile, outcome_property=outcome_property, churned_value=churned_value
        )
    _out(result.to_json(), as_json)
