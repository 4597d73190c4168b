"""Base interpreter discovery on fixture trees (nothing is executed) and the choice rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from venvkeeper.creation.interpreters import (
    BasePython,
    NoSuitablePython,
    choose_base,
    default_interpreter,
    find_interpreters,
    identify,
)
from venvkeeper.host import Host

ELF = b"\x7fELF fake interpreter"


def fake_python(path: Path, *, patchlevel: str | None = None, lib: str | None = None) -> Path:
    """A binary-looking executable; optional patchlevel.h / lib/pythonX.Y/os.py in its prefix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ELF)
    path.chmod(0o755)
    prefix = path.parent if path.suffix == ".exe" else path.parent.parent
    if patchlevel:
        mm = ".".join(patchlevel.split(".")[:2])
        header_dir = prefix / "include" if path.suffix == ".exe" else prefix / "include" / f"python{mm}"
        header_dir.mkdir(parents=True, exist_ok=True)
        (header_dir / "patchlevel.h").write_text(f'#define PY_VERSION              "{patchlevel}"\n')
    if lib:
        (prefix / "lib" / f"python{lib}").mkdir(parents=True, exist_ok=True)
        (prefix / "lib" / f"python{lib}" / "os.py").write_text("")
    return path


def host_for(tmp_path: Path, path_dirs: list[Path], platform: str = "posix", **environ: str) -> Host:
    env = {"PATH": os.pathsep.join(str(p) for p in path_dirs), **environ}
    return Host(
        environ=env,
        home=tmp_path / "home",
        state_dir=tmp_path / "state",
        cache_dir=tmp_path / "cache",
        platform=platform,
    )


def versions(found: list[BasePython]) -> list[str]:
    return [p.version + ("t" if p.free_threaded else "") for p in found]


def test_posix_path_pyenv_uv_homebrew_layouts(tmp_path: Path) -> None:
    root = tmp_path / "root"
    # PATH: a python.org-style prefix where python3 is a symlink to python3.12 and patchlevel.h tells 3.12.4.
    local = root / "opt" / "py312"
    fake_python(local / "bin" / "python3.12", patchlevel="3.12.4")
    (local / "bin" / "python3").symlink_to("python3.12")
    # pyenv shims on PATH are scripts: skipped; the versions dir is read instead.
    pyenv = tmp_path / "home" / ".pyenv"
    shim = pyenv / "shims" / "python3"
    shim.parent.mkdir(parents=True)
    shim.write_text('#!/usr/bin/env bash\nexec pyenv exec python3 "$@"\n')
    shim.chmod(0o755)
    fake_python(pyenv / "versions" / "3.11.7" / "bin" / "python3.11")
    # uv-managed: stable, free-threaded and a pre-release.
    uv = tmp_path / "uvpy"
    fake_python(uv / "cpython-3.13.1-linux-x86_64-gnu" / "bin" / "python3.13")
    fake_python(uv / "cpython-3.13.1+freethreaded-linux-x86_64-gnu" / "bin" / "python3.13t")
    fake_python(uv / "cpython-3.14.0a1-linux-x86_64-gnu" / "bin" / "python3.14")
    # Homebrew (opt/python@3.10) and /usr/bin with only X.Y from the lib dir.
    fake_python(root / "usr" / "local" / "opt" / "python@3.10" / "bin" / "python3.10", patchlevel="3.10.14")
    fake_python(root / "usr" / "bin" / "python3", lib="3.9")
    # A venv's interpreter on PATH is never a base.
    venv_bin = tmp_path / "proj" / ".venv" / "bin"
    fake_python(venv_bin / "python3.12")
    (tmp_path / "proj" / ".venv" / "pyvenv.cfg").write_text("home = /x\n")

    host = host_for(tmp_path, [venv_bin, pyenv / "shims", local / "bin"], UV_PYTHON_INSTALL_DIR=str(uv))
    found = find_interpreters(host, root=root)

    assert versions(found) == ["3.14.0a1", "3.13.1", "3.13.1t", "3.12.4", "3.11.7", "3.10.14", "3.9"]
    by_version = {p.version + ("t" if p.free_threaded else ""): p for p in found}
    assert by_version["3.12.4"].path == local / "bin" / "python3.12"  # versioned name preferred over alias
    assert by_version["3.12.4"].origin == "PATH"
    assert by_version["3.11.7"].origin == "pyenv"
    assert by_version["3.13.1"].origin == "uv"
    assert by_version["3.10.14"].origin == "Homebrew"
    assert by_version["3.14.0a1"].prerelease
    assert not any(p.path.parent == venv_bin for p in found)
    assert not any("shims" in p.path.parts for p in found)


