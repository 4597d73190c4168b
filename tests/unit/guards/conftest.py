"""Fixtures for the guard tests: a wheelhouse, real venvs, a real user site, fake base prefixes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from support.envs import make_venv
from support.wheelhouse import Dist, build_wheelhouse
from venvkeeper.context import CheckContext
from venvkeeper.discovery.identify import identify_env
from venvkeeper.discovery.model import Candidate, Discovery, Environment
from venvkeeper.host import Host
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore

DISTS = [
    Dist("django", "4.2.7", requires=["asgiref>=3.6", "sqlparse>=0.3.1"]),
    Dist("asgiref", "3.7.2"),
    Dist("sqlparse", "0.4.4"),
    Dist("requests", "2.31.0"),
]

BASE_XY = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _base_python() -> Path:
    # The dev venv disables the user site, so `pip install --user` must run the real interpreter
    # behind it. sys._base_executable names it on 3.11+, but on older versions it is the venv's python.
    if os.name == "nt":
        return Path(sys.base_prefix) / "python.exe"
    for name in (f"python{BASE_XY}", "python3"):
        candidate = Path(sys.base_prefix) / "bin" / name
        if candidate.exists():
            return candidate
    return Path(getattr(sys, "_base_executable", sys.executable))


#: The real interpreter behind the dev venv.
BASE_PYTHON = _base_python()


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"), DISTS)


def _clean_environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONNOUSERSITE", "PYTHONHOME")}
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": "", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    env.update(extra)
    return env


def _pep668_flags() -> list[str]:
    # A distro base would refuse --user installs; tests that need a real user site then say so to pip.
    stdlib = Path(sys.base_prefix) / "lib" / f"python{BASE_XY}"
    return ["--break-system-packages"] if (stdlib / "EXTERNALLY-MANAGED").exists() else []


def pip_install_user(user_base: Path, wheelhouse: Path, reqs: Sequence[str]) -> None:
    """A real ``pip install --user`` into a user site under ``user_base`` (PYTHONUSERBASE)."""
    subprocess.run(
        [str(BASE_PYTHON), "-m", "pip", "install", "--user", "--no-index", "--find-links", str(wheelhouse),
         "-q", "--ignore-installed", *_pep668_flags(), *reqs],
        check=True, capture_output=True, env=_clean_environ(PYTHONUSERBASE=str(user_base)),
    )  # fmt: skip


def pip_install_prefix(prefix: Path, wheelhouse: Path, reqs: Sequence[str]) -> None:
    """A real ``pip install --prefix`` into a made-up "global" interpreter prefix."""
    subprocess.run(
        [str(BASE_PYTHON), "-m", "pip", "install", "--prefix", str(prefix), "--no-index", "--find-links",
         str(wheelhouse), "-q", "--no-warn-script-location", "--ignore-installed", *_pep668_flags(), *reqs],
        check=True, capture_output=True, env=_clean_environ(),
    )  # fmt: skip


def user_site_of(user_base: Path) -> Path:
    return user_base / "lib" / f"python{BASE_XY}" / "site-packages"


def fake_prefix(root: Path, xy: str = BASE_XY, *, stdlib: bool = True) -> Path:
    """A "global" interpreter prefix: bin/pythonX.Y (a link to the real base), lib/pythonX.Y/site-packages."""
    (root / "bin").mkdir(parents=True)
    os.symlink(BASE_PYTHON, root / "bin" / f"python{xy}")
    os.symlink(f"python{xy}", root / "bin" / "python3")
    lib = root / "lib" / f"python{xy}"
    (lib / "site-packages").mkdir(parents=True)
    if stdlib:
        (lib / "os.py").write_text("# stdlib landmark\n")
    return root


def venv_on(base_prefix: Path, env_path: Path, xy: str = BASE_XY, *, with_pip: bool = False) -> Path:
    """A real venv whose pyvenv.cfg names ``base_prefix`` as its base, python linked through it."""
    make_venv(env_path, with_pip=with_pip)
    cfg = env_path / "pyvenv.cfg"
    lines = [ln for ln in cfg.read_text().splitlines() if not ln.startswith(("home", "executable"))]
    lines.insert(0, f"home = {base_prefix / 'bin'}")
    cfg.write_text("\n".join(lines) + "\n")
    # Relink python (and python3) to the prefix's python3 so the env really runs through that base.
    for name in ("python", "python3", f"python{xy}"):
        link = env_path / "bin" / name
        if link.is_symlink() or link.exists():
            link.unlink()
    os.symlink(base_prefix / "bin" / "python3", env_path / "bin" / "python3")
    os.symlink("python3", env_path / "bin" / "python")
    os.symlink("python3", env_path / "bin" / f"python{xy}")
    return env_path


def env_of(path: Path) -> Environment:
    env = identify_env(path, "windows" if os.name == "nt" else "posix")
    assert env is not None, path
    return env


def host_for(tmp_path: Path, **environ: str) -> Host:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return Host(
        environ={"PATH": "", **environ},
        state_dir=tmp_path / "state",
        cache_dir=tmp_path / "cache",
        home=home,
        platform="posix",
        sys_platform="linux",
    )


def context(
    project: Path, env: Environment | None, host: Host, settings: Settings | None = None
) -> CheckContext:
    chosen = Candidate(env, "conventional", ".venv in the project") if env is not None else None
    discovery = Discovery(project, chosen, [chosen] if chosen else [])
    return CheckContext(project, discovery, settings or Settings(), host, StateStore(host.state_dir))


@pytest.fixture(scope="session")
def pip_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real venv with pip (slow to make), copied by the tests that change it."""
    return make_venv(tmp_path_factory.mktemp("pipvenv") / ".venv", with_pip=True)


def copy_env(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest
