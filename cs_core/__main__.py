"""Command line: ``python -m cs_core demo --db PATH [--scale demo|S|M|L] [--seed N] [--force]``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from cs_core import db, demo


def _demo(args: argparse.Namespace) -> int:
    path = Path(args.db)
    if path.exists():
        if not args.force:
            print(
                f"{path} exists already. Use --force to replace it with a new demo workspace "
                "(its data will be lost), or choose another --db path.",
                file=sys.stderr,
            )
            return 2
        # Open it first, so a file held by the running app is reported, not deleted.
        db.open_workspace(str(path)).close()
        path.unlink()
        Path(f"{path}.wal").unlink(missing_ok=True)
    started = time.perf_counter()
    summary = demo.create_demo_workspace(
        str(path), scale=args.scale, seed=args.seed, now=datetime.now(UTC)
    )
    took = time.perf_counter() - started
    counts = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in summary.counts.items())
    print(f"Created {path} (scale {args.scale}, seed {args.seed}) in {took:.1f} s: {counts}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cs_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="create a demo workspace database")
    p.add_argument("--db", required=True, help="path of the DuckDB file to create")
    p.add_argument("--scale", default="demo", choices=list(demo.SCALES))
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--force", action="store_true", help="replace an existing file")
    args = parser.parse_args(argv)
    try:
        return _demo(args)
    except db.WorkspaceError as exc:
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
