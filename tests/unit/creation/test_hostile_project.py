"""A trusted create never imports project files as tools (issue 9, Trust 3): Python tools run isolated."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from support.envs import make_venv
from support.hostile import tool_shadowing_project
from venvkeeper.creation.create import CreateRequest, create_env, install_into_env
from venvkeeper.creation.interpreters import BasePython
from venvkeeper.creation.pipseed import compile_image_argv
from venvkeeper.creation.plan import InstallPlan
from venvkeeper.host import Host
from venvkeeper.requirements.installed import read_installed

pytestmark = pytest.mark.slow


def installed(env: Path) -> set[str]:
    return set(read_installed(sorted(env.glob("lib*/python*/site-packages"))))


def test_create_with_the_stdlib_backend_imports_nothing_from_the_project(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    marker = tmp_path / "imported"
    project = tool_shadowing_project(tmp_path / "proj", marker)
    (project / "requirements.txt").write_text("alpha==1.0\nbeta\n")
    result = create_env(
        CreateRequest(project, backend="venv", **offline), host=host, interpreters=[base_python]
    )
    assert result.env_path == project / ".venv"
    assert {"alpha", "beta", "gamma", "pip"} <= installed(result.env_path)
    assert not marker.exists(), marker.read_text()


def test_install_with_the_daemons_pip_imports_nothing_from_the_project(
    tmp_path: Path, host: Host, offline: dict[str, Any]
) -> None:
    # An env without pip is served by the daemon's own pip (`<daemon python> -m pip --python …`).
    marker = tmp_path / "imported"
    project = tool_shadowing_project(tmp_path / "proj", marker)
    env = make_venv(project / ".venv")
    install_into_env(
        env,
        InstallPlan(requirements=("beta",), label="beta"),
        host=host,
        backend_preference="venv",
        index_options=offline["index_options"],
        tool_env=offline["tool_env"],
    )
    assert "beta" in installed(env)
    assert not marker.exists(), marker.read_text()


def test_compiling_the_pip_image_imports_nothing_from_the_working_dir(
    tmp_path: Path, base_python: BasePython
) -> None:
    # Started detached from the daemon's working directory, which is often the workspace.
    marker = tmp_path / "imported"
    project = tool_shadowing_project(tmp_path / "proj", marker)
    image = tmp_path / "image"
    image.mkdir()
    (image / "mod.py").write_text("x = 1\n")
    subprocess.run(compile_image_argv(base_python.path, image), cwd=project, check=True)
    assert list((image / "__pycache__").glob("mod.*.pyc"))
    assert not marker.exists(), marker.read_text()
