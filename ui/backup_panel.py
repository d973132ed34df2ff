"""Settings → Backups: the last backup, where backups go, and "Back up now"."""

from __future__ import annotations

import duckdb
import streamlit as st

from cs_core import backup, backup_service, clock
from cs_core.users import Action, PermissionDenied, User, can
from ui import db, settings_form, state
from ui import text as ut

P = "settings.backup"
WHEN = "%d %b %Y, %H:%M"


TRIGGERS = {"settings": "Back up now"}  # how a trigger reads (the others read as they are)


def _who(made: backup.Backup) -> str:
    how = TRIGGERS.get(made.trigger, made.trigger)
    return f"{how}, by {made.actor_name}" if made.actor_name else how


def last_line(made: backup.Backup, time_zone: str) -> str:
    """The line that says when the last backup was made, where, and how big it is."""
    return (f"Last backup: {clock.shown(made.started_at, time_zone, WHEN)} ({time_zone}), "
            f"{made.file}, {backup.shown_size(made.bytes)}, in {made.seconds:.1f} s ({_who(made)}).")  # fmt: skip


def section(con: duckdb.DuckDBPyConnection, user: User) -> None:
    st.subheader("Backups")
    st.write("A backup is a copy of the whole workspace in one DuckDB file, named by the time it "
             "was made (UTC). It is made while the app keeps serving, and what it holds is the "
             "workspace at one moment.")  # fmt: skip
    workspace = db.workspace_path()
    tz = user.time_zone
    last = backup.last_backup(con)
    if last:
        st.markdown(ut.md(last_line(last, tz)))
    else:
        st.info("No backup has been made yet.", icon=":material/backup:")
    latest = next(iter(backup.recent_backups(con, 1)), None)
    if latest and latest.status == "failed":
        ut.error(f"The latest backup, at {clock.shown(latest.started_at, tz, WHEN)} ({tz}), "
                 f"failed: {latest.error}")  # fmt: skip
    folder = backup.backup_folder(con, workspace)
    if can(user, Action.MANAGE_SETTINGS):
        _folder_form(con, user, workspace)
        if st.button("Back up now", key=f"{P}.run", icon=":material/backup:"):
            with st.spinner(f"Backing up the workspace into {folder}…"):
                try:
                    made = backup.back_up(con, actor=user, folder=folder, now=clock.now(),
                                          trigger="settings")  # fmt: skip
                except (backup.BackupError, PermissionDenied) as exc:
                    ut.error(exc)
                    return
            state.flash(f"Backed up to {made.file} ({backup.shown_size(made.bytes)}).")
            st.rerun()
    if backup_service.service_for(workspace) is None:
        st.caption("This server was started without the backup service (it starts with `make run`, "
                   "which runs `python -m ui.launch`), so `python -m cs_core backup` cannot back "
                   "it up while it runs: use Back up now.")  # fmt: skip
    st.caption(
        "From the server's command line: `python -m cs_core backup --db PATH --out DIR` (while "
        "the app runs too), and, with the app stopped, `python -m cs_core restore --from FILE "
        "--db PATH`."
    )


def _folder_form(con: duckdb.DuckDBPyConnection, user: User, workspace: str) -> None:
    seen = settings_form.opened("backup", backup.chosen_folder(con))
    with st.form(f"{P}.form", border=True):
        chosen = st.text_input(
            "Backup folder", value=backup.chosen_folder(con) or "", key=f"{P}.folder",
            placeholder=str(backup.default_folder(workspace)),
            help="Where Back up now writes (created if missing). Empty: a backups folder beside "
            "the workspace database. A relative path starts at the app's working folder.",
        )  # fmt: skip
        if st.form_submit_button("Save folder"):
            settings_form.save_opened("backup", lambda: backup.save_backup_folder(
                con, actor=user, folder=chosen, now=clock.now(), expected=seen), refusals=(backup.BackupError,),
                done=lambda saved: f"Backups go to {saved or backup.default_folder(workspace)}.")  # fmt: skip
