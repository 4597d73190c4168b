"""Benchmark: `venvkeeper check` on a workspace holding every hostile case at once (issue 9).

Run: ``PYTHONPATH=server:tests .venv/bin/python bench/bench_hostile.py`` (prints JSON, a few seconds).

The workspace is ``tests/support/hostile.build_all``: FIFOs, /dev/zero links, sparse 2 GB and 1 GB
files, chmod-000 dirs, a non-UTF-8 name, secrets, plus one normal control project. Measured in the
same run: the same command on a workspace holding only the control project (the baseline). Peak RSS
is the child's ``ru_maxrss``; target <= 100 MB. As root the check runs without CAP_DAC_OVERRIDE
(``setpriv``) so that the chmod-000 cases count, when that is allowed.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from support import hostile

RUNS = 5
TARGET_RSS_MB = 100


def _prefix() -> list[str]:
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return []
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    ok = subprocess.run([*prefix, sys.executable, "-c", "pass"], capture_output=True).returncode == 0
    return prefix if ok else []


def measure(ws: Path, prefix: list[str]) -> dict[str, float]:
    """Median wall time and peak RSS of `venvkeeper check <ws>` (each run in a fresh grandchild)."""
    walls: list[float] = []
    peaks: list[float] = []
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", probe, *prefix, sys.executable, "-m", "venvkeeper", "check", str(ws)],
            capture_output=True, text=True, check=True, env={**os.environ, "MY_TOKEN": "ghp_SECRET123"},
            timeout=120,
        )  # fmt: skip
        wall, rss_kb = out.stdout.split()
        walls.append(float(wall))
        peaks.append(int(rss_kb) / 1024)
    return {"median_wall_ms": round(statistics.median(walls) * 1000, 1), "peak_rss_mb": round(max(peaks), 1)}


def main() -> None:
    started = time.perf_counter()
    prefix = _prefix()
    with tempfile.TemporaryDirectory(prefix="vk-hostile-") as tmp:
        root = Path(tmp)
        hostile.build_all(root / "hostile", root / "outside")
        hostile.control(root / "baseline")
        try:
            hostile_figures = measure(root / "hostile", prefix)
            baseline = measure(root / "baseline", prefix)
        finally:
            hostile.restore_modes(root / "hostile")
    result = {
        "traps": len(hostile.TRAPS) + 1,
        "unprivileged": bool(prefix) or os.geteuid() != 0,
        "hostile": hostile_figures,
        "baseline_control_only": baseline,
        "target_peak_rss_mb": TARGET_RSS_MB,
        "rss_ok": hostile_figures["peak_rss_mb"] <= TARGET_RSS_MB,
        "self_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": sys.version.split()[0],
        "total_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, indent=2))
    if not result["rss_ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
