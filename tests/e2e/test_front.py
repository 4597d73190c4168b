"""The start-up front (lsp/front.py) over a real process: the same answers as the plain server, one reply
per request, and nothing lost when the front gives up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.rawlsp import RawLspClient
from tests.e2e.conftest import SERVER_CMD, server_env

TIMEOUT = 60  # a safety net only: every wait ends on an answer


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("front") / "ws"
    app = root / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text("packaging\n")
    (app / "main.py").write_text("print('hi')\n")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(app / ".venv")], check=True)
    (root / "bare").mkdir()
    (root / "bare" / "pyproject.toml").write_text('[project]\nname = "bare"\ndependencies = ["attrs"]\n')
    return root


def _client(tmp_path: Path, front: bool) -> RawLspClient:
    env = server_env(tmp_path / "state", {"VENVKEEPER_FRONT": "1" if front else "0"})
    return RawLspClient(SERVER_CMD, env=env)


def _no_second_reply(client: RawLspClient, ids: list[int]) -> None:
    """After one more round trip (answered after everything sent before it), no id got a second reply."""
    client.request("venvkeeper/interpreters", {"uri": None}, timeout=TIMEOUT)
    for rid in ids:
        assert client._responses[rid].empty(), f"a second reply to request {rid}"


def _session(tmp_path: Path, ws: Path, front: bool, options: Any) -> dict[str, Any]:
    client = _client(tmp_path, front)
    try:
        init = client.initialize(ws, options)
        uris = [
            (ws / "app" / "main.py").as_uri(),
            (ws / "bare" / "x.py").as_uri(),
            (ws.parent / "out.py").as_uri(),
        ]
        ids = [client.send_request("venvkeeper/interpreter", {"uri": u}) for u in uris]
        answers = [client._responses[rid].get(timeout=TIMEOUT)["result"] for rid in ids]
        _no_second_reply(client, [1, *ids])
        assert client.close() == 0
    finally:
        client.proc.kill()
    return {"initialize": init, "interpreter": answers}


@pytest.mark.parametrize("options", [None, {"trusted": False}, {"settings": {"autoCreate": "never"}}])
def test_the_front_answers_what_the_plain_server_answers(tmp_path: Path, ws: Path, options: Any) -> None:
    with_front = _session(tmp_path, ws, True, options)
    plain = _session(tmp_path, ws, False, options)
    assert json.dumps(with_front, sort_keys=True) == json.dumps(plain, sort_keys=True)
    assert with_front["interpreter"][0]["envPath"] == str(ws / "app" / ".venv")
    assert with_front["interpreter"][2] is None


def test_everything_sent_during_start_up_reaches_the_server_in_order(tmp_path: Path, ws: Path) -> None:
    client = _client(tmp_path, True)
    try:
        main = (ws / "app" / "main.py").as_uri()
        init_id = client.send_request(
            "initialize",
            {"processId": None, "rootUri": ws.as_uri(), "capabilities": {}, "initializationOptions": {}},
        )
        client.notify("initialized", {})
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": main, "languageId": "python", "version": 1, "text": "print('hi')\n"}},
        )
        first = client.send_request("venvkeeper/interpreter", {"uri": main})
        envs = client.send_request("venvkeeper/environments", {"uri": main})  # the front stops here
        second = client.send_request("venvkeeper/interpreter", {"uri": main})
        bad = client.send_request("venvkeeper/interpreter", {"uri": 42})
        replies = {
            rid: client._responses[rid].get(timeout=TIMEOUT) for rid in (init_id, first, envs, second, bad)
        }
        assert replies[first]["result"] == replies[second]["result"]
        assert replies[envs]["result"]["projectRoot"] == str(ws / "app")
        assert "error" in replies[bad]  # the real server's invalid-params error, not an answer
        # Diagnostics (the real server's notifications) for the project the queries checked.
        client.wait_notification("textDocument/publishDiagnostics", timeout=TIMEOUT)
        _no_second_reply(client, [init_id, first, envs, second, bad])
        assert client.close() == 0
    finally:
        client.proc.kill()


def test_a_frame_the_front_cannot_read_leaves_everything_to_the_server(tmp_path: Path, ws: Path) -> None:
    client = _client(tmp_path, True)
    try:
        assert client.proc.stdin is not None
        client.proc.stdin.write(b"Content-Length: 5\r\n\r\n{oops")  # not JSON: the front stops
        client.proc.stdin.flush()
        client.initialize(ws)
        answer = client.request("venvkeeper/interpreter", {"uri": (ws / "app" / "main.py").as_uri()}, TIMEOUT)
        assert answer["envPath"] == str(ws / "app" / ".venv")
        assert client.close() == 0
    finally:
        client.proc.kill()


@pytest.mark.parametrize("front", [True, False])
def test_end_of_input_during_start_up_ends_the_server(tmp_path: Path, ws: Path, front: bool) -> None:
    client = _client(tmp_path, front)
    try:
        client.send_request(
            "initialize",
            {"processId": None, "rootUri": ws.as_uri(), "capabilities": {}, "initializationOptions": {}},
        )
        assert client.proc.stdin is not None
        client.proc.stdin.close()
        assert client.proc.wait(timeout=TIMEOUT) is not None
    finally:
        client.proc.kill()
