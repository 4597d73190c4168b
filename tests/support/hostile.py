"""Hostile workspaces for tests (issue 9), built in tmp_path.

Two families: repos that try to get their own files *executed* (trust: a committed ``.venv/bin/ls``,
a project's ``pip.py``), and files that try to *stall or exhaust* venvkeeper when read (FIFOs,
/dev/zero links, sparse 2 GB files, unreadable dirs, non-UTF-8 names, secrets). Each file-trap builder
makes one project holding one trap and returns its root; :func:`build_all` puts every trap side by
side with a normal *control* project, which must still be answered.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from support.envs import make_venv

T = TypeVar("T")

#: A hang must fail the test, not stall CI. Never used to wait for something that should happen.
SAFETY_NET_S = 30.0


def within_safety_net(fn: Callable[[], T], seconds: float = SAFETY_NET_S) -> T:
    """Run ``fn`` in a thread; fail (rather than hang) when it has not returned after ``seconds``."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still running after {seconds:.0f} s: venvkeeper hangs on this input")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


# -- execution traps (trust) ----------------------------------------------------------------------

BASE_PYTHON = Path(getattr(sys, "_base_executable", sys.executable))


def marker_script(marker: Path, label: str) -> str:
    """A POSIX shell script that records that it ran (appends ``label`` to ``marker``)."""
    return f"#!/bin/sh\necho {label} >> '{marker}'\n"


def committed_venv_repo(repo: Path, marker: Path) -> Path:
    """A repo that commits ``.venv/bin/ls`` plus a ``pyvenv.cfg`` (and a ``python`` link, so the env
    is judged "ok"): activating it in a terminal would make a plain ``ls`` run the repo's script."""
    bin_dir = repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "hostile"\nversion = "0.1"\ndependencies = []\n')
    xy = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (repo / ".venv" / "pyvenv.cfg").write_text(
        f"home = {BASE_PYTHON.parent}\ninclude-system-site-packages = false\nversion = {xy}.0\n"
    )
    os.symlink(BASE_PYTHON, bin_dir / "python")
    ls = bin_dir / "ls"
    ls.write_text(marker_script(marker, "hostile-ls"))
    ls.chmod(0o755)
    return repo


#: Modules a project can hold that would shadow the tools venvkeeper runs, if the tools imported from it.
SHADOWING_MODULES = ("venv", "pip", "ensurepip", "compileall", "sitecustomize", "usercustomize")


def tool_shadowing_project(project: Path, marker: Path) -> Path:
    """A project whose ``venv.py``, ``pip.py``, … record that they were imported (and then do nothing,
    as the issue saw: "installed requirements.txt" with nothing installed)."""
    project.mkdir(parents=True, exist_ok=True)
    for name in SHADOWING_MODULES:
        (project / f"{name}.py").write_text(
            f"with open({str(marker)!r}, 'a') as f:\n    f.write('{name}\\n')\n"
        )
    return project


# -- file traps -------------------------------------------------------------------------------------

XY = f"{sys.version_info[0]}.{sys.version_info[1]}"
TWO_GB = 2 * 1024 * 1024 * 1024
#: The uid/gid a chmod-000 case is checked as (root ignores file modes).
NOBODY = 65534


def fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    os.mkfifo(path)
    return path


