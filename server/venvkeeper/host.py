"""The side effects the domain code needs, gathered in one injectable object.

Domain modules never read ``os.environ``, the real clock or the user's home directly: they take a
:class:`Host`. Production code builds one with :func:`Host.from_process`; tests build one around
``tmp_path`` so they use real files without patching globals.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


def _default_state_dir() -> Path:
    # platformdirs gives the per-user state dir on every OS (XDG_STATE_HOME, ~/Library, %LOCALAPPDATA%).
    import platformdirs

    return Path(platformdirs.user_state_dir("venvkeeper", appauthor=False))


def _default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("venvkeeper", appauthor=False))


@dataclass(frozen=True)
class Host:
    """Everything outside the process that domain code may look at."""

    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    state_dir: Path = field(default_factory=_default_state_dir)
    cache_dir: Path = field(default_factory=_default_cache_dir)
    home: Path = field(default_factory=Path.home)
    #: "posix" or "windows": which env layout (bin/ vs Scripts/) to expect first.
    platform: str = "windows" if os.name == "nt" else "posix"
    #: sys.platform-style value used when evaluating markers for an env (linux, darwin, win32).
    sys_platform: str = sys.platform
    monotonic: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time

    @classmethod
    def from_process(cls) -> Host:
        return cls()

    @property
    def path_dirs(self) -> list[Path]:
        raw = self.environ.get("PATH", "")
        return [Path(p) for p in raw.split(os.pathsep) if p]
