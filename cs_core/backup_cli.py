"""``python -m cs_core backup`` and ``restore``: copies of the workspace, and putting one back.

``backup`` works while the app runs: it asks the app's process for the backup (see
:mod:`cs_core.backup_service`), which makes it on its own connection and keeps serving; with no
app answering for the file it opens the file itself. ``restore`` needs the app stopped.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from cs_core import backup, backup_service, db, restore
from cs_core.cli import db_option, fail_cleanly, moment, now_option


@click.command("backup")
@db_option
@click.option("--out", required=True, metavar="DIR",
              help="The folder to write the backup into (created if missing).")  # fmt: skip
@click.option("--wait", type=click.IntRange(1, 86_400), default=600, show_default=True,
              help="How long to wait for the running app to finish the backup (seconds).")  # fmt: skip
@now_option
@fail_cleanly
def backup_command(db_path: str, out: str, wait: int, now: datetime | None) -> None:
    """Back up the workspace into DIR, as a new file named by the UTC time (app running or not)."""
    path = Path(db_path)
    if not path.is_file():
        raise click.ClickException(f"There is no workspace database at {path}.")
    try:
        served = backup_service.request_backup(path, folder=out, now=now,
                                               wait_steps=int(wait / backup_service.STEP))  # fmt: skip
    except (backup_service.ServiceError, backup.BackupError) as exc:
        raise click.ClickException(str(exc)) from None
    if served is not None:
        click.echo(f"Backed up {path} through the running app (process {served.pid}) to "
                   f"{served.file}: {backup.shown_size(served.bytes)} in {served.seconds:.1f} s.")  # fmt: skip
        return
    try:
        con = db.open_workspace(str(path))
    except db.WorkspaceLocked:
        who = restore.holder(path) or "another process"
        raise click.ClickException(
            f"{path} is in use by {who}, and no app answers backup requests for it. The app "
            "answers them when it is started with `make run` (python -m ui.launch); this may be "
            "another command, or an app started another way. Back up from Settings → Backups in "
            "that app, or stop that process and run this again."
        ) from None
    try:
        made = backup.back_up(con, actor=backup.OPERATOR, folder=out, now=moment(now),
                              trigger="command line")  # fmt: skip
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        con.close()
    click.echo(f"Backed up {path} (no app had it open) to {made.file}: {backup.shown_size(made.bytes)} "
               f"in {made.seconds:.1f} s.")  # fmt: skip


@click.command("restore")
@click.option("--from", "source", required=True, metavar="FILE_OR_DIR",
              help="A backup file, or a folder of backups (its newest is restored).")  # fmt: skip
@db_option
@click.option("--force", is_flag=True,
              help="Replace an existing database (what changed since the backup is lost).")  # fmt: skip
@fail_cleanly
def restore_command(source: str, db_path: str, force: bool) -> None:
    """Restore the workspace database from a backup (the app stopped), checked before it replaces
    anything."""
    try:
        done = restore.restore(source, db_path, force=force)
    except restore.RestoreRefused as exc:
        raise click.ClickException(f"Not restored: {exc}") from None
    migrated = (f", brought up from version {done.migrated_from}"
                if done.migrated_from is not None else "")  # fmt: skip
    click.echo(f"Restored {done.file} from {done.source} (schema version {done.schema_version}"
               f"{migrated}): {done.tables} tables, {done.rows:,} rows, in {done.seconds:.1f} s.")  # fmt: skip
