"""Fixtures for the requirement tests: a local wheelhouse, real venvs, and CheckContexts around them."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from support.envs import make_venv
from support.wheelhouse import Dist, build_wheelhouse
from venvkeeper.context import CheckContext
from venvkeeper.discovery.model import Candidate, Discovery, Environment
from venvkeeper.discovery.pyvenv import read_pyvenv_cfg
from venvkeeper.host import Host
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore

#: The packages the oracle tests install: extras, markers, pre-releases and several versions.
DISTS = [
    Dist("alpha", "1.0"),
    Dist("alpha", "2.0"),
    Dist("beta", "1.5"),
    Dist("beta", "2.1rc1"),
    Dist("gamma", "0.9", requires=["alpha>=1"]),
    Dist(
        "Web.Kit", "3.2", requires=["alpha>=1"], extras={"secure": ["crypto-lib>=1.1"], "fast": ["speedup"]}
    ),
    Dist("crypto_lib", "1.0"),
    Dist("crypto_lib", "1.2"),
    Dist("speedup", "0.1"),
    Dist("legacy-only", "1.0", requires=['alpha<2 ; python_version < "3.9"']),
    Dist("old-py", "1.0"),
]


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"), DISTS)


def environment(path: Path, state: str = "ok") -> Environment:
    """An Environment as discovery would describe it, from the env's pyvenv.cfg."""
    layout = "windows" if os.name == "nt" else "posix"
    python = path / ("Scripts/python.exe" if layout == "windows" else "bin/python")
    cfg = read_pyvenv_cfg(path / "pyvenv.cfg")
    return Environment(path=path, python=python, layout=layout, state=state, cfg=cfg)  # type: ignore[arg-type]


def fake_env(path: Path, version: str = "3.8.10") -> Environment:
    """A directory that looks like a venv of another Python (no interpreter needed: we never run it)."""
    mm = ".".join(version.split(".")[:2])
    (path / "lib" / f"python{mm}" / "site-packages").mkdir(parents=True)
    (path / "bin").mkdir()
    (path / "pyvenv.cfg").write_text(
        f"home = /opt/python{mm}/bin\ninclude-system-site-packages = false\nversion = {version}\n"
    )
    return environment(path)


def add_dist_info(
    site: Path, name: str, version: str, requires: Sequence[str] = (), extras: Sequence[str] = ()
) -> Path:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Provides-Extra: {e}" for e in extras] + [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    return info


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(
        environ={"PATH": os.environ.get("PATH", "")},
        state_dir=tmp_path / "state",
        cache_dir=tmp_path / "cache",
        home=tmp_path / "home",
    )


MakeCtx = Callable[..., CheckContext]


@pytest.fixture
def make_ctx(host: Host) -> MakeCtx:
    def make(
        project: Path, env: Environment | None, settings: Settings | None = None, h: Host | None = None
    ) -> CheckContext:
        chosen = Candidate(env=env, origin="conventional", source=".venv in the project") if env else None
        discovery = Discovery(project=project, chosen=chosen, candidates=[chosen] if chosen else [])
        real_host = h or host
        return CheckContext(
            project, discovery, settings or Settings(), real_host, StateStore(real_host.state_dir)
        )

    return make


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    return make_venv(tmp_path / "project" / ".venv")
