"""Foundation benchmarks (issue 2): discovery over a 1,000-directory workspace, interpreter query
round trip over LSP, and spawn → first interpreter answer. Baselines are measured in the same run.

Run: PYTHONPATH=server:tests .venv/bin/python bench/bench_discovery.py   (or `make bench`)
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

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server"), str(ROOT / "tests")]

from support.rawlsp import RawLspClient  # noqa: E402
from venvkeeper.app import App  # noqa: E402
from venvkeeper.host import Host  # noqa: E402


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def make_workspace(root: Path, dirs: int = 1000) -> Path:
    """20 projects, each with a real --without-pip venv, in a tree of `dirs` directories."""
    ws = root / "ws"
    made = 0
    for p in range(20):
        proj = ws / f"svc{p:02d}"
        proj.mkdir(parents=True)
        (proj / "requirements.txt").write_text("requests\n")
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(proj / ".venv")], check=True)
        made += 1
        for d in range(dirs // 20 - 1):
            (proj / "src" / f"pkg{d // 10}" / f"mod{d}").mkdir(parents=True, exist_ok=True)
            made += 1
    # Things discovery must not enter, however big.
    for i in range(200):
        (ws / "node_modules" / f"dep{i}" / "lib").mkdir(parents=True)
    return ws


def count_dirs(ws: Path) -> int:
    return sum(1 for _ in os.walk(ws))


def bench_discovery(ws: Path, runs: int = 30) -> dict[str, float]:
    host = Host(environ={}, state_dir=ws.parent / "state", cache_dir=ws.parent / "cache")
    times, walk = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        app = App(host=host)
        app.set_roots([ws])
        for project in app.projects():
            app.discovery(project)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in os.walk(ws):
            pass
        walk.append(time.perf_counter() - t0)
    return {
        "projects": len(app.projects()),
        "median_ms": statistics.median(times) * 1000,
        "baseline_os_walk_median_ms": statistics.median(walk) * 1000,
    }


def bench_lsp(ws: Path, queries: int = 300, spawns: int = 7) -> dict[str, float]:
    env = dict(os.environ, XDG_STATE_HOME=str(ws.parent / "state"), PYTHONPATH=str(ROOT / "server"))
    cmd = [sys.executable, "-m", "venvkeeper", "serve"]
    target = (ws / "svc07" / "src" / "pkg1" / "mod12").as_uri()
    first_answers, python_startups = [], []
    for _ in range(spawns):
        t0 = time.perf_counter()
        client = RawLspClient(cmd, env=env)
        client.initialize(ws)
        answer = client.request("venvkeeper/interpreter", {"uri": target})
        first_answers.append(time.perf_counter() - t0)
        assert answer and answer["state"] == "ok", answer
        client.close()
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "import sys; print(sys.prefix)"], check=True, capture_output=True
        )
        python_startups.append(time.perf_counter() - t0)

    client = RawLspClient(cmd, env=env)
    client.initialize(ws)
    client.request("venvkeeper/interpreter", {"uri": target})
    rtts = []
    for _ in range(queries):
        t0 = time.perf_counter()
        client.request("venvkeeper/interpreter", {"uri": target})
        rtts.append(time.perf_counter() - t0)
    client.close()
    return {
        "interpreter_rtt_median_ms": statistics.median(rtts) * 1000,
        "interpreter_rtt_p95_ms": p95(rtts) * 1000,
        "spawn_to_first_answer_median_ms": statistics.median(first_answers) * 1000,
        "baseline_spawn_python_ask_prefix_median_ms": statistics.median(python_startups) * 1000,
    }


def bench_env_appears(root: Path, rounds: int = 7) -> dict[str, float]:
    """`python -m venv .venv` in a terminal / `rm -rf .venv` → didChangeEnvironment (target ≤ 500 ms)."""
    ws = root / "ws-live"
    proj = ws / "app"
    proj.mkdir(parents=True)
    (proj / "requirements.txt").write_text("")
    env = dict(os.environ, XDG_STATE_HOME=str(root / "state-live"), PYTHONPATH=str(ROOT / "server"))
    client = RawLspClient([sys.executable, "-m", "venvkeeper", "serve"], env=env)
    client.initialize(ws)
    client.request("venvkeeper/interpreter", {"uri": proj.as_uri()})
    created, deleted = [], []
    for _ in range(rounds):
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(proj / ".venv")], check=True)
        t0 = time.perf_counter()  # from the moment the command finished, as a user would see it
        while True:
            msg = client.wait_notification("venvkeeper/didChangeEnvironment")
            if msg["params"]["interpreter"] is not None:
                break
        created.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run(["rm", "-rf", str(proj / ".venv")], check=True)
        while True:
            msg = client.wait_notification("venvkeeper/didChangeEnvironment")
            if msg["params"]["interpreter"] is None:
                break
        deleted.append(time.perf_counter() - t0)
    client.close()
    return {
        "venv_created_to_notification_median_ms": statistics.median(created) * 1000,
        "venv_deleted_to_notification_median_ms": statistics.median(deleted) * 1000,
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(Path(tmp))
        result = {"dirs_in_workspace": count_dirs(ws)}
        result.update(bench_discovery(ws))
        result.update(bench_lsp(ws))
        result.update(bench_env_appears(Path(tmp)))
    result["targets"] = {
        "discovery_1000_dirs_ms": 50,
        "interpreter_rtt_p95_ms": 5,
        "spawn_to_first_answer_median_ms": 1000,
        "env_change_to_notification_ms": 500,
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
