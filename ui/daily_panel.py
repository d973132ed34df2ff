"""Settings → Health scores → Daily run: when the daily job runs, how the last runs went, "Run now"."""

from __future__ import annotations

from datetime import time
from zoneinfo import available_timezones

import duckdb
import pandas as pd
import streamlit as st

from cs_core import clock, daily
from cs_core.users import Action, PermissionDenied, User, can
from ui import db, settings_form, state
from ui import text as ut

P = "settings.daily"
STATUS = {
    "ok": "Succeeded",
    "partial": "Some profiles failed",
    "failed": "Failed",
    "running": "Running",
    daily.INTERRUPTED: "Interrupted",
}


def _zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def section(con: duckdb.DuckDBPyConnection, user: User) -> None:
    st.subheader("Daily run")
    st.write("While the app runs, every live profile is recomputed once a day and expired alerts are "
             "cleared; a run missed while the app was stopped runs when it starts again.")  # fmt: skip
    tz = user.time_zone
    schedule = daily.get_schedule(con)
    now = clock.now()
    last = daily.last_run(con)
    cols = st.columns(4)
    short = "%d %b, %H:%M"  # fits a metric at every width
    cols[0].metric(
        "Last run", clock.shown(last.started_at, tz, short) if last else "Never", border=True
    )
    cols[1].metric("Next run", clock.shown(daily.next_slot(schedule, now), tz, short), border=True)
    seconds = last.seconds if last else None
    cols[2].metric("Duration", "—" if seconds is None else f"{seconds:.1f} s", border=True)
    cols[3].metric("Records scored", f"{last.records_scored:,}" if last else "—", border=True)
    st.caption(f"Times in your time zone ({tz}).")
    if last:
        text = (f"{STATUS.get(last.status, last.status)} ({last.trigger} run): {last.profiles} profiles scored, "
                f"{last.alerts_raised:,} alerts raised, {last.alerts_expired:,} expired alerts cleared.")  # fmt: skip
        (st.success if last.status == "ok" else st.warning)(text)
        for error in last.errors:
            ut.error(error)
    scheduler = daily.scheduler_for(db.workspace_path())
    if scheduler is None:
        st.info("This server was started without the daily scheduler (it starts with `make run`, which runs "
                "`python -m ui.launch`). Run the job here, or with `python -m cs_core daily --db PATH` while "
                "the app is stopped.", icon=":material/schedule:")  # fmt: skip
    elif scheduler.last_error:
        st.error(f"The scheduler could not check for a due run: {scheduler.last_error}")
    if can(user, Action.MANAGE_SETTINGS):
        _form(con, user, schedule)
    if st.button("Run now", key=f"{P}.run", icon=":material/play_arrow:"):
        with st.spinner("Recomputing every live profile…"):
            try:
                result = daily.run_now(con, actor=user, now=clock.now())
            except daily.AlreadyRunning as exc:
                st.info(str(exc), icon=":material/hourglass_top:")
                return
            except PermissionDenied as exc:
                ut.error(exc, icon=":material/lock:")
                return
        state.flash(f"Daily run done: {result.records_scored:,} records scored.")
        st.rerun()
    runs = daily.recent_runs(con, 10)
    if runs:
        st.markdown("**Recent runs**")
        st.dataframe(pd.DataFrame([{
            "Started": clock.shown(r.started_at, tz), "Trigger": r.trigger, "Result": STATUS.get(r.status, r.status),
            "Seconds": None if r.seconds is None else round(r.seconds, 2), "Profiles": r.profiles,
            "Records scored": r.records_scored, "Errors": len(r.errors)} for r in runs]),
            hide_index=True, key=f"{P}.runs")  # fmt: skip


def _form(con: duckdb.DuckDBPyConnection, user: User, schedule: daily.Schedule) -> None:
    zones = _zones()
    seen = settings_form.opened("daily", schedule)
    with st.form(f"{P}.form", border=True):
        a, b = st.columns(2)
        at = a.time_input(
            "Run at", value=time.fromisoformat(schedule.time), key=f"{P}.time", step=900
        )
        zone = b.selectbox("Time zone", zones, index=zones.index(schedule.time_zone)
                           if schedule.time_zone in zones else 0, key=f"{P}.zone")  # fmt: skip
        if st.form_submit_button("Save schedule", type="primary"):
            settings_form.save_opened("daily", lambda: daily.save_schedule(
                con, actor=user, value=daily.Schedule(at.strftime("%H:%M"), zone), now=clock.now(), expected=seen),
                refusals=(daily.ScheduleError,),
                done=lambda saved: f"The daily run is set for {saved.time} ({saved.time_zone}).")  # fmt: skip
