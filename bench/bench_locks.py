"""Benchmark: read a 400-package uv.lock, and the lock-drift check against a 400-dist env.

Run: ``PYTHONPATH=server:tests .venv/bin/python bench/bench_locks.py`` (prints JSON).

The lock imitates uv's own uv.lock (~400 packages): a root project with 40 direct dependencies and a
dev group, every package with an sdist and 6 wheels, dependency edges with markers, and forked
entries (two versions of one name under resolution markers). The env holds the 400 locked dists as
dist-info directories (METADATA, RECORD, INSTALLER), 10 of them at another version than the lock.

Measured in the same run:

* ``parse``: :func:`read_lock` (guarded read + uv.lock scan + closure selection) — target median <= 20 ms;
* ``tomllib_baseline``: ``tomllib.loads`` of the same text alone (what a plain TOML read costs);
* ``drift_check``: the whole lock provider (read, select, list site-packages, compare, place findings)
  with the lock cache cleared every run — target median <= 25 ms; ``lock_unchanged``: the same when
  the lock has not changed since the last check (the cached selection is reused), the daemon's usual case.

Both wall-clock and CPU (process_time) medians are reported, with the load average: the benchmark
machine is shared.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from venvkeeper.context import CheckContext
from venvkeeper.discovery.model import Candidate, Discovery, Environment
from venvkeeper.discovery.pyvenv import read_pyvenv_cfg
from venvkeeper.host import Host
from venvkeeper.requirements import _toml
from venvkeeper.requirements.lockcheck import lock_findings
from venvkeeper.requirements.locks import LockInputs, clear_cache, read_lock
from venvkeeper.requirements.markers import marker_environment
from venvkeeper.requirements.provider import consistency_findings, requirement_findings
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore

PACKAGES = 400
DIRECT = 40
DRIFTED = 10
RUNS = 50
HASH = "0123456789abcdef" * 4


def _name(i: int) -> str:
    return f"pkg-{i:03d}"


def uv_lock_text(n: int = PACKAGES) -> str:
    out = [
        "version = 1",
        "revision = 3",
        'requires-python = ">=3.9"',
        "resolution-markers = [",
        "    \"python_full_version >= '3.10'\",",
        "    \"python_full_version < '3.10'\",",
        "]",
        "",
    ]
    deps = [f'    {{ name = "{_name(i)}" }},' for i in range(DIRECT)]
    meta = [f'    {{ name = "{_name(i)}", specifier = ">=1.0" }},' for i in range(DIRECT)]
    out += ["[[package]]", 'name = "bench-root"', 'version = "0.1.0"', 'source = { editable = "." }']
    out += ["dependencies = [", *deps, "]", "", "[package.dev-dependencies]", "dev = ["]
    out += ['    { name = "pkg-399" },', "]", "", "[package.metadata]", "requires-dist = [", *meta, "]", ""]
    out += ["[package.metadata.requires-dev]", 'dev = [{ name = "pkg-399" }]', ""]
    for i in range(n):
        name = _name(i)
        versions = [(f"1.{i}.0", None)]
        if i % 50 == 7:  # a fork: another version for old Pythons
            versions = [
                (f"0.{i}.0", "python_full_version < '3.10'"),
                (f"1.{i}.0", "python_full_version >= '3.10'"),
            ]
        for version, fork in versions:
            out += ["[[package]]", f'name = "{name}"', f'version = "{version}"']
            out.append('source = { registry = "https://pypi.org/simple" }')
            if fork:
                out += ["resolution-markers = [", f'    "{fork}",', "]"]
            edges = [j for j in range(i + 1, min(n, i + 4)) if j >= DIRECT]
            if edges:
                out.append("dependencies = [")
                for j in edges:
                    marker = ", marker = \"sys_platform == 'win32'\"" if j % 13 == 0 else ""
                    if j % 50 == 7:
                        out.append(
                            f'    {{ name = "{_name(j)}", version = "1.{j}.0", '
                            f'source = {{ registry = "https://pypi.org/simple" }}, marker = "python_full_version >= \'3.10\'" }},'
                        )
                        out.append(
                            f'    {{ name = "{_name(j)}", version = "0.{j}.0", '
                            f'source = {{ registry = "https://pypi.org/simple" }}, marker = "python_full_version < \'3.10\'" }},'
                        )
                    else:
                        out.append(f'    {{ name = "{_name(j)}"{marker} }},')
                out.append("]")
            url = f"https://files.pythonhosted.org/packages/aa/bb/{name}"
            out.append(
                f'sdist = {{ url = "{url}-{version}.tar.gz", hash = "sha256:{HASH}", size = 12345, '
                'upload-time = "2025-01-01T00:00:00Z" }'
            )
            out.append("wheels = [")
            for tag in ("cp310", "cp311", "cp312", "cp313", "cp314", "py3"):
                out.append(
                    f'    {{ url = "{url}-{version}-{tag}-{tag}-manylinux_2_17_x86_64.whl", hash = "sha256:{HASH}", '
                    'size = 123456, upload-time = "2025-01-01T00:00:00Z" },'
                )
            out += ["]", ""]
    return "\n".join(out)


def pyproject_text() -> str:
    deps = ",\n".join(f'    "{_name(i)}>=1.0"' for i in range(DIRECT))
    return (
        f'[project]\nname = "bench-root"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        f'dependencies = [\n{deps},\n]\n\n[dependency-groups]\ndev = ["pkg-399"]\n'
    )


def make_env(root: Path, lock: Path) -> Environment:
    mm = f"{sys.version_info[0]}.{sys.version_info[1]}"
    env = root / ".venv"
    site = env / "lib" / f"python{mm}" / "site-packages"
    site.mkdir(parents=True)
    (env / "bin").mkdir()
    (env / "bin" / "python").symlink_to(sys.executable)
    (env / "pyvenv.cfg").write_text(
        f"home = {Path(sys.executable).parent}\ninclude-system-site-packages = false\nversion = {sys.version.split()[0]}\n"
    )
    inputs = LockInputs(marker_environment(None, Host()), _toml.loads(pyproject_text()))
    for k, pkg in enumerate(read_lock(lock, inputs).packages):
        version = pkg.version or "1"
        if k % (PACKAGES // DRIFTED) == 3:
            version = "999.0"
        info = site / f"{pkg.name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {pkg.name}\nVersion: {version}\n")
        (info / "INSTALLER").write_text("pip\n")
        (info / "RECORD").write_text(f"{pkg.name.replace('-', '_')}/__init__.py,,\n")
    return Environment(
        path=env,
        python=env / "bin" / "python",
        layout="posix",
        state="ok",
        cfg=read_pyvenv_cfg(env / "pyvenv.cfg"),
    )


def measure(fn: Callable[[], object], runs: int = RUNS) -> tuple[float, float]:
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return round(statistics.median(wall) * 1000, 2), round(statistics.median(cpu) * 1000, 2)


def main() -> None:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        text = uv_lock_text()
        lock = project / "uv.lock"
        lock.write_text(text)
        (project / "pyproject.toml").write_text(pyproject_text())
        env = make_env(project, lock)
        host = Host(state_dir=Path(tmp) / "state", cache_dir=Path(tmp) / "cache", home=Path(tmp))
        inputs = LockInputs(marker_environment(env, host), _toml.loads(pyproject_text()))
        selected = len(read_lock(lock, inputs).packages)
        chosen = Candidate(env=env, origin="conventional", source=".venv")
        ctx = CheckContext(
            project, Discovery(project=project, chosen=chosen, candidates=[chosen]), Settings(extras=()), host,
            StateStore(host.state_dir), memo={},
        )  # fmt: skip
        # As in run_checks: the requirement and consistency providers have run first in the same pass
        # (their results are shared), so what is timed is the lock provider's own cost.
        requirement_findings(ctx)
        consistency_findings(ctx)
        findings = lock_findings(ctx)
        parse_wall, parse_cpu = measure(lambda: (clear_cache(), read_lock(lock, inputs)))
        toml_wall, toml_cpu = measure(lambda: _toml.loads(text), runs=15)
        drift_wall, drift_cpu = measure(lambda: (clear_cache(), lock_findings(ctx)))
        warm_wall, warm_cpu = measure(lambda: lock_findings(ctx))
    result = {
        "lock_packages": text.count("[[package]]"),
        "lock_bytes": len(text.encode()),
        "selected_packages": selected,
        "installed_dists": selected,
        "drift_findings": sum(f.code == "lock-drift" for f in findings),
        "parse_median_ms": parse_wall,
        "parse_cpu_median_ms": parse_cpu,
        "tomllib_baseline_median_ms": toml_wall,
        "tomllib_baseline_cpu_median_ms": toml_cpu,
        "drift_check_median_ms": drift_wall,
        "drift_check_cpu_median_ms": drift_cpu,
        "drift_check_lock_unchanged_median_ms": warm_wall,
        "drift_check_lock_unchanged_cpu_median_ms": warm_cpu,
        "runs": RUNS,
        "target_parse_ms": 20,
        "target_drift_ms": 25,
        "parse_ok": parse_wall <= 20,
        "drift_ok": drift_wall <= 25,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    print(json.dumps(result, indent=2))
    if not (result["parse_ok"] and result["drift_ok"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
