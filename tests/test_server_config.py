"""The server's Streamlit settings (.streamlit/config.toml) that concern running many sessions."""

import tomllib
from pathlib import Path

from streamlit import config

ROOT = Path(__file__).resolve().parent.parent


def test_script_runs_end_without_a_full_garbage_collection():
    # A full collection after each run holds the GIL for about 0.1 s at scale M: with 20
    # sessions at work, a quarter of the server's time, every other session stalled meanwhile.
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["runner"]["postScriptGC"] is False
    assert "runner.postScriptGC" in config.get_config_options()  # an option Streamlit reads


def test_the_server_does_not_reload_modules_when_files_change():
    # Code changed under a running server made sessions drop the app's modules mid-import.
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["server"]["fileWatcherType"] == "none"
    assert "server.fileWatcherType" in config.get_config_options()
