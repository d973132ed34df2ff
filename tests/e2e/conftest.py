"""Browser tests: a real `streamlit run` on a demo workspace, driven by Playwright + Chromium.

Debian's Chromium is used instead of a browser downloaded by Playwright (there is no
download here); without it every test in this folder is skipped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from bench.run import CHROMIUM, CHROMIUM_ARGS
from cs_core.demo import create_demo_workspace

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TIMEOUT_MS = 20_000  # Streamlit renders slowly; every expect() and action waits this long
START_TIMEOUT_S = 30

expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config, items):
    """Mark every test in tests/e2e as `e2e`, and skip them all when Chromium is missing."""
    missing = pytest.mark.skip(
        reason=f"{CHROMIUM} not found: install Debian's chromium (`make browser`) "
        "to run the browser tests"
    )
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            if not CHROMIUM.exists():
                item.add_marker(missing)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}}


@pytest.fixture
def page(page):
    """pytest-playwright's page, with Streamlit-friendly action timeouts."""
    page.set_default_timeout(TIMEOUT_MS)
    return page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_demo_db(directory: Path) -> Path:
    """A new demo workspace file (scale demo, seed 7, dated now) in ``directory``."""
    path = directory / "workspace.duckdb"
    create_demo_workspace(str(path), scale="demo", seed=7, now=datetime.now(UTC))
    return path


class StreamlitServer:
    """`streamlit run streamlit_app.py` on one workspace file; start() and stop() may repeat."""

    def __init__(self, db_path: Path, log_path: Path, port: int | None = None,
                 args: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.args = args  # more `streamlit run` options, e.g. ("--secrets.files", path)
        self.db_path = db_path
        self.log_path = log_path
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> StreamlitServer:
        assert self.proc is None, "already running"
        env = {k: v for k, v in os.environ.items() if k != "CS_DEMO_USER"}
        env["CS_WORKSPACE_DB"] = str(self.db_path)
        self._log = open(self.log_path, "a")  # noqa: SIM115 (closed in stop())
        self._log.write(f"\n===== start {datetime.now():%H:%M:%S} on port {self.port}\n")
        self._log.flush()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "streamlit_app.py",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
                *self.args,
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"streamlit exited at start-up:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"streamlit not healthy after {START_TIMEOUT_S} s at {self.url}:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s) so its file lock is released."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None
        self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[StreamlitServer]:
    """One server on a demo workspace, shared by the tests that only read."""
    tmp = tmp_path_factory.mktemp("e2e_app")
    server = StreamlitServer(make_demo_db(tmp), tmp / "streamlit.log").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_server(tmp_path) -> Iterator[StreamlitServer]:
    """A server on a private demo workspace (not started: call start(); stopped at the end)."""
    server = StreamlitServer(make_demo_db(tmp_path), tmp_path / "streamlit.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, add the tail of the Streamlit server log(s) the test used to the report."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed or HERE not in item.path.parents:
        return
    for name, value in getattr(item, "funcargs", {}).items():
        if isinstance(value, StreamlitServer):
            report.sections.append((f"streamlit log ({name})", value.log_tail()))


def open_and_settle(page: Page, expander: Locator, title: str) -> None:
    """Click ``expander``'s title and wait for its opening animation to end: it scrolls while it
    grows, and a select list inside it closes when its container scrolls."""
    expander.get_by_text(title, exact=True).first.click()
    expect(expander.locator("details").first).to_have_attribute("open", "")
    last = None
    for _ in range(40):
        box = expander.bounding_box()
        if box == last:
            return
        last = box
        page.wait_for_timeout(100)
    raise AssertionError(f"the expander {title!r} did not stop growing")
