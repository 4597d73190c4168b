"""Real kills: a process creating an env is SIGKILLed while its slow build backend runs and before each
step of the swap; the next start (``venvkeeper check`` or ``venvkeeper create``) recovers, so ``.venv`` is
the old env, working and untouched, or the complete new one; the dead create's tools are gone at once.

Synchronisation is on file-system states only (a file the backend writes, a marker written when the
create stops before a swap step), polled with a bounded deadline.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.killing import cli_env, cli_mid_build, live_members, slow_package, venvkeeper, wait_for
from venvkeeper.creation.create import CreateRequest, create_env
from venvkeeper.creation.interpreters import BasePython
from venvkeeper.creation.journal import JOURNAL, TMP_MARK
from venvkeeper.host import Host

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="kills real processes and follows them in /proc"),
]

DRIVER = Path(__file__).parents[2] / "support" / "killable_create.py"


def make_old_env(tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("beta\n")
    create_env(CreateRequest(project, backend="venv", **offline), host=host, interpreters=[base_python])
    (project / ".venv" / "keep").write_text("old env")
    return project


def env_is_old(env: Path, cfg_before: bytes) -> None:
    assert (env / "keep").read_text() == "old env"
    assert (env / "pyvenv.cfg").read_bytes() == cfg_before
    out = subprocess.run(
        [str(env / "bin" / "python"), "-c", "import beta, sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and out.stdout.strip() == str(env), out.stderr


def env_is_new(env: Path) -> None:
    assert not (env / "keep").exists()
    assert "venvkeeper-tmp" not in (env / "pyvenv.cfg").read_text()
    assert "venvkeeper-tmp" not in (env / "bin" / "activate").read_text()
    out = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "show", "alpha"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "Version: 1.0" in out.stdout, out.stderr
    assert (env / "bin" / "pip").read_text().splitlines()[0] == f"#!{env}/bin/python"


def no_leftovers(project: Path) -> None:
    assert sorted(p.name for p in project.iterdir()) == [".venv", "requirements.txt"]


# (atomic exchange available, stop before swap step k, what .venv must be after recovery, next start)
KILL_POINTS = [
    (True, 0, "old", "check"),  # journal "swapping" not yet written
    (True, 1, "old", "check"),  # journal written, exchange not done
    (True, 2, "new", "check"),  # exchanged: the old env sits in the work dir, journal still "swapping"
    (False, 1, "old", "check"),  # two renames: journal written, nothing moved
    (False, 2, "old", "check"),  # old env moved aside, new one not in: the case (no .venv)
    (False, 3, "new", "create"),  # both renamed, journal not updated; the next start is a recreate
]


@pytest.mark.parametrize(("exchange", "step", "expected", "restart"), KILL_POINTS)
def test_sigkill_before_each_swap_step_then_the_next_start_recovers(
    tmp_path: Path,
    host: Host,
    base_python: BasePython,
    offline: dict[str, Any],
    exchange: bool,
    step: int,
    expected: str,
    restart: str,
) -> None:
    project = make_old_env(tmp_path, host, base_python, offline)
    env = project / ".venv"
    cfg_before = (env / "pyvenv.cfg").read_bytes()
    marker = tmp_path / "stopped"
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "project": str(project),
                "python": str(base_python.path),
                "requirements": ["alpha==1.0"],
                "index_options": list(offline["index_options"]),
                "tool_env": offline["tool_env"],
                "state_dir": str(tmp_path / "state"),
                "cache_dir": str(host.cache_dir),
                "step": step,
                "exchange": exchange,
                "marker": str(marker),
            }
        )
    )
    proc = subprocess.Popen([sys.executable, str(DRIVER), str(config)], stderr=subprocess.PIPE)
    try:
        wait_for(f"the create to stop before swap step {step}", marker.exists, proc)
        (work,) = project.glob(TMP_MARK + "*")
        assert json.loads((work / JOURNAL).read_text())["pid"] == proc.pid
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
    if not exchange and step == 2:
        assert not env.exists()  # what a kill here did before: no .venv at all

    cli = cli_env(tmp_path, offline)
    if restart == "check":
        out = venvkeeper(["check", "--json", str(project)], cli)
        assert "Traceback" not in out.stderr
        (entry,) = json.loads(out.stdout)["projects"]
        (left,) = entry["leftovers"]
        assert left["removed"] and left["path"] == str(work), left
        env_is_old(env, cfg_before) if expected == "old" else env_is_new(env)
    else:
        args = ["create", "--recreate", str(project), "--backend", "venv", "--python", str(base_python.path)]
        out = venvkeeper([*args, *offline["index_options"]], cli)
        assert out.returncode == 0, out.stderr
        recovered = [line for line in out.stderr.splitlines() if line.startswith("venvkeeper: recovered")]
        assert recovered == [
            f"venvkeeper: recovered {work}: finished the replacement of .venv interrupted by a killed create "
            f"(pid {proc.pid}): the new env is in place"
        ]
        env_is_new(env)  # and recreated from what it held: alpha
    no_leftovers(project)


def test_sigkill_during_a_slow_build_kills_the_tools_and_the_next_check_rolls_back(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    project = make_old_env(tmp_path, host, base_python, offline)
    env = project / ".venv"
    cfg_before = (env / "pyvenv.cfg").read_bytes()
    slow = slow_package(tmp_path)
    reqs = tmp_path / "new-requirements.txt"
    reqs.write_text(f"alpha==1.0\n{slow}\n")
    cli = cli_env(tmp_path, offline)
    args = ["create", "--recreate", "-r", str(reqs), str(project), "--backend", "venv"]
    args += ["--python", str(base_python.path), *offline["index_options"]]
    with cli_mid_build(args, cli, slow, "the build backend to start") as (proc, backend_pid, pgid):
        (work,) = project.glob(TMP_MARK + "*")
        journal = json.loads((work / JOURNAL).read_text())
        assert (journal["phase"], journal["pid"], journal["pgid"]) == ("building", proc.pid, pgid)
        assert backend_pid in live_members(pgid) and len(live_members(pgid)) >= 2  # pip and the backend
    # The tools die with venvkeeper, not at the next start: pip and the backend are gone promptly.
    waited = wait_for("pip and the build backend to die", lambda: live_members(pgid) == [])
    print(f"tool group gone {waited * 1000:.0f} ms after the SIGKILL")

    out = venvkeeper(["check", str(project)], cli)
    assert "Traceback" not in out.stderr
    lines = [line.strip() for line in out.stdout.splitlines() if "recovered" in line]
    assert lines == [
        f"recovered: {work.name} — removed the unfinished build of .venv left by a killed create (pid {proc.pid})"
    ]
    env_is_old(env, cfg_before)
    no_leftovers(project)
