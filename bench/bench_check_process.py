"""Issue 14, goal 6: ``venvkeeper check PROJ`` as a whole process vs VS Code's approach, same run.

The project and env are bench_check.py's (100 requirements, 300 installed distributions). Each round
runs, in alternating order:

* ``venvkeeper``: ``venvkeeper check PROJ --output-format json`` — a fresh process, what a user, a hook
  or CI runs (start-up, imports, discovery, every check, rendering);
* ``peer``: VS Code's ``installed_check.py`` approach — spawn the env's interpreter with a script that
  parses the requirements with ``packaging`` and asks ``importlib.metadata`` (bench_check.SPAWN_SCRIPT).

Reported: medians of wall time and of CPU time (user + system of the child, from ``wait4``: the load
barely moves it), their ratios (target: venvkeeper <= 0.5x the peer), the load average before and after,
and the modules ``check`` imported (it must import neither pygls nor lsprotocol).
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

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent / "server"), str(BENCH.parent / "tests"), str(BENCH)]

import packaging  # noqa: E402

from bench_check import SPAWN_SCRIPT, make_env, requirement_lines, write_dist  # noqa: E402
from bench_scale import child_env, compile_tree  # noqa: E402

ROUNDS = 15
TARGET_RATIO = 0.5


def load() -> float:
    return os.getloadavg()[0]


def run_child(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system) and stdout of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, out.decode()


def main() -> int:
    load_before = load()
    with tempfile.TemporaryDirectory(prefix="venvkeeper-bench-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        env = make_env(project / ".venv")
        site = env.site_packages()[0]
        for i in range(300):
            write_dist(site, i)
        reqs = project / "requirements.txt"
        reqs.write_text("\n".join(requirement_lines()) + "\n")
        compile_tree(BENCH.parent / "server")
        env_vars = child_env(
            XDG_STATE_HOME=str(Path(tmp) / "state"),
            XDG_CACHE_HOME=str(Path(tmp) / "cache"),
            PYTHONPATH=str(BENCH.parent / "server"),
        )
        vk = [sys.executable, "-m", "venvkeeper", "check", str(project), "--output-format", "json"]
        peer = [str(env.python), "-c", SPAWN_SCRIPT, str(reqs), str(Path(packaging.__file__).parent.parent)]
        imports = [
            sys.executable,
            "-c",
            "import sys, venvkeeper.cli as c; c.main(['check', sys.argv[1], '--output-format', 'json']);"
            "print(' '.join(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol')),"
            " file=sys.stderr)",
            str(project),
        ]
        heavy = subprocess.run(imports, capture_output=True, text=True, env=env_vars).stderr.split()
        run_child(vk, env_vars)  # warm-up: byte-code caches, page cache
        run_child(peer, env_vars)
        wall: dict[str, list[float]] = {"venvkeeper": [], "peer": []}
        cpu: dict[str, list[float]] = {"venvkeeper": [], "peer": []}
        findings: dict[str, int] = {}
        for i in range(ROUNDS):
            order = [("venvkeeper", vk), ("peer", peer)][:: 1 if i % 2 == 0 else -1]
            for name, argv in order:
                w, c, out = run_child(argv, env_vars)
                wall[name].append(w)
                cpu[name].append(c)
                if name == "peer":
                    findings[name] = len(json.loads(out))
                else:
                    report = json.loads(out)
                    findings[name] = sum(
                        1
                        for p in report.get("projects", [])
                        for f in p.get("diagnostics", [])
                        if f.get("code") in ("not-installed", "version-mismatch")
                    )
    med_wall = {k: statistics.median(v) * 1000 for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) * 1000 for k, v in cpu.items()}
    result = {
        "rounds": ROUNDS,
        "wall_median_ms": {k: round(v, 1) for k, v in med_wall.items()},
        "cpu_median_ms": {k: round(v, 1) for k, v in med_cpu.items()},
        "wall_ratio": round(med_wall["venvkeeper"] / med_wall["peer"], 2),
        "cpu_ratio": round(med_cpu["venvkeeper"] / med_cpu["peer"], 2),
        "target_ratio": TARGET_RATIO,
        "requirement_problems": findings,
        "check_imported_pygls_or_lsprotocol": sorted(set(heavy)),
        "load_average": [round(load_before, 2), round(load(), 2)],
    }
    print(json.dumps(result, indent=2))
    return 0 if result["cpu_ratio"] <= TARGET_RATIO and not heavy else 1


if __name__ == "__main__":
    raise SystemExit(main())
