"""The tool watcher (creation/lifetime.py): when venvkeeper's end of the pipe closes, it SIGKILLs the
process groups still registered, and only those."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from venvkeeper.creation.lifetime import ToolReaper

pytestmark = pytest.mark.skipif(os.name == "nt", reason="tools are not watched on Windows")


def _tool() -> subprocess.Popen[bytes]:
    """A long-running stand-in for pip, leading its own process group as the real tools do."""
    return subprocess.Popen(["sleep", "600"], start_new_session=True)


def test_the_watcher_kills_the_registered_groups_when_we_go() -> None:
    reaper = ToolReaper()
    registered, unregistered, again = _tool(), _tool(), _tool()
    try:
        for proc in (registered, unregistered, again):
            reaper.watch(proc.pid)
        reaper.unwatch(unregistered.pid)
        reaper.unwatch(again.pid)
        reaper.watch(again.pid)
        reaper.watch(2**22 + 12345)  # a group that is already gone: nothing to kill, no error
        watcher = reaper.watcher_pid
        assert watcher is not None
        # What venvkeeper's death does to the pipe: end-of-file.
        assert reaper._proc is not None and reaper._proc.stdin is not None
        reaper._proc.stdin.close()
        assert reaper._proc.wait(timeout=30) == 0
        assert registered.wait(timeout=30) == -signal.SIGKILL
        assert again.wait(timeout=30) == -signal.SIGKILL
        assert unregistered.poll() is None
    finally:
        for proc in (registered, unregistered, again):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
