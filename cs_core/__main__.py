"""Command line of the workspace.

python -m cs_core demo --db PATH [--scale demo|S|M|L] [--seed N] [--force]
python -m cs_core import --db PATH --object companies --file F [--mapping M.json]
                         [--id-column C] [--skip-invalid] [--rejects R.csv]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from cs_core import db, demo, imports
from cs_core.health import cli as health_cli


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


def _import(args: argparse.Namespace) -> int:
    source = Path(args.file)
    rejects = (
        Path(args.rejects) if args.rejects else source.with_name(f"{source.stem}.rejected.csv")
    )
    con = db.open_workspace(args.db)
    try:
        mapping = imports.load_mapping_file(args.mapping) if args.mapping else None
        started = time.perf_counter()
        result = imports.import_file(
            con,
            source,
            object_name=args.object,
            actor=None,
            now=datetime.now(UTC),
            mapping=mapping,
            id_column=args.id_column,
            skip_invalid=args.skip_invalid,
        )
        took = time.perf_counter() - started
    except (imports.ImportFileError, imports.MappingError, ValueError) as exc:
        problems = getattr(exc, "problems", [str(exc)])
        print("Nothing was imported:\n" + "\n".join(f"- {p}" for p in problems), file=sys.stderr)
        return 1
    finally:
        con.close()
    print(f"{result.summary()} Took {took:.1f} s.")
    if not result.report.empty:
        result.report.to_csv(rejects, index=False)
        print(f"Every problem ({len(result.report):,}) is listed in {rejects}.", file=sys.stderr)
        for row in result.report.head(10).itertuples(index=False):
            print(f"  row {row.Row}, {row.Column}: {row.Value!r}: {row.Reason}", file=sys.stderr)
    return 0 if result.written else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cs_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="create a demo workspace database")
    p.add_argument("--db", required=True, help="path of the DuckDB file to create")
    p.add_argument("--scale", default="demo", choices=list(demo.SCALES))
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p = sub.add_parser("import", help="import a CSV or Parquet file into an object")
    p.add_argument(
        "--db", required=True, help="the workspace database (the app must not be running on it)"
    )
    p.add_argument("--object", required=True, help="companies, contacts, deals, or a custom object")
    p.add_argument("--file", required=True, help="a .csv or .parquet file")
    p.add_argument("--mapping", help="a JSON mapping saved earlier (default: the suggested one)")
    p.add_argument("--id-column", help="the column with each record's id in the source system")
    p.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows, report the others"
    )
    p.add_argument("--rejects", help="where to write the report of rejected rows (CSV)")
    health_cli.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        if args.command == "health":
            return health_cli.run(args)
        return _demo(args) if args.command == "demo" else _import(args)
    except db.WorkspaceError as exc:
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
