"""The real daemon on a workspace holding every hostile case at once (issue 9 "Done means").

The server runs without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH when we are root (root ignores chmod 000),
so the unreadable-dir cases count. It must publish the control project's diagnostics, answer
interpreter queries (also for files in unreadable dirs and with non-UTF-8 names), and log no traceback.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

from support import hostile
from support.hostile import MISSING, SAFETY_NET_S
from support.lsp import Prompts
from tests.e2e.conftest import Session, make_client, server_env

pytestmark = pytest.mark.asyncio

SECRET = "ghp_SECRET123"


def _unprivileged_prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("no setpriv: as root, chmod 000 cannot be tested")
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    if subprocess.run([*prefix, sys.executable, "-c", "pass"], capture_output=True).returncode != 0:
        pytest.skip("dropping CAP_DAC_OVERRIDE is not allowed here: as root, chmod 000 cannot be tested")
    return prefix


async def test_daemon_answers_the_control_project_of_a_fully_hostile_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    control = hostile.build_all(ws, tmp_path / "outside")
    state = tmp_path / "state"
    state.mkdir()
    config = ClientServerConfig(
        server_command=[*_unprivileged_prefix(), sys.executable, "-m", "venvkeeper", "serve"],
        server_env=server_env(state, {"MY_TOKEN": SECRET}),
        client_factory=make_client,
    )
    client = await config.start()
    try:
        session = Session(client)
        prompts = Prompts(client, {})  # dismiss every create offer; that they come proves prompts started
        await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                workspace_folders=[types.WorkspaceFolder(uri=ws.as_uri(), name="ws")],
                root_uri=ws.as_uri(),
            )
        )
        control_uri = (control / "requirements.txt").as_uri()

        def control_published() -> bool:
            return any(d.code == "not-installed" for d in client.diagnostics.get(control_uri, []))

        await session.wait_for(control_published, timeout=SAFETY_NET_S)
        (diag,) = [d for d in client.diagnostics[control_uri] if d.code == "not-installed"]
        assert diag.message.startswith(f"{MISSING} is not installed")

        answer = await session.request("venvkeeper/interpreter", {"uri": (control / "main.py").as_uri()})
        assert answer["python"] == str(control / ".venv" / "bin" / "python") and answer["state"] == "ok"

        # Files in unreadable dirs, or whose names are not UTF-8: an answer, not a JSON-RPC error.
        unreadable = ws / "req-dir-000" / "requirements" / "base.txt"
        assert await session.request("venvkeeper/interpreter", {"uri": unreadable.as_uri()}) is None
        broken = await session.request("venvkeeper/interpreter", {"uri": (ws / "venv-000" / "x.py").as_uri()})
        assert broken["state"] == "broken" and "permission denied" in broken["problem"]

        # The non-UTF-8 file's finding arrives under a percent-encoded URI, and later projects still
        # got theirs (one bad name does not stop the sweep).
        odd_uri = "file://" + quote(os.fsencode(ws / "non-utf8") + b"/requirements-\xff.txt")
        await session.wait_for(lambda: bool(client.diagnostics.get(odd_uri)), timeout=SAFETY_NET_S)
        later = (ws / "venv-bin-000" / "requirements.txt").as_uri()
        await session.wait_for(lambda: bool(client.diagnostics.get(later)), timeout=SAFETY_NET_S)

        # The prompts (which start after the whole initial sweep) still came.
        await prompts.wait(1, timeout=SAFETY_NET_S)
        assert any(p.message.startswith("Create ") for p in prompts.requests)

        messages = [d.message for diags in client.diagnostics.values() for d in diags]
        assert not any(SECRET in m or "AKIASECRETVALUE123" in m for m in messages)
        logs = [m.message for m in client.log_messages]
        assert [m for m in logs if "Traceback" in m or "failed" in m] == []
    finally:
        try:
            await asyncio.wait_for(client.shutdown_session(), 5)
        except Exception:
            await client.stop()
        hostile.restore_modes(ws)
