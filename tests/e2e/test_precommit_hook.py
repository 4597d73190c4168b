"""The ``venvkeeper-check`` hook of ``.pre-commit-hooks.yaml``, run by the real pre-commit, offline.

A project repository uses a local copy of this repository as its hook repo (``repo: <path>``), exactly
as users reference it by URL. pre-commit builds the hook's env as it does for any ``language: python``
hook — a virtualenv, then ``pip install .`` of the hook repo — so the test gives pip a wheelhouse made
from the test runner's own installed distributions (tests/support/repack.py) and no index: nothing
reaches the network.

Why ``language: python`` (not ``system``): it is what pre-commit users expect from a hook repository —
``pre-commit install`` and it works, no venvkeeper on PATH needed, pinned by ``rev``. venvkeeper reads
envs without running them, so checking from pre-commit's own env is exact.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from support.envs import make_venv, pip_install
from support.repack import wheelhouse_from_installed
from support.wheelhouse import Dist, build_wheelhouse

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=git_env()
    ).stdout.strip()


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "VIRTUAL_ENV"}
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    return env


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This repository as it is on disk (uncommitted edits included), as a git repo: (path, rev)."""
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout: no hook repository to clone")
    listed = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    tracked = subprocess.run(listed, cwd=REPO_ROOT, check=True, capture_output=True, text=True).stdout.split(
        "\0"
    )
    dest = tmp_path_factory.mktemp("hook-repo")
    for name in filter(None, tracked):
        src = REPO_ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "hook repo")
    return dest, git(dest, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def offline_pip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for pre-commit: pip finds venvkeeper's deps and build backend only in a local dir."""
    runtime = [r for r in metadata.requires("venvkeeper") or () if "extra ==" not in r]
    build = ["setuptools>=61", "wheel"]  # pyproject's build-system (setuptools < 70.1 asks for wheel)
    wheels = wheelhouse_from_installed([*runtime, *build], tmp_path_factory.mktemp("hook-wheels"))
    home = tmp_path_factory.mktemp("pre-commit-home")
    env = git_env()
    env.update(
        PRE_COMMIT_HOME=str(home / "cache"),
        PIP_CONFIG_FILE=os.devnull,  # the machine's pip.conf may name indexes
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        PIP_CACHE_DIR=str(home / "pip-cache"),
        VIRTUALENV_OVERRIDE_APP_DATA=str(home / "virtualenv"),
        VIRTUALENV_NO_PERIODIC_UPDATE="1",
        XDG_STATE_HOME=str(home / "state"),
    )
    return env


def test_hook_checks_the_projects_a_commit_touches(
    tmp_path: Path, hook_repo: tuple[Path, str], offline_pip: dict[str, str]
) -> None:
    repo_path, rev = hook_repo
    wheels = build_wheelhouse(tmp_path / "wh", [Dist("alpha", "1.0"), Dist("beta", "1.0")])
    proj = tmp_path / "proj"
    app = proj / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text("alpha==1.0\n")
    make_venv(app / ".venv")
    pip_install(app / ".venv", wheels, ["alpha==1.0"])
    (proj / ".gitignore").write_text(".venv/\n")
    (proj / "README.md").write_text("hello\n")
    (proj / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {repo_path}\n"
        f"    rev: {rev}\n"
        "    hooks:\n"
        "      - id: venvkeeper-check\n"
        # stale-virtual-env too: pre-commit sets VIRTUAL_ENV to the hook's own env, which must not
        # be taken for the user's activation.
        "        args: [--severity-threshold, warning, --select, 'not-installed,version-mismatch,stale-virtual-env']\n"
    )
    git(proj, "init", "-q")
    git(proj, "add", "-A")
    git(proj, "commit", "-qm", "start", "--no-verify")
    pre_commit = [sys.executable, "-m", "pre_commit"]
    subprocess.run([*pre_commit, "install"], cwd=proj, check=True, capture_output=True, env=offline_pip)

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        git(proj, "add", "-A")
        return subprocess.run(
            ["git", "commit", "-m", message],
            cwd=proj,
            capture_output=True,
            text=True,
            env=offline_pip,
            timeout=600,
        )

    # A requirement the env lacks: the commit is refused, the finding named with its line.
    (app / "requirements.txt").write_text("alpha==1.0\nbeta>=1\n")
    refused = commit("need beta")
    out = refused.stdout + refused.stderr
    assert refused.returncode == 1, out
    assert "venvkeeper check" in out and "Failed" in out
    assert "app/requirements.txt:2:1: warning [not-installed] beta is not installed in .venv" in out
    assert "Traceback" not in out

    # Installing it into the env makes the same commit pass.
    pip_install(app / ".venv", wheels, ["beta==1.0"])
    accepted = commit("need beta")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "venvkeeper check" in accepted.stdout + accepted.stderr

    # A commit that touches no requirement source does not run the check.
    (proj / "README.md").write_text("hello again\n")
    skipped = commit("docs")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "(no files to check)Skipped" in (skipped.stdout + skipped.stderr).replace(".", "")
