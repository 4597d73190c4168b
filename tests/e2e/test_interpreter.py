"""The real server over stdio: initialize, interpreter queries, live changes on disk, select, folders."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.envs import make_venv

pytestmark = pytest.mark.asyncio


def _project(root: Path, name: str, *, venv: bool = False, reqs: str = "") -> Path:
    p = root / name
    p.mkdir(parents=True)
    (p / "requirements.txt").write_text(reqs)
    if venv:
        make_venv(p / ".venv")
    return p


async def test_interpreter_answer_for_file_and_folder(tmp_path, start_server):
    ws = tmp_path / "ws"
    app = _project(ws, "app", venv=True)
    (app / "src").mkdir()
    (app / "src" / "main.py").write_text("print(1)\n")
    s = await start_server([ws])

    answer = await s.request("venvkeeper/interpreter", {"uri": (app / "src" / "main.py").as_uri()})
    assert answer["python"] == str(app / ".venv" / "bin" / "python")
    assert answer["envPath"] == str(app / ".venv")
    assert answer["projectRoot"] == str(app)
    assert answer["version"] == ".".join(map(str, sys.version_info[:3]))
    assert answer["kind"] == "venv" and answer["state"] == "ok"
    assert answer["source"] == ".venv in the project"

    folder = await s.request("venvkeeper/interpreter", {"uri": app.as_uri()})
    assert folder["envPath"] == str(app / ".venv")


async def test_outside_workspace_and_non_file_uri_answer_null(tmp_path, start_server):
    ws = tmp_path / "ws"
    _project(ws, "app", venv=True)
    elsewhere = _project(tmp_path, "elsewhere", venv=True)
    s = await start_server([ws])
    assert await s.request("venvkeeper/interpreter", {"uri": (elsewhere / "x.py").as_uri()}) is None
    assert await s.request("venvkeeper/interpreter", {"uri": "untitled:Untitled-1"}) is None
    # The daemon keeps serving after those.
    assert (await s.request("venvkeeper/interpreter", {"uri": (ws / "app").as_uri()}))["state"] == "ok"


async def test_env_created_and_deleted_on_disk_is_announced(tmp_path, start_server):
    ws = tmp_path / "ws"
    app = _project(ws, "app")
    s = await start_server([ws])
    assert await s.request("venvkeeper/interpreter", {"uri": app.as_uri()}) is None

    # What a user does in a terminal: python -m venv .venv
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(app / ".venv")], check=True)
    change = await s.wait_env_change(
        lambda c: c["interpreter"] is not None and c["interpreter"]["state"] == "ok"
    )
    assert change["projectRoot"] == str(app)
    assert change["interpreter"]["envPath"] == str(app / ".venv")

    shutil.rmtree(app / ".venv")
    await s.wait_env_change(lambda c: c["projectRoot"] == str(app) and c["interpreter"] is None)
    assert await s.request("venvkeeper/interpreter", {"uri": app.as_uri()}) is None


async def test_new_project_file_appearing_makes_a_project(tmp_path, start_server):
    ws = tmp_path / "ws"
    ws.mkdir()
    lib = ws / "lib"
    lib.mkdir()
    make_venv(lib / ".venv")
    s = await start_server([ws])
    # No project file yet: the .venv alone does not make lib a project.
    assert await s.request("venvkeeper/interpreter", {"uri": lib.as_uri()}) is None
    (lib / "pyproject.toml").write_text('[project]\nname = "lib"\nversion = "1"\n')
    change = await s.wait_env_change(lambda c: c["projectRoot"] == str(lib) and c["interpreter"] is not None)
    assert change["interpreter"]["envPath"] == str(lib / ".venv")


async def test_select_persists_across_restart(tmp_path, start_server):
    ws = tmp_path / "ws"
    app = _project(ws, "app", venv=True)
    make_venv(app / "other-env")
    s = await start_server([ws])
    envs = await s.request("venvkeeper/environments", {"uri": app.as_uri()})
    assert [e["envPath"] for e in envs["environments"]] == [str(app / ".venv"), str(app / "other-env")]
    assert envs["environments"][0]["chosen"] is True
    assert "comes first" in envs["environments"][1]["rejected"]

    chosen = await s.request(
        "venvkeeper/select", {"uri": app.as_uri(), "envPath": str(app / "other-env" / "bin" / "python")}
    )
    assert chosen["envPath"] == str(app / "other-env")
    assert chosen["source"] == "explicitly selected"
    await s.wait_env_change(
        lambda c: c["interpreter"] and c["interpreter"]["envPath"] == str(app / "other-env")
    )

    # A fresh server (same user state dir) remembers the choice; nothing was written into the repo.
    s2 = await start_server([ws])
    again = await s2.request("venvkeeper/interpreter", {"uri": (app / "x.py").as_uri()})
    assert again["envPath"] == str(app / "other-env")
    assert sorted(p.name for p in app.iterdir()) == [".venv", "other-env", "requirements.txt"]


async def test_select_rejects_a_non_env(tmp_path, start_server):
    from pygls.exceptions import JsonRpcException

    ws = tmp_path / "ws"
    app = _project(ws, "app", venv=True)
    s = await start_server([ws])
    with pytest.raises(JsonRpcException, match="not a virtual environment"):
        await s.request("venvkeeper/select", {"uri": app.as_uri(), "envPath": str(tmp_path)})


async def test_workspace_folders_added_and_removed(tmp_path, start_server):
    from lsprotocol import types

    ws1 = tmp_path / "one"
    ws2 = tmp_path / "two"
    a = _project(ws1, "a", venv=True)
    b = _project(ws2, "b", venv=True)
    s = await start_server([ws1])
    assert await s.request("venvkeeper/interpreter", {"uri": b.as_uri()}) is None
    s.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=ws2.as_uri(), name="two")],
                removed=[types.WorkspaceFolder(uri=ws1.as_uri(), name="one")],
            )
        )
    )
    await s.wait_env_change(lambda c: c["projectRoot"] == str(b))
    assert (await s.request("venvkeeper/interpreter", {"uri": b.as_uri()}))["envPath"] == str(b / ".venv")
    assert await s.request("venvkeeper/interpreter", {"uri": a.as_uri()}) is None


async def test_client_virtual_env_elsewhere_is_listed_not_chosen(tmp_path, start_server):
    ws = tmp_path / "ws"
    app = _project(ws, "app", venv=True)
    other = _project(tmp_path, "other", venv=True)
    s = await start_server([ws], init_options={"virtualEnv": str(other / ".venv")})
    envs = await s.request("venvkeeper/environments", {"uri": app.as_uri()})
    by_path = {e["envPath"]: e for e in envs["environments"]}
    assert by_path[str(app / ".venv")]["chosen"] is True
    assert by_path[str(other / ".venv")]["activatedElsewhere"] is True
    assert "activated elsewhere" in by_path[str(other / ".venv")]["rejected"]


async def test_garbage_pyvenv_cfg_is_broken_not_fatal(tmp_path, start_server):
    ws = tmp_path / "ws"
    app = _project(ws, "app", venv=True)
    (app / ".venv" / "pyvenv.cfg").write_bytes(b"\x00\x01\x02garbage\xff")
    s = await start_server([ws])
    answer = await s.request("venvkeeper/interpreter", {"uri": app.as_uri()})
    assert answer["state"] == "broken"
    assert "binary" in answer["problem"]
    assert answer["status"] == "broken"


async def test_client_reported_project_file_deep_in_a_monorepo(tmp_path, start_server):
    """Below the depth our own watches cover, the client's didChangeWatchedFiles still adds projects."""
    from lsprotocol import types

    ws = tmp_path / "ws"
    deep = ws / "a" / "b" / "c" / "d" / "svc"
    deep.mkdir(parents=True)
    make_venv(deep / ".venv")
    s = await start_server([ws])
    assert await s.request("venvkeeper/interpreter", {"uri": deep.as_uri()}) is None
    (deep / "setup.cfg").write_text("[metadata]\nname = svc\n")
    s.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(deep / "setup.cfg").as_uri(), type=types.FileChangeType.Created)]
        )
    )
    change = await s.wait_env_change(lambda c: c["projectRoot"] == str(deep))
    assert change["interpreter"]["envPath"] == str(deep / ".venv")
