"""Which directories are projects, and which project a file belongs to.

A project root holds one of :data:`PROJECT_FILES` or a ``requirements/`` directory. Walks are bounded:
they never descend into :data:`SKIP_DIRS`, into any virtual environment (a dir with ``pyvenv.cfg``), or
through directory symlinks (so symlink loops cannot trap them), and they skip names that are not valid
UTF-8 because such paths cannot be sent to an LSP client as a URI-safe string.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Optional

#: environment.yml and pixi.toml make a project too: a conda or pixi project may have nothing else.
PROJECT_FILES = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "Pipfile",
    "environment.yml",
    "environment.yaml",
    "pixi.toml",
)
REQUIREMENTS_GLOB = "requirements*.txt"

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


def is_project_root(path: Path) -> bool:
    try:
        with os.scandir(path) as it:
            for entry in it:
                name = entry.name
                if name in PROJECT_FILES or fnmatch.fnmatchcase(name, REQUIREMENTS_GLOB):
                    if entry.is_file():
                        return True
                elif name == "requirements" and entry.is_dir(follow_symlinks=False):
                    return True
    except OSError:
        return False
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


def find_projects(root: Path, max_depth: int = MAX_DEPTH) -> list[Path]:
    """Every project root at or below ``root``, sorted."""
    found: list[Path] = []
    for current, entries in walk_dirs(root, max_depth):
        for entry in entries:
            name = entry.name
            try:
                if (
                    name in PROJECT_FILES or fnmatch.fnmatchcase(name, REQUIREMENTS_GLOB)
                ) and entry.is_file():
                    found.append(current)
                    break
                if name == "requirements" and entry.is_dir(follow_symlinks=False):
                    found.append(current)
                    break
            except OSError:
                continue
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
        if should_skip(part):
            break
        current = current / part
        if (current / "pyvenv.cfg").is_file():
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
        return path.is_dir()
    except OSError:
        return False
