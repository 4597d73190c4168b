"""Benchmark: is an env of 300 installed dists (1,500 ``Requires-Dist`` edges) consistent with itself?

Run: ``PYTHONPATH=server .venv/bin/python bench/bench_conflicts.py`` (prints JSON).

Measured in the same run, on the same env:

* ``in_process``: :func:`env_consistency` as the daemon runs it on every change (list site-packages,
  judge every edge for the env's Python) — target median <= 10 ms; ``cold`` clears the site-dir cache
  and every memo first (a fresh daemon: every METADATA opened and parsed); ``after_install`` clears
  only the site-dir cache (what an install does: new dist objects, mostly unchanged dist-infos);
* ``provider``: the same plus placing the findings on a 60-line requirements file (what a publish costs);
* ``spawn``: ``pip check`` run on the same env — venvkeeper should be >= 20x faster; both must report
  the same conflicts;
* ``what_if``: one edited requirements buffer judged against the env as the keystroke path does it
  (on the report the last check pass left) — target <= 5 ms; ``what_if_with_fresh_report`` also
  recomputes the report.

The dists are written as dist-info directories directly (what an installer leaves behind), which is
the same on disk as 300 pip installs and far quicker to set up.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_check import make_env
from venvkeeper.context import CheckContext
from venvkeeper.discovery.model import Candidate, Discovery, Environment
from venvkeeper.host import Host
from venvkeeper.requirements import conflicts as conflicts_mod
from venvkeeper.requirements import installed as installed_mod
from venvkeeper.requirements.markers import marker_environment
from venvkeeper.requirements.provider import consistency_findings, env_consistency, last_consistency
from venvkeeper.requirements.records import parse_requirement
from venvkeeper.requirements.whatif import what_if_findings
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore

DISTS = 300
EDGES_PER_DIST = 5
IN_PROCESS_RUNS = 100
SPAWN_RUNS = 7


def version_of(index: int) -> str:
    return f"1.{index % 7}.{index % 3}"


def write_dist(site: Path, index: int) -> None:
    name = f"pkg{index:03d}"
    info = site / f"{name}-{version_of(index)}.dist-info"
    info.mkdir()
    meta = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version_of(index)}",
        "Requires-Python: >=3.8",
        "Provides-Extra: extra",
    ]
    other = [(index + k) % DISTS for k in (1, 2, 3, 5, 7)]
    reqs = [
        f"pkg{other[0]:03d}>=1.0",
        f"pkg{other[1]:03d}<2,>=1",
        f'pkg{other[2]:03d}>=1 ; python_version >= "3.8"',
        f'pkg{other[3]:03d} ; extra == "extra"',
        f"pkg{other[4]:03d}!=0.9",
    ]
    if index % 50 == 0:  # six conflicts: an upper bound the installed version exceeds
        reqs[0] = f"pkg{other[0]:03d}<1.0"
    if index % 75 == 0:  # four missing
        reqs[4] = f"missing{index:03d}>=1"
    assert len(reqs) == EDGES_PER_DIST
    meta += [f"Requires-Dist: {r}" for r in reqs]
    (info / "METADATA").write_text("\n".join(meta) + "\n\nA long description.\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text(f"{info.name}/METADATA,,\n")


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


#: CPU time of this process per run, next to wall time: on a shared, loaded machine (several builds on
#: 2 cores) wall time mostly measures the wait for a core.
CPU: dict[str, list[float]] = {}


def timed(fn: object, runs: int, before: object = None, label: str = "") -> list[float]:
    out = []
    cpu = CPU.setdefault(label, [])
    for _ in range(runs):
        if callable(before):
            before()
        c = time.process_time()
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return out


def clear_caches() -> None:
    installed_mod._SITE_CACHE.clear()
    parse_requirement.cache_clear()
    for memo in (
        conflicts_mod._PARSED,
        conflicts_mod._CONTAINS,
        conflicts_mod._MARKERS,
        conflicts_mod._PYTHON,
    ):
        memo.clear()


def pip_check(env: Environment) -> tuple[float, set[tuple[str, str]]]:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env.python), "--disable-pip-version-check", "check"],
        capture_output=True,
        text=True,
        # Without our PYTHONPATH: the env's sys.path would then include server/ (venvkeeper's egg-info).
        env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PIP_CONFIG_FILE": os.devnull},
    )
    took = time.perf_counter() - t
    found = set()
    for line in proc.stdout.splitlines():
        m = re.match(r"^(\S+) \S+ requires (\S+), which is not installed\.$", line) or re.match(
            r"^(\S+) \S+ has requirement .*, but you have (\S+) \S+\.$", line
        )
        if m:
            found.add((m.group(1), m.group(2)))
    return took, found


def main() -> None:
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="venvkeeper-bench-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        env = make_env(project / ".venv")
        site = env.site_packages()[0]
        for i in range(DISTS):
            write_dist(site, i)
        lines = [f"pkg{i * 5 % DISTS:03d}>=1" for i in range(60)]
        (project / "requirements.txt").write_text("\n".join(lines) + "\n")
        buffer = (
            "\n".join([*lines[:55], "pkg001==3.0", "pkg002==1.2.2", "pkg003>=2", "pkg004==1.3.1", "x"]) + "\n"
        )

        host = Host(state_dir=Path(tmp) / "state", cache_dir=Path(tmp) / "cache")
        chosen = Candidate(env=env, origin="conventional", source=".venv in the project")
        ctx = CheckContext(
            project, Discovery(project, chosen, [chosen]), Settings(), host, StateStore(host.state_dir)
        )
        environment = marker_environment(env, host)

        report = env_consistency(env, host)  # warm-up (imports, first listing)
        edges = sum(len(e) for e in report.edges.values())
        ours = {
            (c.dist.canonical_name, c.edge.target)
            for c in report.conflicts
            if c.edge is not None and c.code != "python-incompatible"
        }
        in_process = timed(lambda: env_consistency(env, host), IN_PROCESS_RUNS, label="in_process")
        provider = timed(lambda: consistency_findings(ctx), IN_PROCESS_RUNS)
        # Right after an install: site-packages changed, so every dist object is new; unchanged
        # dist-infos are recognised by one stat of their METADATA.
        after_install = timed(
            lambda: env_consistency(env, host),
            20,
            before=installed_mod._SITE_CACHE.clear,
            label="after_install",
        )
        cold = timed(lambda: env_consistency(env, host), 20, before=clear_caches, label="cold")
        env_consistency(env, host)
        whatif_found = what_if_findings(project / "requirements.txt", buffer, report, environment)
        consistency_findings(ctx)  # the check pass leaves its report for the keystroke path
        what_if = timed(
            lambda: what_if_findings(
                project / "requirements.txt", buffer, last_consistency(env, host), environment
            ),
            IN_PROCESS_RUNS,
            label="what_if",
        )
        what_if_fresh = timed(
            lambda: what_if_findings(
                project / "requirements.txt", buffer, env_consistency(env, host), environment
            ),
            IN_PROCESS_RUNS,
            label="what_if_fresh",
        )

        spawn: list[float] = []
        pip_found: set[tuple[str, str]] = set()
        for _ in range(SPAWN_RUNS):
            took, pip_found = pip_check(env)
            spawn.append(took)

        in_ms, spawn_ms = median_ms(in_process), median_ms(spawn)
        ratio = round(spawn_ms / in_ms, 1) if in_ms else float("inf")
        result = {
            "installed_dists": DISTS,
            "requires_dist_edges_written": DISTS * EDGES_PER_DIST,
            "edges_applicable": edges,
            "conflicts": len(report.conflicts),
            "pip_check_conflicts": len(pip_found),
            "same_verdicts_as_pip_check": ours == pip_found,
            "in_process_median_ms": in_ms,
            "in_process_cpu_median_ms": median_ms(CPU["in_process"]),
            "in_process_p90_ms": round(sorted(in_process)[int(len(in_process) * 0.9)] * 1000, 3),
            "provider_median_ms": median_ms(provider),
            "after_install_median_ms": median_ms(after_install),
            "after_install_cpu_median_ms": median_ms(CPU["after_install"]),
            "cold_median_ms": median_ms(cold),
            "cold_cpu_median_ms": median_ms(CPU["cold"]),
            "cold_speedup": round(spawn_ms / median_ms(cold), 1),
            "spawn_pip_check_median_ms": spawn_ms,
            "spawn_runs": SPAWN_RUNS,
            "speedup": ratio,
            "what_if_findings": len(whatif_found),
            "what_if_median_ms": median_ms(what_if),
            "what_if_cpu_median_ms": median_ms(CPU["what_if"]),
            "what_if_with_fresh_report_median_ms": median_ms(what_if_fresh),
            "what_if_with_fresh_report_cpu_median_ms": median_ms(CPU["what_if_fresh"]),
            "target_in_process_ms": 10,
            "target_speedup": 20,
            "target_what_if_ms": 5,
            "in_process_ok": in_ms <= 10,
            "speedup_ok": ratio >= 20,
            "what_if_ok": median_ms(what_if) <= 5,
            "load_average_start": round(load_start, 2),
            "load_average_end": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "total_s": round(time.perf_counter() - started, 1),
        }
    print(json.dumps(result, indent=2))
    ok = result["in_process_ok"] and result["speedup_ok"] and result["what_if_ok"]
    raise SystemExit(0 if ok and result["same_verdicts_as_pip_check"] else 1)


if __name__ == "__main__":
    main()
