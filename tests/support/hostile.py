"""Hostile workspaces that try to get their own files executed (issue 9, "Trust")."""

from __future__ import annotations

import os
import sys
from pathlib import Path

BASE_PYTHON = Path(getattr(sys, "_base_executable", sys.executable))


def marker_script(marker: Path, label: str) -> str:
    """A POSIX shell script that records that it ran (appends ``label`` to ``marker``)."""
    return f"#!/bin/sh\necho {label} >> '{marker}'\n"


def committed_venv_repo(repo: Path, marker: Path) -> Path:
    """A repo that commits ``.venv/bin/ls`` plus a ``pyvenv.cfg`` (and a ``python`` link, so the env
    is judged "ok"): activating it in a terminal would make a plain ``ls`` run the repo's script."""
    bin_dir = repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "hostile"\nversion = "0.1"\ndependencies = []\n')
    xy = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (repo / ".venv" / "pyvenv.cfg").write_text(
        f"home = {BASE_PYTHON.parent}\ninclude-system-site-packages = false\nversion = {xy}.0\n"
    )
    os.symlink(BASE_PYTHON, bin_dir / "python")
    ls = bin_dir / "ls"
    ls.write_text(marker_script(marker, "hostile-ls"))
    ls.chmod(0o755)
    return repo


#: Modules a project can hold that would shadow the tools venvkeeper runs, if the tools imported from it.
SHADOWING_MODULES = ("venv", "pip", "ensurepip", "compileall", "sitecustomize", "usercustomize")


def tool_shadowing_project(project: Path, marker: Path) -> Path:
    """A project whose ``venv.py``, ``pip.py``, … record that they were imported (and then do nothing,
    as the issue saw: "installed requirements.txt" with nothing installed)."""
    project.mkdir(parents=True, exist_ok=True)
    for name in SHADOWING_MODULES:
        (project / f"{name}.py").write_text(
            f"with open({str(marker)!r}, 'a') as f:\n    f.write('{name}\\n')\n"
        )
    return project
