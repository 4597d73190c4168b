"""Benchmark: re-check a project of 100 requirements against an env of 300 installed distributions.

Run: ``PYTHONPATH=server .venv/bin/python bench/bench_check.py`` (prints JSON, finishes in seconds).

Measured in the same run, on the same project and env:

* ``in_process``: venvkeeper's provider, as the daemon runs it on every change (parse the sources,
  list site-packages, evaluate markers, compare versions) — target median <= 20 ms; ``cold`` is the
  same with the site-dir cache and the memoised requirement parses cleared before every run;
* ``spawn``: the approach of VS Code's Python extension — run the env's interpreter with a script that
  parses the requirements with ``packaging`` and looks each one up with ``importlib.metadata`` —
  venvkeeper should be >= 10x faster.

The 300 distributions are written as dist-info directories directly (what an installer leaves behind:
METADATA, RECORD, INSTALLER), which is the same on disk as 300 pip installs and far quicker to set up.
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

import packaging

from venvkeeper.checks import run_checks
from venvkeeper.context import CheckContext
from venvkeeper.discovery.model import Candidate, Discovery, Environment
from venvkeeper.discovery.pyvenv import read_pyvenv_cfg
from venvkeeper.host import Host
from venvkeeper.requirements import installed as installed_mod
from venvkeeper.requirements.provider import requirement_findings
from venvkeeper.requirements.records import parse_requirement
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore

DISTS = 300
REQUIREMENTS = 100
IN_PROCESS_RUNS = 50
SPAWN_RUNS = 20

# What VS Code's Python extension does (python_files/installed_check.py, simplified to its core):
# parse each requirement with packaging, ask importlib.metadata for the installed version.
SPAWN_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[2])  # the extension ships packaging in its own lib dir
from importlib import metadata
from packaging.requirements import Requirement
problems = []
with open(sys.argv[1], encoding="utf-8") as fh:
    for number, line in enumerate(fh):
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            problems.append((number, "not-installed"))
            continue
        if not req.specifier.contains(version, prereleases=True):
            problems.append((number, "version-mismatch"))
print(json.dumps(problems))
"""


def make_env(path: Path) -> Environment:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True
    )
    cfg = read_pyvenv_cfg(path / "pyvenv.cfg")
    layout = "windows" if os.name == "nt" else "posix"
    python = path / ("Scripts/python.exe" if layout == "windows" else "bin/python")
    return Environment(path=path, python=python, layout=layout, state="ok", cfg=cfg)


def write_dist(site: Path, index: int) -> None:
    name, version = f"pkg{index:03d}", f"1.{index % 7}.{index % 3}"
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", "Provides-Extra: extra"]
    meta += [
        f"Requires-Dist: pkg{(index + 1) % DISTS:03d}>=1",
        f'Requires-Dist: pkg{(index + 2) % DISTS:03d} ; extra == "extra"',
    ]
    (info / "METADATA").write_text("\n".join(meta) + "\n\nA long description.\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text(f"{info.name}/METADATA,,\n")


def requirement_lines() -> list[str]:
    lines = ["# generated: 100 requirements, a few missing, mismatched, with markers and extras"]
    for i in range(REQUIREMENTS):
        n = i * 3 % DISTS
        if i % 10 == 0:
            lines.append(f"missing{i:03d}>=1.0")
        elif i % 10 == 1:
            lines.append(f"pkg{n:03d}>=9.0")
        elif i % 10 == 2:
            lines.append(f'pkg{n:03d}>=1.0 ; python_version >= "3.8"')
        elif i % 10 == 3:
            lines.append(f"pkg{n:03d}[extra]>=1")
        else:
            lines.append(f"pkg{n:03d}>=1.0,<2")
    return lines


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="venvkeeper-bench-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        env = make_env(project / ".venv")
        site = env.site_packages()[0]
        for i in range(DISTS):
            write_dist(site, i)
        req_file = project / "requirements.txt"
        req_file.write_text("\n".join(requirement_lines()) + "\n")

        host = Host(state_dir=Path(tmp) / "state", cache_dir=Path(tmp) / "cache")
        chosen = Candidate(env=env, origin="conventional", source=".venv in the project")
        ctx = CheckContext(
            project, Discovery(project, chosen, [chosen]), Settings(), host, StateStore(host.state_dir)
        )

        findings = requirement_findings(ctx)  # warm-up (imports, first directory listing)
        in_process = []
        for _ in range(IN_PROCESS_RUNS):
            t = time.perf_counter()
            requirement_findings(ctx)
            in_process.append(time.perf_counter() - t)

        # Every check the daemon runs on a re-check (requirements + env health + global sites).
        all_checks = []
        for _ in range(IN_PROCESS_RUNS):
            t = time.perf_counter()
            run_checks(ctx)
            all_checks.append(time.perf_counter() - t)

        # Cold: as if the daemon had just started (no cached site listing, no memoised parses).
        cold = []
        for _ in range(IN_PROCESS_RUNS):
            installed_mod._SITE_CACHE.clear()
            parse_requirement.cache_clear()
            t = time.perf_counter()
            requirement_findings(ctx)
            cold.append(time.perf_counter() - t)

        lib_dir = str(Path(packaging.__file__).parent.parent)
        spawn = []
        spawn_problems: list[object] = []
        for _ in range(SPAWN_RUNS):
            t = time.perf_counter()
            out = subprocess.run(
                [str(env.python), "-c", SPAWN_SCRIPT, str(req_file), lib_dir],
                check=True,
                capture_output=True,
                text=True,
            )
            spawn.append(time.perf_counter() - t)
            spawn_problems = json.loads(out.stdout)

        in_ms, spawn_ms = median_ms(in_process), median_ms(spawn)
        ratio = round(spawn_ms / in_ms, 1) if in_ms else float("inf")
        result = {
            "installed_dists": DISTS,
            "requirements": REQUIREMENTS,
            "findings": len(findings),
            "spawn_findings": len(spawn_problems),
            "in_process_median_ms": in_ms,
            "in_process_runs": IN_PROCESS_RUNS,
            "all_checks_median_ms": median_ms(all_checks),
            "cold_in_process_median_ms": median_ms(cold),
            "cold_speedup": round(spawn_ms / median_ms(cold), 1),
            "spawn_median_ms": spawn_ms,
            "spawn_runs": SPAWN_RUNS,
            "speedup": ratio,
            "target_in_process_ms": 20,
            "target_speedup": 10,
            "in_process_ok": in_ms <= 20,
            "speedup_ok": ratio >= 10,
            "python": sys.version.split()[0],
            "total_s": round(time.perf_counter() - started, 1),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
