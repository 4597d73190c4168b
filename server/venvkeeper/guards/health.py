"""Env health from files alone: a gone or upgraded base interpreter, a moved or copied env, no pip.

``bin/python`` of a moved env still runs, so checking only the interpreter calls it healthy; the
scripts (``pip``, ``activate``) still name the old path and fail with "bad interpreter". We compare
the env's real path with every place that recorded it. None of this spawns the env's interpreter.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from venvkeeper import fsread
from venvkeeper.discovery.identify import is_complete_env_dir
from venvkeeper.discovery.model import Environment
from venvkeeper.guards.base_interpreters import version_of_executable
from venvkeeper.guards.paths import real, same_path, tilde

#: Scripts and activate files are small; never read more than this from one.
_MAX_READ = 64 * 1024
#: Looking at this many scripts' shebangs is enough to tell a moved env; a huge bin/ costs no more.
_MAX_SCRIPTS = 25

#: Matched against one line at a time (``rx.match(line)``): a leading ``\s*`` over the whole script
#: would cross newlines, and an activate of 20k newlines made ``re.MULTILINE`` searches quadratic.
_ACTIVATE_RES = (
    # bash/zsh (venv, virtualenv, uv): VIRTUAL_ENV="/p" or export VIRTUAL_ENV='/p'; skip computed values ($…).
    re.compile(r"""[ \t]*(?:export[ \t]+)?VIRTUAL_ENV=(["'])(?P<p>[^"'$`]+)\1"""),
    # fish: set -gx VIRTUAL_ENV "/p"
    re.compile(r"""[ \t]*set[ \t]+-gx[ \t]+VIRTUAL_ENV[ \t]+(["'])(?P<p>[^"'$`]+)\1"""),
    # csh: setenv VIRTUAL_ENV "/p"
    re.compile(r"""[ \t]*setenv[ \t]+VIRTUAL_ENV[ \t]+(["'])(?P<p>[^"'$`]+)\1"""),
    # cmd: set "VIRTUAL_ENV=C:\p"  or  set VIRTUAL_ENV=C:\p. The value is taken whole inside a lookahead
    # (which never backtracks; Python 3.9 has no atomic groups): otherwise a value of blanks followed by
    # junk is retried from every blank.
    re.compile(r"""[ \t]*@?set[ \t]+"?VIRTUAL_ENV=(?=(?P<p>[^"%\r\n]+))(?P=p)"?[ \t]*$""", re.IGNORECASE),
)
_ACTIVATE_FILES = ("activate", "activate.fish", "activate.csh", "activate.bat")
# pip's launcher for paths with spaces: "#!/bin/sh" then "'''exec' "/p q/bin/python" "$0" "$@"".
_SH_EXEC_RE = re.compile(r"""^'''exec' "(?P<p>[^"$]+)" """)

CODE_BASE_MISSING = "base-interpreter-missing"
CODE_BASE_CHANGED = "base-version-changed"
CODE_MOVED = "env-moved"
CODE_NO_PIP = "env-no-pip"


@dataclass(frozen=True)
class HealthProblem:
    code: str
    message: str


@dataclass(frozen=True)
class RecordedPath:
    """A place in the env that names the env's own path (as it was when the env was made)."""

    source: str
    path: str


# -- base interpreter ----------------------------------------------------------------------------


def _python_names(directory: Path) -> list[str]:
    try:
        return sorted(e.name for e in directory.iterdir() if e.name.startswith("python"))
    except OSError:
        return []


def base_problem(env: Environment, label: str, user_home: Path) -> HealthProblem | None:
    """base-interpreter-missing / base-version-changed, or None when the base looks intact."""
    cfg = env.cfg
    if cfg is None or not cfg.home:
        return None  # no home at all is an unusable pyvenv.cfg: discovery reports env-broken
    home = Path(cfg.home)
    py_label = f"{label}{os.sep}{env.python.relative_to(env.path)}"
    fails = (
        f'Running {py_label} fails ("No module named \'encodings\'", or on macOS "dyld: Library not '
        f'loaded"). Recreate {label}.'
    )
    if fsread.is_symlink(env.python) and not fsread.exists(env.python):
        try:
            target = os.readlink(env.python)
        except OSError:
            target = "?"
        return HealthProblem(
            CODE_BASE_MISSING,
            f"The base interpreter of {label} is gone: {py_label} points to {target}, which no longer "
            f'exists (Python was removed or upgraded). Running it fails with "No such file or directory". '
            f"Recreate {label}.",
        )
    if not fsread.is_dir(home):
        return HealthProblem(
            CODE_BASE_MISSING,
            f"The base interpreter of {label} is gone: pyvenv.cfg's home {tilde(home, user_home)} no longer "
            f"exists (Python was removed or upgraded). {fails}",
        )
    expected = cfg.major_minor
    names = _python_names(home)
    if env.layout == "windows":
        return _windows_base_problem(label, home, user_home, expected, names, fails)
    if not names:
        return HealthProblem(
            CODE_BASE_MISSING,
            f"The base interpreter of {label} is gone: {tilde(home, user_home)} (pyvenv.cfg's home) holds "
            f"no python executable any more. {fails}",
        )
    if expected is None:
        return None
    # A symlinked env runs whatever its link resolves to; after an upgrade that is another X.Y.
    actual = version_of_executable(env.python) if fsread.is_symlink(env.python) else None
    if actual is None and f"python{expected}" not in names:
        others = sorted(
            {v for v in (version_of_executable(home / n) for n in names) if v and v != expected},
            key=lambda v: tuple(int(x) for x in v.split(".")),
        )
        actual = others[-1] if others else None
    if actual is not None and actual != expected:
        return HealthProblem(
            CODE_BASE_CHANGED,
            f"{label} was made with Python {expected} (pyvenv.cfg), but its base interpreter in "
            f'{tilde(home, user_home)} is now Python {actual}: {py_label} fails with "No module named '
            f'\'encodings\'" (macOS: "dyld: Library not loaded") or runs {actual} without the packages '
            f"installed for {expected}. Recreate {label}.",
        )
    return None


def _windows_base_problem(
    label: str, home: Path, user_home: Path, expected: str | None, names: list[str], fails: str
) -> HealthProblem | None:
    lowered = [n.lower() for n in names]
    if "python.exe" not in lowered:
        return HealthProblem(
            CODE_BASE_MISSING,
            f"The base interpreter of {label} is gone: {home} (pyvenv.cfg's home) holds no python.exe. "
            f"{fails}",
        )
    dlls = sorted(n[len("python") : -len(".dll")] for n in lowered if re.match(r"^python3\d+\.dll$", n))
    if expected and dlls:
        wanted = expected.replace(".", "")
        if wanted not in dlls:
            actual = f"{dlls[-1][0]}.{dlls[-1][1:]}"
            return HealthProblem(
                CODE_BASE_CHANGED,
                f"{label} was made with Python {expected} (pyvenv.cfg), but its base interpreter in "
                f"{home} is now Python {actual}. Recreate {label}.",
            )
    return None


# -- moved or copied -----------------------------------------------------------------------------


def recorded_paths(env: Environment) -> list[RecordedPath]:
    """Every record of the env's own path: activate scripts, script shebangs, pyvenv.cfg ``command``."""
    out: list[RecordedPath] = []
    bin_dir = env.bin_dir
    for name in _ACTIVATE_FILES:
        text = fsread.text_head(bin_dir / name, _MAX_READ)
        if text is None:
            continue
        recorded = _activate_virtual_env(text)
        if recorded is not None:
            out.append(RecordedPath(f"VIRTUAL_ENV in {bin_dir.name}/{name}", recorded))
    for script, interpreter in _shebangs(bin_dir):
        env_dir = _env_of_interpreter(interpreter, env.layout)
        if env_dir is not None:
            out.append(RecordedPath(f"the shebang of {bin_dir.name}/{script}", env_dir))
    command_path = _command_target(env)
    if command_path is not None:
        out.append(RecordedPath("pyvenv.cfg's command", command_path))
    return out


def _activate_virtual_env(text: str) -> str | None:
    """The literal path an activate script sets VIRTUAL_ENV to (the first form that any line uses)."""
    lines = text.splitlines()
    for rx in _ACTIVATE_RES:
        for line in lines:
            m = rx.match(line)
            if m:
                return m.group("p").strip()
    return None


def _shebangs(bin_dir: Path) -> Iterator[tuple[str, str]]:
    try:
        entries = sorted(os.scandir(bin_dir), key=lambda e: e.name)
    except OSError:
        return
    seen = 0
    for entry in entries:
        name = entry.name
        if name.startswith(("activate", "Activate", "python", "deactivate")) or seen >= _MAX_SCRIPTS:
            continue
        try:
            if not entry.is_file() or entry.stat().st_size > 4 * 1024 * 1024:
                continue
        except OSError:
            continue
        head = fsread.text_head(entry.path, 1024)
        if not head or not head.startswith("#!"):
            continue
        seen += 1
        lines = head.splitlines()
        first = lines[0][2:].strip()
        if first == "/bin/sh" and len(lines) > 1:
            m = _SH_EXEC_RE.match(lines[1])
            if m:
                yield name, m.group("p")
            continue
        # "#!/p/bin/python3" (maybe followed by options); "#!/usr/bin/env python3" names no env.
        interpreter = first.split()[0] if first.split() else ""
        if "$" not in interpreter and interpreter:
            yield name, interpreter


def _env_of_interpreter(interpreter: str, layout: str) -> str | None:
    """``/p/.venv/bin/python3`` -> ``/p/.venv``; None when it is not an env's interpreter path."""
    parts = re.split(r"[\\/]", interpreter)
    if len(parts) < 3 or not parts[-1].lower().startswith("python"):
        return None
    if parts[-2].lower() not in ("bin", "scripts"):
        return None
    sep = "\\" if layout == "windows" and "\\" in interpreter else "/"
    return sep.join(parts[:-2]) or sep


def _command_target(env: Environment) -> str | None:
    """The env path named by ``command = /usr/bin/python3 -m venv [options] /old/path`` (Python ≥ 3.11)."""
    command = env.cfg.command if env.cfg else None
    if not command:
        return None
    try:
        tokens = shlex.split(command, posix=env.layout != "windows")
    except ValueError:
        return None
    tokens = [t.strip('"') for t in tokens]
    try:
        start = next(i for i in range(len(tokens) - 1) if tokens[i] == "-m" and tokens[i + 1] == "venv")
    except StopIteration:
        return None
    positional = [t for t in tokens[start + 2 :] if not t.startswith("-")]
    # Options with a value (--prompt NAME) would be taken for paths; the env dir is the last positional.
    return positional[-1] if positional else None


def _matches(recorded: str, env: Environment) -> bool:
    if env.layout == "windows" and os.name != "nt":
        # A Windows-layout env seen from POSIX (tests, WSL mounts): compare names, case-insensitively.
        def norm(s: str) -> str:
            return s.replace("\\", "/").rstrip("/").casefold()

        return norm(recorded) in (norm(str(env.path)), norm(str(real(env.path))))
    path = Path(recorded)
    if not path.is_absolute():
        return True  # relocatable envs (uv --relocatable, virtualenv) record relative paths: not evidence
    if same_path(path, env.path):
        return True
    # A script with "#!/usr/bin/python3" names a system Python, not an old location of this env: only a
    # path that is gone (moved) or is another env (copied) is evidence.
    try:
        return fsread.exists(path) and not is_complete_env_dir(path)
    except OSError:
        return True


def moved_problem(env: Environment, label: str, user_home: Path) -> HealthProblem | None:
    mismatches = [r for r in recorded_paths(env) if not _matches(r.path, env)]
    if not mismatches:
        return None
    old = mismatches[0].path
    sources = ", ".join(dict.fromkeys(r.source for r in mismatches if r.path == old))
    old_shown = tilde(Path(old), user_home)
    pip_label = f"{label}{os.sep}{env.bin_dir.name}{os.sep}pip"
    if is_complete_env_dir(old):
        consequence = (
            f"the original still exists, so {pip_label} and activate run {old_shown}'s Python "
            "and install there"
        )
        how = "copied"
    else:
        consequence = (
            f'running {pip_label} fails with "{old}/bin/python: bad interpreter: No such file or directory"'
        )
        how = "moved"
    return HealthProblem(
        CODE_MOVED,
        f"{label} was {how} from {old_shown}: {sources} still name{'s' if ',' not in sources else ''} "
        f"{old_shown}; {consequence}. Recreate {label}.",
    )


# -- pip -----------------------------------------------------------------------------------------


def has_pip(env: Environment) -> bool:
    """Whether the env offers pip to its user: a pip script in bin/ or a pip dist-info in a site dir."""
    scripts = ("pip.exe", "pip3.exe", "pip") if env.layout == "windows" else ("pip", "pip3")
    if any(fsread.exists(env.bin_dir / s) for s in scripts):
        return True
    return any(fsread.glob(site, "pip-*.dist-info") for site in env.site_packages())


def no_pip_problem(env: Environment, label: str) -> HealthProblem | None:
    if fsread.access_problem(env.bin_dir) is not None:
        return None  # an unreadable bin/ says nothing about pip (env-broken already says why)
    if has_pip(env):
        return None
    py = f"{label}{os.sep}{env.python.relative_to(env.path)}"
    fix = (
        f"use 'uv pip install --python {label} …', or add pip with 'uv venv --seed'"
        if env.kind == "uv"
        else f"add it with '{py} -m ensurepip' (Debian/Ubuntu: apt install python3-venv first)"
    )
    return HealthProblem(
        CODE_NO_PIP,
        f"{label} has no pip: 'pip install' in a terminal where {label} is activated runs the global pip and "
        f"installs outside {label}. {fix[0].upper()}{fix[1:]}.",
    )


def env_health(env: Environment, label: str, user_home: Path) -> list[HealthProblem]:
    """Every health problem of ``env``; ``label`` is how messages name it (".venv")."""
    found = (
        base_problem(env, label, user_home),
        moved_problem(env, label, user_home),
        no_pip_problem(env, label),
    )
    return [p for p in found if p is not None]
