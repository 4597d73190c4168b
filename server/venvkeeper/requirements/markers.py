"""PEP 508 markers evaluated for the *env's* Python, not the daemon's.

The daemon may run on Python 3.12 while the project's ``.venv`` is 3.8: ``python_version < "3.9"``
must then be true. The env's version comes from its ``pyvenv.cfg`` (never from running it); the
platform values come from the host (the env runs on this same machine).
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

from venvkeeper.discovery.model import Environment
from venvkeeper.discovery.pyvenv import major_minor
from venvkeeper.host import Host

_SYSTEMS = {
    "linux": "Linux",
    "darwin": "Darwin",
    "win32": "Windows",
    "cygwin": "CYGWIN_NT",
    "freebsd": "FreeBSD",
}


def env_python_version(env: Environment | None) -> str:
    """The env's Python version "X.Y.Z" from pyvenv.cfg; the daemon's own when the env does not say."""
    if env is not None and env.version:
        return env.version
    return platform.python_version()


def _implementation(env: Environment | None) -> tuple[str, str]:
    cfg = env.cfg if env is not None else None
    hint = " ".join(filter(None, [cfg.home, cfg.executable] if cfg else [])).lower()
    if "pypy" in hint:
        return "pypy", "PyPy"
    if "graalpy" in hint:
        return "graalpy", "GraalVM"
    return "cpython", "CPython"


def marker_environment(env: Environment | None, host: Host) -> dict[str, str]:
    """The values PEP 508 markers are evaluated against, for ``env`` on this machine."""
    full = env_python_version(env)
    mm = major_minor(full) or full
    impl_name, impl = _implementation(env)
    sys_platform = host.sys_platform
    system = _SYSTEMS.get(sys_platform, "Linux" if sys_platform.startswith("linux") else sys_platform.title())
    same_machine = sys_platform == sys.platform
    return {
        "implementation_name": impl_name,
        "implementation_version": full,
        "os_name": "nt" if host.platform == "windows" else "posix",
        "platform_machine": platform.machine() if same_machine else "",
        "platform_python_implementation": impl,
        "platform_release": platform.release() if same_machine else "",
        "platform_system": system,
        "platform_version": platform.version() if same_machine else "",
        "python_full_version": full,
        "python_version": mm,
        "sys_platform": sys_platform,
    }


def marker_applies(marker: Marker | None, environment: Mapping[str, str], extra: str = "") -> bool:
    """Whether ``marker`` holds in ``environment`` (with ``extra`` set); no marker always applies.

    A marker packaging cannot evaluate (e.g. comparing an unknown name) counts as applying, so a
    requirement is checked rather than silently skipped.
    """
    if marker is None:
        return True
    try:
        return bool(marker.evaluate({**environment, "extra": extra}))
    except (UndefinedComparison, UndefinedEnvironmentName, InvalidMarker, ValueError, TypeError):
        return True
