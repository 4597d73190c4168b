"""Create/sync an env from the project's lock: the real ``uv sync`` (lock made by the real ``uv lock``), the
pip fallback for a poetry.lock / Pipfile.lock whose tool is absent, hashes enforced, atomic on failure.

Everything runs offline from the session's local wheelhouse (conftest.py). "The tool is absent" is the
only thing arranged: the host's PATH holds no poetry/pipenv (none is installed on this machine either).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Callable

import pytest

from venvkeeper.creation.create import CreateError, CreateRequest, create_env, sync_env_from_lock
from venvkeeper.creation.interpreters import BasePython
from venvkeeper.creation.locksync import LockSync, pins_file_text, plan_lock_sync, usable
from venvkeeper.creation.plan import InstallPlan
from venvkeeper.creation.runner import Cancelled, CancelToken, CommandFailed, RunResult, run_subprocess
from venvkeeper.host import Host
from venvkeeper.requirements.check import file_digest
from venvkeeper.requirements.installed import read_installed
from venvkeeper.requirements.locks import read_lock
from venvkeeper.requirements.locks.model import LockInputs
from venvkeeper.state import StateStore

pytestmark = pytest.mark.slow

_DAEMON_DIRS = [Path(sys.executable).parent]


def installed(env: Path) -> dict[str, str]:
    sites = sorted(env.glob("lib*/python*/site-packages"))
    return {name: d.version for name, d in read_installed(sites).items()}


def no_leftovers(project: Path) -> bool:
    return not [p for p in project.iterdir() if "venvkeeper-" in p.name]


def uv_project(tmp_path: Path, uv_exe: Path, wheelhouse: Path, env: Mapping[str, str]) -> Path:
    """A uv project whose uv.lock the real ``uv lock`` writes offline from the wheelhouse."""
    project = tmp_path / "uvproj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "uvproj"\nversion = "0.1"\nrequires-python = ">=3.9"\n'
        'dependencies = ["alpha>=1", "beta"]\n'
    )
    subprocess.run(
        [str(uv_exe), "lock", "--no-index", "--find-links", str(wheelhouse)],
        cwd=project,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    return project


def old_env(
    project: Path,
    base_python: BasePython,
    host: Host,
    offline: dict[str, Any],
    *requirements: str,
    backend: str | None = None,
) -> Path:
    """The env a sync will replace: ``project``'s .venv made with ``requirements`` installed."""
    extra = {"backend": backend} if backend else {}
    plan = InstallPlan(requirements=requirements, label="old")
    create_env(CreateRequest(project, python=str(base_python.path), plan=plan, **extra, **offline), host=host)
    return project / ".venv"


def tool_env(offline: dict[str, Any]) -> dict[str, str]:
    return dict(offline["tool_env"])


def test_uv_sync_creates_the_env_the_lock_pins(
    tmp_path: Path,
    host: Host,
    uv_exe: Path,
    wheelhouse: Path,
    offline: dict[str, Any],
    base_python: BasePython,
) -> None:
    project = uv_project(tmp_path, uv_exe, wheelhouse, tool_env(offline))
    sync = plan_lock_sync(project, host, None, _DAEMON_DIRS)
    assert sync is not None and sync.uses_tool and sync.current
    assert sync.label == "uv sync" and sync.lock == project / "uv.lock"
    seen: list[Sequence[str]] = []

    def runner(argv: Sequence[str], **kwargs: Any) -> RunResult:
        seen.append(list(argv))
        return run_subprocess(argv, **kwargs)

    state = StateStore(host.state_dir)
    result = create_env(
        CreateRequest(project, python=str(base_python.path), lock_sync=sync, **offline),
        host=host,
        runner=runner,
        state=state,
    )
    env = project / ".venv"
    assert result.env_path == env and result.plan.label == "uv sync"
    got = installed(env)
    assert {k: got[k] for k in ("alpha", "beta", "gamma")} == {"alpha": "2.0", "beta": "2.0", "gamma": "1.5"}
    assert "pip" in got  # made by the create backend first: the env has pip like every env we make
    uv_sync = next(a for a in seen if a[1:2] == ["sync"])
    assert "--frozen" in uv_sync  # the lock is current
    record = state.sync_record(project)
    assert record[str((project / "uv.lock").resolve())] == file_digest(project / "uv.lock")
    assert no_leftovers(project)
    # Nothing names the build dir any more.
    assert "venvkeeper-tmp" not in (env / "bin" / "activate").read_text()


