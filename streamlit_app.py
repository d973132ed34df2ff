"""Entry: page config, who is signed in, and the tabs they may open."""

import os
import time

import streamlit as st

from cs_core import admission
from cs_core import db as workspace
from ui import auth, db, nav, state
from ui import text as ut

st.set_page_config(page_title="Customer Success", page_icon="🤝", layout="wide")

started, cpu_started, shown = time.perf_counter(), time.thread_time(), None
con = db.pin_run()
try:
    user = auth.resolve_user(con)
    state.show_flash()
    shown = st.navigation(nav.pages_for(user), position="top")
    shown.run()
except workspace.WorkspaceError as exc:
    # The workspace file failed under a page (a full disk, a folder made read-only, a damaged
    # file): what happened and what to do, instead of an error without its cause.
    ut.error(exc, icon=":material/database:")
finally:
    db.unpin_run()
    # For the benchmarks: each run's server time, of it the wait for its turn, the CPU time of
    # its thread (the interpreter's share, DuckDB's on this thread included) and its page,
    # appended to a file it names (also when a page stops early or reruns).
    if timing_log := os.environ.get("CS_TIMING_LOG"):
        page = (shown.url_path or "summary") if shown is not None else "-"
        with open(timing_log, "a", encoding="utf-8") as log:
            log.write(f"{time.time():.3f} {1000 * (time.perf_counter() - started):.1f} "
                      f"{1000 * admission.waited():.1f} {1000 * (time.thread_time() - cpu_started):.1f} "
                      f"{page}\n")  # fmt: skip
