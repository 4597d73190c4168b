"""Which directories are projects, and which project a file belongs to.

A project root holds a project marker (see :mod:`venvkeeper.requirements.layout`, the one place for those
rules) or a ``requirements/`` directory; nothing at or below a ``requirements/`` directory is a project of
its own (``requirements/full/requirements.txt`` belongs to the project above it). Walks are bounded:
they never descend into :data:`SKIP_DIRS`, into any virtual environment (a dir with ``pyvenv.cfg``), or
through directory symlinks (so symlink loops cannot trap them), and they skip names that are not valid
UTF-8 because such paths cannot be sent to an LSP client as a URI-safe string.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Optional

from venvkeeper import fsread
from venvkeeper.discovery.identify import is_complete_env_dir
from venvkeeper.requirements.layout import (
    PROJECT_FILES,
    REQUIREMENTS_DIR,
    inside_requirements_dir,
    is_project_marker,
)

__all__ = ["PROJECT_FILES", "find_projects", "is_project_root", "nearest_project", "walk_dirs"]

#: Directories never entered: VCS data, JS deps, tool-managed envs and caches.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".tox",
        ".nox",
        ".hatch",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        "dist-packages",
        ".eggs",
        ".direnv",
        ".idea",
        ".vscode",
    }
)

#: How deep below a workspace root projects are looked for.
MAX_DEPTH = 12


def _utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # surrogate-escaped bytes from a non-UTF-8 file name
        return False
    return True


def _marks_project(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    try:
        if is_project_marker(name):
            return entry.is_file()
        return name == REQUIREMENTS_DIR and entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def is_project_root(path: Path) -> bool:
    """Whether ``path`` holds a project marker (ignores where ``path`` is: see :func:`find_projects`)."""
    try:
        with os.scandir(path) as it:
            return any(_marks_project(entry) for entry in it)
    except OSError:
        return False


def should_skip(name: str) -> bool:
    return name in SKIP_DIRS or not _utf8_name(name)


def walk_dirs(root: Path, max_depth: int = MAX_DEPTH) -> Iterator[tuple[Path, list[os.DirEntry[str]]]]:
    """Yield ``(dir, entries)`` for ``root`` and every directory below it that a walk may enter."""
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        current, depth = stack.pop()
        try:
            with os.scandir(current) as it:
                entries = list(it)
        except OSError:
            continue  # unreadable, vanished, or not a directory: nothing to report
        names = {e.name for e in entries}
        if "pyvenv.cfg" in names and current != root:
            continue  # an env: its lib/ and bin/ are not projects
        yield current, entries
        if depth >= max_depth:
            continue
        for entry in entries:
            if should_skip(entry.name):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((Path(entry.path), depth + 1))
            except OSError:
                continue


def find_projects(
    root: Path, max_depth: int = MAX_DEPTH, *, workspace_root: Optional[Path] = None
) -> list[Path]:
    """Every project root at or below ``root``, sorted. ``workspace_root`` (default ``root``) is where
    ``requirements/`` trees are recognised from when ``root`` is a directory deeper inside a workspace."""
    top = workspace_root or root
    found: list[Path] = []
    for current, entries in walk_dirs(root, max_depth):
        if current != top and inside_requirements_dir(current.relative_to(top)):
            continue  # requirements/full/requirements.txt belongs to the project above requirements/
        if any(_marks_project(entry) for entry in entries):
            found.append(current)
    return sorted(found)


def nearest_project(path: Path, roots: Sequence[Path]) -> Optional[Path]:
    """The nearest project root containing ``path`` inside one of ``roots`` (the innermost root wins).

    Looks at the file system directly (a few ``scandir`` calls), so a project created a moment ago is
    found even before any watcher reported it. Directories a walk would skip (envs, ``node_modules``…)
    cut the chain: a ``setup.py`` inside ``.venv/lib/…`` is not a project.
    """
    root = _containing_root(path, roots)
    if root is None:
        return None
    try:
        rel = path.relative_to(root)
    except ValueError:
        return None
    parts = list(rel.parts)
    # A file's own name is not a directory to inspect.
    if parts and not _is_dir(path):
        parts = parts[:-1]
    best: Optional[Path] = root if is_project_root(root) else None
    current = root
    for part in parts:
        if should_skip(part) or part == REQUIREMENTS_DIR:
            break  # a requirements/ tree belongs to the project above it
        current = current / part
        if is_complete_env_dir(current):
            break
        if is_project_root(current):
            best = current
    return best


def _containing_root(path: Path, roots: Sequence[Path]) -> Optional[Path]:
    best: Optional[Path] = None
    for root in roots:
        inside = path == root or root in path.parents
        if inside and (best is None or len(root.parts) > len(best.parts)):
            best = root
    return best


def _is_dir(path: Path) -> bool:
    try:
        return fsread.is_dir(path)
    except OSError:
        return False
