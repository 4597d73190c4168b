"""Terminal activation data for real POSIX venvs (venv, uv) and a Windows-layout env."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.envs import make_venv
from support.hostile import committed_venv_repo
from venvkeeper.app import App
from venvkeeper.guards.activation import activation_for
from venvkeeper.settings import Settings
from venvkeeper.wire import to_wire

from .conftest import env_of, host_for


def test_posix_venv(tmp_path: Path) -> None:
    env_dir = make_venv(tmp_path / "my proj" / ".venv")
    act = activation_for(env_of(env_dir))
    bin_dir = env_dir / "bin"
    assert act.env == {"VIRTUAL_ENV": str(env_dir), "VIRTUAL_ENV_PROMPT": ".venv"}
    assert act.path_prepend == str(bin_dir)
    assert act.unset == ("PYTHONHOME",)
    quoted = f"'{bin_dir}/activate"
    assert act.scripts["bash"] == f"source {quoted}'" and act.scripts["zsh"] == act.scripts["bash"]
    assert act.scripts["fish"] == f"source {quoted}.fish'"
    assert act.scripts["csh"] == act.scripts["tcsh"] == f"source {quoted}.csh'"
    assert act.scripts["pwsh"] == f"& '{bin_dir}/Activate.ps1'"
    # venv ships neither nu nor cmd scripts on POSIX: only existing scripts are offered.
    assert "nu" not in act.scripts and "cmd" not in act.scripts
    assert to_wire(act)["pathPrepend"] == str(bin_dir)


def test_prompt_from_pyvenv_cfg(tmp_path: Path) -> None:
    env_dir = tmp_path / "e"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--prompt", "myapp", str(env_dir)], check=True
    )
    assert activation_for(env_of(env_dir)).env["VIRTUAL_ENV_PROMPT"] == "myapp"


@pytest.mark.skipif(
    shutil.which("uv", path=str(Path(sys.executable).parent)) is None, reason="uv not in dev env"
)
def test_uv_env_offers_nu(tmp_path: Path) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    assert uv is not None
    env_dir = tmp_path / ".venv"
    subprocess.run(
        [uv, "venv", "-q", "--python", sys.executable, str(env_dir)], check=True, capture_output=True
    )
    act = activation_for(env_of(env_dir))
    assert act.scripts["nu"] == f"overlay use {env_dir}/bin/activate.nu"
    assert act.scripts["pwsh"] == f"& {env_dir}/bin/activate.ps1"


def test_windows_layout(tmp_path: Path) -> None:
    env_dir = tmp_path / ".venv"
    scripts = env_dir / "Scripts"
    scripts.mkdir(parents=True)
    (env_dir / "pyvenv.cfg").write_text("home = C:\\Python312\nversion = 3.12.1\n")
    for name in ("python.exe", "activate", "activate.bat", "Activate.ps1", "deactivate.bat"):
        (scripts / name).write_text("")
    act = activation_for(env_of(env_dir))
    assert act.path_prepend == str(scripts)
    assert act.scripts["cmd"] == str(scripts / "activate.bat")
    assert act.scripts["pwsh"] == f"& {scripts / 'Activate.ps1'}"
    assert act.scripts["bash"] == f"source {scripts / 'activate'}"
    assert "fish" not in act.scripts


def test_no_activation_while_untrusted(tmp_path: Path) -> None:
    # Issue 9, Trust 1: a repo committing .venv/bin/ls must not reach a terminal's PATH in Restricted Mode.
    ws = committed_venv_repo(tmp_path / "ws", tmp_path / "ran")
    app = App(host=host_for(tmp_path), settings=Settings(trusted=False))
    app.set_roots([ws])
    view = app.interpreter_for(ws / "main.py")
    assert view is not None and view.state == "ok" and view.env_path == ws / ".venv"
    assert view.activation is None
    # Trusting turns it on (the LSP layer invalidates and re-announces on every settings change).
    app.settings = Settings(trusted=True)
    app.invalidate()
    view = app.interpreter_for(ws / "main.py")
    assert (
        view is not None
        and view.activation is not None
        and view.activation.path_prepend == str(ws / ".venv" / "bin")
    )
    assert not (tmp_path / "ran").exists()
