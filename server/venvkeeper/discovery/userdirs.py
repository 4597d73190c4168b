"""Per-user cache/config/data dirs of other tools, from an injected home and environment.

Poetry, PDM and Hatch find their dirs with ``platformdirs``. We cannot call ``platformdirs`` for them:
it reads the *process* environment and home, while discovery takes both from :class:`LocateContext`
(habit 7: tests build a fake home in ``tmp_path``; the daemon may serve a client whose environment
differs from its own). So this module reproduces the few ``platformdirs`` rules those tools use
(platformdirs 4.x, ``appauthor=False`` unless said otherwise); tests/unit/discovery/test_userdirs.py
checks them against the real ``platformdirs`` for Linux, macOS and Windows.

- Linux (and other Unixes): ``$XDG_CACHE_HOME``/``$XDG_CONFIG_HOME``/``$XDG_DATA_HOME`` or ``~/.cache``,
  ``~/.config``, ``~/.local/share``, then the app name.
- macOS: the same ``XDG_*`` variables when set, else ``~/Library/Caches/<app>`` and
  ``~/Library/Application Support/<app>`` (config and data).
- Windows: cache ``%LOCALAPPDATA%\\<app>\\Cache``; config and data ``%LOCALAPPDATA%\\<app>``, or
  ``%APPDATA%\\<app>`` when the tool asks for roaming dirs. With ``appauthor`` left unset (PDM) the app
  name appears twice: ``%LOCALAPPDATA%\\pdm\\pdm``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal, Optional

Kind = Literal["cache", "config", "data"]

_XDG = {
    "cache": ("XDG_CACHE_HOME", ".cache"),
    "config": ("XDG_CONFIG_HOME", ".config"),
    "data": ("XDG_DATA_HOME", ".local/share"),
}


def _env_dir(environ: Mapping[str, str], name: str) -> Optional[Path]:
    value = environ.get(name, "").strip()
    return Path(value) if value else None


def user_dir(
    kind: Kind,
    app: str,
    *,
    home: Path,
    environ: Mapping[str, str],
    sys_platform: str,
    roaming: bool = False,
    author_dir: bool = False,
) -> Optional[Path]:
    """Where ``platformdirs.user_<kind>_dir(app, …)`` points for that home, environment and OS.

    ``author_dir`` mimics ``appauthor`` left unset (Windows then nests ``<app>\\<app>``). None when the
    OS needs a variable that is not set (``%LOCALAPPDATA%`` on Windows).
    """
    if sys_platform == "win32":
        var = "APPDATA" if roaming and kind != "cache" else "LOCALAPPDATA"
        base = _env_dir(environ, var)
        if base is None:
            return None
        path = base / app / app if author_dir else base / app
        return path / "Cache" if kind == "cache" else path
    xdg_var, default = _XDG[kind]
    xdg = _env_dir(environ, xdg_var)
    if xdg is not None:
        return xdg / app
    if sys_platform == "darwin":
        return home / "Library" / ("Caches" if kind == "cache" else "Application Support") / app
    return home / default / app


def expand_home(value: str, home: Path) -> Path:
    """``~`` and ``~/x`` against the injected home (``os.path.expanduser`` would read the process's)."""
    if value == "~":
        return home
    if value.startswith(("~/", "~\\")):
        return home / value[2:]
    return Path(value)


def pyenv_root(environ: Mapping[str, str], home: Path, *, windows: bool = False) -> Path:
    """pyenv's root: ``$PYENV_ROOT`` (``~`` expanded), else ``~/.pyenv`` (``~/.pyenv/pyenv-win`` for
    pyenv-win). Discovery, base-interpreter choice and the guards all ask here."""
    value = environ.get("PYENV_ROOT", "").strip()
    if value:
        return expand_home(value, home)
    return home / ".pyenv" / "pyenv-win" if windows else home / ".pyenv"
