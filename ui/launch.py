"""Start the app in one process: the workspace, the daily job's scheduler, then Streamlit.

``python -m ui.launch [streamlit options]`` (what ``make run`` does). The scheduler starts
with the server, not with the first page view, so a server restarted at night with no
visitor still runs its morning job (and a run missed while it was down runs now). The
scheduler and the sessions share the process's one connection to the workspace file.
Set ``CS_SCHEDULER=off`` to serve without it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from streamlit.web import cli as streamlit_cli

from cs_core import clock, daily, demo

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    from ui.db import workspace_path

    path = workspace_path()
    if not Path(path).exists():
        print(f"Creating the demo workspace in {path} (first start only)…", flush=True)
        demo.create_demo_workspace(path, now=clock.now())
    if os.environ.get("CS_SCHEDULER", "on").lower() not in ("off", "0", "false", "no"):
        daily.start_scheduler(path)
    sys.argv = [
        "streamlit",
        "run",
        str(ROOT / "streamlit_app.py"),
        *(sys.argv[1:] if argv is None else argv),
    ]
    streamlit_cli.main()


if __name__ == "__main__":
    main()
