"""A stale or foreign ``VIRTUAL_ENV`` from the client: a deleted env, or another project's env.

A terminal (or the editor itself) started with another project's env activated installs into that
env and runs its Python; uv says "VIRTUAL_ENV=… does not match the project environment path .venv and
will be ignored". We say the same in the editor, naming both envs.
"""

from __future__ import annotations

from pathlib import Path

from venvkeeper import fsread
from venvkeeper.discovery.identify import is_complete_env_dir
from venvkeeper.discovery.model import Environment
from venvkeeper.discovery.projects import is_project_root
from venvkeeper.guards.paths import env_label, is_within, real, same_path, tilde

CODE = "stale-virtual-env"


def _owner_project(env_path: Path) -> bool:
    """Whether the env sits in a project (its parent is a project root), i.e. it is another project's env."""
    try:
        return is_project_root(env_path.parent)
    except OSError:
        return False


def stale_virtual_env_message(
    virtual_env: str | None, project: Path, env: Environment | None, user_home: Path
) -> str | None:
    """The warning text, or None when VIRTUAL_ENV is unset, is this project's env, or lies inside it."""
    if not virtual_env:
        return None
    active = Path(virtual_env)
    shown = tilde(active, user_home)
    ours = f"this project's env {tilde(env.path, user_home)}" if env is not None else None
    if not is_complete_env_dir(active):
        gone = (
            "no longer exists"
            if not fsread.exists(active)
            else "is not a virtual environment (no pyvenv.cfg)"
        )
        tail = f"; {ours} is the one to use" if ours else ""
        return (
            f"VIRTUAL_ENV={shown} {gone}: terminals started with it activated run a Python that is gone"
            f"{tail}. Open a new terminal, or run 'deactivate'."
        )
    if env is None or same_path(active, env.path):
        return None
    if is_within(real(active), real(project)) or is_within(active, project):
        return None  # an env inside this project is the user's own choice, not a foreign one
    whose = "another project's env" if _owner_project(active) else "an env outside this project"
    label = env_label(env.path, project, user_home)
    return (
        f"VIRTUAL_ENV={shown} ({whose}) does not match {ours}: in terminals where it is activated, "
        f"'pip install' and 'python' use {shown}, not {label}. Deactivate it, then activate {label}."
    )
