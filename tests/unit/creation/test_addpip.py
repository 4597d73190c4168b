"""Adding pip to an env that has none (uv venv without --seed, --without-pip), from files only."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.envs import make_venv
from venvkeeper.creation.addpip import AddPipError, add_pip
from venvkeeper.discovery.identify import identify_env
from venvkeeper.guards.health import has_pip
from venvkeeper.host import Host


def host(tmp_path: Path) -> Host:
    return Host(environ={}, state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", home=tmp_path)


def test_add_pip_gives_a_working_pip_and_scripts(tmp_path):
    env_dir = make_venv(tmp_path / "p" / ".venv")
    env = identify_env(env_dir)
    assert env is not None and not has_pip(env)
    dist_info = add_pip(env, host(tmp_path))
    assert dist_info.name.startswith("pip-") and has_pip(env)
    out = subprocess.run(
        [str(env_dir / "bin" / "pip"), "--version"], check=True, capture_output=True, text=True
    )
    assert str(env_dir) in out.stdout  # pip reports the env's own site-packages
    subprocess.run([str(env.python), "-m", "pip", "--version"], check=True, capture_output=True)
    with pytest.raises(AddPipError, match="already has pip"):
        add_pip(env, host(tmp_path))


def test_refuses_broken_and_windows_envs(tmp_path):
    env_dir = make_venv(tmp_path / "p" / ".venv")
    (env_dir / "pyvenv.cfg").write_text("")
    broken = identify_env(env_dir)
    assert broken is not None
    with pytest.raises(AddPipError, match="recreate"):
        add_pip(broken, host(tmp_path))
    win = tmp_path / "w" / ".venv"
    (win / "Scripts").mkdir(parents=True)
    (win / "Scripts" / "python.exe").write_bytes(b"MZ")
    (win / "Lib" / "site-packages").mkdir(parents=True)
    (win / "pyvenv.cfg").write_text(f"home = {tmp_path}\nversion = 3.12.1\n")
    env = identify_env(win, "windows")
    assert env is not None
    with pytest.raises(AddPipError, match="ensurepip"):
        add_pip(env, host(tmp_path))