def test_default_uv_dir_and_patchlevel_prerelease(tmp_path: Path) -> None:
    uv = tmp_path / "home" / ".local" / "share" / "uv" / "python"
    fake_python(uv / "cpython-3.12.1-linux-x86_64-gnu" / "bin" / "python3.12")
    fake_python(tmp_path / "pre" / "bin" / "python3.15", patchlevel="3.15.0b2")
    found = find_interpreters(host_for(tmp_path, [tmp_path / "pre" / "bin"]), root=tmp_path / "none")
    assert versions(found) == ["3.15.0b2", "3.12.1"]
    choice = choose_base(found, None, None, None)
    assert choice.python.version == "3.12.1"
    assert choice.reason.endswith("newest found")


def test_windows_installer_layouts_and_store_alias(tmp_path: Path) -> None:
    local = tmp_path / "LocalAppData"
    fake_python(local / "Programs" / "Python" / "Python312" / "python.exe", patchlevel="3.12.1")
    fake_python(local / "Programs" / "Python" / "Python313" / "python3.13t.exe")
    fake_python(tmp_path / "ProgramFiles" / "Python311" / "python.exe")
    store = tmp_path / "LocalAppData" / "Microsoft" / "WindowsApps"
    fake_python(store / "python.exe")
    host = host_for(
        tmp_path,
        [store],
        platform="windows",
        LOCALAPPDATA=str(local),
        ProgramFiles=str(tmp_path / "ProgramFiles"),
    )
    found = find_interpreters(host, root=tmp_path / "none")
    assert versions(found) == ["3.13t", "3.12.1", "3.11"]
    assert all(p.origin == "python.org installer" for p in found)
    assert choose_base(found, None, None, None).python.version == "3.12.1"
    assert choose_base(found, None, None, "3.13t").python.free_threaded


