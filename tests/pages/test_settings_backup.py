"""Settings → Backups in AppTest: Back up now writes the file and the page says so."""

from pathlib import Path

import duckdb

from cs_core import backup
from tests.conftest import SETTINGS_MANAGER
from tests.pages.conftest import plain, scalar

FILE = "workspace-20261128T150000Z.duckdb"  # the app's clock is fixed at NOW (CS_NOW)


def _settings(app):
    at = app(SETTINGS_MANAGER)
    at.switch_page("app_pages/settings.py").run()
    assert not at.exception
    return at


def _lines(at) -> list[str]:
    return [plain(m.value) for m in at.markdown if "Last backup:" in plain(m.value)]


def test_back_up_now_writes_the_backup_and_shows_it_as_the_last_one(app, demo_path):
    at = _settings(app)
    assert _lines(at) == []
    assert any(i.value == "No backup has been made yet." for i in at.info)
    at.button(key="settings.backup.run").click().run()
    assert not at.exception and not at.error
    file = demo_path.parent / "backups" / FILE  # the default: backups/ beside the workspace
    assert file.is_file()
    size = backup.shown_size(file.stat().st_size)
    assert [plain(t.value) for t in at.toast] == [f"Backed up to {file} ({size})."]
    (line,) = _lines(at)
    # Priya Raman's zone is Europe/Berlin: 15:00 UTC is 16:00 there.
    assert line.startswith(f"Last backup: 28 Nov 2026, 16:00 (Europe/Berlin), {file}, {size}, in ")
    assert line.endswith(" s (Back up now, by Priya Raman).")
    # The file is the workspace, as the app saw it.
    copy = duckdb.connect(str(file), read_only=True)
    assert copy.execute("SELECT count(*) FROM companies").fetchone()[0] == scalar(
        demo_path, "SELECT count(*) FROM companies"
    )
    copy.close()


def test_the_folder_set_in_settings_is_where_back_up_now_writes(app, tmp_path):
    at = _settings(app)
    chosen = tmp_path / "elsewhere" / "backups"
    at.text_input(key="settings.backup.folder").input(str(chosen))
    at.button(key="FormSubmitter:settings.backup.form-Save folder").click().run()
    assert not at.exception and not at.error
    assert [plain(t.value) for t in at.toast] == [f"Backups go to {chosen}."]
    at.button(key="settings.backup.run").click().run()
    assert not at.exception and not at.error
    assert [p.name for p in Path(chosen).iterdir()] == [FILE]
    (line,) = _lines(at)
    assert f", {chosen / FILE}, " in line
