"""File save → diagnostics published, over LSP (issue 3: ≤ 150 ms median; issue 14 goal 6: an editor's
``didSave`` ≤ 30 ms — it skips the debounce, which only coalesces file-system bursts).

The project has 100 requirements against an env of 300 installed distributions (the same generator as
bench_check.py). Each round appends a requirement that is not installed, then times until the server
publishes diagnostics for the file that include it:

* ``watch_only``: the file is written as `git pull` would write it — the server learns of it from its
  own file watch;
* ``editor_save``: the file is written and ``textDocument/didSave`` is sent, as an editor does.

Baseline in the same run, alternating with the rounds: VS Code's approach, which spawns the env's
interpreter with bench_check.SPAWN_SCRIPT on every save (``peer_spawn``). The load average is recorded.
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

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent / "server"), str(BENCH.parent / "tests"), str(BENCH)]

import packaging  # noqa: E402

from bench_check import SPAWN_SCRIPT, requirement_lines, write_dist  # noqa: E402
from bench_scale import child_env, compile_tree  # noqa: E402
from support.rawlsp import RawLspClient  # noqa: E402

ROUNDS = 15


def wait_for_line(client: RawLspClient, uri: str, marker: str, timeout: float = 5.0) -> float:
    deadline = time.perf_counter() + timeout
    while True:
        msg = client.wait_notification(
            "textDocument/publishDiagnostics", timeout=max(0.01, deadline - time.perf_counter())
        )
        params = msg["params"]
        if params["uri"] == uri and any(marker in d["message"] for d in params["diagnostics"]):
            return time.perf_counter()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        proj = ws / "app"
        proj.mkdir(parents=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(proj / ".venv")], check=True)
        site = next((proj / ".venv" / "lib").glob("python*/site-packages"))
        for i in range(300):
            write_dist(site, i)
        reqs = proj / "requirements.txt"
        base = "\n".join(requirement_lines()) + "\n"
        reqs.write_text(base)
        compile_tree(BENCH.parent / "server")
        env = child_env(XDG_STATE_HOME=str(Path(tmp) / "state"), PYTHONPATH=str(BENCH.parent / "server"))
        load_before = os.getloadavg()[0]
        peer = [
            str(proj / ".venv" / "bin" / "python"),
            "-c",
            SPAWN_SCRIPT,
            str(reqs),
            str(Path(packaging.__file__).parent.parent),
        ]
        client = RawLspClient([sys.executable, "-m", "venvkeeper", "serve"], env=env)
        client.initialize(ws)
        uri = reqs.as_uri()
        client.wait_notification("textDocument/publishDiagnostics", timeout=10)
        results: dict[str, list[float]] = {"watch_only": [], "editor_save": [], "peer_spawn": []}
        for i in range(ROUNDS):
            for mode in results:
                if mode == "peer_spawn":
                    t0 = time.perf_counter()
                    subprocess.run(peer, check=True, capture_output=True, env=env)
                    results[mode].append((time.perf_counter() - t0) * 1000)
                    continue
                name = f"newpkg-{mode.replace('_', '-')}-{i}"
                t0 = time.perf_counter()
                reqs.write_text(base + f"{name}>=1.0\n")
                if mode == "editor_save":
                    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
                t1 = wait_for_line(client, uri, name)
                results[mode].append((t1 - t0) * 1000)
        client.close()
    out = {f"{k}_median_ms": statistics.median(v) for k, v in results.items()}
    out.update({f"{k}_max_ms": max(v) for k, v in results.items()})
    out["editor_save_over_peer"] = round(out["editor_save_median_ms"] / out["peer_spawn_median_ms"], 3)
    out["debounce_ms_for_file_system_events"] = 100
    out["target_median_ms"] = {"watch_only": 150, "editor_save": 30}
    out["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
