"""Faults name what happened: a full disk, a read-only folder, a damaged file (U-5, DAT-2).

A small file system (tmpfs) stands in for a full disk and is remounted read-only for a
folder that stops being writable; both need root (as CI and `make test` run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cs_core import db
from tests.conftest import SETTINGS_MANAGER


def _mount(path: Path, size_mb: int) -> None:
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"a small file system cannot be mounted here: {done.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path):
    """``small_disk(size_mb)``: a folder on a file system of that size."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    mounted = []

    def make(size_mb: int) -> Path:
        folder = tmp_path / f"disk{len(mounted)}"
        _mount(folder, size_mb)
        mounted.append(folder)
        return folder

    yield make
    db.close_shared()
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Use up the free space of the folder's file system."""
    with open(folder / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass
    for size in (1 << 16, 1 << 12, 1 << 8, 1):
        try:
            with open(folder / "filler", "ab") as f:
                while True:
                    f.write(b"\0" * size)
                    f.flush()
        except OSError:
            continue


def big_write(cur) -> None:
    cur.execute("CREATE TABLE notes AS SELECT repeat('x', 1000) || i AS s FROM range(50000) t(i)")


def test_a_full_disk_names_the_file_and_the_cause_and_keeps_the_data(small_disk):
    folder = small_disk(8)
    path = folder / "w.duckdb"
    con = db.open_workspace(path)
    db.write(con, lambda cur: cur.execute("INSERT INTO teams VALUES (1, 'Kept')"))
    fill(folder)
    with pytest.raises(db.WorkspaceWriteFailed) as err:
        db.write(con, big_write)
    message = str(err.value)
    assert message.startswith(f"Nothing was saved: the workspace database {path} cannot be written")
    assert "the disk is full" in message and "No space left on device" in message
    # Nothing was half-written, and the workspace still answers.
    assert con.execute("SELECT name FROM teams").fetchall() == [("Kept",)]
    assert not con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'notes'"
    ).fetchone()[0]
    (folder / "filler").unlink()
    db.write(con, lambda cur: cur.execute("INSERT INTO teams VALUES (2, 'After')"))
    assert con.execute("SELECT count(*) FROM teams").fetchone()[0] == 2
    con.close()


def test_a_folder_made_read_only_names_the_file_and_the_cause(small_disk):
    folder = small_disk(16)
    path = folder / "w.duckdb"
    db.open_workspace(path).close()
    before = path.read_bytes()
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    with pytest.raises(db.WorkspaceError) as err:
        db.open_workspace(path)
    message = str(err.value)
    assert message.startswith(f"The workspace database {path} cannot be opened")
    assert "its file system is read-only" in message and "Read-only file system" in message
    assert path.read_bytes() == before


def test_a_damaged_file_is_called_damaged_never_locked(tmp_path):
    path = tmp_path / "w.duckdb"
    db.open_workspace(path).close()
    data = bytearray(path.read_bytes())
    for offset in range(12288, len(data) - 200, 4096 * 4):  # every fourth block after the headers
        data[offset + 100 : offset + 164] = b"\xff" * 64
    path.write_bytes(bytes(data))
    with pytest.raises(db.WorkspaceCorrupt) as err:
        db.open_workspace(path)
    message = str(err.value)
    assert f"The workspace database {path} is damaged" in message
    assert "Restore it from your latest backup" in message
    assert "in use" not in message and "another process" not in message


def test_a_page_that_cannot_save_says_why_instead_of_failing(
    small_disk, demo_template, monkeypatch
):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import NOW
    from tests.pages.conftest import APP, plain

    size_mb = demo_template.stat().st_size // (1 << 20) + 8
    folder = small_disk(size_mb)
    path = folder / "workspace.duckdb"
    shutil.copy(demo_template, path)
    monkeypatch.setenv("CS_WORKSPACE_DB", str(path))
    monkeypatch.setenv("CS_NOW", NOW.isoformat())
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state["as"] = SETTINGS_MANAGER
    at.run()
    at.switch_page("app_pages/settings.py").run()
    fill(folder)
    # Saving the customer settings is a write: it cannot be saved, and the page says why.
    at.button(key="settings.customers.save").click().run()
    assert not at.exception
    shown = [plain(e.value) for e in at.error]
    assert any(f"the workspace database {path} cannot be written" in e and "the disk is full" in e
               for e in shown), shown  # fmt: skip
