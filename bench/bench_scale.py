"""Issue 14: a 200-project monorepo, a `git checkout` storm, start-up, resources — whole process, over LSP.

Each figure is measured twice in the same run: for the server in this tree and for a baseline revision
(default :data:`BASELINE_REV`, the tree before issue 14's work; ``--baseline REV``), extracted with
``git archive`` and run the same way through bench/_probe_serve.py (which logs each project
``App.refresh`` re-checks, so passes are counted identically for both).

Figures per server:
* ``initialize_ms`` / ``first_answer_ms``: spawn → ``initialize`` answered / first ``venvkeeper/interpreter``
  answer (goal 5, goal 6);
* ``startup_prompts``: ``window/showMessageRequest`` sent during start-up with ``autoCreate: prompt``
  (goal 4);
* ``sweep_cpu_s`` / ``sweep_wall_s``: CPU and wall time until the daemon goes idle after start (goal 5);
  the CLI's ``venvkeeper check`` on the same workspace is the same-run reference;
* ``threads``, ``inotify_watches``, ``rss_mb`` once idle; ``idle_cpu_s`` over ``--idle`` seconds while other
  Python processes start and stop (goal 3);
* per storm (``storm_1s``, ``storm_3s``): interpreter query p50/p99/max while the storm is written and
  processed, re-check passes per concerned project (max), and projects re-checked though only
  README.md / main.py / src changed (goals 1, 2).

CPU times and counts are the robust figures on a shared machine; wall-clock ones carry the load
(``uptime`` is recorded before and after).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Optional

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT / "tests"), str(BENCH)]

from monorepo import Shape, Storm, generate, project_dir, run_storm, storm_plan  # noqa: E402
from support.rawlsp import RawLspClient  # noqa: E402

#: The tree before issue 14's work (what "measured now" in the issue refers to).
BASELINE_REV = "4c4db23"
CLK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def child_env(**extra: str) -> dict[str, str]:
    """The environment a user's process has: no VIRTUAL_ENV, and byte code cached (a development shell's
    PYTHONDONTWRITEBYTECODE would make every start compile venvkeeper's modules, but not the
    site-packages' ones pip compiled at install — unfair to us and not what a user runs)."""
    env = dict(os.environ, **extra)
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_tree(src: Path) -> None:
    """Write the byte code of a server tree once, as ``pip install`` does, before anything is timed."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=False, env=child_env())


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def inotify_watches(pid: int) -> int:
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            n += sum(
                1
                for line in Path(f"/proc/{pid}/fdinfo/{fd}").read_text().splitlines()
                if line.startswith("inotify wd:")
            )
        except OSError:
            pass
    return n


def wait_idle(pid: int, quiet_s: float = 1.5, threshold: float = 0.03, timeout: float = 600) -> float:
    """Block until ``pid`` used less than ``threshold`` CPU seconds over ``quiet_s``; return when it
    last was busy (monotonic)."""
    deadline = time.monotonic() + timeout
    last = cpu_s(pid)
    busy_at = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = cpu_s(pid)
        if now - last < threshold:
            return busy_at
        last = now
        busy_at = time.monotonic()
    raise TimeoutError("server never went idle")


def wait_settled(
    server: Server, since: float, concerned: set[Path], quiet_s: float = 3.0, timeout: float = 300
) -> bool:
    """After a storm: wait until every concerned project was re-checked, then until nothing was for
    ``quiet_s`` (CPU idleness never comes while the query thread runs). False: some never were."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)
        probes = server.probes(since)
        if concerned <= {p for _, p in probes} and time.monotonic() - probes[-1][0] > quiet_s:
            return True
    return False


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


