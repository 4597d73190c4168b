"""Small path helpers shared by the guards: containment, shortening for messages, env labels."""

from __future__ import annotations

import os
from pathlib import Path, PurePath


def is_within(child: PurePath, parent: PurePath) -> bool:
    """True when ``child`` is ``parent`` or lies below it (lexically; callers resolve first if needed)."""
    try:
        PurePath(child).relative_to(parent)
    except ValueError:
        return False
    return True


def real(path: Path) -> Path:
    """``path`` with symlinks resolved, or unchanged when it cannot be resolved (it may be gone)."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return path


def same_path(a: Path, b: Path) -> bool:
    """Whether two paths name the same place: same file when both exist, else equal real paths."""
    try:
        return a.samefile(b)
    except OSError:
        return real(a) == real(b)


def tilde(path: PurePath, home: Path) -> str:
    """``/home/me/.local/x`` -> ``~/.local/x`` so messages stay short and do not leak the user name."""
    for base in (home, real(home)):
        try:
            rel = PurePath(path).relative_to(base)
        except ValueError:
            continue
        return "~" if str(rel) == "." else f"~{os.sep}{rel}"
    return str(path)


def env_label(env_path: Path, project: Path | None, home: Path | None = None) -> str:
    """How a message names an env: ``.venv`` when it is in the project, else its path (``~``-shortened
    when ``home`` is given)."""
    if project is not None:
        for env_p, proj_p in ((env_path, project), (real(env_path), real(project))):
            if is_within(env_p, proj_p) and env_p != proj_p:
                return str(PurePath(env_p).relative_to(proj_p))
    return tilde(env_path, home) if home is not None else str(env_path)
