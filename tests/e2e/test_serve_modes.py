"""Transport and robustness: --tcp, bad settings, clean shutdown."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lsprotocol import types

from support.envs import make_venv

pytestmark = pytest.mark.asyncio


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _frame(msg: dict) -> bytes:
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_message(sock_file) -> dict:
    length = 0
    while True:
        line = sock_file.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length"):
            length = int(line.split(b":")[1])
    return json.loads(sock_file.read(length))


async def test_tcp_transport(tmp_path: Path, state_dir: Path):
    proj = tmp_path / "ws" / "app"
    proj.mkdir(parents=True)
    (proj / "setup.cfg").write_text("[metadata]\nname = app\n")
    make_venv(proj / ".venv")
    port = _free_port()
    env = {"XDG_STATE_HOME": str(state_dir), "PATH": "/usr/bin:/bin"}
    server = subprocess.Popen(
        [sys.executable, "-m", "venvkeeper", "serve", "--tcp", f"127.0.0.1:{port}"],
        env={**env, "PYTHONPATH": ":".join(sys.path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60  # a safety net: start-up takes seconds on a loaded machine
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                server_alive = server.poll() is None
                assert server_alive
                time.sleep(0.05)  # connection retry while the server binds (not test synchronisation)
        with sock, sock.makefile("rb") as f:
            ws = (tmp_path / "ws").as_uri()
            sock.sendall(
                _frame(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "initialize",
                        "params": {"processId": None, "rootUri": ws, "capabilities": {}},
                    }
                )
            )
            assert _read_message(f)["id"] == 1
            sock.sendall(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
            sock.sendall(
                _frame(
                    {
                        "jsonrpc": "2.0",
                        "id": 2,
                        "method": "venvkeeper/interpreter",
                        "params": {"uri": proj.as_uri()},
                    }
                )
            )
            while True:
                msg = _read_message(f)
                if msg.get("id") == 2:
                    break
            assert msg["result"]["envPath"] == str(proj / ".venv")
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    assert out == b""  # stdout is never used for logs, even in TCP mode


async def test_bad_settings_fall_back_and_are_reported(tmp_path, start_server):
    proj = tmp_path / "ws" / "app"
    proj.mkdir(parents=True)
    (proj / "requirements.txt").write_text("")
    make_venv(proj / ".venv")
    s = await start_server([tmp_path / "ws"], init_options={"settings": {"autoCreate": "maybe"}})
    s.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"venvkeeper": {"debounceMs": "soon", "autoCreate": "never"}}
        )
    )
    await s.client.wait_for_notification("window/showMessage")
    assert any("venvkeeper.debounceMs" in m.message for m in s.client.messages)
    # Still serving, with the valid part of the settings applied.
    assert (await s.request("venvkeeper/interpreter", {"uri": proj.as_uri()}))["state"] == "ok"
