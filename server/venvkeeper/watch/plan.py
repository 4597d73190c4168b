"""Which directories to watch, and what an event in one of them means.

Watched (each non-recursively):
- every workspace root, and directories up to :data:`TREE_DEPTH` below it (so a new project appearing
  near the top of a monorepo is seen), at most :data:`TREE_CAP` of those;
- every project root, its ancestors up to the root, and its ``requirements/`` directory with the
  directories below it (sources live at any depth there, see requirements/layout.py);
- every candidate env of a project: the env dir (pyvenv.cfg, deletion), its ``bin``/``Scripts`` dir
  (the interpreter link) and its site-packages (dist-info dirs appearing = someone ran pip).

Never: ``.git``, ``node_modules``, ``.tox``/``.nox``, or anything deeper inside an env.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from venvkeeper import fsread
from venvkeeper.discovery.identify import identify_env
from venvkeeper.discovery.projects import walk_dirs
from venvkeeper.requirements.layout import MAX_REQUIREMENTS_DEPTH, REQUIREMENTS_DIR

TREE_DEPTH = 2
TREE_CAP = 256


def tree_dirs(root: Path) -> list[Path]:
    out: list[Path] = []
    for current, _entries in walk_dirs(root, TREE_DEPTH):
        out.append(current)
        if len(out) >= TREE_CAP:
            break
    return out


def env_watch_dirs(env_path: Path) -> list[Path]:
    env = identify_env(env_path)
    if env is None:
        return [env_path]
    return [env.path, env.bin_dir, *env.site_packages()]


def project_watch_dirs(project: Path, root: Path | None, env_dirs: Iterable[Path]) -> list[Path]:
    requirements = project / REQUIREMENTS_DIR
    dirs = [project, requirements]
    if fsread.is_dir(requirements):
        dirs.extend(d for d, _ in walk_dirs(requirements, MAX_REQUIREMENTS_DEPTH) if d != requirements)
    if root is not None:
        parent = project.parent
        while parent != root and root in parent.parents:
            dirs.append(parent)
            parent = parent.parent
    for env in env_dirs:
        dirs.extend(env_watch_dirs(env))
    return dirs
