"""Reading ``pyvenv.cfg`` (PEP 405) without running the interpreter.

Real files are a few ``key = value`` lines written by venv, virtualenv or uv. We read at most
:data:`MAX_BYTES`, reject binary content, and report *why* a file is unusable so the env can be shown
as broken with that reason instead of crashing discovery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from venvkeeper import fsread

#: Real pyvenv.cfg files are < 1 KiB; anything past 64 KiB is not one.
MAX_BYTES = fsread.PYVENV_CFG.max_bytes

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


class PyvenvError(Exception):
    """The file exists but cannot be used; ``str(exc)`` is the user-facing reason."""


@dataclass(frozen=True)
class PyvenvCfg:
    home: str | None = None
    #: "X.Y.Z" from ``version`` (venv) or ``version_info`` (virtualenv, uv: "3.12.1.final.0").
    version: str | None = None
    include_system_site_packages: bool = False
    prompt: str | None = None
    uv: str | None = None
    virtualenv: str | None = None
    #: The command that created the env (Python >= 3.11 venv); names the env's original path.
    command: str | None = None
    #: The base interpreter executable (venv >= 3.11, uv, virtualenv).
    executable: str | None = None
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def creator(self) -> str:
        """Which tool made the env: "uv", "virtualenv" or "venv"."""
        if self.uv is not None:
            return "uv"
        if self.virtualenv is not None:
            return "virtualenv"
        return "venv"

    @property
    def major_minor(self) -> str | None:
        return major_minor(self.version)


def major_minor(version: str | None) -> str | None:
    if not version:
        return None
    m = _VERSION_RE.match(version)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def normalize_version(value: str) -> str | None:
    """'3.12.1.final.0' -> '3.12.1'; '3.11' -> '3.11'; garbage -> None."""
    m = _VERSION_RE.match(value.strip())
    if not m:
        return None
    return ".".join(g for g in m.groups() if g is not None)


def _unquote(value: str | None) -> str | None:
    """venv writes ``prompt = 'name'`` (quoted since 3.9); virtualenv and uv write it bare."""
    if value and len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_pyvenv_cfg(text: str) -> PyvenvCfg:
    raw: dict[str, str] = {}
    bad_lines = 0
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        key, sep, value = stripped.partition("=")
        if not sep or not key.strip():
            bad_lines += 1
            continue
        raw[key.strip().lower()] = value.strip()
    if not raw and bad_lines:
        raise PyvenvError("pyvenv.cfg has no 'key = value' lines")
    version = None
    for key in ("version", "version_info"):
        if key in raw:
            version = normalize_version(raw[key])
            if version:
                break
    return PyvenvCfg(
        home=raw.get("home") or None,
        version=version,
        include_system_site_packages=raw.get("include-system-site-packages", "false").lower() == "true",
        prompt=_unquote(raw.get("prompt")) or None,
        uv=raw.get("uv"),
        virtualenv=raw.get("virtualenv"),
        command=raw.get("command"),
        executable=raw.get("executable") or raw.get("base-executable"),
        raw=raw,
    )


def read_pyvenv_cfg(path: Path) -> PyvenvCfg:
    """Read and parse ``path``; raise :class:`PyvenvError` with a reason when unusable."""
    data = fsread.read_bytes(path, fsread.PYVENV_CFG)
    if isinstance(data, fsread.Unreadable):
        raise PyvenvError(f"pyvenv.cfg {data.reason}")
    if not data.strip():
        raise PyvenvError("pyvenv.cfg is empty")
    if b"\0" in data:
        raise PyvenvError("pyvenv.cfg is binary, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # venv writes the file in the locale encoding on old Windows Pythons; latin-1 never fails.
        text = data.decode("latin-1")
    return parse_pyvenv_cfg(text)
