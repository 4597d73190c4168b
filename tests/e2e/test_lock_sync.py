"""Syncing with the lock over LSP: a drifted uv.lock's quick fix runs the real ``uv sync`` (offline, from a
local wheelhouse; the lock written by the real ``uv lock``) and the lock-drift goes away; untrusted, the
same command is refused and nothing runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from support.envs import make_venv, pip_install
from support.offline import APP_PYPROJECT as PYPROJECT
from support.offline import BASE_PYTHON, XY, offline_env
from support.wheelhouse import Dist, build_wheelhouse
from tests.e2e.test_diagnostics import action_command, quick_fixes
from venvkeeper.creation.backends import find_uv
from venvkeeper.host import Host
from venvkeeper.requirements.installed import read_installed

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


def versions(env: Path) -> dict[str, str]:
    sites = sorted(env.glob("lib*/python*/site-packages"))
    return {name: d.version for name, d in read_installed(sites).items()}


def locked_project(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """ws/app with a real uv.lock (beta 2.0) and an env holding beta 1.0: drifted."""
    uv = find_uv(Host(), None, [Path(sys.executable).parent])
    if uv is None:
        pytest.skip("uv is not installed")
    wheelhouse = build_wheelhouse(
        tmp_path / "wh", [Dist("alpha", "1.0"), Dist("beta", "1.0"), Dist("beta", "2.0")]
    )
    env_vars = offline_env(wheelhouse, tmp_path / "uv-cache")
    proj = tmp_path / "ws" / "app"
    proj.mkdir(parents=True)
    (proj / "pyproject.toml").write_text(PYPROJECT)
    (proj / ".python-version").write_text(f"{XY}\n")
    subprocess.run(
        [str(uv), "lock", "--no-index"],
        cwd=proj,
        env={**os.environ, **env_vars},
        check=True,
        capture_output=True,
    )
    env = make_venv(proj / ".venv", with_pip=True, python=str(BASE_PYTHON))
    pip_install(env, wheelhouse, ["alpha==1.0", "beta==1.0"])
    return proj, env, env_vars


def drift_codes(client: Any, *paths: Path) -> list[str]:
    return [
        str(d.code)
        for p in paths
        for d in client.diagnostics.get(p.as_uri(), [])
        if d.source == "venvkeeper" and d.code == "lock-drift"
    ]


async def test_the_lock_drift_fix_runs_uv_sync_and_clears_the_drift(
    tmp_path: Path, start_server: Any
) -> None:
    proj, env, env_vars = locked_project(tmp_path)
    pyproject, lock = proj / "pyproject.toml", proj / "uv.lock"
    s = await start_server(
        [tmp_path / "ws"], {"settings": {"autoCreate": "never", "backend": "venv"}}, env_vars
    )
    c = s.client
    await s.wait_for(lambda: drift_codes(c, pyproject, lock) == ["lock-drift"], timeout=60)
    drift = next(d for d in c.diagnostics[pyproject.as_uri()] if d.code == "lock-drift")
    assert drift.message == "beta 1.0 is installed; uv.lock locks 2.0"

    fixes = [action_command(a) for a in await quick_fixes(c, pyproject, drift)]
    titles = [a.title for a in await quick_fixes(c, pyproject, drift)]
    assert "Sync .venv with uv.lock" in titles
    command, arguments = next(
        (cmd, args) for cmd, args in fixes if cmd == "venvkeeper.sync" and args[0].get("source") == str(lock)
    )
    result = await c.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=arguments)
    )
    result = dict(result) if not isinstance(result, dict) else result
    assert result["envPath"] == str(env) and result["installed"] == "uv sync"
    assert versions(env)["beta"] == "2.0"
    await s.wait_for(lambda: drift_codes(c, pyproject, lock) == [], timeout=60)
    # $/progress ended with one line saying what ran.
    reports = [r for values in c.progress_reports.values() for r in values]
    assert reports[-1].kind == "end" and (reports[-1].message or "").startswith(
        "Synced .venv with uv.lock (uv sync)"
    )
    assert not [p for p in proj.iterdir() if "venvkeeper-" in p.name]


async def test_untrusted_sync_with_the_lock_is_refused(tmp_path: Path, start_server: Any) -> None:
    proj, env, env_vars = locked_project(tmp_path)
    s = await start_server([tmp_path / "ws"], {"trusted": False}, env_vars)
    before = versions(env)
    with pytest.raises(JsonRpcException, match="not trusted"):
        await s.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="venvkeeper.sync", arguments=[{"uri": proj.as_uri(), "source": str(proj / "uv.lock")}]
            )
        )
    assert versions(env) == before
    assert not [p for p in proj.iterdir() if "venvkeeper-" in p.name]
