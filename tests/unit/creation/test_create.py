"""Real env creation with both backends, installs from a local wheelhouse, atomicity on failure/cancel."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from support.wheelhouse import in_tree_backend_package
from venvkeeper.creation.backends import UvBackend, VenvBackend
from venvkeeper.creation.create import (
    CreateError,
    CreateRequest,
    ProgressStep,
    create_env,
    install_into_env,
    recreate_env,
    sync_env,
)
from venvkeeper.creation.interpreters import BasePython
from venvkeeper.creation.journal import Transaction
from venvkeeper.creation.plan import InstallPlan
from venvkeeper.creation.relocate import leftovers
from venvkeeper.creation.runner import Cancelled, CancelToken, CommandFailed, RunResult, run_subprocess
from venvkeeper.discovery.pyvenv import read_pyvenv_cfg
from venvkeeper.host import Host
from venvkeeper.requirements.installed import read_installed
from venvkeeper.state import StateStore

pytestmark = pytest.mark.slow


def installed(env: Path) -> dict[str, str]:
    sites = sorted(env.glob("lib*/python*/site-packages")) + sorted(env.glob("Lib/site-packages"))
    return {name: d.version for name, d in read_installed(sites).items()}


def python_of(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def assert_complete_env(env: Path, project: Path) -> None:
    cfg = read_pyvenv_cfg(env / "pyvenv.cfg")
    assert (cfg.prompt or "").strip("'\"") == project.name  # venv writes prompt = 'name'
    assert "*" in (env / ".gitignore").read_text().splitlines()
    # A working pip that is the env's own.
    out = subprocess.run([str(python_of(env)), "-m", "pip", "--version"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert str(env) in out.stdout
    pip_script = env / "bin" / "pip"
    assert pip_script.read_text().splitlines()[0] == f"#!{env}/bin/python"
    # Nothing in the env still names the temp dir it was built in, and no temp dir is left behind.
    assert [p for p in project.iterdir() if "venvkeeper-" in p.name] == []
    assert leftovers(env, env.parent / "x.venvkeeper-tmp-") == []
    activate = (env / "bin" / "activate").read_text()
    assert str(env) in activate and "venvkeeper-tmp" not in activate


def make_project(tmp_path: Path, requirements: str = "alpha==1.0\nbeta\n") -> Path:
    project = tmp_path / "myproj"
    project.mkdir()
    (project / "requirements.txt").write_text(requirements)
    return project


def test_venv_backend_creates_complete_env(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    project = make_project(tmp_path)
    steps: list[ProgressStep] = []
    state = StateStore(host.state_dir)
    result = create_env(
        CreateRequest(project, backend="venv", **offline),
        host=host,
        progress=steps.append,
        state=state,
        interpreters=[base_python],
    )
    env = project / ".venv"
    assert result.env_path == env and result.backend == "venv" and not result.replaced
    assert_complete_env(env, project)
    assert installed(env) == {"alpha": "1.0", "beta": "2.0", "gamma": "1.5", "pip": installed(env)["pip"]}
    messages = [s.message for s in steps]
    assert messages[0] == "choosing Python" and messages[-1] == "done"
    assert "installing 3 packages" in messages
    assert [s.percentage for s in steps if s.percentage is not None] == sorted(
        s.percentage for s in steps if s.percentage is not None
    )
    req = project / "requirements.txt"
    assert state.sync_record(project) == {
        "env": str(env),
        str(req.resolve()): hashlib.sha256(req.read_bytes()).hexdigest(),
    }


def test_uv_backend_creates_complete_env(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any], uv_exe: Path
) -> None:
    project = tmp_path / "uvproj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "uvproj"\nversion = "0"\ndependencies = ["alpha<2"]\n'
        '[project.optional-dependencies]\nfast = ["beta"]\n'
    )
    (project / "venv").mkdir()  # not an env: ignored, the default name stays .venv
    result = create_env(
        CreateRequest(project, backend="uv", uv_path=str(uv_exe), **offline),
        host=host,
        interpreters=[base_python],
    )
    assert result.backend == "uv" and result.plan.label == "pyproject.toml dependencies"
    env = project / ".venv"
    assert read_pyvenv_cfg(env / "pyvenv.cfg").uv is not None
    assert_complete_env(env, project)
    seeds = {"pip", "setuptools", "wheel"}  # uv --seed adds setuptools + wheel below Python 3.12
    assert {k: v for k, v in installed(env).items() if k not in seeds} == {
        "alpha": "1.0",
        "beta": "2.0",
        "gamma": "1.5",
    }


def test_keeps_the_projects_existing_env_name_on_recreate(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    project = make_project(tmp_path, "alpha==1.0\n")
    first = create_env(
        CreateRequest(project, env_path=project / "venv", backend="venv", **offline),
        host=host,
        interpreters=[base_python],
    )
    marker = first.env_path / "old-marker"
    marker.write_text("old")
    (project / "requirements.txt").write_text("alpha==2.0\n")  # recreate reinstalls what *was* installed
    result = recreate_env(
        CreateRequest(project, backend="venv", **offline), host=host, interpreters=[base_python]
    )
    assert result.env_path == project / "venv" and result.replaced
    assert not marker.exists()
    assert installed(project / "venv")["alpha"] == "1.0"
    assert not (project / ".venv").exists()
    assert_complete_env(project / "venv", project)


def test_failed_install_leaves_no_env_and_keeps_the_old_one(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    project = make_project(tmp_path, "alpha==1.0\ndoes-not-exist==1.0\n")
    with pytest.raises(CommandFailed) as exc:
        create_env(CreateRequest(project, backend="venv", **offline), host=host, interpreters=[base_python])
    assert "pip install failed" in str(exc.value)
    assert "does-not-exist" in str(exc.value)  # quotes pip's own last lines
    assert sorted(p.name for p in project.iterdir()) == ["requirements.txt"]

    (project / "requirements.txt").write_text("beta\n")
    create_env(CreateRequest(project, backend="venv", **offline), host=host, interpreters=[base_python])
    (project / ".venv" / "keep").write_text("old env")
    (project / "requirements.txt").write_text("beta\nnope-missing\n")
    with pytest.raises(CommandFailed):
        create_env(
            CreateRequest(project, backend="venv", replace=True, **offline),
            host=host,
            interpreters=[base_python],
        )
    assert (project / ".venv" / "keep").read_text() == "old env"
    assert set(installed(project / ".venv")) == {"beta", "pip"}
    assert sorted(p.name for p in project.iterdir()) == [".venv", "requirements.txt"]


def test_failed_uv_install_leaves_no_env(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any], uv_exe: Path
) -> None:
    project = make_project(tmp_path, "does-not-exist\n")
    with pytest.raises(CommandFailed, match="uv pip install failed"):
        create_env(
            CreateRequest(project, backend="uv", uv_path=str(uv_exe), **offline),
            host=host,
            interpreters=[base_python],
        )
    assert sorted(p.name for p in project.iterdir()) == ["requirements.txt"]


BLOCKING_BACKEND = """
import os, socket
def _block():
    port = int(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "port")).read())
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(str(os.getpid()).encode() + b"\\n")
    s.recv(1)  # blocks until the test lets go or the process is killed
    raise SystemExit("released")
