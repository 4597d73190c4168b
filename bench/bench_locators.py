"""Benchmark (issue 13): every locator on a realistic home — 50 Poetry envs, 30 pyenv versions (10 of
them pyenv-virtualenv envs), 20 conda envs, 20 Pipenv envs — and a 200-project workspace.

``full_refresh``: a fresh LocateContext (nothing cached) and discovery of all 200 projects, as the
daemon does after an invalidation — target median <= 150 ms. ``app_refresh`` adds finding the projects
(the workspace walk) through App. Reference: PET's own refresh took 264-515 ms in users' logs
(vscode-python-environments #1546/#1554). Envs are hand-made trees (pyvenv.cfg, bin/python, lib/),
which is what discovery reads; no tool runs.

Run: PYTHONPATH=server:tests .venv/bin/python bench/bench_locators.py   (or `make bench`)
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
sys.path[:0] = [str(ROOT / "server"), str(ROOT / "tests")]

from support.envs import fake_env  # noqa: E402
from venvkeeper.app import App  # noqa: E402
from venvkeeper.discovery.discover import discover  # noqa: E402
from venvkeeper.discovery.locators import (  # noqa: E402
    ActivatedLocator,
    ChildDirLocator,
    ConventionalLocator,
    LocateContext,
    Locator,
    SelectedLocator,
)
from venvkeeper.discovery.projects import find_projects  # noqa: E402
from venvkeeper.discovery.toolenvs import pipenv_env_name, poetry_env_base  # noqa: E402
from venvkeeper.host import Host  # noqa: E402
from venvkeeper.state import StateStore  # noqa: E402

TARGET_MS = 150.0
#: Baseline in the same run: the in-project locators only (what discovery did before issue 13).
IN_PROJECT_ONLY: tuple[Locator, ...] = (
    SelectedLocator(),
    ConventionalLocator((".venv", "venv", "env")),
    ChildDirLocator(),
    ActivatedLocator(),
)
RUNS = 30


def conda_env(prefix: Path, version: str) -> None:
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / f"python-{version}-h1_0.json").write_text("{}")
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python").write_text("")


def build(base: Path) -> tuple[Path, Path]:
    home, ws = base / "home", base / "ws"
    poetry_dir = home / ".cache" / "pypoetry" / "virtualenvs"
    pipenv_dir = home / ".local" / "share" / "virtualenvs"
    pyenv_versions = home / ".pyenv" / "versions"
    for i in range(200):
        p = ws / f"group{i // 20}" / f"proj{i:03d}"
        p.mkdir(parents=True)
        (p / "src" / "pkg").mkdir(parents=True)
        if i < 50:  # Poetry projects, each with an env in the cache dir
            (p / "pyproject.toml").write_text(f'[tool.poetry]\nname = "proj{i:03d}"\npackage-mode = false\n')
            (p / "poetry.lock").write_text("")
            fake_env(poetry_dir / f"{poetry_env_base(f'proj{i:03d}', os.path.realpath(p))}-py3.11")
        elif i < 70:  # Pipenv
            (p / "Pipfile").write_text("[packages]\n")
            fake_env(pipenv_dir / pipenv_env_name(p.name, str(p / "Pipfile")))
        elif i < 90:  # conda, named by environment.yml
            (p / "environment.yml").write_text(f"name: env{i}\n")
            conda_env(home / "miniconda3" / "envs" / f"env{i}", "3.12.4")
        elif i < 100:  # pyenv-virtualenv
            (p / "requirements.txt").write_text("")
            (p / ".python-version").write_text(f"venv{i}\n")
            fake_env(pyenv_versions / f"venv{i}")
        elif i < 150:  # plain projects with an in-project .venv
            (p / "pyproject.toml").write_text(f'[project]\nname = "proj{i:03d}"\n')
            fake_env(p / ".venv")
        else:  # projects without any env (every locator looks, none finds)
            (p / "pyproject.toml").write_text(f'[project]\nname = "proj{i:03d}"\n')
    for v in range(20):  # plain pyenv versions (bases, not envs)
        (pyenv_versions / f"3.{v % 14}.{v}" / "bin").mkdir(parents=True)
    conda_env(home / "miniconda3", "3.12.4")
    (home / ".conda").mkdir()
    (home / ".conda" / "environments.txt").write_text(
        "\n".join(str(home / "miniconda3" / "envs" / f"env{i}") for i in range(70, 90)) + "\n"
    )
    return home, ws


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        home, ws = build(base)
        projects = find_projects(ws)
        state = StateStore(base / "state")
        times: list[float] = []
        cpu: list[float] = []
        found = 0
        for _ in range(RUNS):
            t0, c0 = time.perf_counter(), time.process_time()
            ctx = LocateContext(state=state, virtual_env=None, home=home, environ={}, sys_platform="linux")
            results = [discover(p, ctx) for p in projects]
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            found = sum(1 for d in results if d.chosen is not None)
        baseline: list[float] = []
        baseline_cpu: list[float] = []
        for _ in range(RUNS):
            t0, c0 = time.perf_counter(), time.process_time()
            ctx = LocateContext(state=state, virtual_env=None, home=home, environ={}, sys_platform="linux")
            for p in projects:
                discover(p, ctx, IN_PROJECT_ONLY)
            baseline.append(time.perf_counter() - t0)
            baseline_cpu.append(time.process_time() - c0)
        host = Host(
            environ={}, state_dir=base / "state", cache_dir=base / "cache", home=home, sys_platform="linux"
        )
        app_times: list[float] = []
        for _ in range(10):
            t0 = time.perf_counter()
            app = App(host=host)
            app.set_roots([ws])
            for p in app.projects():
                app.discovery(p)
            app_times.append(time.perf_counter() - t0)
    median = statistics.median(times) * 1000
    print(
        json.dumps(
            {
                "projects": len(projects),
                "projects_with_env": found,
                "full_refresh_median_ms": round(median, 1),
                "full_refresh_min_ms": round(min(times) * 1000, 1),
                "full_refresh_cpu_median_ms": round(statistics.median(cpu) * 1000, 1),
                "load_average_1min": round(os.getloadavg()[0], 1),
                "app_refresh_with_walk_median_ms": round(statistics.median(app_times) * 1000, 1),
                "target_ms": TARGET_MS,
                "baseline_in_project_locators_only_median_ms": round(statistics.median(baseline) * 1000, 1),
                "baseline_in_project_locators_only_cpu_median_ms": round(
                    statistics.median(baseline_cpu) * 1000, 1
                ),
                "baseline_pet_refresh_ms_from_user_logs": "264-515",
            },
            indent=2,
        )
    )
    return 0 if median <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
