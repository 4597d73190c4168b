"""Base interpreters found from files alone: an env's ``home``, and ``python3`` on PATH.

A *base* interpreter is a real Python installation (its prefix holds the stdlib), as opposed to a
virtual environment. We never run it: the prefix comes from ``pyvenv.cfg``'s ``home`` or a resolved
PATH entry, and the X.Y version from names on disk (``python3.11``, ``lib/python3.11``, ``python311.dll``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from venvkeeper import fsread
from venvkeeper.discovery.identify import is_complete_env_dir
from venvkeeper.discovery.model import Environment, Layout
from venvkeeper.discovery.pyvenv import PyvenvError, read_pyvenv_cfg
from venvkeeper.discovery.userdirs import pyenv_root
from venvkeeper.guards.paths import real, tilde
from venvkeeper.host import Host

_POSIX_EXE_RE = re.compile(r"^python(\d+)\.(\d+)$")
_WINDOWS_DLL_RE = re.compile(r"^python(\d)(\d+)\.dll$", re.IGNORECASE)
_STDLIB_DIR_RE = re.compile(r"^python(\d+)\.(\d+)t?$")

#: A venv made from a venv made from ... is rare; the bound only stops a cycle of pyvenv.cfg files.
_MAX_CHAIN = 5


@dataclass(frozen=True)
class BaseInterpreter:
    #: The installation prefix (``sys.base_prefix`` of that interpreter).
    prefix: Path
    #: "X.Y", or None when nothing on disk names it.
    version: str | None
    layout: Layout
    executable: Path | None = None

    @property
    def stdlib(self) -> Path | None:
        """Where the stdlib (and a PEP 668 ``EXTERNALLY-MANAGED`` marker) lives."""
        if self.layout == "windows":
            return self.prefix / "Lib"
        return self.prefix / "lib" / f"python{self.version}" if self.version else None

    @property
    def is_framework(self) -> bool:
        """A macOS framework build (python.org, Xcode CLT): its user site has another layout."""
        return any(part.endswith(".framework") for part in self.prefix.parts)

    def describe(self, home: Path) -> str:
        name = f"Python {self.version}" if self.version else "Python"
        return f"{name} at {tilde(self.prefix, home)}"


def prefix_of_home(home: Path, layout: Layout) -> Path:
    """pyvenv.cfg ``home`` is the base executable's dir: ``<prefix>/bin`` on POSIX, the prefix on Windows."""
    if layout == "windows":
        return home.parent if home.name.lower() == "scripts" else home
    return home.parent if home.name == "bin" else home


def version_from_layout(prefix: Path, layout: Layout) -> str | None:
    """The X.Y of the installation at ``prefix``, read from names on disk only."""
    if layout == "windows":
        try:
            names = sorted(p.name for p in prefix.iterdir())
        except OSError:
            return None
        for name in names:
            m = _WINDOWS_DLL_RE.match(name)
            if m and m.group(1) == "3":
                return f"{m.group(1)}.{m.group(2)}"
        return None
    found: list[tuple[int, int]] = []
    try:
        entries = list((prefix / "lib").iterdir())
    except OSError:
        return None
    for entry in entries:
        m = _STDLIB_DIR_RE.match(entry.name)
        # A stdlib dir holds os.py; Debian's /usr/lib/python3.X of other versions may hold only dist-packages.
        if m and fsread.is_file(entry / "os.py"):
            found.append((int(m.group(1)), int(m.group(2))))
    if len(found) == 1:
        return f"{found[0][0]}.{found[0][1]}"
    return None


def version_of_executable(exe: Path) -> str | None:
    """``python3.11`` (after resolving symlinks) names its version."""
    m = _POSIX_EXE_RE.match(real(exe).name)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def _follow_venv_chain(prefix: Path, layout: Layout) -> Path:
    """A "base" that is itself a venv (virtualenv made from a venv python) is not global: follow its home."""
    for _ in range(_MAX_CHAIN):
        cfg_path = prefix / "pyvenv.cfg"
        if not fsread.is_file(cfg_path):
            return prefix
        try:
            cfg = read_pyvenv_cfg(cfg_path)
        except PyvenvError:
            return prefix
        if not cfg.home:
            return prefix
        prefix = prefix_of_home(Path(cfg.home), layout)
    return prefix


def base_of_env(env: Environment) -> BaseInterpreter | None:
    """The env's base interpreter according to its pyvenv.cfg (which may no longer exist on disk)."""
    cfg = env.cfg
    if cfg is None or not cfg.home:
        return None
    prefix = _follow_venv_chain(prefix_of_home(Path(cfg.home), env.layout), env.layout)
    executable = Path(cfg.executable) if cfg.executable else None
    return BaseInterpreter(prefix, cfg.major_minor, env.layout, executable)


def _pyenv_shim_target(shims: Path, host: Host) -> Path | None:
    """What pyenv's ``python3`` shim runs: ``$PYENV_VERSION`` or ``$PYENV_ROOT/version``; None = "system"."""
    root = shims.parent
    version = host.environ.get("PYENV_VERSION", "")
    if not version:
        version = fsread.text_head(root / "version", 4096, fsread.PYTHON_VERSION) or ""
    # Both forms may list several versions ("3.11.7:3.12.1" / one per line); the first one answers python3.
    first = (version.replace(":", " ").split() or ["system"])[0]
    if first == "system":
        return None
    return root / "versions" / first / "bin" / "python3"


def python_on_path(host: Host) -> BaseInterpreter | None:
    """What ``python3`` (``python`` on Windows) on PATH runs, skipping venvs and pyenv's "system"."""
    names = ("python.exe", "python3.exe") if host.platform == "windows" else ("python3",)
    layout: Layout = "windows" if host.platform == "windows" else "posix"
    pyenv_shims = pyenv_root(host.environ, host.home, windows=host.platform == "windows") / "shims"
    for directory in host.path_dirs:
        # The Microsoft Store alias only opens the Store (exit 9009); it is not an interpreter.
        if "WindowsApps" in directory.parts:
            continue
        for name in names:
            candidate = directory / name
            if not fsread.is_file(candidate):
                continue
            if directory == pyenv_shims or (directory.name == "shims" and directory.parent.name == ".pyenv"):
                target = _pyenv_shim_target(directory, host)
                if target is None or not fsread.is_file(target):
                    break  # pyenv says "system": the next PATH entry answers
                candidate = target
            exe = real(candidate)
            prefix = exe.parent if layout == "windows" else exe.parent.parent
            if is_complete_env_dir(prefix):
                break  # an activated venv in the daemon's PATH is not a global place
            version = version_of_executable(exe) or version_from_layout(prefix, layout)
            return BaseInterpreter(prefix, version, layout, exe)
    return None
