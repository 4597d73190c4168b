"""Workspace trust over LSP (issue 9, "Trust"): a malformed trust value means untrusted, nothing from
the workspace is run or offered for a terminal while untrusted, and trust turns both back on live."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from support.hostile import committed_venv_repo, marker_script
from support.lsp import wait_log

pytestmark = [pytest.mark.asyncio]

BASE_PYTHON = Path(getattr(sys, "_base_executable", sys.executable))
XY = f"{sys.version_info[0]}.{sys.version_info[1]}"


def configure(client: Any, settings: dict[str, Any]) -> None:
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"venvkeeper": settings})
    )


async def test_no_activation_while_untrusted_then_on_when_trusted(tmp_path: Path, start_server: Any) -> None:
    ran = tmp_path / "ran"
    repo = committed_venv_repo(tmp_path / "ws", ran)
    s = await start_server([repo], {"trusted": False})
    answer = await s.request("venvkeeper/interpreter", {"uri": repo.as_uri()})
    assert answer["envPath"] == str(repo / ".venv") and answer["state"] == "ok"
    assert "activation" not in answer
    configure(s.client, {"trusted": True})
    change = await s.wait_env_change(lambda c: bool(c["interpreter"]) and "activation" in c["interpreter"])
    assert change["interpreter"]["activation"]["pathPrepend"] == str(repo / ".venv" / "bin")
    # A malformed value afterwards means untrusted again: the activation data is withdrawn.
    configure(s.client, {"trusted": "true"})
    await s.wait_env_change(lambda c: bool(c["interpreter"]) and "activation" not in c["interpreter"])
    answer = await s.request("venvkeeper/interpreter", {"uri": repo.as_uri()})
    assert "activation" not in answer
    assert not ran.exists()


async def test_create_refuses_with_trusted_string_false_and_never_runs_the_workspace_uv(
    tmp_path: Path, start_server: Any
) -> None:
    ws = tmp_path / "ws"
    app = ws / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text("")
    (app / ".python-version").write_text(f"{XY}\n")
    ran = tmp_path / "uv-ran"
    uv = ws / "uv"
    uv.write_text(marker_script(ran, "workspace-uv"))
    uv.chmod(0o755)
    env = {
        # The workspace's uv is also the first uv on PATH, next to the base Python the create would use.
        "PATH": os.pathsep.join([str(ws), str(BASE_PYTHON.parent), os.environ.get("PATH", "")]),
        "PIP_NO_INDEX": "1",
        "PIP_CONFIG_FILE": os.devnull,
    }
    settings = {"trusted": "false", "uvPath": str(uv), "backend": "uv", "autoCreate": "always"}
    s = await start_server([ws], {"settings": settings}, env)
    create = types.ExecuteCommandParams(command="venvkeeper.create", arguments=[{"uri": app.as_uri()}])

    async def refused() -> None:
        with pytest.raises(JsonRpcException, match="not trusted"):
            await s.client.workspace_execute_command_async(create)

    await refused()
    # Neither another malformed value nor a payload without trust lifts it.
    configure(s.client, {"trusted": "true", "uvPath": str(uv), "backend": "uv"})
    await wait_log(s.client, "invalid value 'true' for venvkeeper.trusted")
    await refused()
    configure(s.client, {"uvPath": str(uv), "backend": "uv", "autoCreate": "always"})
    await wait_log(s.client, f"venvkeeper.uvPath = '{uv}' is ignored while the workspace is untrusted")
    await refused()
    assert not ran.exists() and not (app / ".venv").exists()
    # Control: an explicit true lifts it live, and the same command now creates (with the stdlib).
    configure(s.client, {"trusted": True, "backend": "venv"})
    await wait_log(s.client, "workspace trusted")
    result = await s.client.workspace_execute_command_async(create)
    plain = result._asdict() if hasattr(result, "_asdict") else result
    assert plain["envPath"] == str(app / ".venv") and plain["backend"] == "venv"
    assert not ran.exists()


async def test_untrusted_offers_no_quick_fix_that_would_fail(tmp_path: Path, start_server: Any) -> None:
    """Issue 15 item 8: every quick fix runs pip/uv, so Restricted Mode gets the diagnostic but no fix."""
    from support.envs import make_venv
    from tests.e2e.test_diagnostics import quick_fixes

    proj = tmp_path / "ws" / "app"
    proj.mkdir(parents=True)
    reqs = proj / "requirements.txt"
    reqs.write_text("alpha==1.0\n")
    make_venv(proj / ".venv")
    s = await start_server([tmp_path / "ws"], {"trusted": False})
    uri = reqs.as_uri()

    def not_installed() -> list[types.Diagnostic]:
        return [d for d in s.client.diagnostics.get(uri, []) if d.code == "not-installed"]

    await s.wait_for(lambda: bool(not_installed()))
    assert await quick_fixes(s.client, reqs, not_installed()[0]) == []
    configure(s.client, {"trusted": True})
    await wait_log(s.client, "workspace trusted")
    titles = [a.title for a in await quick_fixes(s.client, reqs, not_installed()[0])]
    assert "Install alpha==1.0 into .venv" in titles
