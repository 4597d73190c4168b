"""Shared by the kill tests (unit: the CLI create and lock sync; e2e: the daemon): a local package whose
build blocks until killed, the CLI run as a user would, a bounded wait for an observable state, and the
live members of a process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from support.wheelhouse import in_tree_backend_package

#: A safety net only: every wait ends as soon as its condition holds.
DEADLINE_S = 120.0

#: An in-tree build backend that says it started (pid and pgid in ``started``) and then blocks.
SLOW_BACKEND = """
import os, time
def _slow():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "started.tmp"), "w") as fh:
        fh.write(f"{os.getpid()} {os.getpgid(0)}")
    os.replace(os.path.join(here, "started.tmp"), os.path.join(here, "started"))
    time.sleep(600)  # a build that takes long: the test kills venvkeeper meanwhile
def get_requires_for_build_wheel(config_settings=None):
    _slow()
    return []
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _slow()
"""


def slow_package(parent: Path) -> Path:
    """``parent/slowpkg``: a project built by :data:`SLOW_BACKEND`, which writes ``started`` there."""
    return in_tree_backend_package(parent, "slowpkg", "slowbackend", SLOW_BACKEND)


def cli_env(tmp_path: Path, offline: dict[str, Any]) -> dict[str, str]:
    """The environment of a ``venvkeeper`` CLI run: offline tools, state and cache under ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(offline["tool_env"])
    env.update({"XDG_STATE_HOME": str(tmp_path / "xdg-state"), "XDG_CACHE_HOME": str(tmp_path / "xdg-cache")})
    return env


def venvkeeper(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "venvkeeper", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
    )


@contextmanager
def cli_mid_build(
    args: list[str], env: dict[str, str], slow: Path, what: str
) -> Iterator[tuple[subprocess.Popen[bytes], int, int]]:
    """``venvkeeper ARGS`` run until the :func:`slow_package` build in ``slow`` has started; yields the
    process, the backend's pid and the tools' process group, and SIGKILLs the process on the way out."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "venvkeeper", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    started = slow / "started"
    try:
        wait_for(what, started.exists, proc)
        backend_pid, pgid = map(int, started.read_text().split())
        yield proc, backend_pid, pgid
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


def wait_for(what: str, done: Callable[[], bool], proc: subprocess.Popen[bytes] | None = None) -> float:
    """Poll ``done`` until true (bounded); fail early if ``proc`` exits meanwhile. Returns the wait."""
    start = time.monotonic()
    while not done():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process exited ({proc.returncode}) before {what}")
        if time.monotonic() - start > DEADLINE_S:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def live_members(pgid: int) -> list[int]:
    """Pids of process group ``pgid`` that are still running (zombies awaiting a reaper do not count)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if fields[0] != b"Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members
