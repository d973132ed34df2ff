"""Backups while the app runs: the app's process answers backup requests on a local socket.

DuckDB lets one process open the workspace file, so while the app runs ``python -m cs_core
backup`` cannot open it. The launcher (``python -m ui.launch``, what ``make run`` starts) runs a
:class:`BackupService` beside the server: a thread listening on a Unix socket next to the
database (``.NAME.backup.sock``; only the app's user may connect). The command connects, sends
one request (a line of JSON: the database, the folder, the time) and reads two lines: at once
"accepted" (naming the app's process), then the result when the backup is written or has
failed. The backup is :func:`cs_core.backup.back_up` on the app's own connection, one read
transaction, while the app keeps serving. No socket, or nobody listening on it (an app that
ended without removing it): no app answers for the file, and the command opens the file
itself, or says which process holds it.

Every wait is a count of short steps (a socket timeout of ``STEP`` seconds, a short sleep),
never a timed lock or event, which a moved clock could stretch without end.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from cs_core import backup, clock, db

STEP = 0.25  # seconds per wait on the socket
ACCEPT_STEPS = 40  # an app that answers takes a request within 10 s
MAX_LINE = 64 * 1024
TRIGGER = "command line, through the app"


class ServiceError(Exception):
    """The running app could not be asked, or did not answer; the message says what to do."""


@dataclass(frozen=True)
class Served:
    """A backup the running app made on request."""

    pid: int
    file: str
    bytes: int
    seconds: float


def socket_path(workspace: str | Path) -> Path:
    """Where the app holding ``workspace`` listens: ``.NAME.backup.sock`` beside the file."""
    path = Path(workspace).resolve()
    return path.with_name(f".{path.name}.backup.sock")


@contextmanager
def _address(path: Path) -> Iterator[str]:
    """The name to bind or connect to: the path, or, when longer than a socket name may be,
    the same file reached through the open folder (Linux)."""
    if len(os.fsencode(path)) < 100:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def _send(sock: socket.socket, message: dict) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


def _read_line(sock: socket.socket, steps: int) -> dict | None:
    """One JSON line, waiting at most ``steps`` steps (None: nothing came in time)."""
    data = b""
    for _ in range(steps):
        try:
            chunk = sock.recv(MAX_LINE)
        except TimeoutError:
            continue
        if not chunk:
            raise ServiceError("The app stopped answering before it replied (it may have been "
                               "stopped); see Settings → Backups for whether a backup was made.")  # fmt: skip
        data += chunk
        if b"\n" in data:
            return json.loads(data.split(b"\n", 1)[0])
        if len(data) > MAX_LINE:
            raise ServiceError("The request or answer is too long.")
    return None


def _connected(path: Path) -> socket.socket | None:
    """A connection to the app listening at ``path``; None when nobody listens there."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(STEP)
    try:
        with _address(path) as name:
            sock.connect(name)
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        return None
    except OSError:
        sock.close()
        raise
    return sock


def request_backup(workspace: str | Path, *, folder: str | Path, now: datetime | None = None,
                   wait_steps: int = 2_400) -> Served | None:  # fmt: skip
    """Ask the app holding ``workspace`` to back it up into ``folder``; None when no app answers
    for that file. Waits ``ACCEPT_STEPS`` steps for the app to take the request and
    ``wait_steps`` more for the backup (600 s by default); raises :class:`ServiceError` when the
    app refuses, fails or does not answer in time, or :class:`cs_core.backup.BackupError`
    with the app's reason when the backup failed."""
    path = socket_path(workspace)
    if not path.exists():
        return None
    sock = _connected(path)
    if sock is None:
        return None
    with sock:
        _send(sock, {"op": "backup", "db": str(Path(workspace).resolve()),
                     "folder": str(Path(folder).expanduser().resolve()),
                     "now": now.isoformat() if now else None})  # fmt: skip
        taken = _read_line(sock, ACCEPT_STEPS)
        if taken is None:
            raise ServiceError(f"A process listens for backup requests for {workspace} but did not "
                               f"take this one within {ACCEPT_STEPS * STEP:.0f} s. Try again, or "
                               "back up from Settings → Backups in the app.")  # fmt: skip
        if not taken.get("accepted"):
            raise ServiceError(f"The running app refused the backup: {taken.get('error')}")
        result = _read_line(sock, wait_steps)
        if result is None:
            raise ServiceError(f"The running app (process {taken['pid']}) took the request but had "
                               f"not finished after {wait_steps * STEP:.0f} s. It may still be "
                               "writing the backup: Settings → Backups shows it when done.")  # fmt: skip
        if not result.get("ok"):
            raise backup.BackupError(result.get("error") or "The running app could not back up.")
        return Served(taken["pid"], result["file"], result["bytes"], result["seconds"])


