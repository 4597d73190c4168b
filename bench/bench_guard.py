"""Global-install guard benchmarks (issue 5).

1. Latency: a ``*.dist-info`` appearing in a watched global site -> GlobalInstallWarning produced,
   through the production path: watchdog (non-recursive DirWatcher) -> install_bursts (guards/global_watch.py:
   150 ms quiet after a dist-info, 2 s after anything else, so one pip run is one burst) ->
   read_installed + new_dists + global_install_warning. Target ≤ 1 s (median).
2. Watch count per base interpreter: the directories watched for each base that matters on this
   machine (dev venv's base, python3 on PATH). Target ≤ 10.
3. Idle CPU: process CPU time consumed over 5 s while watching those sites and nothing happens (≈ 0).

Run: PYTHONPATH=server .venv/bin/python bench/bench_guard.py   (< 60 s)
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server")]

from venvkeeper.discovery.identify import identify_env  # noqa: E402
from venvkeeper.guards.global_watch import QUICK_S, install_bursts  # noqa: E402
from venvkeeper.guards.globals import WatchedProject, global_install_warning, new_dists  # noqa: E402
from venvkeeper.guards.sites import GlobalSite, bases_that_matter, sites_of_base  # noqa: E402
from venvkeeper.host import Host  # noqa: E402
from venvkeeper.requirements.installed import read_installed  # noqa: E402
from venvkeeper.watch.observer import DirWatcher  # noqa: E402

ROUNDS = 20


def fake_install(site: Path, name: str) -> None:
    """What pip leaves behind, in pip's order: the package, then the dist-info with METADATA and RECORD."""
    (site / name).mkdir()
    (site / name / "__init__.py").write_text("")
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text(f"{name}/__init__.py,,\n{info.name}/METADATA,,\n")


async def latency(tmp: Path) -> list[float]:
    site_dir = tmp / "home" / ".local" / "lib" / "python3.11" / "site-packages"
    site_dir.mkdir(parents=True)
    site = GlobalSite(site_dir, "user", "3.11", None, False, tmp / "home" / ".local")
    project = WatchedProject(tmp / "proj", tmp / "proj" / ".venv", ".venv", frozenset({"pkg7"}))
    loop = asyncio.get_running_loop()
    snapshot = read_installed([site_dir])
    produced: asyncio.Queue[float] = asyncio.Queue()

    def on_burst(paths: set[Path]) -> None:
        nonlocal snapshot
        after = read_installed([site_dir])
        touched = {p.name for p in paths if p.name.endswith(".dist-info")}
        warning = global_install_warning(site, new_dists(snapshot, after, touched), [project], tmp / "home")
        snapshot = after
        if warning is not None:
            produced.put_nowait(time.perf_counter())

    bursts = install_bursts(loop, on_burst, lambda: {site_dir})
    watcher = DirWatcher(bursts.push)
    watcher.start()
    watcher.sync([site_dir])
    out: list[float] = []
    try:
        await asyncio.sleep(0.2)  # let the observer settle before the first round (bench only)
        for i in range(ROUNDS):
            start = time.perf_counter()
            await loop.run_in_executor(None, fake_install, site_dir, f"pkg{i}")
            done = await asyncio.wait_for(produced.get(), timeout=5)
            out.append(done - start)
    finally:
        watcher.stop()
    return out


def watch_counts() -> dict[str, int]:
    host = Host.from_process()
    dev_env = identify_env(ROOT / ".venv")
    counts: dict[str, int] = {}
    for base in bases_that_matter([dev_env] if dev_env else [], host):
        sites = sites_of_base(base, host)
        # One non-recursive watch per site dir (a user site not made yet: one on its nearest ancestor).
        counts[f"Python {base.version} at {base.prefix}"] = len(sites)
    return counts


def idle_cpu(seconds: float = 5.0) -> float:
    host = Host.from_process()
    dev_env = identify_env(ROOT / ".venv")
    dirs: list[Path] = []
    for base in bases_that_matter([dev_env] if dev_env else [], host):
        dirs += [s.path for s in sites_of_base(base, host) if s.exists]
    watcher = DirWatcher(lambda _p: None)
    watcher.start()
    watcher.sync(dirs)
    time.sleep(0.3)
    before = time.process_time()
    time.sleep(seconds)
    used = time.process_time() - before
    watcher.stop()
    return used


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lat = asyncio.run(latency(Path(tmp)))
    counts = watch_counts()
    cpu = idle_cpu()
    median_ms = round(statistics.median(lat) * 1000, 1)
    result = {
        "global_install_to_warning_ms": {
            "median": median_ms,
            "max": round(max(lat) * 1000, 1),
            "rounds": len(lat),
            "includes_quiet_period_ms": int(QUICK_S * 1000),
            "target_ms": 1000,
        },
        "watches_per_base_interpreter": counts,
        "watches_target_max": 10,
        "idle_cpu_seconds_over_5s": round(cpu, 4),
    }
    print(json.dumps(result, indent=2))
    ok = median_ms <= 1000 and all(v <= 10 for v in counts.values())
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