def test_identify_rejects_scripts_and_unknown_versions(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "python3.12"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    assert identify(script, "PATH") is None
    bare = fake_python(tmp_path / "other" / "bin" / "python3")
    assert identify(bare, "PATH") is None  # no name, no lib dir, no header: version unknown


def bp(version: str, free: bool = False, path: str | None = None) -> BasePython:
    mm = ".".join(version.split(".")[:2])
    full = version if version.count(".") == 2 else None
    exe = Path(path or f"/usr/bin/python{mm}{'t' if free else ''}")
    return BasePython(path=exe, major_minor=mm, full_version=full, free_threaded=free, origin="PATH")


FOUND = [bp("3.14.0a1"), bp("3.13.1", free=True), bp("3.13.1"), bp("3.12.1"), bp("3.11.7"), bp("3.10.14")]


def test_newest_stable_satisfying_requires_python_with_reason() -> None:
    choice = choose_base(FOUND, ">=3.10", None, None)
    assert choice.python.version == "3.13.1" and not choice.python.free_threaded
    assert choice.reason == (
        "Python 3.13.1 (/usr/bin/python3.13): newest found that satisfies requires-python >=3.10"
    )
    assert choose_base(FOUND, ">=3.10,<3.12", None, None).python.version == "3.11.7"
    assert choose_base(FOUND, None, None, None, allow_prerelease=True).python.version == "3.14.0a1"


def test_python_version_file_pyenv_semantics() -> None:
    assert choose_base(FOUND, None, "3.12\n", None).python.version == "3.12.1"
    assert choose_base(FOUND, None, "3.11.7\n", None).python.version == "3.11.7"
    # Several lines: the first one that exists wins.
    choice = choose_base(FOUND, ">=3.10", "3.9\n3.10\n", None)
    assert choice.python.version == "3.10.14"
    assert ".python-version asks for 3.10" in choice.reason
    # Nothing matches: fall back to the newest, and say why.
    fallback = choose_base(FOUND, None, "3.8\n", None)
    assert fallback.python.version == "3.13.1"
    assert ".python-version asks for 3.8: not found" in fallback.reason


def test_none_satisfies_names_what_was_found() -> None:
    with pytest.raises(NoSuitablePython) as exc:
        choose_base([bp("3.11.7"), bp("3.10.14")], ">=3.12", None, None)
    assert str(exc.value) == (
        "no Python satisfies requires-python >=3.12; found: Python 3.11.7 (/usr/bin/python3.11), "
        "Python 3.10.14 (/usr/bin/python3.10)"
    )
    with pytest.raises(NoSuitablePython, match=r"Python 3\.9 was requested but not found"):
        choose_base(FOUND, None, None, "3.9")
    with pytest.raises(NoSuitablePython, match="no Python 3 interpreter was found"):
        choose_base([], ">=3.8", None, None)


# -- the user's default interpreter (issue 13 §2) ----------------------------------------------------


def test_default_interpreter_preferred_when_it_satisfies_requires_python() -> None:
    # The Flask case: pinned deps without 3.13 wheels, the user's python3 is 3.11.7.
    default = (bp("3.11.7"), "the first python3 on PATH")
    choice = choose_base(FOUND, ">=3.8", None, None, default=default)
    assert choice.python.version == "3.11.7"
    assert choice.reason == (
        "Python 3.11.7 (/usr/bin/python3.11): your default interpreter (the first python3 on PATH), "
        "which satisfies requires-python >=3.8"
    )
    # Without requires-python the default still wins over the newest.
    assert choose_base(FOUND, None, None, None, default=default).python.version == "3.11.7"
    # .python-version and an explicit choice come first.
    assert choose_base(FOUND, ">=3.8", "3.12\n", None, default=default).python.version == "3.12.1"
    assert choose_base(FOUND, ">=3.8", None, "3.10", default=default).python.version == "3.10.14"
    # A default that does not satisfy requires-python: newest suitable, and say so.
    other = choose_base(FOUND, ">=3.12", None, None, default=default)
    assert other.python.version == "3.13.1"
    assert "your default, Python 3.11.7 (/usr/bin/python3.11), does not satisfy requires-python >=3.12" in (
        other.reason
    )
    # A free-threaded or pre-release default is not taken implicitly.
    assert choose_base(FOUND, None, None, None, default=(bp("3.14.0a1"), "x")).python.version == "3.13.1"


def test_default_interpreter_is_the_first_python3_on_path(tmp_path: Path) -> None:
    first = tmp_path / "first" / "bin"
    fake_python(first / "python3.11", patchlevel="3.11.7")
    (first / "python3").symlink_to("python3.11")
    second = tmp_path / "second" / "bin"
    fake_python(second / "python3.13", patchlevel="3.13.1")
    (second / "python3").symlink_to("python3.13")
    host = host_for(tmp_path, [first, second])
    found = find_interpreters(host, root=tmp_path / "root")
    default = default_interpreter(host, found)
    assert (
        default is not None and default[0].version == "3.11.7" and default[1] == "the first python3 on PATH"
    )


def test_default_interpreter_through_pyenv_shims_reads_the_global_version(tmp_path: Path) -> None:
    pyenv = tmp_path / "home" / ".pyenv"
    shim = pyenv / "shims" / "python3"
    shim.parent.mkdir(parents=True)
    shim.write_text('#!/usr/bin/env bash\nexec pyenv exec python3 "$@"\n')  # never run
    shim.chmod(0o755)
    fake_python(pyenv / "versions" / "3.11.7" / "bin" / "python3.11")
    fake_python(pyenv / "versions" / "3.12.1" / "bin" / "python3.12")
    system = tmp_path / "usr" / "bin"
    fake_python(system / "python3.13", patchlevel="3.13.1")
    (system / "python3").symlink_to("python3.13")
    host = host_for(tmp_path, [pyenv / "shims", system])
    found = find_interpreters(host, root=tmp_path / "root")

    (pyenv / "version").write_text("3.11.7\n")
    default = default_interpreter(host, found)
    assert default is not None and default[0].version == "3.11.7"
    assert default[1] == "pyenv's global version 3.11.7"
    # pyenv shell wins over pyenv global
    shell = host_for(tmp_path, [pyenv / "shims", system], PYENV_VERSION="3.12.1")
    assert (d := default_interpreter(shell, found)) is not None and d[0].version == "3.12.1"
    # "system": the shim runs the next python3 on PATH
    (pyenv / "version").write_text("system\n")
    default = default_interpreter(host, found)
    assert default is not None and default[0].version == "3.13.1"
    # no python3 on PATH at all: pyenv's global version
    (pyenv / "version").write_text("3.12.1\n")
    bare = host_for(tmp_path, [])
    assert (d := default_interpreter(bare, found)) is not None and d[0].version == "3.12.1"