class BackupService:
    """A thread answering backup requests for one workspace, on its process's connection."""

    def __init__(self, workspace: str | Path, *,
                 connect: Callable[[], duckdb.DuckDBPyConnection] | None = None,
                 now: Callable[[], datetime] = clock.now,
                 report: Callable[[backup.Backup], None] | None = None):  # fmt: skip
        self.workspace = str(workspace)
        self.path = socket_path(workspace)
        self._connect = connect or (lambda: db.shared_workspace(self.workspace))
        self._now, self._report = now, report
        self._stop = threading.Event()  # set and tested, never waited on with a timeout
        self._sock: socket.socket | None = None
        self._inode: int | None = None
        self._thread = threading.Thread(target=self._loop, name="backup-service", daemon=True)
        self.last_error: str | None = None
        self.served = 0

    def start(self) -> BackupService:
        """Listen (at once: a request made after this returns is answered), then serve."""
        if self.path.exists():
            other = _connected(self.path)
            if other is not None:
                other.close()
                raise ServiceError(f"Another process answers backup requests for {self.workspace}.")
            self.path.unlink()  # left by an app that ended without removing it
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with _address(self.path) as name:
            sock.bind(name)
        os.chmod(self.path, 0o600)
        self._inode = self.path.stat().st_ino
        sock.listen(8)
        sock.settimeout(STEP)
        self._sock = sock
        atexit.register(self._remove)
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        for _ in range(4 * ACCEPT_STEPS):  # a request under way finishes first
            if not self._thread.is_alive():
                break
            time.sleep(STEP)
        self._remove()

    def _remove(self) -> None:
        with suppress(OSError):
            if self._inode is not None and self.path.stat().st_ino == self._inode:
                self.path.unlink()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                self.last_error = str(exc)
                time.sleep(STEP)
                continue
            with conn:
                try:
                    conn.settimeout(STEP)
                    self._answer(conn)
                except Exception as exc:  # one bad request must not stop the service
                    self.last_error = str(exc)
        self._sock.close()

    def _answer(self, conn: socket.socket) -> None:
        if not _same_user(conn):
            _send(conn, {"error": "Only the user the app runs as may ask it for backups."})
            return
        request = _read_line(conn, ACCEPT_STEPS)
        if request is None or request.get("op") != "backup":
            _send(conn, {"error": "The request was not understood."})
            return
        try:
            same = os.path.samefile(request.get("db") or "", self.workspace)
        except OSError:
            same = False
        if not same:
            _send(conn, {"error": f"This app serves {self.workspace}, not {request.get('db')}."})
            return
        _send(conn, {"accepted": True, "pid": os.getpid()})
        try:
            asked = request.get("now")
            made = backup.back_up(self._connect(), actor=backup.OPERATOR, folder=request["folder"],
                                  now=clock.parse_moment(asked) if asked else self._now(),
                                  trigger=TRIGGER)  # fmt: skip
        except (backup.BackupError, db.WorkspaceError, clock.ClockError, duckdb.Error) as exc:
            _send(conn, {"ok": False, "error": str(exc)})
            return
        self.served += 1
        _send(conn, {"ok": True, "file": made.file, "bytes": made.bytes, "seconds": made.seconds})
        if self._report is not None:
            self._report(made)


def _same_user(conn: socket.socket) -> bool:
    """Whether the process at the other end runs as this app's user (or as root)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True  # the socket file's mode (0600) is the check there
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1] in (os.getuid(), 0)


_SERVICES: dict[str, BackupService] = {}
_SERVICES_LOCK = threading.Lock()


def start_service(workspace: str | Path, **options) -> BackupService:
    """The process's backup service for ``workspace``, started once."""
    key = str(socket_path(workspace))
    with _SERVICES_LOCK:
        found = _SERVICES.get(key)
        if found is None or not found.running:
            found = _SERVICES[key] = BackupService(workspace, **options).start()
        return found


def service_for(workspace: str | Path) -> BackupService | None:
    """This process's running backup service for ``workspace``, if any."""
    found = _SERVICES.get(str(socket_path(workspace)))
    return found if found is not None and found.running else None
