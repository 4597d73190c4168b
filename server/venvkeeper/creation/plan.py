"""What to install into a new env: requirement files, or the pyproject's dependencies + extras + groups.

A small self-contained pyproject reader: creation only needs the requirement *strings* (pip and uv parse
them), not the positions and diagnostics that ``venvkeeper.requirements`` produces for checks.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

Selection = Union[Literal["all"], Sequence[str]]

#: Files that make a project "managed" by another tool: we never create an env for those.
MANAGER_FILES = ("poetry.lock", "Pipfile", "Pipfile.lock", "pdm.lock", "environment.yml", "environment.yaml")


@dataclass(frozen=True)
class InstallPlan:
    """Requirement files (``-r``) and requirement strings to install, and where they came from."""

    requirement_files: tuple[Path, ...] = ()
    requirements: tuple[str, ...] = ()
    #: Files the requirements were read from (the sync record hashes them).
    sources: tuple[Path, ...] = ()
    #: Short description for prompts and progress ("requirements.txt", "pyproject.toml dependencies").
    label: str = "nothing"
    #: Install exactly these (``--no-deps``): the set was resolved already (creation/resolve.py).
    no_deps: bool = False

    @property
    def empty(self) -> bool:
        return not self.requirement_files and not self.requirements


def read_pyproject(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return None


def _selected(names: Sequence[str], selection: Selection) -> list[str]:
    if selection == "all":
        return list(names)
    return [n for n in names if n in selection]


def _group_requirements(
    groups: Mapping[str, Any], name: str, seen: frozenset[str] = frozenset()
) -> list[str]:
    """PEP 735: a group is a list of requirement strings and ``{include-group = "other"}`` tables."""
    if name in seen:
        return []  # a cycle is an error for installers; the check reports it, we just stop
    out: list[str] = []
    for item in groups.get(name) or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping) and isinstance(item.get("include-group"), str):
            out.extend(_group_requirements(groups, item["include-group"], seen | {name}))
    return out


def pyproject_requirements(data: Mapping[str, Any], extras: Selection, groups: Selection) -> list[str]:
    project = data.get("project") if isinstance(data.get("project"), Mapping) else {}
    assert isinstance(project, Mapping)
    reqs = [r for r in project.get("dependencies") or [] if isinstance(r, str)]
    optional = project.get("optional-dependencies")
    if isinstance(optional, Mapping):
        for extra in _selected(sorted(optional), extras):
            reqs.extend(r for r in optional.get(extra) or [] if isinstance(r, str))
    dep_groups = data.get("dependency-groups")
    if isinstance(dep_groups, Mapping):
        for group in _selected(sorted(dep_groups), groups):
            reqs.extend(_group_requirements(dep_groups, group))
    return list(dict.fromkeys(reqs))  # same requirement from two groups: once


def managed_by(project: Path, pyproject: Mapping[str, Any] | None) -> str | None:
    """The tool that manages this project's env (Poetry, Pipenv, PDM, Hatch, conda), if any."""
    for name in MANAGER_FILES:
        if (project / name).is_file():
            return {
                "poetry.lock": "Poetry",
                "Pipfile": "Pipenv",
                "Pipfile.lock": "Pipenv",
                "pdm.lock": "PDM",
            }.get(name, "conda")
    tool = (pyproject or {}).get("tool")
    if isinstance(tool, Mapping):
        if "poetry" in tool:
            return "Poetry"
        if "pdm" in tool:
            return "PDM"
        hatch = tool.get("hatch")
        if isinstance(hatch, Mapping) and "envs" in hatch:
            return "Hatch"
    return None


def _has_requirements(path: Path) -> bool:
    """A requirements file that holds at least one line that is not blank or a comment."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            return any(line.strip() and not line.lstrip().startswith("#") for line in fh)
    except OSError:
        return False


def default_plan(project: Path, extras: Selection = "all", groups: Selection = ("dev",)) -> InstallPlan:
    """requirements.txt if there is one, else the pyproject's dependencies, else another requirements*.txt.

    Empty or comment-only files declare nothing and are skipped.
    """
    req = project / "requirements.txt"
    if _has_requirements(req):
        return InstallPlan(requirement_files=(req,), sources=(req,), label="requirements.txt")
    pyproject = project / "pyproject.toml"
    data = read_pyproject(pyproject) if pyproject.is_file() else None
    if data is not None:
        reqs = pyproject_requirements(data, extras, groups)
        if reqs:
            return InstallPlan(
                requirements=tuple(reqs), sources=(pyproject,), label="pyproject.toml dependencies"
            )
    others = [p for p in sorted(project.glob("requirements*.txt")) if _has_requirements(p)]
    if others:
        return InstallPlan(requirement_files=(others[0],), sources=(others[0],), label=others[0].name)
    return InstallPlan()


def requires_python(project: Path) -> str | None:
    data = read_pyproject(project / "pyproject.toml")
    project_table = (data or {}).get("project")
    value = project_table.get("requires-python") if isinstance(project_table, Mapping) else None
    return value if isinstance(value, str) else None


def python_version_file(project: Path) -> str | None:
    try:
        return (project / ".python-version").read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return None
