"""Generate a large monorepo for the scale benchmarks (issue 14), and rewrite part of it like `git checkout`.

Default shape (issue 14's "measured now" workspace): 200 projects under ``packages/``, half of them with
a ``.venv`` (a real PEP 405 layout: ``pyvenv.cfg``, ``bin/python`` → this interpreter, a site-packages
with a few dists), a 50,000-file ``node_modules``, a 20,000-file ``.git`` and enough source files in
each project's ``src/`` to make ~196,000 files in all. Every count is a parameter (``Shape``) so the
1,000-project / 1M-file curve of goal 7 uses the same generator.

The generator is pure file writing (no venv module, no pip): a tree of this size must take seconds.
A finished tree carries a stamp file naming its shape, so repeated runs reuse it.
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
import time
from dataclasses import asdict, dataclass
from pathlib import Path

STAMP = ".monorepo-shape.json"


@dataclass(frozen=True)
class Shape:
    projects: int = 200
    envs: int = 100  # the first ``envs`` projects have a .venv
    total_files: int = 196_000
    node_modules_files: int = 50_000
    git_files: int = 20_000
    dists_per_env: int = 5
    files_per_dir: int = 100

    def source_files_per_project(self) -> int:
        rest = self.total_files - self.node_modules_files - self.git_files
        return max(4, rest // max(1, self.projects))


def project_dir(root: Path, i: int) -> Path:
    # Two levels, like real monorepos (packages/<group>/<name>), so routing is not all one flat dir.
    return root / "packages" / f"group{i % 10:02d}" / f"proj{i:04d}"


def _fill(directory: Path, count: int, prefix: str, per_dir: int, content: bytes) -> int:
    written = 0
    d = 0
    while written < count:
        sub = directory / f"d{d:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        for j in range(min(per_dir, count - written)):
            (sub / f"{prefix}{j:04d}.txt").write_bytes(content)
            written += 1
        d += 1
    return written


def _fake_env(env: Path, index: int, dists: int) -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    (env / "bin").mkdir(parents=True, exist_ok=True)
    python = env / "bin" / "python"
    if not python.exists():
        python.symlink_to(sys.executable)
    home = Path(sys.executable).resolve().parent
    base = sysconfig.get_config_var("base") or sys.base_prefix
    (env / "pyvenv.cfg").write_text(
        f"home = {home}\ninclude-system-site-packages = false\nversion = {sys.version.split()[0]}\n"
        f"executable = {Path(sys.executable).resolve()}\ncommand = {base}/bin/python -m venv {env}\n"
    )
    site = env / "lib" / f"python{version}" / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    for k in range(dists):
        info = site / f"pkg{k:03d}-1.{index % 7}.0.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: pkg{k:03d}\nVersion: 1.{index % 7}.0\n")
        (info / "INSTALLER").write_text("pip\n")


def requirements_text(i: int, dists: int, generation: int = 0) -> str:
    lines = [f"pkg{k:03d}>=1.0" for k in range(dists)]
    if generation:
        lines.append(f"# checkout generation {generation}")
    return "\n".join(lines) + "\n"


def generate(root: Path, shape: Shape = Shape()) -> dict[str, object]:
    """Create (or reuse) the monorepo at ``root``; return counts."""
    stamp = root / STAMP
    if stamp.is_file():
        try:
            saved = json.loads(stamp.read_text())
            if saved.get("shape") == asdict(shape):
                return dict(saved)
        except ValueError:
            pass
    t0 = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    files = 0
    files += _fill(
        root / "node_modules", shape.node_modules_files, "m", shape.files_per_dir, b"module.exports={}\n"
    )
    files += _fill(root / ".git" / "objects", shape.git_files, "o", shape.files_per_dir, b"x\x9c\x03\x00")
    (root / "README.md").write_text("# monorepo\n")
    per_project = shape.source_files_per_project()
    for i in range(shape.projects):
        proj = project_dir(root, i)
        proj.mkdir(parents=True, exist_ok=True)
        (proj / "requirements.txt").write_text(requirements_text(i, shape.dists_per_env))
        (proj / "README.md").write_text(f"# proj{i}\n")
        (proj / "main.py").write_text("print('hi')\n")
        files += 3
        files += _fill(proj / "src", per_project - 3, "s", shape.files_per_dir, b"x = 1\n")
        if i < shape.envs:
            _fake_env(proj / ".venv", i, shape.dists_per_env)
    info: dict[str, object] = {
        "shape": asdict(shape),
        "files": files,
        "generate_s": round(time.perf_counter() - t0, 1),
    }
    stamp.write_text(json.dumps(info))
    return info


@dataclass(frozen=True)
class Storm:
    """A `git checkout`-like rewrite: ``files`` files spread over every project, within ``seconds``.

    Each project gets the same share: its README.md and main.py (which must trigger nothing), files
    in ``src/`` (not watched at all), and — for one project in ``requirements_every`` — its
    requirements.txt (which must trigger exactly one re-check of that project).
    """

    files: int = 5_000
    seconds: float = 1.0
    requirements_every: int = 10


def storm_plan(root: Path, shape: Shape, storm: Storm, generation: int) -> list[tuple[Path, bytes]]:
    per_project = max(2, storm.files // shape.projects)
    plan: list[tuple[Path, bytes]] = []
    for i in range(shape.projects):
        proj = project_dir(root, i)
        plan.append((proj / "README.md", f"# proj{i} gen {generation}\n".encode()))
        plan.append((proj / "main.py", f"print({generation})\n".encode()))
        taken = 2
        if i % storm.requirements_every == 0:
            plan.append(
                (proj / "requirements.txt", requirements_text(i, shape.dists_per_env, generation).encode())
            )
            taken += 1
        for j in range(per_project - taken):
            plan.append(
                (
                    proj / "src" / f"d{j // shape.files_per_dir:04d}" / f"s{j % shape.files_per_dir:04d}.txt",
                    f"x = {generation}\n".encode(),
                )
            )
    # Interleave projects as git does (it writes in path order, not project by project).
    plan.sort(key=lambda item: str(item[0]))
    return plan


def run_storm(plan: list[tuple[Path, bytes]], seconds: float) -> float:
    """Write every file of ``plan``, paced to take about ``seconds``; return the real duration."""
    t0 = time.perf_counter()
    batches = 20
    size = max(1, len(plan) // batches)
    for b in range(0, len(plan), size):
        for path, data in plan[b : b + size]:
            # Written aside and renamed over the old file, as editors and git do.
            tmp = path.with_name(f".{path.name}.new")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        due = t0 + seconds * (b + size) / len(plan)
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    return time.perf_counter() - t0


def storm_projects(shape: Shape, storm: Storm) -> int:
    """How many projects a storm's requirement changes concern (what a re-check is owed to)."""
    return len(range(0, shape.projects, storm.requirements_every))


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/venvkeeper-monorepo")
    print(json.dumps(generate(target), indent=2))
