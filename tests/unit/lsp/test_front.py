"""The start-up front (lsp/front.py): its answers are the real server's, its framing and replay lose nothing."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from venvkeeper.host import Host
from venvkeeper.lsp import front
from venvkeeper.lsp.features import build_server
from venvkeeper.settings import initialization_settings
from venvkeeper.wire import to_wire

#: Client capabilities that change pygls's initialize result, and real clients' shapes.
CLIENT_CAPABILITIES: list[dict[str, Any]] = [
    {},
    {"window": {"workDoneProgress": True}},
    {"general": {"positionEncodings": ["utf-8", "utf-16"]}},
    {"general": {"positionEncodings": ["utf-32"]}},
    {"general": {"positionEncodings": ["latin-1"]}},
    {"general": {"positionEncodings": []}},
    {"textDocument": {"synchronization": {"willSave": True, "willSaveWaitUntil": True, "didSave": True}}},
    {"textDocument": {"synchronization": {"willSave": False}}},
    {"notebookDocument": {"synchronization": {"dynamicRegistration": True}}},
    {
        "workspace": {
            "workspaceFolders": True,
            "configuration": True,
            "didChangeWatchedFiles": {"dynamicRegistration": True},
            "fileOperations": {"didCreate": True, "willRename": True},
        },
        "window": {"workDoneProgress": True, "showMessage": {}},
        "general": {"positionEncodings": ["utf-16"]},
    },
]


def real_initialize_result(params: dict[str, Any]) -> Any:
    """What the real server answers to ``initialize`` (pygls's own code path, the user handler included)."""
    server = build_server(Host.from_process())
    converter = server.protocol._converter
    gen = server.protocol.lsp_initialize(converter.structure(params, types.InitializeParams))
    try:
        while True:
            handler, args, _ = next(gen)
            handler(*args)
    except StopIteration as stop:
        return json.loads(json.dumps(converter.unstructure(stop.value)))


@pytest.mark.parametrize("caps", CLIENT_CAPABILITIES)
def test_initialize_result_is_the_real_servers(tmp_path: Path, caps: dict[str, Any]) -> None:
    params = {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": caps}
    real = real_initialize_result(params)
    assert front.initialize_result(params) == real, (
        "update lsp/front.py INITIALIZE_RESULT (or its rules) to the real server's answer:\n"
        + json.dumps(real_initialize_result({"processId": None, "capabilities": {}}))
    )


def test_initialize_without_capabilities_is_left_to_the_server() -> None:
    assert front.initialize_result({"processId": None}) is None
    assert front.initialize_result([]) is None
    assert front.initialize_result({"capabilities": {"general": {"positionEncodings": "utf-8"}}}) is None


@pytest.mark.parametrize(
    "uri",
    ["file:///tmp/a%20b/main.py", "file:///tmp/x/../y/z.py", "file:///tmp/%C3%A9t%C3%A9/m.py", "file:///"],
)
def test_uri_paths_are_pygls_paths(uri: str) -> None:
    from pygls.uris import to_fs_path

    from venvkeeper.app import normalize

    assert front.uri_to_path(uri) == normalize(Path(to_fs_path(uri) or ""))


@pytest.mark.parametrize(
    "uri", ["file://host/share/x.py", "untitled:Untitled-1", "file:relative", "file:///a?q=1"]
)
def test_unusual_uris_are_left_to_the_server(uri: str) -> None:
    assert front.uri_to_path(uri) is None


# -- framing ------------------------------------------------------------------------------------------
def test_split_frames_keeps_partial_frames_for_later() -> None:
    one = front.frame({"id": 1})
    two = front.frame({"id": 2, "s": "é"})
    stream = one + two
    for cut in range(len(stream) + 1):
        bodies, used = front.split_frames(stream[:cut])
        more, end = front.split_frames(stream, used)
        assert [json.loads(b) for b in bodies + more] == [{"id": 1}, {"id": 2, "s": "é"}]
        assert end == len(stream)


def test_split_frames_reads_other_headers_and_refuses_no_length() -> None:
    body = b'{"id":3}'
    raw = b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: 8\r\n\r\n" + body
    assert front.split_frames(raw) == ([body], len(raw))
    with pytest.raises(ValueError):
        front.split_frames(b"X-Other: 1\r\n\r\n{}")


def test_replay_input_serves_what_was_seen_then_the_rest_then_eof() -> None:
    events: queue.Queue[Any] = queue.Queue()
    events.put(("data", b"ond line\nthird"))
    events.put(("data", b" part"))
    events.put(("eof", None))
    replay = front.ReplayInput(b"first\nsec", events)
    assert replay.readline() == b"first\n"
    assert replay.readline() == b"second line\n"
    assert replay.read(5) == b"third"
    assert replay.read(100) == b" part"
    assert replay.readline() == b""
    assert replay.read(3) == b""


class _Sink:
    def __init__(self) -> None:
        self.data = b""
        self.closed = False

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_filtered_output_drops_one_reply_per_answered_request_and_passes_the_rest() -> None:
    sink = _Sink()
    answered = {front._id_key(1): {"capabilities": {}}, front._id_key("a"): None}
    out = front.FilteredOutput(sink, answered, 1)  # type: ignore[arg-type]
    messages = [
        {"jsonrpc": "2.0", "id": 1, "result": {"capabilities": {}}},  # dropped
        {"jsonrpc": "2.0", "method": "window/logMessage", "params": {"type": 3, "message": "hi"}},
        {"jsonrpc": "2.0", "id": "1", "result": None},  # another id: "1" is not 1
        {"jsonrpc": "2.0", "id": 1, "method": "workspace/configuration", "params": {}},  # a request
        {"jsonrpc": "2.0", "id": "a", "result": None},  # dropped
        {"jsonrpc": "2.0", "id": 1, "result": 5},  # its one reply was dropped already
    ]
    stream = b"".join(front.frame(m) for m in messages)
    for i in range(0, len(stream), 7):  # in pieces, as a writer may send them
        out.write(stream[i : i + 7])
    bodies, _ = front.split_frames(sink.data)
    assert [json.loads(b) for b in bodies] == [messages[1], messages[2], messages[3], messages[5]]
    out.close()
    assert sink.closed


# -- the front's decisions ----------------------------------------------------------------------------
def _workspace(tmp_path: Path) -> Path:
    app = tmp_path / "ws" / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text("packaging\n")
    (app / "main.py").write_text("print('hi')\n")
    (app / ".venv" / "bin").mkdir(parents=True)
    (app / ".venv" / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\nversion = 3.12.0\n")
    return tmp_path / "ws"


def _initialize(ws: Path, options: Any = None) -> dict[str, Any]:
    params = {
        "processId": None,
        "rootUri": ws.as_uri(),
        "workspaceFolders": [{"uri": ws.as_uri(), "name": "ws"}],
        "capabilities": {},
        "initializationOptions": options,
    }
    return {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}


def _query(rid: int, uri: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "method": "venvkeeper/interpreter", "params": {"uri": uri}}


def _answers(out: list[bytes]) -> dict[Any, Any]:
    bodies, _ = front.split_frames(b"".join(out))
    return {m["id"]: m["result"] for m in map(json.loads, bodies)}


@pytest.mark.parametrize(
    "options", [None, {"trusted": False}, {"trusted": True, "settings": {"trusted": True}}]
)
def test_interpreter_answer_is_the_apps(tmp_path: Path, options: Any) -> None:
    ws = _workspace(tmp_path)
    out: list[bytes] = []
    done: list[bool] = []
    f = front.Front(Host.from_process(), out.append, lambda: done.append(True))
    main = ws / "app" / "main.py"
    for msg in [
        _initialize(ws, options),
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {}},
        _query(1, main.as_uri()),
        _query(2, (tmp_path / "elsewhere.py").as_uri()),
    ]:
        f.handle(msg)
    assert f.active and done
    # The real server's App, set up and queried the same way (lsp/workspace.py, lsp/interpreter.py).
    server = build_server(Host.from_process())
    real = real_initialize_result(_initialize(ws, options)["params"])
    from venvkeeper.lsp.workspace import _roots_from_initialize, apply_settings

    apply_settings(server, initialization_settings(options), announce=False)
    params = server.protocol._converter.structure(_initialize(ws, options)["params"], types.InitializeParams)
    server.app.set_roots(_roots_from_initialize(params), scan=False)
    project = server.app.project_for(main)
    assert project is not None
    while server.app.needs_check(project):
        job = server.app.check_job(project)
        server.app.apply_check(job, job.run())
    expected = to_wire(server.app.interpreter_for(main))
    assert _answers(out) == {0: real, 1: expected, 2: None}
    assert expected["envPath"] == str(ws / "app" / ".venv")


@pytest.mark.parametrize(
    "first",
    [
        {"jsonrpc": "2.0", "id": 7, "method": "venvkeeper/select", "params": {}},
        {"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration", "params": {"settings": {}}},
        {"jsonrpc": "2.0", "method": "workspace/didChangeWorkspaceFolders", "params": {}},
        {"jsonrpc": "2.0", "id": 7, "result": None},  # a reply: the front never asked anything
        [1, 2],
        _query(7, 42),  # invalid params: the real server's error, not ours
        _query(7, "untitled:x"),
    ],
)
def test_after_anything_it_does_not_know_the_front_answers_nothing(tmp_path: Path, first: Any) -> None:
    ws = _workspace(tmp_path)
    out: list[bytes] = []
    f = front.Front(Host.from_process(), out.append)
    f.handle(_initialize(ws))
    f.handle(first)
    f.handle(_query(8, (ws / "app" / "main.py").as_uri()))
    assert not f.active
    assert list(_answers(out)) == [0]


def test_nothing_before_initialize_and_no_second_initialize(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    out: list[bytes] = []
    f = front.Front(Host.from_process(), out.append)
    f.handle(_query(1, (ws / "app" / "main.py").as_uri()))
    f.handle(_initialize(ws))
    assert not f.active and out == []


def test_the_front_imports_neither_pygls_nor_lsprotocol_nor_attrs(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    script = """
import json, sys
from venvkeeper import cli
from venvkeeper.host import Host
from venvkeeper.lsp.front import Front
out = []
f = Front(Host.from_process(), out.append)
for m in json.loads(sys.argv[1]):
    f.handle(m)
assert f.active and len(out) == 2, out
"""
    messages = json.dumps([_initialize(ws), _query(1, (ws / "app" / "main.py").as_uri())])
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script, messages],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    banned = {
        m for m in modules if m.split(".")[0] in {"pygls", "lsprotocol", "cattrs", "cattr", "attr", "attrs"}
    }
    assert "venvkeeper.app" in modules
    assert banned == set()
