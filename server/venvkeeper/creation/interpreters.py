"""Find base Pythons to build an env from, without running any interpreter or shim, and pick one.

Where we look (in this order; duplicates by real path are dropped, the first sighting wins):

1. every ``PATH`` entry's ``python3``, ``python3.X`` and ``python3.Xt`` (``python.exe``/``python3.X.exe``
   on Windows), except shim directories (``…/shims``) and scripts (a file starting with ``#!`` is a
   shim or wrapper, not an interpreter: pyenv shims cost ~150 ms each to execute);
2. pyenv's ``$PYENV_ROOT/versions/*/bin`` (default ``~/.pyenv``) — this is how shims are resolved;
3. uv-managed Pythons: ``$UV_PYTHON_INSTALL_DIR`` or ``$XDG_DATA_HOME/uv/python`` or
   ``~/.local/share/uv/python`` (``%APPDATA%\\uv\\python`` on Windows), ``cpython-3.12.1-<platform>``;
4. POSIX system and Homebrew dirs: ``/usr/bin``, ``/usr/local/bin``, ``/opt/homebrew/bin``,
   ``/usr/local/opt/python@3.X/bin``, ``/opt/homebrew/opt/python@3.X/bin``, and the python.org macOS
   installer's ``/Library/Frameworks/Python.framework/Versions/3.X/bin``;
5. Windows: the python.org installer layouts the ``py`` launcher reads,
   ``%LOCALAPPDATA%\\Programs\\Python\\PythonXY`` (per user) and ``%ProgramFiles%\\PythonXY`` (all users).
   The Microsoft Store alias
   (``…\\WindowsApps\\python.exe``) is never used: it is a stub that opens the Store.

Interpreters inside a virtual environment (a ``pyvenv.cfg`` next to their ``bin/``) are skipped: an env
is never the base of another env.

The version comes from the file system, most precise source first:

1. the install directory name: pyenv ``versions/3.12.1``, uv ``cpython-3.12.1-…`` (also tells
   ``+freethreaded`` and pre-releases such as ``3.14.0a1``);
2. ``PY_VERSION`` in ``patchlevel.h`` (``include/python3.12/patchlevel.h``, Windows ``include/patchlevel.h``);
3. X.Y only: the executable's name (``python3.12``, after resolving symlinks), the Windows dir name
   ``Python312``, or the one ``lib/python3.X/os.py`` in the prefix.

A name ending in ``t`` (``python3.13t``, ``Python313t``, ``include/python3.13t``) is a free-threaded build.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from venvkeeper import fsread
from venvkeeper.discovery.identify import is_complete_env_dir
from venvkeeper.discovery.userdirs import pyenv_root
from venvkeeper.host import Host

_POSIX_NAME_RE = re.compile(r"^python3(?:\.(\d+)(t?))?$")
_WINDOWS_NAME_RE = re.compile(r"^python(?:3(?:\.(\d+)(t?))?)?\.exe$", re.IGNORECASE)
_PYENV_DIR_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)((?:a|b|rc)\d+)?(t?)$")
_UV_DIR_RE = re.compile(r"^cpython-(\d+)\.(\d+)\.(\d+)((?:a|b|rc)\d+)?(\+freethreaded)?(?:\+\w+)?-")
_WIN_DIR_RE = re.compile(r"^Python3(\d+)(t?)(?:-(?:32|arm64))?$", re.IGNORECASE)
_PATCHLEVEL_RE = re.compile(rb'#define\s+PY_VERSION\s+"([^"]+)"')


@dataclass(frozen=True)
class BasePython:
    """A base interpreter found on disk (never run)."""

    path: Path
    #: "3.12" — always known (we skip interpreters whose version cannot be told).
    major_minor: str
    #: "3.12.1" / "3.14.0a1" when the layout tells it, else None.
    full_version: str | None
    free_threaded: bool
    #: Where it was found: "PATH", "pyenv", "uv", "Homebrew", "/usr/bin", "python.org installer".
    origin: str

    @property
    def version(self) -> str:
        return self.full_version or self.major_minor

    @property
    def prerelease(self) -> bool:
        try:
            return Version(self.version).is_prerelease
        except InvalidVersion:
            return False

    @property
    def sort_key(self) -> tuple[Version, int, int]:
        # Known patch versions sort above an unknown one of the same X.Y (3.12.1 > "3.12"), and the
        # default build above its free-threaded twin.
        try:
            return Version(self.version), 1 if self.full_version else 0, 0 if self.free_threaded else 1
        except InvalidVersion:
            return Version("0"), 0, 0

    def describe(self) -> str:
        return f"Python {self.version}{' (free-threaded)' if self.free_threaded else ''} ({self.path})"


class NoSuitablePython(Exception):
    """No base interpreter satisfies the project; ``str(exc)`` names what was found."""


@dataclass(frozen=True)
class Choice:
    python: BasePython
    #: Why this one, e.g.
    #: "Python 3.12.1 (/usr/bin/python3.12): newest found that satisfies requires-python >=3.10".
    reason: str


# -- reading versions from the file system ---------------------------------------------------------


def _read_patchlevel(prefix: Path, major_minor: str | None, free_threaded: bool, windows: bool) -> str | None:
    if windows:
        candidates = [prefix / "include" / "patchlevel.h", prefix / "Include" / "patchlevel.h"]
    elif major_minor:
        suffix = "t" if free_threaded else ""
        candidates = [prefix / "include" / f"python{major_minor}{suffix}" / "patchlevel.h"]
    else:
        candidates = sorted(prefix.glob("include/python3.*/patchlevel.h"))
    for header in candidates:
        data = fsread.read_head(header, 64 * 1024, fsread.HEADER)
        if isinstance(data, fsread.Unreadable):
            continue
        m = _PATCHLEVEL_RE.search(data)
        if m:
            return m.group(1).decode("ascii", "replace").rstrip("+")
    return None


def _lib_major_minor(prefix: Path) -> str | None:
    found = sorted({p.parent.name[len("python") :] for p in prefix.glob("lib/python3.*/os.py")})
    return found[0] if len(found) == 1 else None


def _is_script(path: Path) -> bool:
    """Shims and wrappers are scripts; a real interpreter is a binary."""
    head = fsread.read_head(path, 2)
    return isinstance(head, fsread.Unreadable) or head == b"#!"


def _in_virtualenv(exe: Path) -> bool:
    return is_complete_env_dir(exe.parent.parent) or is_complete_env_dir(exe.parent)


def _is_executable_file(path: Path, windows: bool) -> bool:
    try:
        if not fsread.is_file(path):
            return False
    except OSError:
        return False
    return windows or os.access(path, os.X_OK)


def identify(exe: Path, origin: str, *, windows: bool = False) -> BasePython | None:
    """Tell the version of the interpreter at ``exe`` from its layout; None when it is not a usable base."""
    if not _is_executable_file(exe, windows) or _is_script(exe):
        return None
    if windows and "windowsapps" in (part.lower() for part in exe.parts):
        return None
    if _in_virtualenv(exe):
        return None
    # Follow symlinks (python3 -> python3.12, Homebrew's bin -> Cellar) so the name and prefix are real.
    real = Path(os.path.realpath(exe))
    prefix = real.parent if windows else real.parent.parent
    major_minor: str | None = None
    full: str | None = None
    free_threaded = False

    for name in (real.name, exe.name):
        m = (_WINDOWS_NAME_RE if windows else _POSIX_NAME_RE).match(name)
        if m and m.group(1):
            major_minor = f"3.{m.group(1)}"
            free_threaded = free_threaded or bool(m.group(2))
            break
    # Install directory names carry the full version (pyenv, uv) or X.Y (Windows installer).
    for directory in (prefix, exe.parent if windows else exe.parent.parent):
        pm = _PYENV_DIR_RE.match(directory.name)
        um = _UV_DIR_RE.match(directory.name)
        wm = _WIN_DIR_RE.match(directory.name) if windows else None
        if pm:
            full = f"{pm.group(1)}.{pm.group(2)}.{pm.group(3)}{pm.group(4) or ''}"
            free_threaded = free_threaded or bool(pm.group(5))
        elif um:
            full = f"{um.group(1)}.{um.group(2)}.{um.group(3)}{um.group(4) or ''}"
            free_threaded = free_threaded or bool(um.group(5))
        elif wm and major_minor is None:
            major_minor = f"3.{wm.group(1)}"
            free_threaded = free_threaded or bool(wm.group(2))
        if full:
            break
    if full is None:
        full = _read_patchlevel(prefix, major_minor, free_threaded, windows)
    if full is not None:
        mm = re.match(r"(\d+)\.(\d+)", full)
        from_full = f"{mm.group(1)}.{mm.group(2)}" if mm else None
        if major_minor is None:
            major_minor = from_full
        elif from_full != major_minor:
            full = None  # the header belongs to another version: trust the file name
    if major_minor is None and not windows:
        major_minor = _lib_major_minor(prefix)
    if major_minor is None:
        return None
    return BasePython(
        path=exe, major_minor=major_minor, full_version=full, free_threaded=free_threaded, origin=origin
    )


# -- where to look ----------------------------------------------------------------------------------


def _names_in(directory: Path, windows: bool) -> list[Path]:
    pattern = _WINDOWS_NAME_RE if windows else _POSIX_NAME_RE
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return []
    # Versioned names first ("python3.12" before its "python3" alias): messages then show the version.
    names = sorted((n for n in entries if pattern.match(n)), key=lambda n: (-len(n), n))
    return [directory / name for name in names]


def _under(root: Path, absolute: str) -> Path:
    """``/usr/bin`` under ``root`` (``/`` in production, a fixture tree in tests)."""
    return root.joinpath(*Path(absolute).parts[1:])


def _uv_python_dir(host: Host) -> Path:
    if host.environ.get("UV_PYTHON_INSTALL_DIR"):
        return Path(host.environ["UV_PYTHON_INSTALL_DIR"])
    if host.platform == "windows":
        appdata = host.environ.get("APPDATA")
        return Path(appdata) / "uv" / "python" if appdata else host.home / "AppData/Roaming/uv/python"
    data = host.environ.get("XDG_DATA_HOME")
    return (Path(data) if data else host.home / ".local" / "share") / "uv" / "python"


def _places(host: Host, root: Path) -> Iterable[tuple[Path, str]]:
    windows = host.platform == "windows"
    for d in host.path_dirs:
        if d.name == "shims":
            continue
        yield d, "PATH"
    bin_name = "" if windows else "bin"
    pyenv_versions = pyenv_root(host.environ, host.home, windows=host.platform == "windows") / "versions"
    for v in sorted(pyenv_versions.glob("*")) if fsread.is_dir(pyenv_versions) else []:
        yield (v / bin_name if bin_name else v), "pyenv"
    uv_dir = _uv_python_dir(host)
    for v in sorted(uv_dir.glob("cpython-*")) if fsread.is_dir(uv_dir) else []:
        yield (v / bin_name if bin_name else v), "uv"
    if windows:
        local = host.environ.get("LOCALAPPDATA")
        if local:
            for v in sorted((Path(local) / "Programs" / "Python").glob("Python3*")):
                yield v, "python.org installer"
        program_files = host.environ.get("ProgramFiles") or host.environ.get("PROGRAMFILES")
        if program_files:
            for v in sorted(Path(program_files).glob("Python3*")):
                yield v, "python.org installer"
        return
    yield _under(root, "/usr/bin"), "/usr/bin"
    yield _under(root, "/usr/local/bin"), "/usr/local/bin"
    yield _under(root, "/opt/homebrew/bin"), "Homebrew"
    for opt in ("/usr/local/opt", "/opt/homebrew/opt"):
        for v in sorted(_under(root, opt).glob("python@3.*")):
            yield v / "bin", "Homebrew"
    # The python.org macOS installer (a framework build; /usr/local/bin links to it only if asked).
    for v in sorted(_under(root, "/Library/Frameworks/Python.framework/Versions").glob("3.*")):
        yield v / "bin", "python.org installer"


def find_interpreters(host: Host, *, root: Path = Path("/")) -> list[BasePython]:
    """Every base Python we can see, newest first. ``root`` relocates the system dirs (tests)."""
    windows = host.platform == "windows"
    found: list[BasePython] = []
    seen: set[str] = set()
    for directory, origin in _places(host, root):
        for exe in _names_in(directory, windows):
            try:
                key = os.path.realpath(exe)
            except OSError:
                continue
            if key in seen:
                continue
            py = identify(exe, origin, windows=windows)
            if py is None:
                continue
            seen.add(key)
            found.append(py)
    found.sort(key=lambda p: p.sort_key, reverse=True)
    return found


# -- the user's default interpreter ----------------------------------------------------------------


def _pyenv_global(host: Host) -> str:
    """The version pyenv's shims run outside a project: ``PYENV_VERSION`` (``pyenv shell``), else the
    first name in ``$PYENV_ROOT/version`` (``pyenv global``); "system" when unset, as pyenv does."""
    names = host.environ.get("PYENV_VERSION", "").replace(":", " ").split()
    if not names:
        text = fsread.text_head(
            pyenv_root(host.environ, host.home, windows=host.platform == "windows") / "version",
            4096,
            fsread.PYTHON_VERSION,
        )
        if text is None:
            return "system"
        names = text.split("#", 1)[0].split()
    return names[0] if names else "system"


def default_interpreter(host: Host, found: Sequence[BasePython]) -> tuple[BasePython, str] | None:
    """The Python a user gets by typing ``python3``, and how we know: the first ``python3`` on PATH
    (``python.exe`` on Windows); when that first hit is a pyenv shim, pyenv's global version (shims are
    never run: ``PYENV_VERSION`` or ``$PYENV_ROOT/version`` names what they would pick; "system" means
    the next ``python3`` on PATH). Taken from ``found``; None when it is not among them.
    """
    windows = host.platform == "windows"
    by_real: dict[str, BasePython] = {}
    for py in found:
        try:
            by_real.setdefault(os.path.realpath(py.path), py)
        except OSError:
            continue
    names = ("python.exe", "python3.exe") if windows else ("python3",)
    for directory in host.path_dirs:
        for name in names:
            exe = directory / name
            if not _is_executable_file(exe, windows):
                continue
            if directory.name == "shims":
                if _pyenv_global(host) == "system":
                    break  # the shim runs the next python3 on PATH
                return _pyenv_version(host, found)
            hit: BasePython | None
            try:
                hit = by_real.get(os.path.realpath(exe))
            except OSError:
                hit = None
            return (hit, f"the first {name} on PATH") if hit is not None else None
    return _pyenv_version(host, found)  # no python3 on PATH: pyenv's global version, if any


def _pyenv_version(host: Host, found: Sequence[BasePython]) -> tuple[BasePython, str] | None:
    version = _pyenv_global(host)
    if version == "system":
        return None
    prefix = pyenv_root(host.environ, host.home, windows=host.platform == "windows") / "versions" / version
    pyenv = next((p for p in found if p.origin == "pyenv" and prefix in p.path.parents), None)
    return (pyenv, f"pyenv's global version {version}") if pyenv is not None else None


# -- choosing ---------------------------------------------------------------------------------------


def _matches(py: BasePython, wanted: str) -> bool:
    """pyenv semantics: "3.12" matches any 3.12.x, "3.12.1" only that; a trailing "t" asks free-threaded."""
    wanted = wanted.strip()
    free = wanted.endswith("t")
    wanted = wanted.rstrip("t")
    if free != py.free_threaded:
        return False
    if wanted.count(".") == 1:
        return py.major_minor == wanted
    return py.full_version == wanted


def _satisfies(py: BasePython, spec: SpecifierSet | None) -> bool:
    if spec is None:
        return True
    try:
        return spec.contains(Version(py.version), prereleases=True)
    except InvalidVersion:
        return False


def _found_text(found: Sequence[BasePython]) -> str:
    if not found:
        return "no Python 3 interpreter was found"
    return "found: " + ", ".join(p.describe() for p in found)


def names_a_path(requested: str | None) -> bool:
    """Whether a requested base (``--python``) is an interpreter path rather than a version ("3.12")."""
    if not requested:
        return False
    return os.sep in requested or "/" in requested or requested.endswith(".exe")


def choose_base(
    found: Sequence[BasePython],
    requires_python: str | None,
    python_version_file: str | None,
    requested: str | None,
    *,
    default: tuple[BasePython, str] | None = None,
    allow_prerelease: bool = False,
    allow_free_threaded: bool = False,
) -> Choice:
    """Pick a base, in the order users expect: requested > ``.python-version`` > the user's default
    interpreter (:func:`default_interpreter`) when it satisfies requires-python > the newest stable one
    that does.

    ``python_version_file`` is the content of ``.python-version`` (one version per line; the first one
    that exists wins, as pyenv does). Preferring the default keeps a project pinned for an older Python
    (e.g. ``greenlet==3.0.1``, no 3.13 wheels) building on the 3.11 the user works with, instead of on
    the newest 3.13 found. Raises :class:`NoSuitablePython` naming what was found.
    """
    spec: SpecifierSet | None = None
    if requires_python and requires_python.strip():
        try:
            spec = SpecifierSet(requires_python)
        except InvalidSpecifier:
            spec = None
    rp_text = f"requires-python {requires_python.strip()}" if spec is not None and requires_python else None

    if requested:
        if names_a_path(requested):
            exe = Path(requested)
            py = next((p for p in found if p.path == exe), None) or identify(exe, "requested")
            if py is None:
                raise NoSuitablePython(f"{requested} is not a Python interpreter that can be used as a base")
            return Choice(py, f"{py.describe()}: requested")
        matching = [p for p in found if _matches(p, requested)]
        if not matching:
            raise NoSuitablePython(f"Python {requested} was requested but not found; {_found_text(found)}")
        return Choice(matching[0], f"{matching[0].describe()}: requested {requested}")

    def usable(p: BasePython) -> bool:
        return (allow_prerelease or not p.prerelease) and (allow_free_threaded or not p.free_threaded)

    satisfying = [p for p in found if _satisfies(p, spec)]
    note = ""
    if python_version_file:
        lines = [
            ln.split("#", 1)[0].strip()
            for ln in python_version_file.splitlines()
            if ln.split("#", 1)[0].strip()
        ]
        for wanted in lines:
            matching = [p for p in satisfying if _matches(p, wanted)]
            if matching:
                why = f".python-version asks for {wanted}"
                if rp_text:
                    why += f", which satisfies {rp_text}"
                return Choice(matching[0], f"{matching[0].describe()}: {why}")
        if lines:
            unmet = f"not found or not satisfying {rp_text}" if rp_text else "not found"
            note = f" (.python-version asks for {', '.join(lines)}: {unmet})"
    if default is not None:
        py, how = default
        if _satisfies(py, spec) and usable(py):
            what = f"your default interpreter ({how})" + (f", which satisfies {rp_text}" if rp_text else "")
            return Choice(py, f"{py.describe()}: {what}{note}")
        if rp_text:
            note += f" (your default, {py.describe()}, does not satisfy {rp_text})"
    stable = [p for p in satisfying if usable(p)]
    if stable:
        what = f"newest found that satisfies {rp_text}" if rp_text else "newest found"
        return Choice(stable[0], f"{stable[0].describe()}: {what}{note}")
    if rp_text:
        raise NoSuitablePython(f"no Python satisfies {rp_text}; {_found_text(found)}")
    raise NoSuitablePython(f"no stable Python 3 found; {_found_text(found)}")
