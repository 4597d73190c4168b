"""pip is the oracle for "satisfied".

A real venv gets real packages from a local wheelhouse (pip writes the dist-info). For each
requirement line we ask pip itself — ``pip install --dry-run --report -`` against that env, offline —
whether it would install anything; a line is satisfied exactly when pip would install nothing. Our
verdict for the same line (a finding on it, or none) must agree, line by line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from support.envs import env_python, make_venv, pip_install
from venvkeeper.requirements.provider import requirement_findings

from .conftest import MakeCtx, environment

pytestmark = pytest.mark.slow

INSTALLED = ["alpha==2.0", "beta==2.1rc1", "crypto-lib==1.0", "web.kit[fast]", "gamma", "legacy-only"]

REQUIREMENT_FILES = {
    "requirements.txt": [
        "alpha",
        "alpha>=2",
        "alpha<2",
        "Alpha==2.0",
        "beta>=2",  # the installed 2.1rc1 is a pre-release: pip accepts it
        "beta==1.5",
        "crypto_lib>=1.1",
        "web.kit[fast]",
        "web-kit[secure]",  # crypto-lib 1.0 installed, the extra needs >=1.1
        "web_kit[nonexistent]",  # pip only warns about an unknown extra
        "speedup ; python_version < '3.0'",
        "old-py",
        "old-py ; sys_platform == 'nonexistent'",
        "gamma>=0.9,!=0.9",
        "legacy-only",
        "alpha @ {wh}/alpha-2.0-py3-none-any.whl",
        "alpha @ {wh}/alpha-1.0-py3-none-any.whl",
        "{whpath}/alpha-1.0-py3-none-any.whl",
        "{whpath}/alpha-2.0-py3-none-any.whl",
    ],
    # Constraints only constrain what is required. (Not "gamma": its dependency alpha violates the
    # constraint, and dependencies of dependencies are pip check's business, not this check's.)
    "requirements-constrained.txt": ["-c constraints.txt", "alpha", "beta>=2", "crypto-lib"],
}
CONSTRAINTS = "alpha<2\nold-py==1.0\ncrypto-lib>=1.0\n"


def pip_would_install(env: Path, wheelhouse: Path, req_file: Path) -> bool:
    proc = subprocess.run(
        [
            sys.executable, "-m", "pip", "--python", str(env_python(env)), "install", "--dry-run",
            "--no-index", "--find-links", str(wheelhouse), "--report", "-", "-q",
            "--disable-pip-version-check", "-r", str(req_file),
        ],
        capture_output=True,
        text=True,
        cwd=req_file.parent,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )  # fmt: skip
    if proc.returncode != 0:
        # pip cannot satisfy it from the wheelhouse: it is certainly not satisfied by the env.
        assert "No matching distribution" in proc.stderr or "Could not find" in proc.stderr, proc.stderr
        return True
    report = json.loads(proc.stdout[proc.stdout.index("{") :])
    return bool(report["install"])


def test_verdicts_agree_with_pip_line_by_line(tmp_path: Path, wheelhouse: Path, make_ctx: MakeCtx) -> None:
    project = tmp_path / "project"
    project.mkdir()
    env = make_venv(project / ".venv")
    pip_install(env, wheelhouse, INSTALLED)
    (project / "constraints.txt").write_text(CONSTRAINTS)
    subs = {"wh": wheelhouse.as_uri(), "whpath": str(wheelhouse)}
    cases: list[tuple[str, int, Path]] = []  # (file name, line, single-case file for pip)
    for name, lines in REQUIREMENT_FILES.items():
        lines = [line.format(**subs) for line in lines]
        (project / name).write_text("\n".join(lines) + "\n")
        options = [line for line in lines if line.startswith("-")]
        for number, line in enumerate(lines):
            if line.startswith("-"):
                continue
            single = project / "oracle" / f"{name}.{number}.txt"
            single.parent.mkdir(exist_ok=True)
            # The options (-c) go along; "-c constraints.txt" is relative to the file: write it alongside.
            single.write_text(
                "\n".join([*(o.replace("constraints.txt", "../constraints.txt") for o in options), line])
            )
            cases.append((name, number, single))

    with ThreadPoolExecutor(max_workers=8) as pool:
        pip_says = list(pool.map(lambda case: pip_would_install(env, wheelhouse, case[2]), cases))

    findings = requirement_findings(make_ctx(project, environment(env)))
    flagged = {(f.file.name, f.span.line) for f in findings}
    assert not [f for f in findings if f.code in ("invalid-requirement", "unknown-syntax")]
    disagreements = [
        (name, REQUIREMENT_FILES[name][number], "pip: unsatisfied" if pip else "pip: satisfied")
        for (name, number, _), pip in zip(cases, pip_says)
        if pip != ((name, number) in flagged)
    ]
    assert disagreements == [], "\n".join(map(str, disagreements))
    # The suite is only meaningful if both verdicts occur.
    assert 5 < sum(pip_says) < len(cases) - 5


def test_pyproject_dependencies_agree_with_pip(tmp_path: Path, wheelhouse: Path, make_ctx: MakeCtx) -> None:
    project = tmp_path / "project"
    project.mkdir()
    env = make_venv(project / ".venv")
    pip_install(env, wheelhouse, ["alpha==1.0", "web.kit", "speedup"])
    deps = [
        "alpha>=1,<2",
        "alpha>=2",
        "web.kit[fast]",
        "web.kit[secure]",
        "gamma",
        "beta ; python_version < '3'",
    ]
    body = ",\n".join(f'  "{d}"' for d in deps)
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\ndependencies = [\n{body}\n]\n'
    )
    singles = []
    for i, dep in enumerate(deps):
        single = project / f"dep{i}.txt"
        single.write_text(dep + "\n")
        singles.append(single)
    with ThreadPoolExecutor(max_workers=8) as pool:
        pip_says = list(pool.map(lambda f: pip_would_install(env, wheelhouse, f), singles))
    for f in singles:
        f.unlink()  # not sources of the project
    findings = requirement_findings(make_ctx(project, environment(env)))
    flagged_lines = {f.span.line for f in findings if f.file.name == "pyproject.toml"}
    ours = [(4 + i) in flagged_lines for i in range(len(deps))]
    assert ours == pip_says
    assert pip_says == [False, True, False, True, True, False]


def _other_python() -> str | None:
    """A Python >= 3.10 (pip's minimum) of another minor version than the one running the tests."""
    import glob
    import shutil

    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for minor in ("3.10", "3.12", "3.13"):
        if minor == mine:
            continue
        found = shutil.which(f"python{minor}")
        candidates = [found] if found else []
        candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{minor}*/bin/python{minor}")))
        for exe in candidates:
            ok = subprocess.run([exe, "-c", "import venv"], capture_output=True).returncode == 0
            if ok:
                return exe
    return None


def test_markers_follow_the_envs_python_and_pip_agrees(
    tmp_path: Path, wheelhouse: Path, make_ctx: MakeCtx
) -> None:
    other = _other_python()
    if other is None:
        pytest.skip("needs a second Python >= 3.10 of another minor version")
    project = tmp_path / "project"
    project.mkdir()
    env = make_venv(project / ".venv", python=other)
    pip_install(env, wheelhouse, ["alpha==1.0"])
    env_mm = environment(env).version
    assert env_mm is not None and not env_mm.startswith(f"{sys.version_info[0]}.{sys.version_info[1]}.")
    daemon = f"{sys.version_info[0]}.{sys.version_info[1]}"
    env_minor = ".".join(env_mm.split(".")[:2])
    lines = [
        f'alpha>=2 ; python_version == "{env_minor}"',  # applies to the env only: unsatisfied
        f'alpha>=2 ; python_version == "{daemon}"',  # applies to the daemon only: ignored
        f'old-py ; python_full_version == "{env_mm}"',
        f'old-py ; python_version != "{env_minor}"',
    ]
    (project / "requirements.txt").write_text("\n".join(lines) + "\n")
    singles = []
    for i, line in enumerate(lines):
        single = tmp_path / f"line{i}.txt"
        single.write_text(line + "\n")
        singles.append(single)
    with ThreadPoolExecutor(max_workers=4) as pool:
        pip_says = list(pool.map(lambda f: pip_would_install(env, wheelhouse, f), singles))
    flagged = {f.span.line for f in requirement_findings(make_ctx(project, environment(env)))}
    assert [i in flagged for i in range(len(lines))] == pip_says == [True, False, True, False]
