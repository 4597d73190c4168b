"""Which directories to watch, and what an event in one of them means.

Watched (each non-recursively):
- every workspace root, and directories up to :data:`TREE_DEPTH` below it (so a new project appearing
  near the top of a monorepo is seen), at most :data:`TREE_CAP` of those;
- every project root, its ancestors up to the root, and its ``requirements/`` directory with the
  directories below it (sources live at any depth there, see requirements/layout.py) — unless the editor
  watches the workspace for us (``client_watches``: it registered our globs for requirement sources, lock
  files and project markers; daemon/session.py); the ancestors stay, since an editor reports a deleted
  directory by its own name only, which no glob of ours matches;
- every candidate env of a project: the env dir (pyvenv.cfg rewritten by a recreate, the env deleted)
  and its site-packages (dist-info dirs appearing = someone ran pip). Not ``bin``/``Scripts``: a
  recreate rewrites pyvenv.cfg, pip's console scripts come with a dist-info, and deleting the env is
  seen on the env dir itself — a third watch per env would report nothing the other two do not
  (issue 14, goal 3: at most 3 watches per project with an env).

Never: ``.git``, ``node_modules``, ``.tox``/``.nox``, or anything deeper inside an env.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Callable

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


def root_watch_dirs(root: Path, *, client_watches: bool = False) -> list[Path]:
    """The root and the dirs near its top (:func:`tree_dirs`); only the root when the editor watches the
    workspace (it reports a new project's marker; a deleted dir holding projects is seen on its parent)."""
    return [root] if client_watches else tree_dirs(root)


def env_watch_dirs(env_path: Path) -> list[Path]:
    """The env dir and its site-packages dir(s) (just the dir when it is no env, or not yet one)."""
    env = identify_env(env_path)
    return [env_path] if env is None else [env.path, *env.site_packages()]


class EnvWatchDirs:
    """:func:`env_watch_dirs`, remembered per env until its pyvenv.cfg changes: every watch sync asked
    identify_env again for every env (three times in a start-up sweep); an env's dirs change only when
    pyvenv.cfg is rewritten. One per App (its lifetime is the App's)."""

    MAX = 10_000

    def __init__(self) -> None:
        #: env dir -> (pyvenv.cfg's identity, its watch dirs)
        self._known: dict[Path, tuple[tuple[int, int, int], list[Path]]] = {}

    def __call__(self, env_path: Path) -> list[Path]:
        try:
            st = os.stat(env_path / "pyvenv.cfg")
            key: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            key = None
        known = self._known.get(env_path)
        if key is not None and known is not None and known[0] == key:
            return list(known[1])
        dirs = env_watch_dirs(env_path)
        if key is not None and len(dirs) > 1:  # not while the env is being made (no site-packages yet)
            if len(self._known) >= self.MAX:
                self._known.clear()
            self._known[env_path] = (key, dirs)
        return list(dirs)


def project_watch_dirs(
    project: Path,
    root: Path | None,
    env_dirs: Iterable[Path],
    *,
    client_watches: bool = False,
    dirs_of_env: Callable[[Path], list[Path]] = env_watch_dirs,
) -> list[Path]:
    dirs: list[Path] = []
    if not client_watches:
        requirements = project / REQUIREMENTS_DIR
        dirs += [project, requirements]
        if fsread.is_dir(requirements):
            dirs.extend(d for d, _ in walk_dirs(requirements, MAX_REQUIREMENTS_DEPTH) if d != requirements)
    if root is not None:
        parent = project.parent
        while parent != root and root in parent.parents:
            dirs.append(parent)
            parent = parent.parent
    for env in env_dirs:
        dirs.extend(dirs_of_env(env))
    return dirs


def catch_up_dirs(before: set[Path], after: set[Path]) -> set[Path]:
    """The dirs newly watched since ``before``, each to be routed once: a file written there before its
    watch existed is seen no other way ("directory created" races "watch established"). None after the
    first sync: nothing was watched before it, and every project is about to be checked anyway."""
    return after - before if before else set()


def reported_paths(path: Path) -> tuple[Path, ...]:
    """What a change the editor reports stands for: the path, and for a ``pyvenv.cfg`` its env dir too
    (an env appeared, went or was recreated: the dir is what routes to its project)."""
    return (path, path.parent) if path.name == "pyvenv.cfg" else (path,)
