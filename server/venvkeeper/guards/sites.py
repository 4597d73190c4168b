"""The global places packages land in by mistake, found without running Python.

For every base interpreter that matters (each project env's base, and ``python3`` on PATH) we list
its system site dirs (including Debian's ``dist-packages`` variants) and the user site for its X.Y
(honouring ``PYTHONUSERBASE``). Each base contributes at most :data:`MAX_SITES_PER_BASE` directories,
watched non-recursively, which keeps the cost at ≤ 10 inotify watches per base interpreter.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from venvkeeper import fsread
from venvkeeper.discovery.model import Environment
from venvkeeper.guards.base_interpreters import BaseInterpreter, base_of_env, python_on_path
from venvkeeper.guards.paths import real, tilde
from venvkeeper.guards.pep668 import externally_managed
from venvkeeper.host import Host

SiteKind = Literal["system", "user"]

MAX_SITES_PER_BASE = 10


@dataclass(frozen=True)
class GlobalSite:
    path: Path
    kind: SiteKind
    #: "X.Y" of the interpreters that use this site.
    python_version: str | None
    #: The prefix of the base interpreter this site belongs to (for the user site: the one that led us to it).
    base_prefix: Path | None
    #: PEP 668 marker on the base interpreter (always False for the user site: pip --user is refused
    #: there too, but the user site itself is not what the distro manages).
    externally_managed: bool
    #: The user base (``PYTHONUSERBASE`` / ``~/.local``) for the user site; None for system sites.
    user_base: Path | None = None

    @property
    def exists(self) -> bool:
        return fsread.is_dir(self.path)

    @property
    def writable_by_user(self) -> bool:
        """Whether a plain ``pip install`` by this user can write here (else pip uses the user site)."""
        probe: Path | None = self.path
        while probe is not None and not fsread.exists(probe):
            probe = probe.parent if probe.parent != probe else None
        return probe is not None and os.access(probe, os.W_OK)

    def describe(self, home: Path) -> str:
        """How messages name it: "the user site (~/.local/…)", "the global site of Python 3.11 (/usr/…)"."""
        where = tilde(self.path, home)
        if self.kind == "user":
            return f"the user site ({where})"
        if self.python_version:
            return f"the global site of Python {self.python_version} ({where})"
        return f"a global site ({where})"


def base_site_dirs(base: BaseInterpreter) -> list[Path]:
    """Where ``pip install`` (as root or with write access) puts packages for ``base``, existing or not."""
    prefix = base.prefix
    if base.layout == "windows":
        return [prefix / "Lib" / "site-packages"]
    if not base.version:
        return []
    xy = f"python{base.version}"
    dirs = [
        prefix / "lib" / xy / "site-packages",
        prefix / "lib64" / xy / "site-packages",
        # Debian/Ubuntu: distro packages live in lib/python3/dist-packages, pip in /usr/local.
        prefix / "lib" / xy / "dist-packages",
        prefix / "lib" / "python3" / "dist-packages",
    ]
    if prefix == Path("/usr"):
        # Debian's and Fedora's sysconfig schemes send a root `pip install` to /usr/local.
        local = Path("/usr/local")
        dirs += [
            local / "lib" / xy / "dist-packages",
            local / "lib" / xy / "site-packages",
            local / "lib64" / xy / "site-packages",
        ]
    return dirs


def user_base(host: Host, base: BaseInterpreter | None = None) -> Path:
    """``site.getuserbase()`` without running Python: PYTHONUSERBASE, else the per-OS default."""
    raw = host.environ.get("PYTHONUSERBASE")
    if raw:
        return Path(raw)
    if host.platform == "windows":
        appdata = host.environ.get("APPDATA")
        return Path(appdata) / "Python" if appdata else host.home / "AppData" / "Roaming" / "Python"
    if host.sys_platform == "darwin" and base is not None and base.is_framework:
        return host.home / "Library" / "Python" / (base.version or "")
    return host.home / ".local"


def user_site_dir(host: Host, version: str, base: BaseInterpreter | None = None) -> Path:
    """``site.getusersitepackages()`` for Python ``version`` ("X.Y") without running it."""
    ub = user_base(host, base)
    if host.platform == "windows":
        return ub / f"Python{version.replace('.', '')}" / "site-packages"
    if host.sys_platform == "darwin" and base is not None and base.is_framework:
        return ub / "lib" / "python" / "site-packages"
    return ub / "lib" / f"python{version}" / "site-packages"


def sites_of_base(base: BaseInterpreter, host: Host) -> list[GlobalSite]:
    """The system site dirs that exist, then the user site for the same X.Y (which may not exist yet)."""
    managed = externally_managed(base) is not None
    sites = [
        GlobalSite(d, "system", base.version, base.prefix, managed)
        for d in _unique(base_site_dirs(base))
        if fsread.is_dir(d)
    ]
    if base.version:
        sites.append(
            GlobalSite(
                user_site_dir(host, base.version, base),
                "user",
                base.version,
                base.prefix,
                False,
                user_base(host, base),
            )
        )
    return sites[:MAX_SITES_PER_BASE]


def bases_that_matter(envs: Iterable[Environment], host: Host) -> list[BaseInterpreter]:
    """Each project env's base interpreter and ``python3`` on PATH, without duplicates."""
    bases: list[BaseInterpreter] = []
    candidates = [base_of_env(env) for env in envs]
    candidates.append(python_on_path(host))
    seen: set[tuple[Path, str | None]] = set()
    for base in candidates:
        if base is None:
            continue
        key = (real(base.prefix), base.version)
        if key in seen:
            continue
        seen.add(key)
        bases.append(base)
    return bases


def global_sites(envs: Sequence[Environment], host: Host) -> list[GlobalSite]:
    """Every global site that matters for these envs, each directory once (the first description wins)."""
    out: list[GlobalSite] = []
    seen: set[Path] = set()
    for base in bases_that_matter(envs, host):
        for site in sites_of_base(base, host):
            key = real(site.path)
            if key in seen:
                continue
            seen.add(key)
            out.append(site)
    return out


def _unique(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    for p in paths:
        key = real(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
