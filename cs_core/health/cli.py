"""``python -m cs_core health <command> --db PATH``: profiles, recompute, export, summary, backtest."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from cs_core import db, users
from cs_core.health import engine, profiles, reports


def add_parser(sub) -> None:
    p = sub.add_parser("health", help="health-score profiles and scores")
    p.add_argument("health_command", choices=["import-profile", "export-profile", "recompute", "export", "summary",
                                              "backtest"])  # fmt: skip
    p.add_argument("target", nargs="?", help="FILE for import-profile, NAME for export-profile")
    p.add_argument("--db", required=True)
    p.add_argument("--profile", help="a profile's name (recompute: default every live profile)")
    p.add_argument("--as-of", help="score date YYYY-MM-DD (default: today, UTC)")
    p.add_argument("--out", help="CSV file for export")
    p.add_argument("--owner", help="an owner's email, for summary")
    p.add_argument("--outcome-property")
    p.add_argument("--churned-value")
    p.add_argument("--json", action="store_true", help="print JSON")


def _profile(con, name: str | None) -> profiles.Profile:
    found = profiles.get_profile(con, name=name) if name else None
    if found is None:
        raise SystemExit(f"There is no profile named {name!r}. Profiles: "
                         + ", ".join(p.name for p in profiles.list_profiles(con)))  # fmt: skip
    return found


def run(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    con = db.open_workspace(args.db)
    try:
        return _run(con, args, now)
    except profiles.ProfileError as exc:
        print(
            "The profile was refused:\n" + "\n".join(f"- {p}" for p in exc.problems),
            file=sys.stderr,
        )
        return 1
    finally:
        con.close()


def _run(con, args, now) -> int:
    cmd = args.health_command
    if cmd == "import-profile":
        definition = json.loads(Path(args.target).read_text(encoding="utf-8"))
        saved = profiles.save_profile(con, actor=None, definition=definition, now=now)
        print(f"Saved profile {saved.name!r} ({saved.status}, version {saved.version}).")
        return 0
    if cmd == "export-profile":
        print(json.dumps(_profile(con, args.target or args.profile).definition, indent=2))
        return 0
    if cmd == "recompute":
        day = date.fromisoformat(args.as_of) if args.as_of else now.date()
        chosen = (
            [_profile(con, args.profile)]
            if args.profile
            else profiles.list_profiles(con, live_only=True)
        )
        for p in chosen:
            result = engine.run(con, p, score_date=day, now=now)
            print(
                f"{p.name}: {result.scored:,} records scored for {day}, {result.alerts:,} alerts raised."
            )
        if not chosen:
            print("There is no live profile to compute.")
        return 0
    profile = _profile(con, args.profile)
    if cmd == "export":
        frame = reports.export(con, profile)
        if not args.out:
            raise SystemExit("export needs --out FILE.csv")
        frame.to_csv(args.out, index=False)
        print(f"Wrote {len(frame):,} scores to {args.out}.")
        return 0
    if cmd == "summary":
        owner = users.find_by_email(con, args.owner) if args.owner else None
        if args.owner and owner is None:
            raise SystemExit(f"No workspace user has the email {args.owner}.")
        result = reports.summary(con, profile, owner_id=owner.id if owner else None).to_json()
        print(
            json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items())
        )
        return 0
    if not (args.outcome_property and args.churned_value is not None):
        raise SystemExit("backtest needs --outcome-property and --churned-value")
    result = reports.backtest(con, profile, outcome_property=args.outcome_property,
                              churned_value=args.churned_value).to_json()  # fmt: skip
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0
