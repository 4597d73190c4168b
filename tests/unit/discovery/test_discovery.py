"""Discovery on fixture trees: real venvs, hand-made POSIX and Windows layouts, broken and hostile input."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from support.envs import fake_env, make_venv
from venvkeeper.app import App
from venvkeeper.discovery.discover import discover
from venvkeeper.discovery.identify import identify_env
from venvkeeper.discovery.locators import LocateContext
from venvkeeper.discovery.projects import find_projects, nearest_project
from venvkeeper.host import Host
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore


def ctx(tmp_path: Path, virtual_env: str | None = None, layout: str = "posix") -> LocateContext:
    return LocateContext(state=StateStore(tmp_path / "state"), virtual_env=virtual_env, prefer_layout=layout)


def project(tmp_path: Path, name: str = "proj") -> Path:
    p = tmp_path / name
    p.mkdir(parents=True, exist_ok=True)
    (p / "requirements.txt").write_text("")
    return p


def test_real_venv_is_ok(tmp_path):
    p = project(tmp_path)
    make_venv(p / ".venv")
    d = discover(p, ctx(tmp_path))
    assert d.chosen is not None
    env = d.chosen.env
    assert env.state == "ok" and env.kind == "venv"
    assert env.python == p / ".venv" / "bin" / "python"
    assert env.version == ".".join(map(str, sys.version_info[:3]))
    assert env.site_packages() == [
        p / ".venv" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    ]
    assert d.chosen.source == ".venv in the project"


def test_windows_layout(tmp_path):
    p = project(tmp_path)
    fake_env(p / ".venv", windows=True)
    env = identify_env(p / ".venv", "windows")
    assert env is not None
    assert env.layout == "windows"
    assert env.python == p / ".venv" / "Scripts" / "python.exe"
    assert env.site_packages() == [p / ".venv" / "Lib" / "site-packages"]


def test_order_conventional_then_children_and_reasons(tmp_path):
    p = project(tmp_path)
    fake_env(p / "venv")
    fake_env(p / ".venv")
    fake_env(p / "zzz-env")
    fake_env(p / "env")
    d = discover(p, ctx(tmp_path))
    names = [c.env.name for c in d.candidates]
    assert names == [".venv", "venv", "env", "zzz-env"]
    assert d.chosen is not None and d.chosen.env.name == ".venv"
    assert all(c.rejected and ".venv comes first" in c.rejected for c in d.candidates[1:])
    assert d.candidates[3].source == "zzz-env/ in the project holds a pyvenv.cfg"


def test_legacy_venv_file_points_elsewhere(tmp_path):
    p = project(tmp_path)
    target = fake_env(tmp_path / "envs" / "proj-311")
    (p / ".venv").write_text("../envs/proj-311\n")
    fake_env(p / "venv")
    d = discover(p, ctx(tmp_path))
    assert d.chosen is not None
    assert d.chosen.origin == "venv-file"
    assert d.chosen.env.path == target
    assert d.chosen.source == f".venv file points to {target}"


def test_legacy_venv_file_pointing_nowhere_loses_to_a_working_env(tmp_path):
    p = project(tmp_path)
    (p / ".venv").write_text("/does/not/exist\n")
    fake_env(p / "venv")
    d = discover(p, ctx(tmp_path))
    assert d.chosen is not None and d.chosen.env.name == "venv"
    rejected = d.candidates[1]
    assert (
        rejected.origin == "venv-file"
        and rejected.rejected
        and "not a virtual environment" in rejected.rejected
    )


def test_selection_wins_and_persists(tmp_path):
    p = project(tmp_path)
    fake_env(p / ".venv")
    other = fake_env(p / "other")
    state = StateStore(tmp_path / "state")
    state.set_selection(p, other)
    d = discover(p, LocateContext(state=StateStore(tmp_path / "state"), virtual_env=None))
    assert d.chosen is not None and d.chosen.env.path == other and d.chosen.source == "explicitly selected"
    assert [c.env.name for c in d.candidates] == ["other", ".venv"]


def test_virtual_env_inside_and_elsewhere(tmp_path):
    p = project(tmp_path)
    inner = fake_env(p / "envs" / "dev")  # not a direct child: only VIRTUAL_ENV finds it
    d = discover(p, ctx(tmp_path, virtual_env=str(inner)))
    assert d.chosen is not None and d.chosen.origin == "activated" and d.chosen.env.path == inner

    other = fake_env(tmp_path / "other" / ".venv")
    fake_env(p / ".venv")
    d = discover(p, ctx(tmp_path, virtual_env=str(other)))
    assert d.chosen is not None and d.chosen.env.name == ".venv"
    elsewhere = [c for c in d.candidates if c.activated_elsewhere]
    assert len(elsewhere) == 1 and elsewhere[0].rejected and "activated elsewhere" in elsewhere[0].rejected


def test_dangling_interpreter_link(tmp_path):
    p = project(tmp_path)
    env = fake_env(p / ".venv")
    (env / "bin" / "python").unlink()
    (env / "bin" / "python").symlink_to("/opt/gone/python3.10")
    found = identify_env(env)
    assert found is not None and found.state == "broken"
    assert found.problem and "broken symlink to /opt/gone/python3.10" in found.problem


def test_symlink_loop_interpreter(tmp_path):
    p = project(tmp_path)
    env = fake_env(p / ".venv")
    (env / "bin" / "python").unlink()
    os.symlink("python", env / "bin" / "python")
    found = identify_env(env)
    assert found is not None and found.state == "broken" and found.problem


def test_missing_home_key_and_missing_home_dir(tmp_path):
    p = project(tmp_path)
    no_key = fake_env(p / "a", cfg="version = 3.11.7\n")
    gone = fake_env(p / "b", cfg="home = /nonexistent/python/bin\nversion = 3.11.7\n")
    a, b = identify_env(no_key), identify_env(gone)
    assert a is not None and a.problem and "no 'home' key" in a.problem
    assert (
        b is not None
        and b.problem
        and "/nonexistent/python/bin" in b.problem
        and "no longer exists" in b.problem
    )


@pytest.mark.parametrize("content", [b"", b"\x00\xff" * 100, b"garbage without equals\n", b"k = v\n" * 20000])
def test_garbage_empty_binary_huge_cfg_is_broken_with_reason(tmp_path, content):
    p = project(tmp_path)
    env = fake_env(p / ".venv")
    (env / "pyvenv.cfg").write_bytes(content)
    d = discover(p, ctx(tmp_path))
    assert d.chosen is not None and d.chosen.env.state == "broken"
    assert d.chosen.env.problem and "pyvenv.cfg" in d.chosen.env.problem


def test_broken_env_is_chosen_only_when_nothing_works(tmp_path):
    p = project(tmp_path)
    broken = fake_env(p / ".venv")
    (broken / "pyvenv.cfg").write_text("")
    d = discover(p, ctx(tmp_path))
    assert d.chosen is not None and d.chosen.env.state == "broken"
    fake_env(p / "venv")
    d = discover(p, ctx(tmp_path))
    assert d.chosen is not None and d.chosen.env.name == "venv"
    assert d.candidates[1].rejected and d.candidates[1].rejected.startswith("broken: pyvenv.cfg is empty")


def test_projects_monorepo_and_skipped_dirs(tmp_path):
    ws = tmp_path / "ws"
    for rel in ["", "services/api", "services/api/plugins/p1", "libs/core"]:
        (ws / rel).mkdir(parents=True, exist_ok=True)
    (ws / "pyproject.toml").write_text("")
    (ws / "services/api/requirements-dev.txt").write_text("")
    (ws / "services/api/plugins/p1/setup.py").write_text("")
    (ws / "libs/core/requirements").mkdir()
    for skipped in ["node_modules/pkg", ".git/x", ".tox/py311", ".nox/s"]:
        (ws / skipped).mkdir(parents=True)
        (ws / skipped / "setup.py").write_text("")
    make_venv(ws / ".venv")
    # A setup.py inside an env's lib/ tree is not a project.
    site = next((ws / ".venv" / "lib").glob("python*/site-packages"))
    (site / "somepkg").mkdir()
    (site / "somepkg" / "setup.py").write_text("")
    assert find_projects(ws) == [ws, ws / "libs/core", ws / "services/api", ws / "services/api/plugins/p1"]
    assert nearest_project(ws / "services/api/plugins/p1/x/y.py", [ws]) == ws / "services/api/plugins/p1"
    assert nearest_project(ws / "services/api/main.py", [ws]) == ws / "services/api"
    assert nearest_project(ws / "services/other.py", [ws]) == ws
    assert nearest_project(site / "somepkg" / "mod.py", [ws]) == ws
    assert nearest_project(ws / "node_modules/pkg/a.py", [ws]) == ws
    assert nearest_project(tmp_path / "elsewhere.py", [ws]) is None


def test_walk_survives_unreadable_dirs_symlink_loops_and_non_utf8_names(tmp_path):
    ws = tmp_path / "ws"
    (ws / "ok").mkdir(parents=True)
    (ws / "ok" / "pyproject.toml").write_text("")
    locked = ws / "locked"
    locked.mkdir()
    (locked / "setup.py").write_text("")
    (ws / "loop").symlink_to(ws, target_is_directory=True)
    weird = os.fsencode(str(ws)) + b"/caf\xe9"
    os.mkdir(weird)
    with open(weird + b"/setup.py", "w") as fh:
        fh.write("")
    locked.chmod(0)
    try:
        projects = find_projects(ws)
    finally:
        locked.chmod(0o755)
    assert ws / "ok" in projects
    assert all("caf" not in str(p) for p in projects)
    # root can read a chmod-0 dir; either way the walk terminates and nothing crashes.


def test_app_interpreter_and_status(tmp_path):
    host = Host(environ={}, state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", home=tmp_path)
    ws = tmp_path / "ws"
    p = project(ws, "app")
    make_venv(p / ".venv")
    app = App(host=host, settings=Settings())
    app.set_roots([ws])
    assert app.projects() == [p]
    view = app.interpreter_for(p / "main.py")
    assert view is not None and view.env_path == p / ".venv" and view.state == "ok"
    assert app.interpreter_for(tmp_path / "outside.py") is None
    # First refresh announces, the second reports no change.
    assert [c[0] for c in app.refresh()] == [p]
    assert app.refresh() == []


def test_a_requirements_file_appearing_in_a_sub_folder_adds_no_project(tmp_path):
    # Shaped like a cookiecutter-django tree: requirements/full/requirements.txt written after startup.
    host = Host(environ={}, state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", home=tmp_path)
    ws = tmp_path / "ws"
    p = project(ws, "app")
    app = App(host=host, settings=Settings())
    app.set_roots([ws])
    full = p / "requirements" / "full"
    full.mkdir(parents=True)
    (full / "requirements.txt").write_text("alpha\n")
    assert app.rescan(full) == ([], [])
    assert app.rescan(p / "requirements") == ([], [])
    assert app.projects() == [p]
    assert app.project_for(full / "requirements.txt") == p
