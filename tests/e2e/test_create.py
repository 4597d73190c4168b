"""Creation over LSP: the auto-create prompt round trip (each button), the create command with $/progress,
cancellation through window/workDoneProgress/cancel, and refusal in an untrusted workspace."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from support.envs import make_venv
from support.lsp import Prompts, wait_log
from support.offline import XY, offline_env
from support.wheelhouse import Dist, build_wheelhouse, in_tree_backend_package
from venvkeeper.creation.journal import Transaction

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(
        tmp_path_factory.mktemp("wh"), [Dist("alpha", "1.0", requires=["beta"]), Dist("beta")]
    )


def project(ws: Path, name: str, requirements: str = "alpha\n") -> Path:
    p = ws / name
    p.mkdir(parents=True)
    (p / "requirements.txt").write_text(requirements)
    (p / ".python-version").write_text(f"{XY}\n")
    return p


def installed(env: Path) -> set[str]:
    return {p.name.split("-")[0] for p in env.glob("lib/python*/site-packages/*.dist-info")}


async def test_prompt_create_makes_the_env(tmp_path: Path, wheelhouse: Path, start_server: Any) -> None:
    ws = tmp_path / "ws"
    app = project(ws, "app")
    # The project is the workspace folder itself: the message is exactly the one from the issue.
    s = await start_server([app], {"settings": {"backend": "venv"}}, offline_env(wheelhouse))
    prompts = Prompts(s.client, {"install requirements.txt": "Create"})
    await prompts.wait(1)
    request = prompts.requests[0]
    assert request.message == f"Create .venv with Python {XY} and install requirements.txt?"
    assert [a.title for a in request.actions or []] == ["Create", "Not now", "Never for this project"]
    change = await s.wait_env_change(
        lambda c: bool(c["interpreter"]) and c["interpreter"]["envPath"] == str(app / ".venv"), timeout=90
    )
    assert change["projectRoot"] == str(app)
    assert {"alpha", "beta", "pip"} <= installed(app / ".venv")
    assert "*" in (app / ".venv" / ".gitignore").read_text()


async def test_prompt_not_now_and_never(
    tmp_path: Path, wheelhouse: Path, start_server: Any, state_dir: Path
) -> None:
    ws = tmp_path / "ws"
    app = project(ws, "app")
    lib = project(ws, "lib")
    settings = {"settings": {"backend": "venv"}}
    s = await start_server([ws], settings, offline_env(wheelhouse))
    # Two projects lack an env: one grouped prompt; "Choose…" then asks project by project.
    prompts = Prompts(
        s.client,
        {
            "2 projects have no environment": "Choose…",
            "app/.venv": "Never for this project",
            "lib/.venv": "Not now",
        },
    )
    await prompts.wait(3)
    assert prompts.requests[0].message == "2 projects have no environment: app and lib"
    assert [a.title for a in prompts.requests[0].actions or []] == [
        "Create all",
        "Choose…",
        "Not now",
        "Never for these",
    ]
    assert sorted(r.message for r in prompts.requests[1:]) == [
        f"Create {name}/.venv with Python {XY} and install requirements.txt?" for name in ("app", "lib")
    ]
    await wait_log(s.client, "will not offer to create an env for")
    assert not (app / ".venv").exists() and not (lib / ".venv").exists()
    await s.client.shutdown_session()

    # "Never" is kept in the user state dir (not in the repo); "Not now" only lasts for the session.
    state = json.loads(next(state_dir.rglob("state.json")).read_text())
    declined = {p for p, entry in state["projects"].items() if "create" in entry.get("declined", [])}
    assert declined == {str(app)}
    assert not list(ws.rglob(".venvkeeper*"))  # nothing written into the repo

    s2 = await start_server([ws], settings, offline_env(wheelhouse))
    prompts2 = Prompts(s2.client, {})
    await prompts2.wait(1)
    # Only the project answered "Not now" is offered again; both are considered in the same pass, in
    # order, so a prompt for app would have arrived before this one.
    assert [r.message for r in prompts2.requests] == [
        f"Create lib/.venv with Python {XY} and install requirements.txt?"
    ]


async def test_auto_create_always_needs_no_answer(
    tmp_path: Path, wheelhouse: Path, start_server: Any
) -> None:
    ws = tmp_path / "ws"
    app = project(ws, "app", "beta\n")
    s = await start_server(
        [ws], {"settings": {"autoCreate": "always", "backend": "venv"}}, offline_env(wheelhouse)
    )
    prompts = Prompts(s.client, {})
    await s.wait_env_change(
        lambda c: bool(c["interpreter"]) and c["interpreter"]["envPath"] == str(app / ".venv"), timeout=90
    )
    assert "beta" in installed(app / ".venv")
    assert prompts.requests == []


async def test_create_command_reports_progress(tmp_path: Path, wheelhouse: Path, start_server: Any) -> None:
    ws = tmp_path / "ws"
    app = project(ws, "app")
    s = await start_server(
        [ws], {"settings": {"autoCreate": "never", "backend": "venv"}}, offline_env(wheelhouse)
    )
    result = await s.client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="venvkeeper.create", arguments=[{"uri": app.as_uri(), "python": XY}]
        )
    )
    result = dict(result) if not isinstance(result, dict) else result
    assert result["envPath"] == str(app / ".venv")
    assert result["backend"] == "venv"
    assert result["reason"].startswith(f"Python {XY}")
    assert {"alpha", "beta"} <= installed(app / ".venv")
    reports = [r for values in s.client.progress_reports.values() for r in values]
    kinds = [r.kind for r in reports]
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
    assert reports[0].cancellable
    messages = [getattr(r, "message", None) or "" for r in reports]
    assert any(m.startswith("installing") or m.startswith("installed") for m in messages)
    # The end says what happened in one line (issue 15 item 2).
    assert reports[-1].message is not None and reports[-1].message.startswith(
        f"Created .venv with Python {XY}"
    )
    assert reports[-1].message.split(" in ")[0].endswith("and installed 2 packages")
    await s.wait_env_change(
        lambda c: bool(c["interpreter"]) and c["interpreter"]["envPath"] == str(app / ".venv")
    )


async def test_failed_create_says_the_decisive_line_once(
    tmp_path: Path, wheelhouse: Path, start_server: Any
) -> None:
    ws = tmp_path / "ws"
    app = project(ws, "app", "nopkg==1.0\n")
    s = await start_server(
        [ws], {"settings": {"autoCreate": "never", "backend": "venv"}}, offline_env(wheelhouse)
    )
    with pytest.raises(JsonRpcException) as failed:
        await s.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="venvkeeper.create", arguments=[{"uri": app.as_uri()}])
        )
    decisive = "No matching distribution found for nopkg==1.0"
    assert failed.value.message == f"Creating the environment for app failed: {decisive}"
    assert failed.value.data == {"decisive": decisive, "retry": True}
    # Logged once, with pip's whole output after the line; never a doubled prefix.
    await wait_log(s.client, "Could not find a version that satisfies the requirement nopkg==1.0")
    logs = [m.message for m in s.client.log_messages]
    assert sum("Could not find a version that satisfies" in m for m in logs) == 1
    assert not any(m.startswith("venvkeeper:") for m in logs)
    assert sorted(p.name for p in app.iterdir()) == [".python-version", "requirements.txt"]


BLOCKING_BACKEND = """
import os, socket
def _block():
    port = int(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "port")).read())
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"started\\n")
    s.recv(1)
    raise SystemExit("released")
