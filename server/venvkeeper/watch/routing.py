"""Route changed paths to the projects they concern, in O(depth) per path (issue 14, goals 1 and 2).

A :class:`ProjectIndex` holds the projects, their env dirs and every ancestor directory of a project in
hash maps, so routing a path looks at the path and its ancestors only — never at every project. Pure:
the only file-system question (is this path a directory now?) is asked through an injected function,
and only for paths whose name could matter.

What a path means (:meth:`ProjectIndex.route`):

* inside (or equal to) one of a project's env dirs → that project (pip installed, the env vanished…);
* anything at or below a project's ``requirements/`` dir → that project;
* a direct child of a project whose *name* can change what we report — a requirement source, a lock
  file, a project marker, an env name, ``.python-version``… (see :func:`is_relevant_name`; the source
  and marker rules are requirements/layout.py's) — or that is a directory (a new env, a nested
  project) → that project;
  README.md, main.py and other source files → nothing;
* a project dir itself, or a directory that holds projects, created/deleted/moved → rescan it;
* a new directory or project marker outside every project → rescan there (a project may have appeared);
* a vanished project marker → rescan its dir (the project may be gone).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from venvkeeper.requirements.layout import (
    REQUIREMENTS_DIR,
    is_project_marker,
    is_structural_name,
)

#: Names beyond requirements/layout.py's sources and markers, directly in a project, that can change an
#: env or a check.
RELEVANT_NAMES = frozenset(
    {
        # lock files and tool files that decide who manages the env
        "uv.lock",
        "poetry.lock",
        "poetry.toml",
        "pdm.lock",
        "pdm.toml",
        ".pdm-python",
        "Pipfile.lock",
        "pixi.lock",
        "hatch.toml",
        "uv.toml",
        "tox.ini",
        # interpreter pins and env pointers
        ".python-version",
        ".project",
        ".python-envs",
        "pyvenv.cfg",
        ".venv",
        "venv",
        "env",
    }
)
#: Glob patterns for the rest (lock files of tools not listed above).
RELEVANT_PATTERNS = ("pylock*.toml", "*.lock", "environment*.yml", "environment*.yaml")


def is_relevant_name(name: str) -> bool:
    """Whether a file of this name, in a project root, can change what venvkeeper reports."""
    return (
        is_structural_name(name)
        or name in RELEVANT_NAMES
        or any(fnmatch.fnmatchcase(name, pat) for pat in RELEVANT_PATTERNS)
    )


@dataclass
class Routing:
    """What a batch of changed paths means: projects to re-check and directories to rescan."""

    affected: dict[Path, Path] = field(default_factory=dict)  # project -> first path that concerned it
    rescan: set[Path] = field(default_factory=set)


class ProjectIndex:
    def __init__(
        self,
        roots: Iterable[Path],
        projects: Iterable[Path],
        env_dirs: Mapping[Path, Iterable[Path]],
        is_dir: Callable[[Path], bool],
    ) -> None:
        self.roots = frozenset(roots)
        self.projects = frozenset(projects)
        self._is_dir = is_dir
        #: env dir -> the projects that have it as a candidate (an env may serve several).
        self.env_owner: dict[Path, set[Path]] = {}
        for project, envs in env_dirs.items():
            for env in envs:
                self.env_owner.setdefault(env, set()).add(project)
        #: Every strict ancestor of a project -> the projects below it: deleting one of those removes
        #: projects; a uv workspace's one ``uv.lock`` there concerns its members.
        self.holders: dict[Path, list[Path]] = {}
        for project in sorted(self.projects):
            for parent in project.parents:
                self.holders.setdefault(parent, []).append(project)
                if parent in self.roots:
                    break

    def _root_of(self, path: Path) -> Path | None:
        if path in self.roots:
            return path
        for parent in path.parents:
            if parent in self.roots:
                return parent
        return None

    def route(self, paths: Iterable[Path]) -> Routing:
        out = Routing()
        for path in paths:
            self._route_one(path, out)
        return out

    def _route_one(self, path: Path, out: Routing) -> None:
        # 1. Inside an env: the env's owners, nothing else (the walk never finds projects in envs).
        #    At or below a project's requirements/ dir: that project.
        for candidate in (path, *path.parents):
            owners = self.env_owner.get(candidate)
            if owners:
                for project in owners:
                    out.affected.setdefault(project, path)
                return
            if candidate.name == REQUIREMENTS_DIR and candidate.parent in self.projects:
                out.affected.setdefault(candidate.parent, path)
                return
        if self._root_of(path) is None:
            return  # outside the workspace (a stale event from a removed root)
        parent = path.parent
        name = path.name
        # 2. A project dir itself or a dir holding projects: created, moved or deleted.
        if path in self.projects or path in self.holders:
            out.rescan.add(parent if parent in self.holders or parent in self.roots else path)
            if path in self.projects:
                out.affected.setdefault(path, path)
            return
        # A uv workspace's uv.lock above its member projects (also inside one: step 3 adds the project).
        if name == "uv.lock" and parent in self.holders:
            for project in self.holders[parent]:
                out.affected.setdefault(project, path)
        # 3. A direct child of a project.
        owner = parent if parent in self.projects else None
        if owner is not None:
            relevant = is_relevant_name(name)
            if not relevant and self._is_dir(path):
                relevant = True  # a new env or nested project: discovery decides
                out.rescan.add(path)
            if relevant:
                out.affected.setdefault(owner, path)
                if is_project_marker(name):
                    out.rescan.add(owner)  # the marker may have made or unmade a nested project
            return
        # 4. Outside every project: only what can make a project appear or vanish.
        if is_structural_name(name):
            out.rescan.add(parent)
        elif self._is_dir(path):
            out.rescan.add(path)


def outermost(dirs: Iterable[Path]) -> list[Path]:
    """The dirs not inside another one of them (rescanning those covers the rest)."""
    chosen: set[Path] = set()
    for d in sorted(set(dirs), key=lambda p: len(p.parts)):
        if not any(parent in chosen for parent in (d, *d.parents)):
            chosen.add(d)
    return sorted(chosen)