class Server:
    def __init__(self, src: Path, ws: Path, state: Path, log: Path) -> None:
        env = child_env(
            PYTHONPATH=os.pathsep.join([str(src), str(BENCH)]),
            XDG_STATE_HOME=str(state),
            XDG_CACHE_HOME=str(state / "cache"),
        )
        self.log = log
        self._err = log.open("wb")
        self.t_spawn = time.perf_counter()
        # The probe writes to stderr: hand RawLspClient a command whose stderr goes to our log.
        self.client = RawLspClient(
            [
                "sh",
                "-c",
                f'exec "$0" "$1" --log-level debug 2>>"{log}"',
                sys.executable,
                str(BENCH / "_probe_serve.py"),
            ],
            env=env,
        )
        self.pid = self.client.proc.pid
        self.ws = ws

    def probes(self, since: float = 0.0) -> list[tuple[float, Path]]:
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("VKPROBE refresh "):
                _, _, t, project = line.split(" ", 3)
                if float(t) >= since:
                    out.append((float(t), Path(project)))
        return out

    def query_ms(self, uri: str) -> float:
        t0 = time.perf_counter()
        self.client.request("venvkeeper/interpreter", {"uri": uri}, timeout=120)
        return (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self.client.close()
        self._err.close()


def start(server: Server) -> dict[str, Any]:
    ws = server.ws
    c = server.client
    c.request(
        "initialize",
        {
            "processId": None,
            "rootUri": ws.as_uri(),
            "workspaceFolders": [{"uri": ws.as_uri(), "name": ws.name}],
            "capabilities": {
                "window": {"workDoneProgress": True, "showMessage": {"messageActionItem": {}}},
                "workspace": {"configuration": False},
            },
            "initializationOptions": {"settings": {"autoCreate": "prompt"}},
        },
        timeout=300,
    )
    t_init = time.perf_counter()
    c.notify("initialized", {})
    uri = (project_dir(ws, 0) / "main.py").as_uri()
    c.request("venvkeeper/interpreter", {"uri": uri}, timeout=300)
    t_first = time.perf_counter()
    cpu0 = 0.0
    busy_until = wait_idle(server.pid)
    sweep_cpu = cpu_s(server.pid) - cpu0
    prompts = sum(1 for m in list(c.notifications.queue) if m.get("method") == "window/showMessageRequest")
    return {
        "initialize_ms": round((t_init - server.t_spawn) * 1000, 1),
        "first_answer_ms": round((t_first - server.t_spawn) * 1000, 1),
        "sweep_wall_s": round(busy_until - (server.t_spawn - time.perf_counter() + time.monotonic()), 2),
        "sweep_cpu_s": round(sweep_cpu, 2),
        "startup_prompts": prompts,
    }


def idle_cpu(server: Server, seconds: float) -> float:
    stop = threading.Event()

    def churn() -> None:  # other Python processes start and stop meanwhile
        while not stop.is_set():
            subprocess.run([sys.executable, "-c", "import json, email"], check=False)

    t = threading.Thread(target=churn, daemon=True)
    t.start()
    c0 = cpu_s(server.pid)
    time.sleep(seconds)
    used = cpu_s(server.pid) - c0
    stop.set()
    t.join()
    return round(used, 2)


def storm_run(server: Server, shape: Shape, storm: Storm, generation: int) -> dict[str, Any]:
    ws = server.ws
    uris = [(project_dir(ws, i) / "main.py").as_uri() for i in range(0, shape.projects, 7)]
    quiet = [server.query_ms(uris[i % len(uris)]) for i in range(50)]
    plan = storm_plan(ws, shape, storm, generation)
    concerned = {p.parent for p, _ in plan if p.name == "requirements.txt"}
    latencies: list[float] = []
    stop = threading.Event()

    def ask() -> None:
        i = 0
        while not stop.is_set():
            latencies.append(server.query_ms(uris[i % len(uris)]))
            i += 1
            time.sleep(0.01)

    t = threading.Thread(target=ask, daemon=True)
    since = time.monotonic()
    t.start()
    took = run_storm(plan, storm.seconds)
    settled = wait_settled(server, since, concerned)
    stop.set()
    t.join()
    passes = Counter(p for _, p in server.probes(since))
    spurious = [p for p in passes if p not in concerned]
    return {
        "files": len(plan),
        "all_concerned_rechecked": settled,
        "storm_s": round(took, 2),
        "quiet_query_p50_ms": round(statistics.median(quiet), 2),
        "queries": len(latencies),
        "query_p50_ms": round(pct(latencies, 0.5), 2),
        "query_p99_ms": round(pct(latencies, 0.99), 2),
        "query_max_ms": round(max(latencies), 2),
        "concerned_projects": len(concerned),
        "rechecked_projects": len(passes),
        "max_passes_per_concerned_project": max((passes[p] for p in concerned), default=0),
        "projects_with_2plus_passes": sum(1 for p in concerned if passes[p] >= 2),
        "rechecked_without_requirement_change": len(spurious),
    }


def measure(src: Path, ws: Path, shape: Shape, idle_s: float, tmp: Path, name: str) -> dict[str, Any]:
    server = Server(src, ws, tmp / f"state-{name}", tmp / f"{name}.log")
    try:
        out = start(server)
        print(json.dumps(out), file=sys.stderr, flush=True)
        out["threads"] = threads(server.pid)
        out["inotify_watches"] = inotify_watches(server.pid)
        out["rss_mb"] = round(rss_mb(server.pid), 1)
        out["idle_cpu_s"] = idle_cpu(server, idle_s)
        out["idle_window_s"] = idle_s
        out["storm_1s"] = storm_run(server, shape, Storm(seconds=1.0), generation=int(time.time()))
        out["storm_3s"] = storm_run(server, shape, Storm(seconds=3.0), generation=int(time.time()) + 1)
    finally:
        server.close()
    return out


def cli_check(src: Path, ws: Path, tmp: Path) -> dict[str, float]:
    env = child_env(PYTHONPATH=str(src), XDG_STATE_HOME=str(tmp / "state-cli"))
    t0 = time.perf_counter()
    r0 = os.times()
    subprocess.run(
        [sys.executable, "-m", "venvkeeper", "check", str(ws)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    r1 = os.times()
    return {
        "wall_s": round(time.perf_counter() - t0, 2),
        "cpu_s": round((r1.children_user - r0.children_user) + (r1.children_system - r0.children_system), 2),
    }


def extract(rev: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "server"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "server"


def ratio(a: float, b: float) -> Optional[float]:
    return round(a / b, 3) if b else None


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--envs", type=int, default=None, help="default: half the projects")
    ap.add_argument("--files", type=int, default=196_000)
    ap.add_argument("--node-modules", type=int, default=50_000)
    ap.add_argument("--git", type=int, default=20_000)
    ap.add_argument("--idle", type=float, default=20.0, help="idle-CPU window, seconds")
    ap.add_argument("--baseline", default=BASELINE_REV, help="git revision to compare with ('' = none)")
    ap.add_argument("--only-baseline", action="store_true")
    ap.add_argument("--cache", default=os.environ.get("VENVKEEPER_BENCH_CACHE", "/tmp/venvkeeper-bench"))
    args = ap.parse_args(argv)
    shape = Shape(
        projects=args.projects,
        envs=args.envs if args.envs is not None else args.projects // 2,
        total_files=args.files,
        node_modules_files=args.node_modules,
        git_files=args.git,
    )
    ws = Path(args.cache) / f"monorepo-{shape.projects}p-{shape.total_files}f"
    info = generate(ws, shape)
    result: dict[str, Any] = {"workspace": info, "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        servers: dict[str, Path] = {}
        if args.baseline:
            servers["baseline"] = extract(args.baseline, tmp / "baseline")
        if not args.only_baseline:
            servers["current"] = ROOT / "server"
        for name, src in servers.items():
            compile_tree(src)
            print(f"measuring {name} ({src})", file=sys.stderr, flush=True)
            result[name] = measure(src, ws, shape, args.idle, tmp, name)
            result[name]["cli_check"] = cli_check(src, ws, tmp)
            print(json.dumps(result[name]), file=sys.stderr, flush=True)
    result["load_after"] = os.getloadavg()
    if "baseline" in result and "current" in result:
        b, c = result["baseline"], result["current"]
        result["ratios_current_over_baseline"] = {
            "storm_1s_query_p99": ratio(c["storm_1s"]["query_p99_ms"], b["storm_1s"]["query_p99_ms"]),
            "storm_3s_query_p99": ratio(c["storm_3s"]["query_p99_ms"], b["storm_3s"]["query_p99_ms"]),
            "sweep_cpu": ratio(c["sweep_cpu_s"], b["sweep_cpu_s"]),
            "threads": ratio(c["threads"], b["threads"]),
            "first_answer": ratio(c["first_answer_ms"], b["first_answer_ms"]),
        }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