def test_uv_sync_replaces_a_drifted_env_and_a_failed_one_keeps_it(
    tmp_path: Path,
    host: Host,
    uv_exe: Path,
    wheelhouse: Path,
    offline: dict[str, Any],
    base_python: BasePython,
) -> None:
    project = uv_project(tmp_path, uv_exe, wheelhouse, tool_env(offline))
    # The env drifted: alpha 1.0 where the lock pins 2.0.
    old_env(project, base_python, host, offline, "alpha==1.0", "beta")
    env = project / ".venv"
    assert installed(env)["alpha"] == "1.0"
    sync = plan_lock_sync(project, host, None, _DAEMON_DIRS)
    assert sync is not None
    sync_env_from_lock(CreateRequest(project, **offline), sync, host=host)
    assert installed(env)["alpha"] == "2.0"

    # A lock pinning what the wheelhouse lacks: uv fails, the env is the one it was.
    before = installed(env)
    lock = project / "uv.lock"
    lock.write_text(lock.read_text().replace('version = "2.0"\nsource', 'version = "9.9"\nsource', 1))
    broken = plan_lock_sync(project, host, None, _DAEMON_DIRS)
    assert broken is not None
    with pytest.raises(CommandFailed) as err:
        sync_env_from_lock(CreateRequest(project, **offline), broken, host=host)
    assert err.value.what == "uv sync"
    assert installed(env) == before
    assert no_leftovers(project)


def test_a_cancelled_uv_sync_keeps_the_old_env(
    tmp_path: Path,
    host: Host,
    uv_exe: Path,
    wheelhouse: Path,
    offline: dict[str, Any],
    base_python: BasePython,
) -> None:
    project = uv_project(tmp_path, uv_exe, wheelhouse, tool_env(offline))
    old_env(project, base_python, host, offline, "beta")
    env = project / ".venv"
    before = installed(env)
    cancel = CancelToken()

    def runner(argv: Sequence[str], **kwargs: Any) -> RunResult:
        if argv[1:2] == ["sync"]:  # cancel the moment uv sync starts: it is killed, the swap never happens
            on_start: Callable[[int], None] | None = kwargs.pop("on_start", None)

            def started(pgid: int) -> None:
                if on_start is not None:
                    on_start(pgid)
                cancel.cancel()

            return run_subprocess(argv, on_start=started, **kwargs)
        return run_subprocess(argv, **kwargs)

    sync = plan_lock_sync(project, host, None, _DAEMON_DIRS)
    assert sync is not None
    with pytest.raises(Cancelled):
        sync_env_from_lock(CreateRequest(project, **offline), sync, host=host, runner=runner, cancel=cancel)
    assert installed(env) == before
    assert no_leftovers(project)


# -- the pip fallback ------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def poetry_project(tmp_path: Path, wheelhouse: Path, *, bad_hash: bool = False) -> Path:
    """A Poetry 2 project (imitates the layout of python-poetry/poetry's own poetry.lock)."""
    project = tmp_path / "poetryproj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "poetryproj"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n'
        'package-mode = false\n\n[tool.poetry.dependencies]\npython = "^3.9"\nalpha = "^1.0"\n'
    )

    def entry(name: str, version: str, deps: str = "") -> str:
        wheel = wheelhouse / f"{name}-{version}-py3-none-any.whl"
        digest = "sha256:" + "0" * 64 if bad_hash and name == "gamma" else _sha256(wheel)
        return (
            f'[[package]]\nname = "{name}"\nversion = "{version}"\ndescription = ""\noptional = false\n'
            f'python-versions = "*"\ngroups = ["main"]\nfiles = [\n'
            f'    {{file = "{wheel.name}", hash = "{digest}"}},\n]\n{deps}\n'
        )

    (project / "poetry.lock").write_text(
        "# This file is automatically @generated by Poetry 2.1.3 and should not be changed by hand.\n\n"
        + entry("alpha", "1.0", '\n[package.dependencies]\ngamma = ">=1"\n')
        + entry("gamma", "1.5")
        + '[metadata]\nlock-version = "2.1"\npython-versions = "^3.9"\ncontent-hash = "0"\n'
    )
    return project


