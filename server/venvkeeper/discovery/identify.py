"""Recognise a virtual environment directory and judge its state from files alone."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional

from venvkeeper import fsread
from venvkeeper.discovery.model import Environment, Layout
from venvkeeper.discovery.pyvenv import PyvenvCfg, PyvenvError, read_pyvenv_cfg

_LIB_PY_RE = re.compile(r"^python(\d+\.\d+)t?$")


def is_env_dir(path: Path) -> bool:
    """A directory is a virtual environment when it holds ``pyvenv.cfg`` (PEP 405).

    Any non-directory named pyvenv.cfg counts: a FIFO or a link to /dev/zero makes the env broken
    with that reason (the reader refuses it) instead of silently not an env.
    """
    cfg = path / "pyvenv.cfg"
    return fsread.lexists(cfg) and not fsread.is_dir(cfg)


def is_complete_env_dir(path: Path | str) -> bool:
    """A venv whose ``pyvenv.cfg`` is a regular file: what replacing, recreating or installing into
    an env requires (never touch a dir whose ``pyvenv.cfg`` is a FIFO or a dir; see :func:`is_env_dir`).
    """
    return fsread.is_file(Path(path) / "pyvenv.cfg")


def _layout(path: Path, prefer: str) -> Layout:
    posix = path / "bin"
    windows = path / "Scripts"
    try:
        has_posix = fsread.is_dir(posix)
        has_windows = fsread.is_dir(windows)
    except OSError:
        has_posix = has_windows = False
    if has_windows and not has_posix:
        return "windows"
    if has_posix and not has_windows:
        return "posix"
    return "windows" if prefer == "windows" else "posix"


def interpreter_path(path: Path, layout: Layout) -> Path:
    return path / "Scripts" / "python.exe" if layout == "windows" else path / "bin" / "python"


def _version_from_lib(path: Path, layout: Layout) -> Optional[str]:
    if layout == "windows":
        return None
    try:
        for child in sorted((path / "lib").iterdir()):
            m = _LIB_PY_RE.match(child.name)
            if m:
                return m.group(1)
    except OSError:
        return None
    return None


def _interpreter_problem(python: Path) -> Optional[str]:
    """Why the interpreter cannot run, judged from the file system, or None."""
    label = python.relative_to(python.parent.parent)
    if fsread.exists(python):
        kind = fsread.not_regular(python)
        # A FIFO or /dev/zero at bin/python is not an interpreter (and reading it would hang or never end).
        return f"{label} is {kind}, not an interpreter" if kind else None
    unreachable = fsread.access_problem(python) or fsread.access_problem(python.parent)
    if unreachable:
        return f"{label} {unreachable}"  # EACCES on bin/, ELOOP, a name too long
    if os.path.islink(python):
        try:
            target = os.readlink(python)
        except OSError:
            target = "?"
        # A chain of links that ends nowhere or loops: resolving again tells which.
        try:
            python.resolve(strict=True)
        except RuntimeError:
            return f"{python.name} is a symlink loop"
        except OSError:
            pass
        return f"{python.name} is a broken symlink to {target} (the base interpreter was removed or moved)"
    return f"{label} is missing"


def identify_env(path: Path, prefer_layout: str = "posix") -> Optional[Environment]:
    """Return the env at ``path`` (ok or broken with a reason), or None when it is not an env."""
    if not is_env_dir(path):
        return _unreadable_env(path, prefer_layout)
    layout = _layout(path, prefer_layout)
    python = interpreter_path(path, layout)
    cfg: Optional[PyvenvCfg] = None
    problem: Optional[str] = None
    try:
        cfg = read_pyvenv_cfg(path / "pyvenv.cfg")
    except PyvenvError as exc:
        problem = str(exc)
    if cfg is not None and cfg.version is None:
        lib_version = _version_from_lib(path, layout)
        if lib_version:
            cfg = PyvenvCfg(**{**cfg.__dict__, "version": lib_version})
    if problem is None:
        problem = _interpreter_problem(python)
    if problem is None and cfg is not None:
        if cfg.home is None:
            problem = "pyvenv.cfg has no 'home' key, so Python cannot find its standard library"
        elif not _is_dir(Path(cfg.home)):
            problem = f"the base interpreter's directory {cfg.home} (pyvenv.cfg 'home') no longer exists"
    return Environment(
        path=path,
        python=python,
        layout=layout,
        state="broken" if problem else "ok",
        problem=problem,
        cfg=cfg,
    )


#: Names that mean "an env" even when the directory cannot be looked into (see :func:`_unreadable_env`).
_ENV_NAMES = (".venv", "venv", "env")


def _unreadable_env(path: Path, prefer_layout: str) -> Optional[Environment]:
    """A conventionally named env dir we may not look into (chmod 000): broken, saying why, not absent."""
    if path.name not in _ENV_NAMES or not fsread.is_dir(path):
        return None
    problem = fsread.access_problem(path / "pyvenv.cfg")
    if problem is None:
        return None
    layout = _layout(path, prefer_layout)
    return Environment(
        path=path,
        python=interpreter_path(path, layout),
        layout=layout,
        state="broken",
        problem=f"{path.name}/pyvenv.cfg {problem}",
    )


def _is_dir(path: Path) -> bool:
    try:
        return fsread.is_dir(path)
    except OSError:
        return False
