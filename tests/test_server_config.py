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


def _server_side_nodelay() -> int:
    """TCP_NODELAY on the server's end of a connection to an asyncio server whose listening
    socket is made as Streamlit makes it (``proto`` 0)."""
    import asyncio
    import socket

    async def measure() -> int:
        seen = asyncio.get_running_loop().create_future()

        def connected(reader, writer):
            sock = writer.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        server = await asyncio.start_server(connected, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            found = await asyncio.wait_for(seen, 10)
            writer.close()
        return found

    return asyncio.run(measure())


def test_the_servers_connections_send_small_messages_without_waiting_for_acknowledgements(
    monkeypatch,
):
    # asyncio turns Nagle's algorithm off only when a socket's proto is IPPROTO_TCP; Streamlit
    # makes its listening socket with proto 0, so every interaction's last messages waited up to
    # 40 ms for the browser's delayed acknowledgement. The launcher turns it off for them.
    from asyncio import base_events

    from ui import launch

    monkeypatch.setattr(base_events, "_set_nodelay", base_events._set_nodelay)  # restored after
    assert _server_side_nodelay() == 0  # asyncio alone: Nagle's algorithm on
    launch.send_small_messages_at_once()
    assert _server_side_nodelay() != 0


def test_the_launcher_turns_nagles_algorithm_off_before_the_server_starts(monkeypatch, tmp_path):
    from asyncio import base_events

    from ui import launch

    monkeypatch.setattr(base_events, "_set_nodelay", base_events._set_nodelay)
    monkeypatch.setenv("CS_WORKSPACE_DB", str(tmp_path / "absent.duckdb"))
    monkeypatch.setenv("CS_SCHEDULER", "off")
    started = []
    monkeypatch.setattr(
        launch.streamlit_cli, "main", lambda: started.append(_server_side_nodelay())
    )
    monkeypatch.setattr(launch, "_serve_backups", lambda path: None)
    monkeypatch.setattr("cs_core.demo.create_demo_workspace", lambda path, now: None)
    launch.main([])
    assert started and started[0] != 0
