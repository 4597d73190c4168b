"""Terminal activation data for an env: what a client applies to a new terminal, per shell.

A client that can set a terminal's environment (VS Code's ``environmentVariableCollection``) applies
``env``/``pathPrepend``/``unset`` and nobody types anything; a client that must type a command uses the
script for the terminal's shell. Only scripts that exist in the env are offered: uv and virtualenv
ship ``activate.nu``, venv does not; a Windows venv has ``activate.bat`` and a POSIX one does not.
See docs/PROTOCOL.md "Terminal activation".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from venvkeeper import fsread
from venvkeeper.discovery.model import Environment

#: Shell -> (script file name, how to type it). bash and zsh share the POSIX script.
_SHELLS: tuple[tuple[str, str, Callable[[str], str]], ...] = (
    ("bash", "activate", lambda p: f"source {_posix_quote(p)}"),
    ("zsh", "activate", lambda p: f"source {_posix_quote(p)}"),
    ("fish", "activate.fish", lambda p: f"source {_posix_quote(p)}"),
    ("csh", "activate.csh", lambda p: f"source {_posix_quote(p)}"),
    ("tcsh", "activate.csh", lambda p: f"source {_posix_quote(p)}"),
    ("pwsh", "Activate.ps1", lambda p: f"& {_pwsh_quote(p)}"),
    # uv and virtualenv write it in lower case; on a case-sensitive file system that is another name.
    ("pwsh", "activate.ps1", lambda p: f"& {_pwsh_quote(p)}"),
    ("nu", "activate.nu", lambda p: f"overlay use {_nu_quote(p)}"),
    ("cmd", "activate.bat", lambda p: _cmd_quote(p)),
)

_SAFE_POSIX = re.compile(r"^[A-Za-z0-9_@%+=:,./\\-]+$")


def _posix_quote(path: str) -> str:
    # shlex.quote, but keeping backslashes of Windows paths (Git Bash) unquoted-safe inside '…'.
    return path if _SAFE_POSIX.match(path) else "'" + path.replace("'", "'\"'\"'") + "'"


def _pwsh_quote(path: str) -> str:
    return path if _SAFE_POSIX.match(path) else "'" + path.replace("'", "''") + "'"


def _nu_quote(path: str) -> str:
    return path if _SAFE_POSIX.match(path) else '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cmd_quote(path: str) -> str:
    return f'"{path}"' if " " in path or "&" in path else path


@dataclass(frozen=True)
class Activation:
    """docs/PROTOCOL.md ``Activation`` (venvkeeper.wire makes its camelCase JSON)."""

    #: Variables to set in a new terminal: VIRTUAL_ENV and, when known, VIRTUAL_ENV_PROMPT.
    env: dict[str, str]
    #: Prepend to PATH (the env's bin/ or Scripts/ dir).
    path_prepend: str
    #: Variables to remove: PYTHONHOME would make the env's interpreter look for another stdlib.
    unset: tuple[str, ...] = ("PYTHONHOME",)
    #: Shell -> the command to type, for scripts that exist in the env.
    scripts: dict[str, str] = field(default_factory=dict)


def prompt_of(env: Environment) -> str:
    """The prompt activate shows: pyvenv.cfg's ``prompt`` (venv writes it quoted), else the dir name."""
    raw = env.cfg.prompt if env.cfg else None
    if raw:
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            raw = raw[1:-1]
        if raw:
            return raw
    return env.path.name


def activation_for(env: Environment) -> Activation:
    """The activation data for ``env``; scripts only for the shells whose script exists."""
    bin_dir = env.bin_dir
    scripts: dict[str, str] = {}
    for shell, script, command in _SHELLS:
        path = bin_dir / script
        try:
            exists = fsread.is_file(path)
        except OSError:
            exists = False
        if exists and shell not in scripts:
            scripts[shell] = command(str(path))
    return Activation(
        # Python >= 3.12's activate sets VIRTUAL_ENV_PROMPT to the bare name (3.11 used "(name) ").
        env={"VIRTUAL_ENV": str(env.path), "VIRTUAL_ENV_PROMPT": prompt_of(env)},
        path_prepend=str(bin_dir),
        scripts=scripts,
    )
