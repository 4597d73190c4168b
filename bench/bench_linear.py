"""Hostile inputs (issue 9, items 8 and 12): quadratic parsing and a slow project blocking the daemon.

1. A requirements file whose one line holds 50k blanks, parsed as a re-check does (was 6.8 s).
2. An env whose ``bin/activate`` is 20k newlines, read by the moved-env check (was 7 s).
3. A workspace holding a valid 1 MB ``pyproject.toml`` with 20k dependencies plus a small control
   project, served by the real daemon over stdio: the control project's ``venvkeeper/interpreter``
   latency while the big project is being re-checked (a ``venvkeeper/select`` on it), and how long
   that re-check takes: the wait every other request had while checks ran on the event loop.

Baselines: ``VENVKEEPER_SERVER=/path/to/an/old/checkout/server`` runs the same measurements against
other code (the figures in docs/PERFORMANCE.md were measured so, old and new in the same run).

Run: .venv/bin/python bench/bench_linear.py   (< 2 min)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = Path(os.environ.get("VENVKEEPER_SERVER", ROOT / "server"))
sys.path[:0] = [str(SERVER), str(ROOT / "tests")]

from support.rawlsp import RawLspClient  # noqa: E402
from venvkeeper.discovery.identify import identify_env  # noqa: E402
from venvkeeper.guards.health import recorded_paths  # noqa: E402
from venvkeeper.requirements.reqfile import parse_requirements_file  # noqa: E402


def timed(fn: object, rounds: int) -> float:
    """Median over ``rounds`` runs, or over those done once 5 s are spent (the old code took minutes)."""
    times: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
        if sum(times) > 5:
            break
    return statistics.median(times)


def blank_line(tmp: Path) -> float:
    path = tmp / "requirements.txt"
    path.write_text("requests" + " " * 50_000 + "x\n")
    return timed(lambda: parse_requirements_file(path, {}, tmp), 3)


def activate_newlines(tmp: Path) -> float:
    env = tmp / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    (env / "bin" / "activate").write_text("\n" * 20_000)
    found = identify_env(env, "posix")
    assert found is not None
    return timed(lambda: recorded_paths(found), 3)


def responsiveness(tmp: Path) -> dict[str, float]:
    ws = tmp / "ws"
    big, control = ws / "big", ws / "control"
    big.mkdir(parents=True)
    control.mkdir()
    deps = "".join(
        f"  \"package-{i}>=1.{i % 97},<{i % 89 + 2} ; python_version < '3'\",\n" for i in range(20_000)
    )
    (big / "pyproject.toml").write_text(
        f'[project]\nname = "big"\nversion = "1.0"\ndependencies = [\n{deps}]\n'
    )
    (control / "requirements.txt").write_text("")
    for project in (big, control):
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    env = dict(os.environ, PYTHONPATH=str(SERVER), XDG_STATE_HOME=str(tmp / "state"))
    client = RawLspClient([sys.executable, "-m", "venvkeeper", "serve"], env=env)
    try:
        client.initialize(ws)
        client.request("venvkeeper/interpreter", {"uri": big.as_uri()}, timeout=300)  # sweep done
        client.request("venvkeeper/interpreter", {"uri": control.as_uri()}, timeout=300)
        latencies: list[float] = []
        done = threading.Event()
        check: dict[str, float] = {}

        def select() -> None:
            t0 = time.perf_counter()
            client.request("venvkeeper/select", {"uri": big.as_uri(), "envPath": str(big / ".venv")}, 300)
            check["s"] = time.perf_counter() - t0
            done.set()

        thread = threading.Thread(target=select)
        thread.start()
        time.sleep(0.05)  # let the select reach the server first (a benchmark may sleep; tests do not)
        while not done.is_set():
            t0 = time.perf_counter()
            client.request("venvkeeper/interpreter", {"uri": control.as_uri()}, timeout=300)
            latencies.append(time.perf_counter() - t0)
            time.sleep(0.02)
        thread.join()
    finally:
        client.close()
    return {
        "control_interpreter_during_big_check_ms_median": round(statistics.median(latencies) * 1000, 1),
        "control_interpreter_during_big_check_ms_max": round(max(latencies) * 1000, 1),
        "control_queries_answered_during_big_check": len(latencies),
        "big_project_recheck_s": round(check["s"], 2),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        result = {
            "server": str(SERVER),
            "requirement_line_50k_blanks_s": round(blank_line(tmp), 3),
            "activate_20k_newlines_s": round(activate_newlines(tmp), 3),
            **responsiveness(tmp),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
