"""SIGKILL of the daemon while its create runs a slow build backend: pip and the backend die with it (not
seconds later), and the next start rolls the create back. Synchronised on files the backend and the
journal write, polled with a bounded deadline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from support.killing import DEADLINE_S, live_members, slow_package, wait_for
from support.offline import BASE_PYTHON, XY, pip_offline
from support.rawlsp import RawLspClient
from support.wheelhouse import Dist, build_wheelhouse
from venvkeeper.creation.journal import JOURNAL, TMP_MARK

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="kills real processes and follows them in /proc"),
]


def test_sigkill_of_the_daemon_mid_build_kills_its_tools_and_the_next_start_rolls_back(
    tmp_path: Path,
) -> None:
    wheelhouse = build_wheelhouse(tmp_path / "wh", [Dist("alpha", "1.0")])
    slow = slow_package(tmp_path)
    app = tmp_path / "ws" / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text(f"alpha==1.0\n{slow}\n")
    (app / ".python-version").write_text(f"{XY}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "VIRTUAL_ENV"))}
    env.update(
        {
            "PATH": f"{BASE_PYTHON.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **pip_offline(wheelhouse),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        }
    )
    server = RawLspClient([sys.executable, "-m", "venvkeeper", "serve"], env=env)
    try:
        server.initialize(app, {"settings": {"backend": "venv", "autoCreate": "never"}})
        create = {"command": "venvkeeper.create", "arguments": [{"uri": app.as_uri()}]}
        # Never answered: the daemon is killed mid-create.
        server.send_request("workspace/executeCommand", create)
        started = slow / "started"
        wait_for("the build backend to start", started.exists, server.proc)
        backend_pid, pgid = map(int, started.read_text().split())
        (work,) = app.glob(TMP_MARK + "*")
        journal = json.loads((work / JOURNAL).read_text())
        assert (journal["phase"], journal["pid"], journal["pgid"]) == ("building", server.proc.pid, pgid)
        assert backend_pid in live_members(pgid)
    finally:
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
    waited = wait_for("pip and the build backend to die", lambda: live_members(pgid) == [])
    print(f"tool group gone {waited * 1000:.0f} ms after the daemon's SIGKILL")

    out = subprocess.run(
        [sys.executable, "-m", "venvkeeper", "check", "--json", str(app)],
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
    )
    (entry,) = json.loads(out.stdout)["projects"]
    assert entry["leftovers"] == [
        {
            "path": str(work),
            "message": f"removed the unfinished build of .venv left by a killed create (pid {server.proc.pid})",
            "removed": True,
        }
    ]
    assert sorted(p.name for p in app.iterdir()) == [".python-version", "requirements.txt"]