def get_requires_for_build_wheel(config_settings=None):
    _block()
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _block()
"""


def _blocking_package(tmp_path: Path, port: int) -> Path:
    """A local package whose PEP 517 backend (in-tree, no setuptools) blocks until the test releases it."""
    pkg = in_tree_backend_package(tmp_path, "blocker", "blockbackend", BLOCKING_BACKEND)
    (pkg / "port").write_text(str(port))
    return pkg


def _process_gone(pid: int) -> bool:
    """Killed: no such process, or a zombie waiting for its new parent to reap it."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            return any(line.startswith("State:") and "Z" in line for line in fh)
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="checks the killed process through /proc")
def test_cancel_mid_install_kills_the_tool_and_keeps_the_old_env(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(120)
    pkg = _blocking_package(tmp_path, server.getsockname()[1])
    project = make_project(tmp_path, "beta\n")
    create_env(CreateRequest(project, backend="venv", **offline), host=host, interpreters=[base_python])
    (project / ".venv" / "keep").write_text("old env")

    cancel = CancelToken()
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            create_env(
                CreateRequest(
                    project,
                    backend="venv",
                    replace=True,
                    plan=InstallPlan(requirements=("beta", str(pkg))),
                    **offline,
                ),
                host=host,
                cancel=cancel,
                interpreters=[base_python],
            )
        except BaseException as exc:
            outcome["exc"] = exc
        finally:
            server.close()  # unblocks accept() if creation ended before reaching the backend

    worker = threading.Thread(target=run)
    worker.start()
    conn, _ = server.accept()  # the backend is running inside pip's build subprocess
    with conn:
        backend_pid = int(conn.makefile().readline())
        cancel.cancel()
        worker.join(60)
    assert not worker.is_alive()
    assert isinstance(outcome.get("exc"), Cancelled)
    assert _process_gone(backend_pid)
    assert (project / ".venv" / "keep").read_text() == "old env"
    assert sorted(p.name for p in project.iterdir()) == [".venv", "requirements.txt"]


def test_cancel_before_start_creates_nothing(tmp_path: Path, host: Host, base_python: BasePython) -> None:
    project = make_project(tmp_path)
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        create_env(
            CreateRequest(project, backend="venv"), host=host, cancel=cancel, interpreters=[base_python]
        )
    assert sorted(p.name for p in project.iterdir()) == ["requirements.txt"]


def test_symlinks_refused_falls_back_to_copies(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    calls: list[list[str]] = []

    def no_symlinks(argv: Sequence[str], **kwargs: Any) -> RunResult:
        calls.append(list(argv))
        if "venv" in argv and "--copies" not in argv:
            return RunResult(1, ["Error: [WinError 1314] A required privilege is not held by the client"])
        return run_subprocess(argv, **kwargs)

    project = make_project(tmp_path, "beta\n")
    create_env(
        CreateRequest(project, backend="venv", **offline),
        host=host,
        runner=no_symlinks,
        interpreters=[base_python],
    )
    venv_calls = [c for c in calls if "venv" in c]
    assert "--copies" not in venv_calls[0] and "--copies" in venv_calls[1]
    assert not (project / ".venv" / "bin" / "python").is_symlink()
    assert_complete_env(project / ".venv", project)


def test_refuses_to_overwrite(tmp_path: Path, host: Host, base_python: BasePython) -> None:
    project = make_project(tmp_path)
    (project / ".venv").mkdir()
    (project / ".venv" / "data").write_text("not an env")
    with pytest.raises(CreateError, match="is not a virtual environment"):
        create_env(
            CreateRequest(project, backend="venv", replace=True), host=host, interpreters=[base_python]
        )
    (project / "venv").mkdir()
    (project / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    with pytest.raises(CreateError, match="already exists"):
        create_env(CreateRequest(project, backend="venv"), host=host, interpreters=[base_python])


@pytest.mark.parametrize("backend_name", ["venv", "uv"])
def test_install_and_sync_into_existing_env(
    tmp_path: Path,
    host: Host,
    base_python: BasePython,
    offline: dict[str, Any],
    backend_name: str,
    uv_exe: Path,
) -> None:
    project = make_project(tmp_path, "beta\n")
    create_env(CreateRequest(project, backend="venv", **offline), host=host, interpreters=[base_python])
    env = project / ".venv"
    backend = VenvBackend() if backend_name == "venv" else UvBackend(uv_exe)
    common: dict[str, Any] = {
        "host": host,
        "backend": backend,
        "index_options": offline["index_options"],
        "tool_env": offline["tool_env"],
    }
    install_into_env(env, InstallPlan(requirements=("alpha==1.0",)), **common)
    assert installed(env)["alpha"] == "1.0"
    (project / "requirements.txt").write_text("alpha==2.0\nbeta\n")
    state = StateStore(host.state_dir)
    req = project / "requirements.txt"
    sync_env(project, env, InstallPlan(requirement_files=(req,), sources=(req,)), state=state, **common)
    assert installed(env)["alpha"] == "2.0"
    assert state.sync_record(project)[str(req.resolve())] == hashlib.sha256(req.read_bytes()).hexdigest()
    dev = project / "dev.txt"
    dev.write_text("beta\n")
    sync_env(project, env, InstallPlan(requirement_files=(dev,), sources=(dev,)), state=state, **common)
    assert set(state.sync_record(project)) == {"env", str(req.resolve()), str(dev.resolve())}


def test_pip_seeding_never_writes_into_the_shared_image(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    project = make_project(tmp_path, "beta\n")
    create_env(CreateRequest(project, backend="venv", **offline), host=host, interpreters=[base_python])
    env_record = next(
        (project / ".venv").glob("lib/python*/site-packages/pip-*.dist-info/RECORD")
    ).read_text()
    assert "bin/pip," in env_record
    images = list((host.cache_dir / "pip-images").glob(f"pip-*-py{base_python.major_minor}"))
    assert len(images) == 1
    image_info = next(images[0].glob("pip-*.dist-info"))
    assert "bin/pip," not in (image_info / "RECORD").read_text()
    assert not (image_info / "INSTALLER").exists()


def test_env_appearing_meanwhile_is_never_replaced(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    project = make_project(tmp_path, "beta\n")

    def someone_else_creates_it(argv: Sequence[str], **kwargs: Any) -> RunResult:
        if "install" in argv and not (project / ".venv").exists():
            (project / ".venv").mkdir()
            (project / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
        return run_subprocess(argv, **kwargs)

    with pytest.raises(CreateError, match="appeared while the new env was being built"):
        create_env(
            CreateRequest(project, backend="venv", **offline),
            host=host,
            runner=someone_else_creates_it,
            interpreters=[base_python],
        )
    assert (project / ".venv" / "pyvenv.cfg").read_text() == "home = /usr/bin\n"
    assert sorted(p.name for p in project.iterdir()) == [".venv", "requirements.txt"]


def test_stale_build_dirs_of_a_killed_daemon_are_removed(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    project = make_project(tmp_path, "beta\n")
    stale = project / ".venvkeeper-tmp-dead"
    (stale / ".venv").mkdir(parents=True)
    os.utime(stale, (0, 0))
    fresh = project / ".venvkeeper-tmp-live"  # an older daemon building right now (no lock, young)
    fresh.mkdir()
    killed = Transaction.begin(project, ".venv")  # this version's, killed while pip ran
    (killed.build_dir / "bin").mkdir(parents=True)
    killed.release()
    result = create_env(
        CreateRequest(project, backend="venv", **offline), host=host, interpreters=[base_python]
    )
    assert not stale.exists() and fresh.exists() and not killed.work.exists()
    assert sorted((n.path.name, n.resolved) for n in result.leftovers) == sorted(
        [(stale.name, True), (fresh.name, False), (killed.work.name, True)]
    )
