"""Installs that never reach the network: pip and uv pointed at a test's local wheelhouse, and the
test's own base interpreter first on PATH (a create finds it there, named by ``.python-version``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

BASE_PYTHON = Path(getattr(sys, "_base_executable", sys.executable))
XY = f"{sys.version_info[0]}.{sys.version_info[1]}"

#: A PEP 621 project needing alpha and beta (the wheelhouse's usual pair).
APP_PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = [
    "alpha>=1.0",
    "beta>=1.0",
]
"""


def pip_offline(wheelhouse: Path) -> dict[str, str]:
    """pip installs from ``wheelhouse`` only (the machine's pip.conf may name indexes)."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse), "PIP_CONFIG_FILE": os.devnull}


def offline_env(wheelhouse: Path, uv_cache: Optional[Path] = None) -> dict[str, str]:
    """pip and uv offline; with ``uv_cache``, uv also installs from ``wheelhouse`` (a sync) with its
    own cache, no user config and no Python downloads."""
    env = {
        "PATH": f"{BASE_PYTHON.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **pip_offline(wheelhouse),
        "UV_OFFLINE": "1",
    }
    if uv_cache is not None:
        env.update(
            UV_NO_CONFIG="1",
            UV_FIND_LINKS=str(wheelhouse),
            UV_CACHE_DIR=str(uv_cache),
            UV_PYTHON_DOWNLOADS="never",
        )
    return env