def zero(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to("/dev/zero")
    return path


def sparse(path: Path, size: int = TWO_GB, head: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write(head)
        fh.truncate(size)
    return path


def site_packages(env: Path) -> Path:
    return env / "lib" / f"python{XY}" / "site-packages"


def add_dist(env: Path, name: str, version: str, *, editable_dir: Path | None = None) -> Path:
    """A minimal installed dist-info (what pip writes), optionally with a PEP 610 editable direct_url."""
    info = site_packages(env) / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text("")
    if editable_dir is not None:
        url = editable_dir.as_uri()
        (info / "direct_url.json").write_text(f'{{"url": "{url}", "dir_info": {{"editable": true}}}}')
    return info


def project(root: Path, name: str, requirements: str = "requests\n") -> Path:
    p = root / name
    p.mkdir(parents=True)
    (p / "requirements.txt").write_text(requirements)
    return p


#: Every trap project with an env requires this missing package: its finding proves the check ran to the end.
MISSING = "hostile-missing-pkg"


def project_with_env(root: Path, name: str, requirements: str = "requests\n") -> tuple[Path, Path]:
    p = project(root, name, f"{requirements}{MISSING}\n")
    env = make_venv(p / ".venv")
    add_dist(env, "requests", "2.31.0")
    return p, env


# -- the traps, one project each -------------------------------------------------------------------

Builder = Callable[[Path], Path]


def _marker(p: Path) -> None:
    """A pyproject.toml without dependencies: makes ``p`` a project without being a source itself."""
    (p / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')


def requirements_fifo(root: Path) -> Path:
    p = project(root, "req-fifo")
    _marker(p)
    fifo(p / "requirements.txt")
    return p


def requirements_zero(root: Path) -> Path:
    p = project(root, "req-zero")
    _marker(p)
    zero(p / "requirements.txt")
    return p


def requirements_sparse(root: Path) -> Path:
    p = project(root, "req-sparse")
    sparse(p / "requirements.txt", head=b"requests\n")
    return p


def pyproject_fifo(root: Path) -> Path:
    p = project(root, "pyproject-fifo")
    fifo(p / "pyproject.toml")
    return p


def python_version_fifo(root: Path) -> Path:
    p = project(root, "pyversion-fifo")
    fifo(p / ".python-version")
    return p


def python_version_zero(root: Path) -> Path:
    p = project(root, "pyversion-zero")
    zero(p / ".python-version")
    return p


def activate_fifo(root: Path) -> Path:
    p, env = project_with_env(root, "activate-fifo")
    fifo(env / "bin" / "activate")
    return p


def direct_url_fifo(root: Path) -> Path:
    p, env = project_with_env(root, "direct-url-fifo", "requests\nmylib\n")
    info = add_dist(env, "mylib", "1.0")
    fifo(info / "direct_url.json")
    return p


def direct_url_zero(root: Path) -> Path:
    p, env = project_with_env(root, "direct-url-zero", "requests\nmylib\n")
    info = add_dist(env, "mylib", "1.0")
    zero(info / "direct_url.json")
    return p


def metadata_fifo(root: Path) -> Path:
    p, env = project_with_env(root, "metadata-fifo", "requests\nodd\n")
    # A dist-info whose directory name is not well-formed makes the reader fall back to METADATA.
    info = site_packages(env) / "odd.dist-info"
    info.mkdir()
    fifo(info / "METADATA")
    return p


def egg_link_fifo(root: Path) -> Path:
    p, env = project_with_env(root, "egg-link-fifo", "requests\nlegacy\n")
    fifo(site_packages(env) / "legacy.egg-link")
    return p


def editable_setup_cfg_sparse(root: Path) -> Path:
    """An editable install whose project holds a 1 GB setup.cfg."""
    p, env = project_with_env(root, "editable-huge", "requests\n-e ./lib\n")
    lib = p / "lib"
    lib.mkdir()
    sparse(lib / "setup.cfg", 1024 * 1024 * 1024, head=b"[metadata]\nname = lib\n")
    add_dist(env, "lib", "0.1", editable_dir=lib)
    return p


def _python_is(root: Path, name: str, make: Callable[[Path], Path]) -> Path:
    p, env = project_with_env(root, name)
    for exe in ("python", "python3", f"python{XY}"):
        (env / "bin" / exe).unlink()
    make(env / "bin" / "python")
    return p


def python_fifo(root: Path) -> Path:
    return _python_is(root, "python-fifo", fifo)


def python_zero(root: Path) -> Path:
    return _python_is(root, "python-zero", zero)


def pyvenv_fifo(root: Path) -> Path:
    p, env = project_with_env(root, "pyvenv-fifo")
    fifo(env / "pyvenv.cfg")
    return p


def pyvenv_zero(root: Path) -> Path:
    p, env = project_with_env(root, "pyvenv-zero")
    zero(env / "pyvenv.cfg")
    return p


def externally_managed_fifo(root: Path) -> Path:
    """An env whose base interpreter's stdlib holds a FIFO named EXTERNALLY-MANAGED."""
    base = root / "_fakebase"
    stdlib = base / "lib" / f"python{XY}"
    stdlib.mkdir(parents=True)
    (stdlib / "os.py").write_text("")
    (base / "bin").mkdir()
    (base / "bin" / f"python{XY}").symlink_to(os.path.realpath(sys.executable))
    fifo(stdlib / "EXTERNALLY-MANAGED")
    p, env = project_with_env(root, "pep668-fifo")
    cfg = env / "pyvenv.cfg"
    lines = [
        ln for ln in cfg.read_text().splitlines() if not ln.startswith(("home", "executable", "command"))
    ]
    cfg.write_text("\n".join([f"home = {base / 'bin'}", *lines]) + "\n")
    return p


def secret_include(root: Path) -> Path:
    """``-r ${MY_TOKEN}`` (the value is a secret) and ``-r`` of a credentials file outside the workspace."""
    p = project(root, "secrets", "requests\n-r ${MY_TOKEN}\n")
    return p


def outside_credentials(root: Path, outside: Path) -> Path:
    creds = outside / "credentials"
    creds.parent.mkdir(parents=True, exist_ok=True)
    creds.write_text("[default]\naws_secret_access_key = AKIASECRETVALUE123\n")
    return project(root, "outside-include", f"requests\n-r {creds}\n")


def non_utf8_name(root: Path) -> Path:
    """A requirements file whose name is not UTF-8, holding a line that gets a finding."""
    p, _env = project_with_env(root, "non-utf8")
    name = os.fsdecode(b"requirements-\xff.txt")
    (p / name).write_text("surely-not-installed-xyz\n")
    return p


def long_name(root: Path) -> Path:
    """A ``-r`` include whose path is longer than the OS allows."""
    return project(root, "long-name", "requests\n-r " + "x" * 5000 + ".txt\n")


def unreadable_requirements_dir(root: Path) -> Path:
    p = root / "req-dir-000"
    (p / "requirements").mkdir(parents=True)
    _marker(p)
    (p / "requirements" / "base.txt").write_text("surely-not-installed-xyz\n")
    (p / "requirements").chmod(0)
    return p


def unreadable_venv(root: Path) -> Path:
    p, env = project_with_env(root, "venv-000")
    env.chmod(0)
    return p


def unreadable_venv_bin(root: Path) -> Path:
    p, env = project_with_env(root, "venv-bin-000")
    (env / "bin").chmod(0)
    return p


def control(root: Path) -> Path:
    """A normal project: its env lacks one requirement (:data:`MISSING`), its one not-installed finding."""
    p, _env = project_with_env(root, "control")
    return p


TRAPS: tuple[Builder, ...] = (
    requirements_fifo,
    requirements_zero,
    requirements_sparse,
    pyproject_fifo,
    python_version_fifo,
    python_version_zero,
    activate_fifo,
    direct_url_fifo,
    direct_url_zero,
    metadata_fifo,
    egg_link_fifo,
    editable_setup_cfg_sparse,
    python_fifo,
    python_zero,
    pyvenv_fifo,
    pyvenv_zero,
    externally_managed_fifo,
    secret_include,
    non_utf8_name,
    long_name,
    unreadable_requirements_dir,
    unreadable_venv,
    unreadable_venv_bin,
)


def build_all(root: Path, outside: Path) -> Path:
    """Every trap plus :func:`control` under ``root`` (credentials under ``outside``); returns the control."""
    root.mkdir(parents=True, exist_ok=True)
    for build in TRAPS:
        build(root)
    outside_credentials(root, outside)
    return control(root)


def open_up(path: Path) -> None:
    """Make ``path`` and every parent up to / traversable by others (so a non-root user can reach it)."""
    for p in [path, *path.parents]:
        try:
            mode = p.stat().st_mode & 0o7777
            if mode & 0o005 != 0o005:
                p.chmod(mode | 0o005)
        except OSError:
            pass


def restore_modes(root: Path) -> None:
    """Give back the modes the traps took away, so tmp_path can be cleaned."""
    for dirpath, dirnames, _files in os.walk(root):
        for d in dirnames:
            full = Path(dirpath) / d
            if not full.is_symlink():
                full.chmod(0o755)
    for p in (root / "req-dir-000" / "requirements", root / "venv-000" / ".venv"):
        if p.exists():
            p.chmod(0o755)
