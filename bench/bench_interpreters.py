"""Benchmark (issue 13 §2): ``venvkeeper/interpreters`` on bench_locators.py's home — 50 Poetry envs,
30 pyenv versions (20 base Pythons, here given binary-looking interpreters, and 10 pyenv-virtualenv
envs), 20 conda envs, 20 Pipenv envs — and its 200-project workspace.

``interpreters_cold``: what the server does for the request right after an invalidation — a fresh
LocateContext, discovery of the one project, every tool dir listed, every base interpreter found and
judged (App.catalog). ``interpreters_warm``: the same with the context of a finished full refresh (the
usual case: the picker opens on a settled workspace). Baseline in the same run: the full refresh of
bench_locators.py (discovery of all 200 projects with a fresh context). Nothing is run.

Run: PYTHONPATH=server:tests .venv/bin/python bench/bench_interpreters.py   (or `make bench`)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server"), str(ROOT / "tests"), str(ROOT / "bench")]

from bench_locators import build  # noqa: E402
from venvkeeper.app import App  # noqa: E402
from venvkeeper.discovery.discover import discover  # noqa: E402
from venvkeeper.discovery.locators import LocateContext  # noqa: E402
from venvkeeper.host import Host  # noqa: E402
from venvkeeper.state import StateStore  # noqa: E402

RUNS = 30
#: An answer a picker can wait for without the user noticing.
TARGET_MS = 150.0


def add_base_pythons(home: Path) -> int:
    """Give each plain pyenv version dir an interpreter file (ELF magic, never run)."""
    count = 0
    for version in sorted((home / ".pyenv" / "versions").iterdir()):
        bin_dir = version / "bin"
        if (version / "pyvenv.cfg").exists() or not bin_dir.is_dir():
            continue
        mm = ".".join(version.name.split(".")[:2])
        exe = bin_dir / f"python{mm}"
        exe.write_bytes(b"\x7fELF fake interpreter")
        exe.chmod(0o755)
        count += 1
    return count


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        home, ws = build(base)
        bases = add_base_pythons(home)
        host = Host(
            environ={"PATH": "/usr/bin:/bin", "PYENV_ROOT": str(home / ".pyenv")},
            state_dir=base / "state",
            cache_dir=base / "cache",
            home=home,
            sys_platform="linux",
        )
        app = App(host=host)
        app.set_roots([ws])
        projects = app.projects()
        poetry_project = projects[0]
        cold: list[float] = []
        cold_cpu: list[float] = []
        entries = 0
        for _ in range(RUNS):
            app.invalidate()
            t0, c0 = time.perf_counter(), time.process_time()
            catalog = app.catalog(poetry_project)
            cold.append(time.perf_counter() - t0)
            cold_cpu.append(time.process_time() - c0)
            entries = len(catalog.entries)
        for p in projects:
            app.discovery(p)  # a settled workspace: the context holds every listing
        warm: list[float] = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            app.catalog(poetry_project)
            warm.append(time.perf_counter() - t0)
        full: list[float] = []
        full_cpu: list[float] = []
        state = StateStore(base / "state")
        for _ in range(RUNS):
            t0, c0 = time.perf_counter(), time.process_time()
            ctx = LocateContext(state=state, virtual_env=None, home=home, environ={}, sys_platform="linux")
            for p in projects:
                discover(p, ctx)
            full.append(time.perf_counter() - t0)
            full_cpu.append(time.process_time() - c0)
        groups: dict[str, int] = {}
        for e in catalog.entries:
            groups[e.group] = groups.get(e.group, 0) + 1

    def ms(values: list[float]) -> float:
        return round(statistics.median(values) * 1000, 1)

    print(
        json.dumps(
            {
                "projects": len(projects),
                "entries": entries,
                "entries_by_group": groups,
                "pyenv_base_pythons": bases,
                "interpreters_cold_median_ms": ms(cold),
                "interpreters_cold_cpu_median_ms": ms(cold_cpu),
                "interpreters_warm_median_ms": ms(warm),
                "baseline_full_refresh_median_ms": ms(full),
                "baseline_full_refresh_cpu_median_ms": ms(full_cpu),
                "target_ms": TARGET_MS,
                "load_average_1min": round(os.getloadavg()[0], 1),
            },
            indent=2,
        )
    )
    return 0 if statistics.median(cold) * 1000 <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
