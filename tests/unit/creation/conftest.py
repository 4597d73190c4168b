"""Fixtures for real env creation: a base interpreter, a local wheelhouse, an offline tool environment."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from support.wheelhouse import Dist, build_wheelhouse
from venvkeeper.creation.backends import find_uv
from venvkeeper.creation.interpreters import BasePython, identify
from venvkeeper.creation.pipseed import bundled_pip_wheel
from venvkeeper.host import Host

DISTS = [
    Dist("alpha", "1.0", requires=["gamma>=1"]),
    Dist("beta", "2.0"),
    Dist("gamma", "1.5"),
    Dist("alpha", "2.0", requires=["gamma>=1"]),
]


@pytest.fixture(scope="session")
def base_python() -> BasePython:
    """The interpreter the test venv was made from (never the pyenv one by name)."""
    exe = Path(getattr(sys, "_base_executable", sys.executable))
    base = identify(exe, "test") or identify(
        Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}", "test"
    )
    if base is None:
        pytest.skip("the test interpreter's base Python cannot be identified from its layout")
    return base


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory, base_python: BasePython) -> Path:
    wh = build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"), DISTS)
    # uv --seed installs pip (and setuptools + wheel below Python 3.12); offline they must come from the
    # wheelhouse: the base's bundled wheels, and a stand-in "wheel" dist (no real one exists offline).
    pip_wheel = bundled_pip_wheel(base_python.path, base_python.major_minor, windows=os.name == "nt")
    if pip_wheel is not None:
        for bundled in pip_wheel.parent.glob("*.whl"):
            shutil.copy(bundled, wh)
    build_wheelhouse(wh, [Dist("wheel", "0.42.0")])
    return wh


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One cache for the session: the pip image is built once, as it would be on a user's machine.
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def host(tmp_path: Path, shared_cache: Path) -> Host:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    return Host(environ=environ, state_dir=tmp_path / "state", cache_dir=shared_cache, home=tmp_path / "home")


@pytest.fixture
def offline(wheelhouse: Path, shared_cache: Path) -> dict[str, object]:
    """CreateRequest fields that keep pip and uv off the network."""
    return {
        "index_options": ("--no-index", "--find-links", str(wheelhouse)),
        "tool_env": {
            "PIP_NO_INDEX": "1",
            "PIP_CONFIG_FILE": os.devnull,
            "UV_OFFLINE": "1",
            "UV_NO_CONFIG": "1",
            "UV_CACHE_DIR": str(shared_cache / "uv"),
            "UV_PYTHON_DOWNLOADS": "never",
        },
    }


@pytest.fixture(scope="session")
def uv_exe() -> Path:
    uv = find_uv(Host(), None, [Path(sys.executable).parent])
    if uv is None:
        pytest.skip("uv is not installed")
    return uv
