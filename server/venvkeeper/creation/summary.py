"""One line saying what a finished create, sync or install did ("Created .venv with Python 3.11.7 and
installed 54 packages in 14 s"): the end of its progress and the last word in the log."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def env_label(env: Path, project: Path) -> str:
    """``.venv`` for an env inside the project, else its full path."""
    try:
        return str(env.relative_to(project))
    except ValueError:
        return str(env)


def duration(seconds: float) -> str:
    """``14 s``, ``2 min 5 s``; never ``0 s``."""
    whole = max(1, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def _packages(count: int) -> str:
    return "1 package" if count == 1 else f"{count} packages"


def created(env: str, python_version: str, packages: int, seconds: float, *, replaced: bool = False) -> str:
    verb = "Recreated" if replaced else "Created"
    installed = f" and installed {_packages(packages)}" if packages else ""
    return f"{verb} {env} with Python {python_version}{installed} in {duration(seconds)}"


def installed(env: str, requirements: Sequence[str], seconds: float) -> str:
    what = " ".join(requirements) if len(requirements) <= 3 else _packages(len(requirements))
    return f"Installed {what} into {env} in {duration(seconds)}"


def synced(env: str, source: str, seconds: float) -> str:
    return f"Synced {env} with {source} in {duration(seconds)}"
