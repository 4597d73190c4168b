"""Where a project-level finding (a broken env, a foreign VIRTUAL_ENV, PEP 668) is shown.

Findings about the env as a whole are not about one requirement, so they go at the start of the
project's main requirement source, which is the file the user opens to look at dependencies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from venvkeeper.requirements import _toml

#: A pyproject.toml larger than this is not read to decide where a finding goes.
_MAX_PYPROJECT = 1024 * 1024

_FALLBACKS = ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile")


def _declares_dependencies(pyproject: Path) -> bool:
    try:
        if pyproject.stat().st_size > _MAX_PYPROJECT:
            return False
        data: dict[str, Any] = _toml.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeError):
        return False
    project = data.get("project")
    if isinstance(project, dict) and (project.get("dependencies") or project.get("optional-dependencies")):
        return True
    if data.get("dependency-groups"):
        return True
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    return isinstance(poetry, dict) and bool(poetry.get("dependencies") or poetry.get("group"))


def main_source(project: Path) -> Path:
    """pyproject.toml if it declares dependencies, else the first requirements*.txt, else any marker file."""
    pyproject = project / "pyproject.toml"
    if pyproject.is_file() and _declares_dependencies(pyproject):
        return pyproject
    for pattern_dir in (project, project / "requirements"):
        pattern = "requirements*.txt" if pattern_dir == project else "*.txt"
        try:
            found = sorted(p for p in pattern_dir.glob(pattern) if p.is_file())
        except OSError:
            found = []
        if found:
            # "requirements.txt" sorts before "requirements-dev.txt" only by luck; prefer it explicitly.
            plain = [p for p in found if p.name == "requirements.txt"]
            return (plain or found)[0]
    for name in _FALLBACKS:
        if (project / name).is_file():
            return project / name
    return pyproject