def no_tools_host(host: Host, tmp_path: Path) -> Host:
    """The host with a PATH where no project tool is found (only the base Python's dir)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    return Host(
        environ={**host.environ, "PATH": str(empty)},
        state_dir=host.state_dir,
        cache_dir=host.cache_dir,
        home=host.home,
    )


def test_poetry_lock_without_poetry_installs_the_pins_with_hashes(
    tmp_path: Path, host: Host, wheelhouse: Path, offline: dict[str, Any], base_python: BasePython
) -> None:
    project = poetry_project(tmp_path, wheelhouse)
    bare = no_tools_host(host, tmp_path)
    sync = plan_lock_sync(project, bare)
    assert sync is not None and not sync.uses_tool
    assert sync.tool is not None and sync.tool.name == "poetry"
    assert sync.label == "the pins of poetry.lock"
    lock = read_lock(project / "poetry.lock", LockInputs(environment={}, hashes=True))
    text, hashed = pins_file_text(lock)
    assert hashed and "--require-hashes" in text.splitlines()
    state = StateStore(bare.state_dir)
    create_env(
        CreateRequest(project, python=str(base_python.path), backend="venv", lock_sync=sync, **offline),
        host=bare,
        state=state,
    )
    got = installed(project / ".venv")
    assert got["alpha"] == "1.0" and got["gamma"] == "1.5" and "beta" not in got
    assert str((project / "poetry.lock").resolve()) in state.sync_record(project)


def test_a_wrong_hash_installs_nothing_and_keeps_the_old_env(
    tmp_path: Path, host: Host, wheelhouse: Path, offline: dict[str, Any], base_python: BasePython
) -> None:
    project = poetry_project(tmp_path, wheelhouse, bad_hash=True)
    bare = no_tools_host(host, tmp_path)
    old_env(project, base_python, bare, offline, "beta", backend="venv")
    env = project / ".venv"
    before = installed(env)
    sync = plan_lock_sync(project, bare)
    assert sync is not None
    with pytest.raises(CommandFailed) as err:
        sync_env_from_lock(CreateRequest(project, backend="venv", **offline), sync, host=bare)
    assert "hash" in err.value.decisive.lower()
    assert installed(env) == before
    assert no_leftovers(project)


def pipenv_project(tmp_path: Path, wheelhouse: Path) -> Path:
    """A Pipfile.lock as pipenv writes it (imitates pypa/pipenv's own examples): hashes on every pin."""
    project = tmp_path / "pipenvproj"
    project.mkdir()
    (project / "Pipfile").write_text('[packages]\nalpha = "==2.0"\n\n[dev-packages]\nbeta = "*"\n')

    def pin(name: str, version: str) -> dict[str, Any]:
        wheel = wheelhouse / f"{name}-{version}-py3-none-any.whl"
        return {"hashes": [_sha256(wheel)], "version": f"=={version}", "index": "pypi"}

    lock = {
        "_meta": {
            "hash": {"sha256": "0" * 64},
            "pipfile-spec": 6,
            "requires": {},
            "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}],
        },
        "default": {"alpha": pin("alpha", "2.0"), "gamma": pin("gamma", "1.5")},
        "develop": {"beta": pin("beta", "2.0")},
    }
    (project / "Pipfile.lock").write_text(json.dumps(lock, indent=4) + "\n")
    return project


def test_pipfile_lock_without_pipenv_installs_default_and_develop(
    tmp_path: Path, host: Host, wheelhouse: Path, offline: dict[str, Any], base_python: BasePython
) -> None:
    project = pipenv_project(tmp_path, wheelhouse)
    bare = no_tools_host(host, tmp_path)
    sync = plan_lock_sync(project, bare)
    assert sync is not None and not sync.uses_tool and sync.tool is not None and sync.tool.name == "pipenv"
    assert project / "Pipfile" in sync.sources
    create_env(
        CreateRequest(project, python=str(base_python.path), backend="venv", lock_sync=sync, **offline),
        host=bare,
    )
    got = installed(project / ".venv")
    assert (got["alpha"], got["beta"], got["gamma"]) == ("2.0", "2.0", "1.5")


def test_an_unparsable_lock_installs_nothing(
    tmp_path: Path, host: Host, offline: dict[str, Any], base_python: BasePython
) -> None:
    project = tmp_path / "broken"
    project.mkdir()
    (project / "Pipfile").write_text('[packages]\nalpha = "*"\n')
    (project / "Pipfile.lock").write_text("{ not json")
    bare = no_tools_host(host, tmp_path)
    sync = plan_lock_sync(project, bare)
    assert isinstance(sync, LockSync) and not sync.current
    assert sync.problem is not None and usable(sync) is None  # a create installs the sources instead
    with pytest.raises(CreateError, match=r"Pipfile\.lock cannot be used"):
        create_env(
            CreateRequest(project, python=str(base_python.path), backend="venv", lock_sync=sync, **offline),
            host=bare,
        )
    assert not (project / ".venv").exists()
    assert no_leftovers(project)


def test_no_lock_and_no_tool_means_no_lock_sync(tmp_path: Path, host: Host) -> None:
    project = tmp_path / "plain"
    project.mkdir()
    (project / "requirements.txt").write_text("alpha\n")
    assert plan_lock_sync(project, host) is None
    (project / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n\n[tool.uv]\n')
    assert plan_lock_sync(project, no_tools_host(host, tmp_path)) is None  # uv project, no uv, no lock


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="kills real processes and follows them in /proc")
def test_sigkill_during_uv_sync_keeps_the_old_env_and_the_next_start_rolls_back(
    tmp_path: Path,
    host: Host,
    uv_exe: Path,
    wheelhouse: Path,
    offline: dict[str, Any],
    base_python: BasePython,
) -> None:
    """`venvkeeper create --sync` killed while uv sync builds the project's slow local package."""
    from support.killing import cli_env, cli_mid_build, live_members, slow_package, venvkeeper, wait_for
    from venvkeeper.creation.journal import JOURNAL, TMP_MARK

    slow = slow_package(tmp_path)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "0.1"\nrequires-python = ">=3.9"\n'
        'dependencies = ["beta", "slowpkg"]\n\n[tool.uv.sources]\nslowpkg = { path = "../slowpkg" }\n'
    )
    subprocess.run(  # static metadata: uv locks the path package without building it
        [str(uv_exe), "lock", "--no-index", "--find-links", str(wheelhouse)],
        cwd=project,
        env={**os.environ, **tool_env(offline)},
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert not (slow / "started").exists()
    old_env(project, base_python, host, offline, "beta", backend="venv")
    env = project / ".venv"
    (env / "keep").write_text("old env")
    before = installed(env)
    cli = cli_env(tmp_path, offline)
    args = ["create", "--sync", str(project), "--backend", "venv", "--python", str(base_python.path)]
    args += offline["index_options"]
    with cli_mid_build(args, cli, slow, "uv sync to start building slowpkg") as (proc, _, pgid):
        (work,) = project.glob(TMP_MARK + "*")
        journal = json.loads((work / JOURNAL).read_text())
        assert journal["phase"] == "building" and journal["pid"] == proc.pid
    wait_for("uv and the build backend to die", lambda: live_members(pgid) == [])
    assert installed(env) == before and (env / "keep").read_text() == "old env"
    out = venvkeeper(["check", str(project)], cli)
    assert "Traceback" not in out.stderr
    assert any("removed the unfinished build of .venv" in line for line in out.stdout.splitlines())
    assert installed(env) == before
    assert no_leftovers(project)


# -- how each tool is pointed at the build env: frozen from the real tools -------------------------
#
# Verified by running each real tool through sync_env_from_lock on a small real project (locked by the
# tool itself) against a local index, with the user's own variables below set against us: uv 0.13.9,
# Poetry 2.5.1 and 1.8.5, PDM 2.29.4, Pipenv 2026.10.3. In every run the tool installed exactly the
# lock's pins into the build env and nowhere else, and wrote nothing into the project (PDM's
# ``.pdm-python`` is left as it was; an editable PDM project gets pdm-backend's own ``.pdm-build/``,
# as in a terminal). Without the rows' variables: CONDA_DEFAULT_ENV=base made Poetry sync the live
# .venv in place (or the base interpreter on PATH); PDM_USE_VENV=0 made PDM fill __pypackages__ in the
# project; PIPENV_ACTIVE / PIPENV_IGNORE_VIRTUALENVS made Pipenv sync the live .venv or make its own env
# under WORKON_HOME. See locksync.TOOLS.

#: What a user's shell may hold that would send a tool elsewhere (each one seen doing so, or naming
#: another project).
HOSTILE_ENV = {
    "PATH": "/usr/bin",
    "CONDA_DEFAULT_ENV": "base",
    "PDM_USE_VENV": "0",
    "PDM_PROJECT": "/elsewhere",
    "PIPENV_ACTIVE": "1",
    "PIPENV_IGNORE_VIRTUALENVS": "1",
    "PIPENV_VENV_IN_PROJECT": "1",
    "PIPENV_PIPFILE": "/elsewhere/Pipfile",
    "UV_PROJECT": "/elsewhere",
    "POETRY_VIRTUALENVS_CREATE": "false",
    "POETRY_VIRTUALENVS_IN_PROJECT": "true",
}

B = "/p/.venvkeeper-tmp-x/.venv"  # the build env; its work dir is /p/.venvkeeper-tmp-x
W = "/p/.venvkeeper-tmp-x"
TOOL_TABLE: list[tuple[str, str, str, list[str], dict[str, str]]] = [
    # (lock, `tool --version` output, the tool, argv after the executable, the variables it gets)
    (
        "uv.lock",
        "",
        "uv",
        ["sync", "--frozen", "--color", "never", "--no-progress"],
        {"UV_PROJECT_ENVIRONMENT": B, "VIRTUAL_ENV": B},
    ),
    (
        "poetry.lock",
        "Poetry (version 2.5.1)",
        "poetry",
        ["sync", "--no-interaction", "--no-ansi"],
        {
            "VIRTUAL_ENV": B,
            "POETRY_VIRTUALENVS_CREATE": "true",
            "POETRY_VIRTUALENVS_IN_PROJECT": "false",
            "POETRY_VIRTUALENVS_PATH": f"{W}/poetry-virtualenvs",
        },
    ),
    (
        "poetry.lock",
        "Poetry (version 1.8.5)",
        "poetry",
        ["install", "--sync", "--no-interaction", "--no-ansi"],
        {
            "VIRTUAL_ENV": B,
            "POETRY_VIRTUALENVS_CREATE": "true",
            "POETRY_VIRTUALENVS_IN_PROJECT": "false",
            "POETRY_VIRTUALENVS_PATH": f"{W}/poetry-virtualenvs",
        },
    ),
    (
        "pdm.lock",
        "",
        "pdm",
        ["sync"],
        {"VIRTUAL_ENV": B, "PDM_PYTHON": f"{B}/bin/python", "PDM_USE_VENV": "1", "PDM_CHECK_UPDATE": "false"},
    ),
    (
        "Pipfile.lock",
        "",
        "pipenv",
        ["sync", "--dev"],
        {
            "VIRTUAL_ENV": B,
            "PIPENV_IGNORE_VIRTUALENVS": "0",
            "PIPENV_VENV_IN_PROJECT": "0",
            "WORKON_HOME": f"{W}/pipenv-virtualenvs",
            "PIPENV_YES": "1",
            "PIPENV_NOSPIN": "1",
            "PIPENV_VERBOSITY": "-1",
        },
    ),
]
#: Dropped for the tool: they would make it ignore VIRTUAL_ENV or sync another project.
DROPPED = {
    "uv": {"UV_PROJECT"},
    "poetry": {"CONDA_DEFAULT_ENV"},
    "pdm": {"PDM_PROJECT"},
    "pipenv": {"PIPENV_ACTIVE", "PIPENV_PIPFILE"},
}


@pytest.mark.parametrize(("lock", "version_out", "tool", "argv", "pointed"), TOOL_TABLE)
def test_each_tool_gets_the_argv_and_variables_verified_with_the_real_tool(
    host: Host, lock: str, version_out: str, tool: str, argv: list[str], pointed: dict[str, str]
) -> None:
    from venvkeeper.creation.backends import ToolContext
    from venvkeeper.creation.locksync import TOOLS, tool_argv, tool_env

    (row,) = [t for t in TOOLS if t.lock == lock]
    exe = Path("/opt/tools/bin") / tool
    sync = LockSync(
        project=Path("/p"), lock=Path("/p") / lock, tool=row, executable=exe, current=True, sources=()
    )
    asked: list[list[str]] = []

    def runner(args: Sequence[str], **kwargs: Any) -> RunResult:
        asked.append(list(args))
        return RunResult(0, [version_out], [version_out])

    ctx = ToolContext(
        host=host, runner=runner, cancel=CancelToken(), report=lambda m, p: None, env=dict(HOSTILE_ENV)
    )
    env = tool_env(sync, Path(B), ctx)
    assert tool_argv(sync, ctx, env) == [str(exe), *argv]
    assert asked == ([[str(exe), "--version", "--no-ansi"]] if tool == "poetry" else [])
    assert {k: env[k] for k in pointed} == pointed
    assert env["PYTHONSAFEPATH"] == "1"
    assert not DROPPED[tool] & env.keys()
    # Everything else the user has is passed through as it is.
    kept = set(HOSTILE_ENV) - DROPPED[tool] - set(pointed)
    assert {k: env[k] for k in kept} == {k: HOSTILE_ENV[k] for k in kept}


def test_a_tool_that_installs_elsewhere_does_not_get_its_env_swapped_in(
    tmp_path: Path, host: Host, wheelhouse: Path, offline: dict[str, Any], base_python: BasePython
) -> None:
    """What Pipenv did with PIPENV_IGNORE_VIRTUALENVS=1 (and Poetry under CONDA_DEFAULT_ENV=base):
    exit 0 after syncing another env. The stand-in "pipenv" does just that: succeeds, installs nothing."""
    project = pipenv_project(tmp_path, wheelhouse)
    tools = tmp_path / "tools-bin"
    tools.mkdir()
    fake = tools / "pipenv"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    with_tool = Host(
        environ={**host.environ, "PATH": str(tools)},
        state_dir=host.state_dir,
        cache_dir=host.cache_dir,
        home=host.home,
    )
    old_env(project, base_python, with_tool, offline, "beta", backend="venv")
    env = project / ".venv"
    before = installed(env)
    sync = plan_lock_sync(project, with_tool)
    assert sync is not None and sync.uses_tool and sync.label == "pipenv sync"
    with pytest.raises(
        CreateError, match=r"pipenv sync reported success but installed none of the 3 packages"
    ):
        sync_env_from_lock(CreateRequest(project, backend="venv", **offline), sync, host=with_tool)
    assert installed(env) == before
    assert no_leftovers(project)


# -- the real PDM and Pipenv, offline (skipped where they are not installed: not in the dev extras) --
#
# Run here with PDM 2.29.4 and Pipenv 2026.10.3 on PATH. Both read a file:// "simple" index of the
# session's wheelhouse (their own source settings), so nothing reaches the network.


def _real_tool(name: str) -> Path:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not on PATH (not in the dev extras; install it to run this test)")
    return Path(found)


def _tool_host(host: Host, tmp_path: Path, tool: Path) -> Host:
    home = tmp_path / "tool-home"
    home.mkdir()
    return Host(
        environ={"PATH": f"{tool.parent}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"},
        state_dir=host.state_dir,
        cache_dir=host.cache_dir,
        home=home,
    )


def _files(project: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(project)): p.read_bytes()
        for p in project.rglob("*")
        if p.is_file() and ".venv" not in p.relative_to(project).parts
    }


