"""The workspace model's answers that the server only wires: event routing, the watch set, and which
project and env a command acts on. Real files in tmp_path, no server."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.envs import make_venv
from venvkeeper.app import App
from venvkeeper.errors import Refused
from venvkeeper.host import Host
from venvkeeper.settings import Settings


def make_app(tmp_path: Path, **settings: object) -> tuple[App, Path]:
    host = Host(environ={}, state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", home=tmp_path)
    ws = tmp_path / "ws"
    ws.mkdir()
    app = App(host=host, settings=Settings(**settings))  # type: ignore[arg-type]
    app.set_roots([ws])
    return app, ws


def add_project(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "requirements.txt").write_text("requests\n")
    return path


def test_a_changed_requirement_file_rechecks_its_project_only(tmp_path: Path) -> None:
    app, ws = make_app(tmp_path)
    a, b = add_project(ws / "a"), add_project(ws / "b")
    app.set_roots([ws])
    app.findings(a), app.findings(b)
    routed = app.route_events({a / "requirements.txt", a / "README.md"})
    assert routed.recheck == {a: a / "requirements.txt"} and routed.removed == ()
    assert app.needs_check(a) and not app.needs_check(b)  # only the routed project was invalidated


def test_a_new_project_is_found_and_a_deleted_one_removed(tmp_path: Path) -> None:
    app, ws = make_app(tmp_path)
    old = add_project(ws / "old")
    app.set_roots([ws])
    new = add_project(ws / "new")
    (old / "requirements.txt").unlink()
    old.rmdir()
    routed = app.route_events({new, old})
    assert list(routed.recheck) == [new] and routed.removed == (old,)  # found by rescanning ws
    assert app.projects() == [new]


def test_events_that_concern_nothing_invalidate_nothing(tmp_path: Path) -> None:
    app, ws = make_app(tmp_path)
    a = add_project(ws / "a")
    app.set_roots([ws])
    app.findings(a)
    routed = app.route_events({a / "main.py"})
    assert routed.recheck == {} and routed.removed == ()
    assert not app.needs_check(a)


def test_the_watch_set_holds_roots_projects_and_env_dirs(tmp_path: Path) -> None:
    app, ws = make_app(tmp_path)
    a = add_project(ws / "deep" / "er" / "a")
    env = make_venv(a / ".venv")
    app.set_roots([ws])
    dirs = app.watch_dirs()
    (site,) = env.glob("lib/python*/site-packages")
    # The env dir and its site-packages, not bin/ (issue 14: at most 3 watches per project with an env).
    assert {ws, a, env, site} <= dirs and env / "bin" not in dirs
    # The editor watches the workspace's files: the project dir is its job, the env's internals ours.
    assert {env, site} <= app.watch_dirs(client_watches=True) and a not in app.watch_dirs(client_watches=True)
    assert app.root_of(a) == ws and app.root_of(tmp_path) is None
    assert app.projects_under([ws / "deep"]) == [a] and app.projects_under([tmp_path / "x"]) == []


def test_a_command_acts_on_the_project_of_its_path(tmp_path: Path) -> None:
    app, ws = make_app(tmp_path)
    a = add_project(ws / "a")
    assert app.command_project(a / "src" / "main.py") == a
    with pytest.raises(Refused, match="not inside any project"):
        app.command_project(tmp_path / "elsewhere.py")
    with pytest.raises(Refused, match="must be a file:// URI"):
        app.command_project(None)
    with pytest.raises(Refused, match="has no environment; create one first"):
        app.chosen_env(a)
    make_venv(a / ".venv")
    app.invalidate([a])
    assert app.chosen_env(a).path == a / ".venv"


def test_an_untrusted_workspace_refuses_every_command(tmp_path: Path) -> None:
    app, ws = make_app(tmp_path, trusted=False)
    a = add_project(ws / "a")
    with pytest.raises(Refused, match="not trusted"):
        app.command_project(a / "main.py")


def test_only_usable_envs_are_offered_to_the_guards(tmp_path: Path) -> None:
    app, ws = make_app(tmp_path)
    ok, broken, bare = add_project(ws / "ok"), add_project(ws / "broken"), add_project(ws / "bare")
    make_venv(ok / ".venv")
    make_venv(broken / ".venv")
    (broken / ".venv" / "pyvenv.cfg").write_text("")  # no home: the env is broken
    app.set_roots([ws])
    assert app.usable_env(bare) is None and app.usable_env(broken) is None
    assert [(p, env.path) for p, env in app.usable_envs()] == [(ok, ok / ".venv")]


def test_settings_updates_log_trust_changes_and_return_complaints(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    said: list[str] = []
    app.log = said.append
    assert app.update_settings({"debounceMs": 5}) == [] and app.settings.debounce_ms == 5
    problems = app.update_settings({"trusted": False, "backend": "uv", "debounceMs": "fast"})
    assert problems == ["invalid value 'fast' for venvkeeper.debounceMs; using 100"]
    assert said[0] == "workspace untrusted: read-only, no activation"
    assert "venvkeeper.backend = 'uv' is ignored while the workspace is untrusted" in said
    assert app.settings.debounce_ms == 100  # the earlier 5 is not kept: a bad value falls back to the default


def test_findings_set_off_are_not_shown(tmp_path: Path) -> None:
    app, ws = make_app(tmp_path)
    a = add_project(ws / "a")
    make_venv(a / ".venv")
    app.set_roots([ws])
    shown = {f.code: sev for f, sev in app.shown_findings(a)}
    assert shown["not-installed"] == "warning" and shown["env-no-pip"] == "warning"
    app.update_settings({"severities": {"not-installed": "off", "env-no-pip": "error"}})
    app.invalidate([a])
    shown = {f.code: sev for f, sev in app.shown_findings(a)}
    assert "not-installed" not in shown and shown["env-no-pip"] == "error"


def test_what_if_looks_only_at_the_projects_own_buffers_and_needs_a_usable_env(tmp_path: Path) -> None:
    app, ws = make_app(tmp_path)
    a, b = add_project(ws / "a"), add_project(ws / "b")
    make_venv(a / ".venv")
    app.set_roots([ws])
    buffers = {b / "requirements.txt": "requests==1.0\n"}
    assert app.what_if(a, buffers) == []  # not a's buffer
    assert app.what_if(b, buffers) == []  # b has no env: nothing to break
    assert app.what_if(a, {a / "requirements.txt": "requests\n"}) == []  # nothing installed to break
