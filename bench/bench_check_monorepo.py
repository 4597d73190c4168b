"""Benchmark: ``venvkeeper check ROOT`` over a 200-project monorepo, whole process, against VS Code's
spawn-per-project approach over the same projects, in the same run.

Run: ``PYTHONPATH=server .venv/bin/python bench/bench_check_monorepo.py`` (prints JSON; ~1 min).

The monorepo: 200 projects ``pkgs/pNNN``, each with a ``requirements.txt`` of 10 requirements and a
real venv (``venv.EnvBuilder``, no pip) holding 8 distributions written as dist-info directories (what
an installer leaves). Two requirements per project are missing or mismatched.

* ``venvkeeper``: ``python -m venvkeeper check ROOT --output-format json`` — one process: finds the 200
  projects, their envs and every finding (requirements, env health, guards). Target ≤ 2 s, and
  ≤ 0.5 times the time of:
* ``spawn``: what VS Code's Python extension does per project — run that project's env interpreter with
  a script that parses the requirements with ``packaging`` and looks each up with
  ``importlib.metadata`` (the script of bench/bench_check.py), once per project, one after another.

Both are run ``RUNS`` times, alternating, and the medians compared; the load average is recorded at
the start and the end, since the machine is shared.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

import packaging

from bench_check import SPAWN_SCRIPT

PROJECTS = 200
DISTS_PER_ENV = 8
#: Requirement lines per project: 7 satisfied, 1 mismatched, 1 missing, 1 with a false marker.
REQUIREMENTS = DISTS_PER_ENV + 2
RUNS = 3
TARGET_S = 2.0
TARGET_RATIO = 0.5


def write_dist(site: Path, name: str, version: str) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text(f"{info.name}/METADATA,,\n")


def make_project(root: Path, index: int) -> Path:
    project = root / "pkgs" / f"p{index:03d}"
    project.mkdir(parents=True)
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(project / ".venv")
    site = next((project / ".venv").glob("lib/python*/site-packages"))
    for d in range(DISTS_PER_ENV):
        write_dist(site, f"dep{(index + d) % 50:02d}", f"1.{d}.0")
    lines = [f"dep{(index + d) % 50:02d}>=1.0" for d in range(DISTS_PER_ENV - 1)]
    lines.append(f"dep{(index + DISTS_PER_ENV - 1) % 50:02d}>=9")  # mismatched
    lines.append(f"missing{index:03d}")  # not installed
    lines.append('windows-only ; sys_platform == "win32"')  # marker false here: not a finding
    (project / "requirements.txt").write_text("\n".join(lines) + "\n")
    return project


def children_cpu() -> float:
    """User + system CPU seconds of finished child processes: a figure the machine's load barely moves."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_venvkeeper(root: Path, env: dict[str, str]) -> tuple[float, int]:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "venvkeeper", "check", str(root), "--output-format", "json"],
        capture_output=True,
        text=True,
        env=env,
    )
    took = time.perf_counter() - t
    data = json.loads(proc.stdout)
    assert len(data["projects"]) == PROJECTS, len(data["projects"])
    wanted = {"not-installed", "version-mismatch"}
    return took, sum(d["code"] in wanted for p in data["projects"] for d in p["diagnostics"])


def run_spawn(projects: list[Path], lib_dir: str) -> tuple[float, int]:
    problems = 0
    t = time.perf_counter()
    for project in projects:
        out = subprocess.run(
            [
                str(project / ".venv" / "bin" / "python"),
                "-c",
                SPAWN_SCRIPT,
                str(project / "requirements.txt"),
                lib_dir,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        problems += len(json.loads(out.stdout))
    return time.perf_counter() - t, problems


def main() -> int:
    started = time.perf_counter()
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="venvkeeper-monorepo-") as tmp:
        root = Path(tmp) / "mono"
        t = time.perf_counter()
        projects = [make_project(root, i) for i in range(PROJECTS)]
        setup_s = time.perf_counter() - t
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        env["XDG_STATE_HOME"] = str(Path(tmp) / "state")
        env["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        lib_dir = str(Path(packaging.__file__).parent.parent)

        run_venvkeeper(root, env)  # warm the page cache for both
        run_spawn(projects[:20], lib_dir)
        ours: list[float] = []
        theirs: list[float] = []
        ours_cpu: list[float] = []
        theirs_cpu: list[float] = []
        ours_found = theirs_found = 0
        for _ in range(RUNS):
            cpu = children_cpu()
            took, ours_found = run_venvkeeper(root, env)
            ours.append(took)
            ours_cpu.append(children_cpu() - cpu)
            cpu = children_cpu()
            took, theirs_found = run_spawn(projects, lib_dir)
            theirs.append(took)
            theirs_cpu.append(children_cpu() - cpu)

    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    ratio = ours_s / theirs_s
    result = {
        "projects": PROJECTS,
        "dists_per_env": DISTS_PER_ENV,
        "requirements_per_project": REQUIREMENTS,
        "venvkeeper_check_s": round(ours_s, 3),
        "venvkeeper_check_runs_s": [round(x, 3) for x in ours],
        "spawn_per_project_s": round(theirs_s, 3),
        "spawn_per_project_runs_s": [round(x, 3) for x in theirs],
        "ratio": round(ratio, 3),
        "venvkeeper_check_cpu_s": round(statistics.median(ours_cpu), 3),
        "spawn_per_project_cpu_s": round(statistics.median(theirs_cpu), 3),
        "venvkeeper_findings": ours_found,
        "spawn_findings": theirs_found,
        "target_s": TARGET_S,
        "target_ratio": TARGET_RATIO,
        "time_ok": ours_s <= TARGET_S,
        "ratio_ok": ratio <= TARGET_RATIO,
        "load_avg_start": [round(x, 2) for x in load_start],
        "load_avg_end": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "setup_s": round(setup_s, 1),
        "total_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, indent=2))
    return 0 if result["time_ok"] and result["ratio_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
