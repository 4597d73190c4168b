"""Env health from files: base gone or upgraded, env moved or copied, no pip — on real venvs."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from support.envs import make_venv
from venvkeeper.guards.health import env_health, recorded_paths

from .conftest import BASE_XY, copy_env, env_of, fake_prefix, venv_on

HOME = Path("/nonexistent-home")


def codes(env_path: Path) -> list[str]:
    return [p.code for p in env_health(env_of(env_path), ".venv", HOME)]


def test_fresh_venv_with_pip_is_healthy(pip_venv: Path) -> None:
    assert codes(pip_venv) == []
    sources = {r.source for r in recorded_paths(env_of(pip_venv))}
    assert "VIRTUAL_ENV in bin/activate" in sources
    assert "the shebang of bin/pip" in sources


def test_env_without_pip(tmp_path: Path) -> None:
    problems = env_health(env_of(make_venv(tmp_path / ".venv")), ".venv", HOME)
    assert [p.code for p in problems] == ["env-no-pip"]
    assert "runs the global pip" in problems[0].message


def test_copied_env_names_the_original(pip_venv: Path, tmp_path: Path) -> None:
    copy = copy_env(pip_venv, tmp_path / "other" / ".venv")
    problems = env_health(env_of(copy), ".venv", HOME)
    assert [p.code for p in problems] == ["env-moved"]
    assert "was copied from" in problems[0].message and str(pip_venv) in problems[0].message


def test_moved_env_says_bad_interpreter(pip_venv: Path, tmp_path: Path) -> None:
    original = copy_env(pip_venv, tmp_path / "old" / ".venv")
    # Make the copy look like it was made at `original` (as venv would have), then move it away.
    for f in [*original.joinpath("bin").iterdir(), original / "pyvenv.cfg"]:
        if f.is_file() and not f.is_symlink():
            data = f.read_bytes()
            f.write_bytes(data.replace(str(pip_venv).encode(), str(original).encode()))
    assert codes(original) == []
    moved = tmp_path / "new" / ".venv"
    moved.parent.mkdir()
    shutil.move(str(original), str(moved))
    problems = env_health(env_of(moved), ".venv", HOME)
    assert [p.code for p in problems] == ["env-moved"]
    msg = problems[0].message
    assert "was moved from" in msg and "bad interpreter: No such file or directory" in msg
    assert "bin/activate" in msg and "shebang" in msg
    # venv writes `command` into pyvenv.cfg since Python 3.11.
    assert ("pyvenv.cfg's command" in msg) == (sys.version_info >= (3, 11))


def test_dangling_python_link(tmp_path: Path) -> None:
    prefix = fake_prefix(tmp_path / "base")
    env = venv_on(prefix, tmp_path / ".venv")
    shutil.rmtree(prefix)
    problems = env_health(env_of(env), ".venv", HOME)
    assert problems[0].code == "base-interpreter-missing"
    assert "no longer exists" in problems[0].message


def test_home_removed_but_python_is_a_copy(tmp_path: Path) -> None:
    env = make_venv(tmp_path / ".venv")
    cfg = env / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace("home = ", f"home = {tmp_path / 'gone'}/bin\n#"))
    problems = env_health(env_of(env), ".venv", HOME)
    assert problems[0].code == "base-interpreter-missing"
    assert "No module named 'encodings'" in problems[0].message


def test_base_upgraded_to_another_minor(tmp_path: Path) -> None:
    prefix = fake_prefix(tmp_path / "brew")
    env = venv_on(prefix, tmp_path / ".venv")
    # Homebrew-style upgrade: python3 now points to python3.99; python3.X is gone.
    (prefix / "bin" / f"python{BASE_XY}").unlink()
    (prefix / "bin" / "python3").unlink()
    (prefix / "bin" / "python3.99").write_bytes(b"\x7fELF")  # never run: only its name matters
    os.symlink("python3.99", prefix / "bin" / "python3")
    problems = env_health(env_of(env), ".venv", HOME)
    assert next(p.code for p in problems) == "base-version-changed"
    assert f"Python {BASE_XY}" in problems[0].message and "now Python 3.99" in problems[0].message
    assert "No module named 'encodings'" in problems[0].message


def test_windows_layout_env(tmp_path: Path) -> None:
    base = tmp_path / "Python311"
    base.mkdir()
    (base / "python.exe").write_bytes(b"MZ")
    (base / "python311.dll").write_bytes(b"MZ")
    env = tmp_path / "proj" / ".venv"
    (env / "Scripts").mkdir(parents=True)
    (env / "Lib" / "site-packages" / "pip-24.0.dist-info").mkdir(parents=True)
    (env / "Scripts" / "python.exe").write_bytes(b"MZ")
    (env / "pyvenv.cfg").write_text(f"home = {base}\nversion = 3.11.9\n")
    (env / "Scripts" / "activate.bat").write_text('@echo off\nset "VIRTUAL_ENV=C:\\Users\\me\\old\\.venv"\n')
    environment = env_of(env)
    assert environment.layout == "windows"
    problems = env_health(environment, ".venv", HOME)
    assert [p.code for p in problems] == ["env-moved"]
    assert "VIRTUAL_ENV in Scripts/activate.bat" in problems[0].message
    # Upgraded base: the DLL now says 3.13.
    (base / "python311.dll").rename(base / "python313.dll")
    assert "base-version-changed" in [p.code for p in env_health(env_of(env), ".venv", HOME)]


def test_script_with_a_system_shebang_is_not_a_move(pip_venv: Path, tmp_path: Path) -> None:
    env = copy_env(pip_venv, tmp_path / "proj" / ".venv")
    for f in [*env.joinpath("bin").iterdir(), env / "pyvenv.cfg"]:
        if f.is_file() and not f.is_symlink():
            f.write_bytes(f.read_bytes().replace(str(pip_venv).encode(), str(env).encode()))
    # A package's own script, shipped with a fixed shebang that pip did not rewrite.
    (env / "bin" / "aaa-tool").write_text(f"#!{Path(os.__file__).parent.parent.parent / 'bin' / 'python3'}\n")
    assert codes(env) == []
