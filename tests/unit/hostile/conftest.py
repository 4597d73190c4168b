"""Fixtures for the hostile-workspace tests: a host, a hang safety net, and an unprivileged runner.

Root ignores file modes, so chmod-000 cases run in a child process without CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH (``setpriv --bounding-set``): it keeps uid 0, so it can still reach tmp_path and
the dev interpreter under /root, but an owner-mode 000 now means "permission denied" to it too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support import hostile
from support.hostile import SAFETY_NET_S
from venvkeeper.host import Host

#: The environment variable a `-r ${MY_TOKEN}` line expands; its value must never be shown.
SECRET = "ghp_SECRET123"


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(
        environ={"PATH": os.environ.get("PATH", ""), "MY_TOKEN": SECRET},
        state_dir=tmp_path / "state",
        cache_dir=tmp_path / "cache",
        home=tmp_path / "home",
    )


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Path]:
    """The workspace root for a test's traps; modes taken away are given back afterwards."""
    root = tmp_path / "ws"
    root.mkdir()
    yield root
    hostile.restore_modes(root)


def _unprivileged_prefix() -> list[str] | None:
    if os.name != "posix":
        return None
    if os.geteuid() != 0:
        return []  # already subject to file modes
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "pass"], capture_output=True, timeout=SAFETY_NET_S)
    return prefix if probe.returncode == 0 else None


_PREFIX = _unprivileged_prefix()


@pytest.fixture
def unprivileged(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m venvkeeper <args>`` (or ``python -c <code>``) subject to file modes."""
    if _PREFIX is None:
        pytest.skip("cannot drop CAP_DAC_OVERRIDE here (no setpriv, or not allowed): root ignores chmod 000")

    def run(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = (
            [sys.executable, "-c", code, *args]
            if code is not None
            else [sys.executable, "-m", "venvkeeper", *args]
        )
        env = {**os.environ, "MY_TOKEN": SECRET, "XDG_STATE_HOME": str(tmp_path / "state")}
        env.pop("VIRTUAL_ENV", None)
        assert _PREFIX is not None
        return subprocess.run(
            [*_PREFIX, *argv],
            capture_output=True,
            text=True,
            errors="surrogateescape",
            env=env,
            timeout=SAFETY_NET_S,
            cwd=tmp_path,
        )

    return run


def check_json(
    run: Callable[..., subprocess.CompletedProcess[str]], path: Path
) -> tuple[list[dict[str, Any]], str]:
    """``venvkeeper check --json`` as an unprivileged process: (report, stderr); never a traceback."""
    proc = run("check", "--json", str(path))
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)["projects"], proc.stderr
