"""Start the app in one process: the workspace, the daily job's scheduler, then Streamlit.

``python -m ui.launch [streamlit options]`` (what ``make run`` does). The scheduler starts
with the server (a few seconds after it), not with the first page view, so a server
restarted at night with no visitor still runs its morning job (and a run missed while it
was down runs then); it prints a line for every run it makes. The
scheduler and the sessions share the process's one connection to the workspace file, and so
does the backup service started with them, which answers ``python -m cs_core backup`` while the
app holds the file (see cs_core.backup_service). Set ``CS_SCHEDULER=off`` to serve without
the scheduler.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from streamlit.web import cli as streamlit_cli

ROOT = Path(__file__).resolve().parent.parent


# The scheduler starts a few seconds after the server, so that its imports and a missed run
# do not compete with the server's start-up and a first visitor's page on a small machine.
START_DELAY_S = 5.0


def _start_scheduler(path: str) -> None:
    time.sleep(START_DELAY_S)
    from cs_core import daily  # imported here: the server does not wait for it

    def report(run) -> None:
        print(f"Daily health run ({run.trigger}): {run.status}, {run.profiles} profiles, "
              f"{run.records_scored:,} records scored in {run.seconds or 0:.1f} s.", flush=True)  # fmt: skip

    daily.start_scheduler(path, report=report)


def _serve_backups(path: str) -> None:
    """Answer ``python -m cs_core backup`` from this process (it holds the file); at once, so a
    backup asked for just after the start is not made by the command on the file itself."""
    from cs_core import backup_service

    try:
        service = backup_service.start_service(path)
    except (backup_service.ServiceError, OSError) as exc:
        print(f"Backups from the command line cannot reach this app: {exc}", flush=True)
        return
    print(f"Answering backup requests (python -m cs_core backup) on {service.path}.", flush=True)


def send_small_messages_at_once() -> None:
    """Turn Nagle's algorithm off on the server's connections, as asyncio means to.

    asyncio sets TCP_NODELAY only on sockets whose ``proto`` is IPPROTO_TCP, and the server's
    listening socket is made with ``proto`` 0, so its connections kept Nagle's algorithm: the
    last small messages of every run (its final elements, ``script_finished``) waited for the
    browser to acknowledge the earlier ones, which a client delays up to 40 ms. Every
    interaction took 40 ms longer than its run (a page that runs in 8 ms answered in 48 ms).
    """
    import socket
    from asyncio import base_events

    def set_nodelay(sock: socket.socket) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    base_events._set_nodelay = set_nodelay


def main(argv: list[str] | None = None) -> None:
    from ui.db import workspace_path

    send_small_messages_at_once()
    path = workspace_path()
    if not Path(path).exists():
        from cs_core import clock, demo

        print(f"Creating the demo workspace in {path} (first start only)…", flush=True)
        demo.create_demo_workspace(path, now=clock.now())
    _serve_backups(path)
    if os.environ.get("CS_SCHEDULER", "on").lower() not in ("off", "0", "false", "no"):
        threading.Thread(
            target=_start_scheduler, args=(path,), name="start-daily-job", daemon=True
        ).start()
    from cs_core.imports.streaming import max_bytes

    # Uploads as large as an import may be (CS_MAX_IMPORT_MB; the page checks the same limit).
    upload_mb = max(1, int(max_bytes() / 1e6) + 1)
    sys.argv = [
        "streamlit",
        "run",
        str(ROOT / "streamlit_app.py"),
        "--server.maxUploadSize",
        str(upload_mb),
        *(sys.argv[1:] if argv is None else argv),
    ]
    streamlit_cli.main()


if __name__ == "__main__":
    main()