@pytest.mark.parametrize("tool_name", ["pdm", "pipenv"])
def test_real_pdm_and_pipenv_sync_the_build_env_and_leave_the_project_as_it_was(
    tmp_path: Path,
    host: Host,
    wheelhouse: Path,
    offline: dict[str, Any],
    base_python: BasePython,
    tool_name: str,
) -> None:
    from support.wheelhouse import simple_index

    tool = _real_tool(tool_name)
    index = simple_index(wheelhouse, tmp_path / "simple")
    project = tmp_path / f"{tool_name}proj"
    project.mkdir()
    th = _tool_host(host, tmp_path, tool)
    # The user's own settings against us (each made the tool sync another env before the fix).
    hostile = {"PDM_USE_VENV": "0"} if tool_name == "pdm" else {"PIPENV_IGNORE_VIRTUALENVS": "1"}
    lock_env = {**th.environ, "VIRTUALENV_NO_PERIODIC_UPDATE": "1", "PDM_CHECK_UPDATE": "false"}
    if tool_name == "pdm":
        (project / "pyproject.toml").write_text(
            '[project]\nname = "pdmproj"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
            'dependencies = ["alpha>=1"]\n\n[dependency-groups]\ndev = ["beta"]\n\n'
            f'[[tool.pdm.source]]\nname = "pypi"\nurl = "{index}"\n\n[tool.pdm]\ndistribution = false\n'
        )
        lock_env.update(PDM_PYTHON=str(base_python.path), PDM_USE_VENV="0")  # writes no .pdm-python
    else:
        (project / "Pipfile").write_text(
            f'[[source]]\nurl = "{index}"\nverify_ssl = false\nname = "local"\n\n'
            '[packages]\nalpha = ">=1"\n\n[dev-packages]\nbeta = "*"\n'
        )
        lock_env.update(
            WORKON_HOME=str(tmp_path / "lock-envs"),
            PIPENV_PYTHON=str(base_python.path),
            PIPENV_YES="1",
            PIPENV_NOSPIN="1",
        )
    subprocess.run(
        [str(tool), "lock"], cwd=project, env=lock_env, check=True, capture_output=True, timeout=300
    )
    # The old env: drifted (alpha 1.0 where the lock pins 2.0).
    old_env(project, base_python, th, offline, "alpha==1.0", backend="venv")
    env = project / ".venv"
    before = _files(project)
    user = Host(
        environ={**th.environ, **hostile}, state_dir=th.state_dir, cache_dir=th.cache_dir, home=th.home
    )
    sync = plan_lock_sync(project, user)
    assert sync is not None and sync.uses_tool and sync.executable == tool
    # The tool reads its own index settings; pip's offline switch would hide Pipenv's index from its pip.
    tool_offline = {k: v for k, v in offline["tool_env"].items() if k != "PIP_NO_INDEX"}
    sync_env_from_lock(
        CreateRequest(project, backend="venv", **{**offline, "tool_env": tool_offline}), sync, host=user
    )
    got = installed(env)
    assert {k: got.get(k) for k in ("alpha", "beta", "gamma")} == {
        "alpha": "2.0",
        "beta": "2.0",
        "gamma": "1.5",
    }
    assert _files(project) == before  # no .pdm-python, no __pypackages__, nothing rewritten
    assert not (tmp_path / "tool-home" / ".local" / "share" / "virtualenvs").exists()  # no env of its own
    assert no_leftovers(project)


