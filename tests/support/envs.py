"""Make real virtual environments for tests: fast ones without pip, and pip installs from a wheelhouse."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def make_venv(path: Path, *, with_pip: bool = False, python: str = sys.executable) -> Path:
    """Create a real venv with ``python -m venv`` (``--without-pip`` unless asked: ~50 ms)."""
    args = [python, "-m", "venv", str(path)]
    if not with_pip:
        args.insert(3, "--without-pip")
    subprocess.run(args, check=True, capture_output=True)
    return path


def env_python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def pip_install(env: Path, wheelhouse: Path, reqs: Sequence[str], *extra: str) -> None:
    """Install ``reqs`` into ``env`` from ``wheelhouse`` only, using the test runner's pip.

    The env may have no pip of its own (``--without-pip``), so we run our pip with ``--python``
    (pip >= 22.3), which installs into that interpreter's site-packages exactly as its own pip would.
    """
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(env_python(env)),
            "install",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "--disable-pip-version-check",
            "-q",
            *extra,
            *reqs,
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": ""},
    )


BASE_HOME = str(Path(sys.executable).resolve().parent)


def fake_env(path: Path, *, windows: bool = False, version: str = "3.11.7", cfg: str | None = None) -> Path:
    """A hand-made env tree (what venv would leave), with a real interpreter link for POSIX."""
    path.mkdir(parents=True)
    text = (
        cfg
        if cfg is not None
        else f"home = {BASE_HOME}\nversion = {version}\ninclude-system-site-packages = false\n"
    )
    (path / "pyvenv.cfg").write_text(text)
    if windows:
        (path / "Scripts").mkdir()
        (path / "Scripts" / "python.exe").write_bytes(b"MZ")
        (path / "Lib" / "site-packages").mkdir(parents=True)
    else:
        (path / "bin").mkdir()
        (path / "bin" / "python").symlink_to(sys.executable)
        mm = ".".join(version.split(".")[:2])
        (path / "lib" / f"python{mm}" / "site-packages").mkdir(parents=True)
    return path
