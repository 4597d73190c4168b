"""Creation benchmark (issue 4): env + install of 10 packages from one local wheelhouse, four ways.

(a) baseline  ``python -m venv .venv && .venv/bin/pip install --no-index --find-links WH -r requirements.txt``
(b) venvkeeper, stdlib backend (``--without-pip`` + cached pip image + one pip run)
(c) ``uv venv --seed`` + ``uv pip install -r`` run directly
(d) venvkeeper, uv backend, in-process (``create_env``)
(e) ``venvkeeper create --backend uv``, whole process: what a user runs (issue 14, goal 6)
(f) a Python process that imports the stdlib modules such a CLI needs, then runs (c): the floor of (e)

Same run, same base Python (the one venvkeeper would choose), runs interleaved, medians over ``--runs``
(the ~0.1 s uv cases run 3 back-to-back pairs per round in alternating order, to damp machine noise).
Targets: (b) >= 3x faster than (a) with a working pip afterwards; (e) <= 1.2x of (c) ((d): in-process,
for reference). The load average is recorded before and after.
The one-time pip image build (first ever creation per pip version and Python X.Y) is reported apart.

Run: PYTHONPATH=server .venv/bin/python bench/bench_create.py   (prints a table on stderr, JSON on stdout)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server"), str(ROOT / "tests")]

from support.wheelhouse import Dist, build_wheelhouse  # noqa: E402
from venvkeeper.creation.backends import UvBackend, VenvBackend, find_uv  # noqa: E402
from venvkeeper.creation.create import CreateRequest, create_env  # noqa: E402
from venvkeeper.creation.interpreters import BasePython, choose_base, find_interpreters, identify  # noqa: E402
from venvkeeper.creation.pipseed import bundled_pip_wheel  # noqa: E402
from venvkeeper.host import Host  # noqa: E402

#: 10 packages, some with dependencies between them, as a small web app's requirements would be.
DISTS = [
    Dist("webframe", "3.0", requires=["templating>=2", "routing"]),
    Dist("templating", "2.1", requires=["markupsafe-ish"]),
    Dist("markupsafe-ish", "2.1"),
    Dist("routing", "1.4"),
    Dist("dbdriver", "5.2"),
    Dist("orm", "2.0", requires=["dbdriver>=5"]),
    Dist("httpclient", "2.31", requires=["certstore", "charset-detect"]),
    Dist("certstore", "2024.2"),
    Dist("charset-detect", "3.3"),
    Dist("settings-loader", "1.0"),
]
REQUIREMENTS = "webframe\norm\nhttpclient\nsettings-loader\n"
UV_PAIRS_PER_RUN = 3
#: (f): a Python process that imports what any arguments-parsing, spawning, journaling CLI imports, then
#: runs (c)'s two commands: the floor of a Python CLI that starts uv after its imports.
_FLOOR = """
import argparse, dataclasses, json, logging, pathlib, shutil, subprocess, sys, tempfile, threading
uv, base, *index = sys.argv[1:]
subprocess.run([uv, "venv", "--seed", "--python", base, *index, ".venv"], check=True, capture_output=True)
subprocess.run([uv, "pip", "install", "--python", ".venv/bin/python", *index, "-r", "requirements.txt"],
               check=True, capture_output=True)
