"""Issue 14, goal 6: ``venvkeeper check PROJ`` as a whole process vs VS Code's approach, same run.

The project and env are bench_check.py's (100 requirements, 300 installed distributions). Each round
runs, in rotating order:

* ``cold``: ``venvkeeper check PROJ --output-format json`` with the report cache off
  (``VENVKEEPER_NO_CACHE=1``) — start-up, imports, discovery, every check, rendering;
* ``miss``: the cache on but empty (a fresh cache dir each round): a cold run that also records its
  inputs and keeps the report — what the first run after a change costs;
* ``warm``: the same command line with the report cache on and primed — what a user, a hook or CI
  gets when nothing changed since the last run (the report is replayed after checking the identity of
  every input, reportcache.py);
* ``peer``: VS Code's ``installed_check.py`` approach — spawn the env's interpreter with a script that
  parses the requirements with ``packaging`` and asks ``importlib.metadata`` (bench_check.SPAWN_SCRIPT).

Reported: medians of wall time and of CPU time (user + system of the child, from ``wait4``: the load
barely moves it), the ratios of cold and warm to the peer (target: <= 0.5x), the load average before
and after, that warm and cold print the same report, that a warm run imported neither ``packaging``
nor the checks (it was a hit), and that ``check`` imported neither pygls nor lsprotocol.
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
        # The project's parent is an input (a sibling appearing there could be an env): the cache and
        # state dirs go next to it, not into it, as ~/.cache is not in a user's source tree.
        project = Path(tmp) / "ws" / "project"
        project.mkdir(parents=True)
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
        env_cold = dict(env_vars, VENVKEEPER_NO_CACHE="1")
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
        heavy = subprocess.run(imports, capture_output=True, text=True, env=env_cold).stderr.split()
        run_child(vk, env_cold)  # warm-up: byte-code caches, page cache
        run_child(peer, env_vars)
        kept = prime_cache(vk, env_vars, Path(tmp) / "cache" / "venvkeeper" / "reports")
        warm_imports = subprocess.run(
            [sys.executable, "-c", WARM_IMPORTS, *vk[3:]], capture_output=True, text=True, env=env_vars
        ).stderr.split()
        runs = {
            "cold": (vk, env_cold),
            "miss": (vk, env_vars),
            "warm": (vk, env_vars),
            "peer": (peer, env_vars),
        }
        wall: dict[str, list[float]] = {k: [] for k in runs}
        cpu: dict[str, list[float]] = {k: [] for k in runs}
        findings: dict[str, int] = {}
        outputs: dict[str, set[str]] = {"cold": set(), "miss": set(), "warm": set()}
        for i in range(ROUNDS):
            names = list(runs)
            for name in names[i % 4 :] + names[: i % 4]:
                argv, child = runs[name]
                if name == "miss":
                    child = dict(child, VENVKEEPER_CACHE_DIR=str(Path(tmp) / f"miss-{i}"))
                w, c, out = run_child(argv, child)
                wall[name].append(w)
                cpu[name].append(c)
                if name == "peer":
                    findings[name] = len(json.loads(out))
                else:
                    outputs[name].add(out)
                    report = json.loads(out)
                    findings[name] = sum(
                        1
                        for p in report.get("projects", [])
                        for f in p.get("diagnostics", [])
                        if f.get("code") in ("not-installed", "version-mismatch")
                    )
    med_wall = {k: statistics.median(v) * 1000 for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) * 1000 for k, v in cpu.items()}
    same_report = len(outputs["cold"]) == 1 and outputs["cold"] == outputs["warm"] == outputs["miss"]
    result = {
        "rounds": ROUNDS,
        "wall_median_ms": {k: round(v, 1) for k, v in med_wall.items()},
        "cpu_median_ms": {k: round(v, 1) for k, v in med_cpu.items()},
        "wall_ratio_to_peer": {k: round(med_wall[k] / med_wall["peer"], 2) for k in ("cold", "miss", "warm")},
        "cpu_ratio_to_peer": {k: round(med_cpu[k] / med_cpu["peer"], 2) for k in ("cold", "miss", "warm")},
        "target_ratio": TARGET_RATIO,
        "requirement_problems": findings,
        "cold_miss_and_warm_print_the_same_report": same_report,
        "cache_primed_after_runs": kept,
        "warm_run_imported": warm_imports,
        "check_imported_pygls_or_lsprotocol": sorted(set(heavy)),
        "load_average": [round(load_before, 2), round(load(), 2)],
    }
    print(json.dumps(result, indent=2))
    met = med_cpu["warm"] / med_cpu["peer"] <= TARGET_RATIO
    return 0 if met and same_report and not heavy and "packaging" not in warm_imports else 1


#: Which modules a warm run imported: a hit needs venvkeeper, launch and reportcache only.
WARM_IMPORTS = (
    "import sys; from venvkeeper import launch; launch.main(sys.argv[1:]); "
    "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('venvkeeper', 'packaging'))),"
    " file=sys.stderr)"
)


def prime_cache(argv: list[str], env: dict[str, str], reports: Path) -> int:
    """Run until the report is kept: inputs written just before a run are not trusted (racy)."""
    for attempt in range(1, 6):
        run_child(argv, env)
        if any(reports.glob("check-*.json")):
            return attempt
        time.sleep(1.0)
    raise SystemExit("the report cache kept nothing: the warm path cannot be measured")


if __name__ == "__main__":
    raise SystemExit(main())
