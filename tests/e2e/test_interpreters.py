"""``venvkeeper/interpreters`` from the real server on a fake home (HOME, XDG dirs and PYENV_ROOT in
tmp_path): a Poetry project's env, another project's Poetry env, a conda env and pyenv versions, grouped
and judged; a conda env selected from the list; a Poetry env made in the cache dir while the server runs
is noticed without a restart."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from support.envs import fake_env
from unit.creation.test_interpreters import fake_python
from venvkeeper.discovery.toolenvs import poetry_env_base

pytestmark = pytest.mark.asyncio


def _conda_env(prefix: Path, version: str) -> Path:
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / f"python-{version}-h1_0.json").write_text("{}")
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python").symlink_to(os.path.realpath(sys.executable))  # never run by discovery
    return prefix


def _home(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    home = tmp_path / "home"
    pyenv = home / ".pyenv"
    fake_python(pyenv / "versions" / "3.11.7" / "bin" / "python3.11")
    fake_python(pyenv / "versions" / "3.10.13" / "bin" / "python3.10")
    (pyenv / "version").write_text("3.11.7\n")
    (pyenv / "shims").mkdir()
    (pyenv / "shims" / "python3").write_text("#!/bin/sh\n")  # a shim: never run, its global version read
    (pyenv / "shims" / "python3").chmod(0o755)
    project = tmp_path / "ws" / "app"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nrequires-python = ">=3.11"\n\n[tool.poetry]\npackage-mode = false\n'
    )
    (project / "poetry.lock").write_text("")
    poetry = home / ".cache" / "pypoetry" / "virtualenvs"
    fake_env(poetry / f"{poetry_env_base('app', os.path.realpath(project))}-py3.11", version="3.11.7")
    fake_env(poetry / "other-AbCdEfGh-py3.11", version="3.11.7")
    _conda_env(home / "miniconda3" / "envs" / "data", "3.12.4")
    env = {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PYENV_ROOT": str(pyenv),
        "WORKON_HOME": "",
        "PATH": f"{pyenv / 'shims'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return env, project, poetry


def _by_path(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["path"]: e for e in answer["interpreters"]}


async def test_interpreters_groups_poetry_env_and_pyenv_versions(tmp_path, start_server):
    env, project, poetry = _home(tmp_path)
    home = Path(env["HOME"])
    s = await start_server([project.parent], env=env)
    answer = await s.request("venvkeeper/interpreters", {"uri": project.as_uri()})
    assert answer["projectRoot"] == str(project) and answer["requiresPython"] == ">=3.11"
    groups = [e["group"] for e in answer["interpreters"]]
    assert groups == sorted(groups, key=["project", "toolEnvs", "otherEnvs", "base"].index)
    by_path = _by_path(answer)

    mine = by_path[str(poetry / f"{poetry_env_base('app', os.path.realpath(project))}-py3.11")]
    assert (mine["group"], mine["origin"], mine["chosen"], mine["suitable"]) == (
        "toolEnvs",
        "poetry",
        True,
        True,
    )
    assert mine["version"] == "3.11.7" and mine["reasons"] == ["satisfies requires-python >=3.11"]
    other = by_path[str(poetry / "other-AbCdEfGh-py3.11")]
    assert (other["group"], other["origin"], other["chosen"]) == ("otherEnvs", "poetry", False)
    conda = by_path[str(home / "miniconda3" / "envs" / "data")]
    assert (conda["group"], conda["kind"], conda["version"]) == ("otherEnvs", "conda", "3.12.4")

    py311 = by_path[str(home / ".pyenv/versions/3.11.7/bin/python3.11")]
    py310 = by_path[str(home / ".pyenv/versions/3.10.13/bin/python3.10")]
    assert (py311["group"], py311["kind"], py311["origin"], py311["version"]) == (
        "base",
        "base",
        "pyenv",
        "3.11.7",
    )
    # pyenv's global version is the user's default and satisfies requires-python: recommended, first base.
    assert py311["recommended"] and answer["recommended"] == py311["path"]
    assert "your default interpreter (pyenv's global version 3.11.7)" in answer["recommendedReason"]
    assert next(e for e in answer["interpreters"] if e["group"] == "base") == py311
    assert not py310["suitable"] and py310["reasons"] == ["does not satisfy requires-python >=3.11"]

    # A conda env from the list is selectable (it has no pyvenv.cfg).
    chosen = await s.request("venvkeeper/select", {"uri": project.as_uri(), "envPath": conda["path"]})
    assert (chosen["origin"], chosen["kind"], chosen["envPath"]) == ("selected", "conda", conda["path"])


async def test_a_poetry_env_made_while_running_is_noticed(tmp_path, start_server):
    env, project, poetry = _home(tmp_path)
    s = await start_server([project.parent], env=env)
    # The initial sweep announces the py3.11 env once; only then is the watch on the cache dir set.
    first = await s.wait_env_change(lambda c: c["projectRoot"] == str(project), timeout=60)
    assert first["interpreter"]["envPath"].endswith("-py3.11")
    # `poetry env use 3.12` outside the project: a new env in the cache dir, newest first.
    newer = poetry / f"{poetry_env_base('app', os.path.realpath(project))}-py3.12"
    fake_env(newer, version="3.12.4")
    change = await s.wait_env_change(
        lambda c: (c["interpreter"] or {}).get("envPath") == str(newer), timeout=60
    )
    assert change["interpreter"]["source"] == f"Poetry env {newer.name} in {poetry}"