def get_requires_for_build_wheel(config_settings=None):
    _block()
"""


async def test_cancel_through_progress_leaves_no_env(
    tmp_path: Path, wheelhouse: Path, start_server: Any
) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.setblocking(False)
    blocker = in_tree_backend_package(tmp_path, "blocker", "blockbackend", BLOCKING_BACKEND)
    (blocker / "port").write_text(str(server.getsockname()[1]))
    ws = tmp_path / "ws"
    app = project(ws, "app", f"alpha\n{blocker}\n")
    s = await start_server(
        [ws], {"settings": {"autoCreate": "never", "backend": "venv"}}, offline_env(wheelhouse)
    )
    command = asyncio.ensure_future(
        s.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="venvkeeper.create", arguments=[{"uri": app.as_uri()}])
        )
    )
    loop = asyncio.get_running_loop()
    conn, _ = await asyncio.wait_for(loop.sock_accept(server), 90)  # pip is building the blocker now
    token = next(iter(s.client.progress_reports))
    s.client.protocol.notify(
        types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=token)
    )
    # A cancel the user asked for is an answer, not an error (no error toast in the editor).
    result = await asyncio.wait_for(command, 30)
    assert result["cancelled"] is True and "cancelled; nothing was changed" in result["message"]
    conn.close()
    server.close()
    assert sorted(p.name for p in app.iterdir()) == [".python-version", "requirements.txt"]
    assert s.client.progress_reports[token][-1].kind == "end"


async def test_commands_refuse_when_untrusted(tmp_path: Path, wheelhouse: Path, start_server: Any) -> None:
    ws = tmp_path / "ws"
    app = project(ws, "app")
    s = await start_server([ws], {"trusted": False}, offline_env(wheelhouse))
    for command in (
        "venvkeeper.create",
        "venvkeeper.sync",
        "venvkeeper.recreate",
        "venvkeeper.installMissing",
    ):
        with pytest.raises(JsonRpcException, match="not trusted"):
            await s.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=command, arguments=[{"uri": app.as_uri()}])
            )
    assert not (app / ".venv").exists()
    shutil.rmtree(ws)


class _DieBeforeSecondRename:
    """Rename primitives of a file system without an atomic exchange; the "process" dies after moving the
    old env aside (the journal write, then the old env's rename), before the new env moves in."""

    def __init__(self) -> None:
        self.renames = 0

    def rename(self, src: Path, dst: Path) -> None:
        if self.renames == 2:
            raise KeyboardInterrupt("killed")
        self.renames += 1
        os.rename(src, dst)

    def exchange(self, a: Path, b: Path) -> bool:
        return False


async def test_start_restores_the_env_a_killed_create_moved_aside(tmp_path: Path, start_server: Any) -> None:
    app = project(tmp_path / "ws", "app", "")
    make_venv(app / ".venv")
    ops = _DieBeforeSecondRename()
    txn = Transaction.begin(app, ".venv", ops=ops)
    make_venv(txn.build_dir)
    ops.renames = 0
    with pytest.raises(KeyboardInterrupt):
        txn.swap(app / ".venv")
    txn.release()
    assert not (app / ".venv").exists()

    s = await start_server([app], {"settings": {"backend": "venv"}})
    await s.wait_env_change(
        lambda c: bool(c["interpreter"]) and c["interpreter"]["envPath"] == str(app / ".venv"), timeout=30
    )
    await wait_log(s.client, f"recovered {txn.work}: restored the old .venv that a killed create (pid")
    assert sorted(p.name for p in app.iterdir()) == [".python-version", ".venv", "requirements.txt"]