def test_real_poetry_syncs_the_build_env_from_an_index_on_loopback(
    tmp_path: Path, host: Host, wheelhouse: Path, offline: dict[str, Any], base_python: BasePython
) -> None:
    """Poetry (2.5.1 here) reads no file:// index: the wheelhouse is served on 127.0.0.1 for the test.
    CONDA_DEFAULT_ENV=base is set against us (it made Poetry ignore VIRTUAL_ENV)."""
    import functools
    import http.server
    import threading

    from support.wheelhouse import simple_index

    tool = _real_tool("poetry")
    served = tmp_path / "served"
    shutil.copytree(wheelhouse, served / "wheels")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        simple_index(served / "wheels", served / "simple", files_url=f"{url}/wheels")
        project = tmp_path / "poetryproj"
        project.mkdir()
        (project / "pyproject.toml").write_text(
            '[project]\nname = "poetryproj"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
            'dependencies = ["alpha>=1"]\n\n[dependency-groups]\ndev = ["beta"]\n\n'
            "[tool.poetry]\npackage-mode = false\n\n"
            f'[[tool.poetry.source]]\nname = "local"\nurl = "{url}/simple/"\npriority = "primary"\n'
        )
        th = _tool_host(host, tmp_path, tool)
        subprocess.run(
            [str(tool), "lock", "--no-interaction"],
            cwd=project,
            env={**th.environ, "POETRY_VIRTUALENVS_CREATE": "false"},
            check=True,
            capture_output=True,
            timeout=300,
        )
        old_env(project, base_python, th, offline, "alpha==1.0", backend="venv")
        env = project / ".venv"
        before = _files(project)
        user = Host(
            environ={**th.environ, "CONDA_DEFAULT_ENV": "base"},
            state_dir=th.state_dir,
            cache_dir=th.cache_dir,
            home=th.home,
        )
        sync = plan_lock_sync(project, user)
        assert sync is not None and sync.uses_tool and sync.label == "poetry sync"
        sync_env_from_lock(CreateRequest(project, backend="venv", **offline), sync, host=user)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=60)
    got = installed(env)
    assert {k: got.get(k) for k in ("alpha", "beta", "gamma")} == {
        "alpha": "2.0",
        "beta": "2.0",
        "gamma": "1.5",
    }
    assert _files(project) == before  # no poetry.toml, nothing rewritten
    assert not (tmp_path / "tool-home" / ".cache" / "pypoetry" / "virtualenvs").exists()
    assert no_leftovers(project)