"""


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def children_cpu() -> float:
    """User + system CPU of the waited-for child processes so far (load barely moves it)."""
    t = os.times()
    return t.children_user + t.children_system


def run(argv: list[str], env: dict[str, str], cwd: Path) -> None:
    subprocess.run(argv, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", help="base interpreter (default: the one venvkeeper would choose)")
    parser.add_argument("--uv-only", action="store_true", help="only the uv cases (c), (d), (e)")
    parser.add_argument(
        "--compare-server",
        metavar="DIR",
        help="also run (e) with the venvkeeper of another checkout's server/ dir (before/after, same run)",
    )
    args = parser.parse_args()

    found = find_interpreters(Host())
    base: BasePython | None
    if args.python:
        base = identify(Path(args.python), "requested")
        if base is None:
            print(f"{args.python} is not usable as a base", file=sys.stderr)
            return 2
    else:
        base = choose_base(found, None, None, None).python
    uv = find_uv(Host(), None, [Path(sys.executable).parent])

    work = Path(tempfile.mkdtemp(prefix="vk-bench-create-"))
    try:
        wh = build_wheelhouse(work / "wheelhouse", DISTS)
        bundled = bundled_pip_wheel(base.path, base.major_minor, windows=os.name == "nt")
        if bundled is not None:  # uv --seed offline needs pip (+ setuptools below 3.12) from the wheelhouse
            for whl in bundled.parent.glob("*.whl"):
                shutil.copy(whl, wh)
        if base.major_minor in ("3.8", "3.9", "3.10", "3.11"):
            build_wheelhouse(wh, [Dist("wheel", "0.42.0")])  # stand-in: uv seeds `wheel` below 3.12
        index = ["--no-index", "--find-links", str(wh)]
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "VIRTUAL_ENV"))},
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_CONFIG_FILE": os.devnull,
            "UV_OFFLINE": "1",
            "UV_NO_CONFIG": "1",
            "UV_CACHE_DIR": str(work / "uv-cache"),
        }
        host = Host(environ=env, state_dir=work / "state", cache_dir=work / "vk-cache")
        n = 0

        def project() -> Path:
            nonlocal n
            n += 1
            p = work / f"p{n}"
            p.mkdir()
            (p / "requirements.txt").write_text(REQUIREMENTS)
            return p

        def baseline() -> Path:
            p = project()
            run([str(base.path), "-m", "venv", ".venv"], env, p)
            run([str(p / ".venv/bin/pip"), "install", *index, "-r", "requirements.txt"], env, p)
            return p

        def vk(backend: str) -> Callable[[], Path]:
            def go() -> Path:
                p = project()
                chosen = VenvBackend() if backend == "venv" else UvBackend(uv)  # type: ignore[arg-type]
                req = CreateRequest(p, index_options=tuple(index), tool_env=env)
                create_env(req, host=host, interpreters=[base], backend=chosen)
                return p

            return go

        def uv_direct() -> Path:
            p = project()
            run([str(uv), "venv", "--seed", "--python", str(base.path), *index, ".venv"], env, p)
            run(
                [str(uv), "pip", "install", "--python", ".venv/bin/python", *index, "-r", "requirements.txt"],
                env,
                p,
            )
            return p

        def python_floor() -> Path:
            # What any Python CLI pays before it can run uv: its start and the stdlib modules code that
            # parses arguments, spawns and journals needs; then the same two uv commands as (c).
            p = project()
            run([sys.executable, "-c", _FLOOR, str(uv), str(base.path), *index], env, p)
            return p

        cli_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}  # a user's byte code
        cli_env["XDG_STATE_HOME"] = str(work / "state")
        cli_env["XDG_CACHE_HOME"] = str(work / "vk-cache")
        cli_env["PYTHONPATH"] = str(ROOT / "server")
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "server")], env=cli_env)

        def vk_cli_of(server: Path) -> Callable[[], Path]:
            env_of = {**cli_env, "PYTHONPATH": str(server)}
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(server)], env=env_of)

            def go() -> Path:
                p = project()
                cmd = [sys.executable, "-m", "venvkeeper", "create", "--backend", "uv", "--uv", str(uv)]
                run([*cmd, "--python", str(base.path), *index, str(p)], env_of, p)
                return p

            return go

        vk_cli = vk_cli_of(ROOT / "server")

        cases: dict[str, Callable[[], Path]] = (
            {} if args.uv_only else {"a_baseline_venv_pip": baseline, "b_venvkeeper_venv": vk("venv")}
        )
        if uv is None and args.uv_only:
            print("uv not found", file=sys.stderr)
            return 2
        if uv is not None:
            cases["c_uv_direct"] = uv_direct
            cases["d_venvkeeper_uv"] = vk("uv")
            cases["e_venvkeeper_uv_cli"] = vk_cli
            cases["f_python_floor"] = python_floor
            if args.compare_server:
                cases["e0_compared_uv_cli"] = vk_cli_of(Path(args.compare_server).resolve())

        # Warm-up, not timed: builds the one-time pip image and fills uv's cache, as a second use would find.
        image_build = timed(vk("venv"))
        for fn in cases.values():
            fn()
        times: dict[str, list[float]] = {k: [] for k in cases}
        #: CPU of the processes each uv case ran (all of (c) and (e); only the tools of (d)).
        cpu: dict[str, list[float]] = {k: [] for k in cases}
        uv_pair_ratios: list[float] = []
        cli_pair_ratios: list[float] = []
        load_before = os.getloadavg()[0]
        for i in range(args.runs):
            for name in ("a_baseline_venv_pip", "b_venvkeeper_venv"):
                if name in cases:
                    times[name].append(timed(cases[name]))
            if uv is None:
                continue
            # The uv cases take ~0.1 s, so machine noise dominates: run them several times per round, as
            # back-to-back pairs in alternating order, and also report the median of the pair ratios.
            for j in range(UV_PAIRS_PER_RUN):
                uv_cases = [
                    "c_uv_direct",
                    "d_venvkeeper_uv",
                    "e_venvkeeper_uv_cli",
                    "e0_compared_uv_cli",
                    "f_python_floor",
                ]
                order = [name for name in uv_cases if name in cases][:: 1 if (i + j) % 2 == 0 else -1]
                pair: dict[str, float] = {}
                for name in order:
                    cpu0 = children_cpu()
                    pair[name] = timed(cases[name])
                    cpu[name].append(children_cpu() - cpu0)
                for name, took in pair.items():
                    times[name].append(took)
                uv_pair_ratios.append(pair["d_venvkeeper_uv"] / pair["c_uv_direct"])
                cli_pair_ratios.append(pair["e_venvkeeper_uv_cli"] / pair["c_uv_direct"])

        load_after = os.getloadavg()[0]
        med = {k: statistics.median(v) for k, v in times.items()}
        result: dict[str, object] = {
            "base_python": base.describe(),
            "runs": args.runs,
            "packages": len(DISTS),
            "median_s": {k: round(v, 3) for k, v in med.items()},
            "first_creation_with_pip_image_build_s": round(image_build, 3),
        }
        ok = True
        pip_works = None
        if not args.uv_only:
            # The fast path must leave a working pip that is the env's own.
            check = vk("venv")() / ".venv"
            pip_ok = subprocess.run(
                [str(check / "bin/python"), "-m", "pip", "--version"], capture_output=True, text=True, env=env
            )
            pip_works = pip_ok.returncode == 0 and str(check) in pip_ok.stdout
            speedup = round(med["a_baseline_venv_pip"] / med["b_venvkeeper_venv"], 2)
            result["stdlib_speedup_vs_baseline"] = speedup
            result["stdlib_pip_works"] = pip_works
            ok = speedup >= 3 and pip_works
        if uv is not None:
            result["uv_ratio_vs_direct"] = round(med["d_venvkeeper_uv"] / med["c_uv_direct"], 2)
            result["uv_median_pair_ratio"] = round(statistics.median(uv_pair_ratios), 2)
            result["uv_cli_ratio_vs_direct"] = round(med["e_venvkeeper_uv_cli"] / med["c_uv_direct"], 2)
            result["uv_cli_median_pair_ratio"] = round(statistics.median(cli_pair_ratios), 2)
            result["median_child_cpu_s"] = {k: round(statistics.median(v), 3) for k, v in cpu.items() if v}
            result["python_floor_ratio_vs_direct"] = round(med["f_python_floor"] / med["c_uv_direct"], 2)
            if args.compare_server:
                result["compared_server"] = str(Path(args.compare_server).resolve())
                result["compared_cli_ratio_vs_direct"] = round(
                    med["e0_compared_uv_cli"] / med["c_uv_direct"], 2
                )
            ok = ok and result["uv_cli_ratio_vs_direct"] <= 1.2  # type: ignore[operator]
        result["load_average"] = [round(load_before, 2), round(load_after, 2)]
        result["targets_met"] = ok

        print(f"base: {base.describe()}, {args.runs} runs, {len(DISTS)} packages", file=sys.stderr)
        for k, v in med.items():
            print(f"  {k:<22} median {v * 1000:8.0f} ms", file=sys.stderr)
        if not args.uv_only:
            print(
                f"  (b) is {result['stdlib_speedup_vs_baseline']}x faster than (a) (target >= 3x); "
                f"pip works: {pip_works}",
                file=sys.stderr,
            )
        if uv is not None:
            print(
                f"  (e) whole process takes {result['uv_cli_ratio_vs_direct']}x of (c) (target <= 1.2x); "
                f"median of {len(cli_pair_ratios)} back-to-back pair ratios: "
                f"{result['uv_cli_median_pair_ratio']}x; load {load_before:.1f} -> {load_after:.1f}",
                file=sys.stderr,
            )
            print(
                f"  (f) a Python process importing the stdlib a CLI needs, then (c)'s commands: "
                f"{result['python_floor_ratio_vs_direct']}x of (c) (the floor when uv starts after the imports)",
                file=sys.stderr,
            )
            child_cpu = result["median_child_cpu_s"]
            assert isinstance(child_cpu, dict)
            print(
                "  CPU (user + system) of the processes run: "
                + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in child_cpu.items()),
                file=sys.stderr,
            )
            if args.compare_server:
                print(
                    f"  (e) with {result['compared_server']}: {result['compared_cli_ratio_vs_direct']}x of (c)",
                    file=sys.stderr,
                )
            print(
                f"  (d) in-process takes {result['uv_ratio_vs_direct']}x of (c); median of "
                f"{len(uv_pair_ratios)} back-to-back pair ratios: {result['uv_median_pair_ratio']}x",
                file=sys.stderr,
            )
        print(
            f"  first creation ever (builds the pip image once): {image_build * 1000:.0f} ms", file=sys.stderr
        )
        print(json.dumps(result, indent=2))
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
