"""Issue 14, goal 6: spawn → first interpreter answer, whole process, and where its time goes.

Alternating rounds on a one-project workspace (a requirements.txt and a ``.venv``), medians of wall and
CPU time:

* ``venvkeeper``: spawn ``venvkeeper serve``, ``initialize``, ``initialized``, one
  ``venvkeeper/interpreter`` request — until its answer (target ≤ 250 ms median); the start-up front
  (lsp/front.py) answers it while pygls imports;
* ``venvkeeper_plain``: the same with ``VENVKEEPER_FRONT=0`` (pygls answers everything: the path before
  the front);
* ``baseline``: with ``--baseline-server DIR``, the same against another server tree (e.g. a worktree of
  main), as a same-run baseline;
* ``floor_pygls``: a process that only imports ``lsprotocol.types`` and ``pygls.lsp.server`` — what any
  pygls server pays before it can answer anything, i.e. what deferring venvkeeper's own imports can
  never go below;
* ``peer``: spawn the env's interpreter and ask ``sys.prefix`` (how an extension that spawns Python to
  learn about an env gets its first answer).

Byte code is cached, as after ``pip install``; the load average is recorded.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent / "tests"), str(BENCH)]

from bench_scale import child_env, compile_tree, cpu_s  # noqa: E402
from support.rawlsp import RawLspClient  # noqa: E402

ROUNDS = 15
TARGET_MS = 250


def first_answer(ws: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU time from spawn to the first interpreter answer (checked to name the env)."""
    t0 = time.perf_counter()
    client = RawLspClient([sys.executable, "-m", "venvkeeper", "serve"], env=env)
    try:
        client.initialize(ws)
        answer = client.request(
            "venvkeeper/interpreter", {"uri": (ws / "app" / "main.py").as_uri()}, timeout=60
        )
        assert answer["envPath"] == str(ws / "app" / ".venv"), answer
        wall = time.perf_counter() - t0
        cpu = cpu_s(client.proc.pid)
    finally:
        client.close()
    return wall, cpu


def spawn(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime


def main() -> int:
    baseline_server: Optional[Path] = None
    if len(sys.argv) == 3 and sys.argv[1] == "--baseline-server":
        baseline_server = Path(sys.argv[2]).resolve()
        compile_tree(baseline_server)
    load_before = os.getloadavg()[0]
    compile_tree(BENCH.parent / "server")
    with tempfile.TemporaryDirectory(prefix="venvkeeper-bench-") as tmp:
        ws = Path(tmp) / "ws"
        app = ws / "app"
        app.mkdir(parents=True)
        (app / "requirements.txt").write_text("packaging\n")
        (app / "main.py").write_text("print('hi')\n")
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(app / ".venv")], check=True)
        env = child_env(
            PYTHONPATH=str(BENCH.parent / "server"),
            XDG_STATE_HOME=str(Path(tmp) / "state"),
            XDG_CACHE_HOME=str(Path(tmp) / "cache"),
        )
        floor = [sys.executable, "-c", "import lsprotocol.types, pygls.lsp.server"]
        peer = [str(app / ".venv" / "bin" / "python"), "-c", "import sys; print(sys.prefix)"]
        plain_env = dict(env, VENVKEEPER_FRONT="0")
        cases: dict[str, Callable[[], tuple[float, float]]] = {
            "venvkeeper": lambda: first_answer(ws, env),
            "venvkeeper_plain": lambda: first_answer(ws, plain_env),
            "floor_pygls": lambda: spawn(floor, env),
            "peer": lambda: spawn(peer, env),
        }
        if baseline_server is not None:
            base_env = dict(env, PYTHONPATH=str(baseline_server))
            cases["baseline"] = lambda: first_answer(ws, base_env)
        for fn in cases.values():  # warm-up
            fn()
        wall: dict[str, list[float]] = {k: [] for k in cases}
        cpu: dict[str, list[float]] = {k: [] for k in cases}
        for i in range(ROUNDS):
            for name in list(cases)[:: 1 if i % 2 == 0 else -1]:
                w, c = cases[name]()
                wall[name].append(w * 1000)
                cpu[name].append(c * 1000)
    med_wall = {k: round(statistics.median(v), 1) for k, v in wall.items()}
    med_cpu = {k: round(statistics.median(v), 1) for k, v in cpu.items()}
    result = {
        "rounds": ROUNDS,
        "wall_median_ms": med_wall,
        "cpu_median_ms": med_cpu,
        "venvkeeper_over_floor_cpu": round(med_cpu["venvkeeper"] / med_cpu["floor_pygls"], 2),
        "venvkeeper_over_plain_wall": round(med_wall["venvkeeper"] / med_wall["venvkeeper_plain"], 2),
        "venvkeeper_over_peer_wall": round(med_wall["venvkeeper"] / med_wall["peer"], 1),
        "target_ms": TARGET_MS,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(result, indent=2))
    return 0 if med_wall["venvkeeper"] <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
