"""Issue 14, goal 7: how the daemon's cost grows with the workspace — 100, 200, 500, 1,000 projects.

Each workspace comes from bench/monorepo.py with the density of the 200-project one (980 files a project,
of which 250 in a shared ``node_modules`` and 100 in ``.git``; half the projects with a ``.venv``), so
1,000 projects are 980,000 files (``--density`` scales that down when disk or time is short; the result
says which density was used).

Per size, whole process, the server as an editor spawns it (bench_scale.Server, same probe):
* ``first_answer_ms``: spawn → first ``venvkeeper/interpreter`` answer;
* ``all_diagnostics_s``: spawn → the last ``textDocument/publishDiagnostics`` of the start-up sweep
  (every project's findings published) and ``sweep_cpu_s``, the daemon's CPU until idle;
* ``rss_mb``, ``threads``, ``inotify_watches`` once idle, with and without an editor that watches files
  (``client_watching``: the client accepts our didChangeWatchedFiles registration);
* the same-run baseline: ``venvkeeper check ROOT`` (the CLI finds the same projects and reports the same
  findings), wall and CPU;
* the load average before and after each size.

Targets at 1,000 projects: first answer ≤ 1 s, all diagnostics ≤ 10 s, RSS ≤ 150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from queue import Queue
from typing import Any, Optional

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT / "tests"), str(BENCH)]

from bench_scale import (  # noqa: E402
    Server,
    cli_check,
    compile_tree,
    cpu_s,
    inotify_watches,
    rss_mb,
    threads,
    wait_idle,
)
from monorepo import Shape, generate, project_dir  # noqa: E402

SIZES = (100, 200, 500, 1000)


class StampedQueue(Queue[dict[str, Any]]):
    """The client's notification queue, remembering when the last diagnostics arrived."""

    last_publish = 0.0
    publishes = 0

    def put(self, item: dict[str, Any], block: bool = True, timeout: Optional[float] = None) -> None:
        if item.get("method") == "textDocument/publishDiagnostics":
            self.last_publish = time.perf_counter()
            self.publishes += 1
        super().put(item, block, timeout)


def start_once(ws: Path, tmp: Path, name: str, client_watching: bool) -> dict[str, Any]:
    server = Server(ROOT / "server", ws, tmp / f"state-{name}", tmp / f"{name}.log")
    stamped = StampedQueue()
    server.client.notifications = stamped
    workspace_caps: dict[str, Any] = {"configuration": False}
    if client_watching:
        workspace_caps["didChangeWatchedFiles"] = {"dynamicRegistration": True}
    try:
        c = server.client
        c.request(
            "initialize",
            {
                "processId": None,
                "rootUri": ws.as_uri(),
                "workspaceFolders": [{"uri": ws.as_uri(), "name": ws.name}],
                "capabilities": {"window": {"workDoneProgress": True}, "workspace": workspace_caps},
            },
            timeout=600,
        )
        t_init = time.perf_counter()
        c.notify("initialized", {})
        c.request("venvkeeper/interpreter", {"uri": (project_dir(ws, 0) / "main.py").as_uri()}, timeout=600)
        t_first = time.perf_counter()
        wait_idle(server.pid, timeout=1800)
        return {
            "initialize_ms": round((t_init - server.t_spawn) * 1000, 1),
            "first_answer_ms": round((t_first - server.t_spawn) * 1000, 1),
            "all_diagnostics_s": round(stamped.last_publish - server.t_spawn, 2),
            "diagnostics_published": stamped.publishes,
            "sweep_cpu_s": round(cpu_s(server.pid), 2),
            "rss_mb": round(rss_mb(server.pid), 1),
            "threads": threads(server.pid),
            "inotify_watches": inotify_watches(server.pid),
        }
    finally:
        server.close()


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--density", type=int, default=980, help="files a project (200 projects: 980)")
    ap.add_argument("--cache", default=os.environ.get("VENVKEEPER_BENCH_CACHE", "/tmp/venvkeeper-bench"))
    args = ap.parse_args(argv)
    compile_tree(ROOT / "server")
    rows: list[dict[str, Any]] = []
    import tempfile

    for n in (int(s) for s in args.sizes.split(",")):
        shape = Shape(
            projects=n,
            envs=n // 2,
            total_files=args.density * n,
            node_modules_files=250 * n * args.density // 980,
            git_files=100 * n * args.density // 980,
        )
        ws = Path(args.cache) / f"monorepo-{n}p-{shape.total_files}f"
        info = generate(ws, shape)
        with tempfile.TemporaryDirectory() as tmp_s:
            tmp = Path(tmp_s)
            row: dict[str, Any] = {"projects": n, "envs": shape.envs, "files": info["files"]}
            row["load_before"] = round(os.getloadavg()[0], 2)
            row["daemon"] = start_once(ws, tmp, "own-watches", client_watching=False)
            row["cli_check"] = cli_check(ROOT / "server", ws, tmp)
            row["daemon_client_watching"] = start_once(ws, tmp, "client-watching", client_watching=True)
            row["sweep_cpu_over_cli_cpu"] = (
                round(row["daemon"]["sweep_cpu_s"] / row["cli_check"]["cpu_s"], 2)
                if row["cli_check"]["cpu_s"]
                else None
            )
            row["load_after"] = round(os.getloadavg()[0], 2)
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    print(json.dumps({"density_files_per_project": args.density, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
