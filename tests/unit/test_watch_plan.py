"""The watch set stays bounded: no .git, node_modules, tox dirs or env internals; a project with an env
gets at most 3 watches of its own (issue 14, goal 3), 2 when the editor watches the workspace."""

from __future__ import annotations

from pathlib import Path

from support.envs import make_venv
from venvkeeper.watch.plan import (
    TREE_CAP,
    EnvWatchDirs,
    catch_up_dirs,
    env_watch_dirs,
    project_watch_dirs,
    reported_paths,
    root_watch_dirs,
    tree_dirs,
)


def test_tree_dirs_skip_heavy_and_env_dirs(tmp_path):
    ws = tmp_path / "ws"
    for rel in [".git/objects/ab", "node_modules/a/b", ".tox/py/lib", "src/pkg", "svc/api"]:
        (ws / rel).mkdir(parents=True)
    make_venv(ws / ".venv")
    dirs = {d.relative_to(ws).as_posix() for d in tree_dirs(ws)}
    assert dirs == {".", "src", "src/pkg", "svc", "svc/api"}


def test_tree_dirs_are_capped(tmp_path):
    for i in range(TREE_CAP + 50):
        (tmp_path / f"d{i}").mkdir()
    assert len(tree_dirs(tmp_path)) == TREE_CAP


def test_env_watches_are_env_dir_and_site_packages_only(tmp_path):
    env = make_venv(tmp_path / "p" / ".venv")
    dirs = env_watch_dirs(env)
    assert dirs[0] == env
    assert len(dirs) == 2 and dirs[1].name == "site-packages"


def test_project_watches_include_ancestors_up_to_root(tmp_path):
    root = tmp_path
    project = root / "a" / "b" / "proj"
    project.mkdir(parents=True)
    dirs = project_watch_dirs(project, root, [])
    assert set(dirs) == {project, project / "requirements", root / "a" / "b", root / "a"}
    assert all(isinstance(d, Path) for d in dirs)


def test_a_project_with_an_env_gets_three_watches_of_its_own(tmp_path):
    project = tmp_path / "group" / "proj"
    env = make_venv(project / ".venv")
    own = set(project_watch_dirs(project, tmp_path, [env])) - {tmp_path / "group"}  # shared ancestor
    assert own == {project, project / "requirements", env, *env_watch_dirs(env)}
    # requirements/ does not exist here, so inotify gets 3: the project, the env, its site-packages
    assert len([d for d in own if d.is_dir()]) == 3


def test_when_the_editor_watches_only_envs_and_ancestors_stay(tmp_path):
    project = tmp_path / "group" / "proj"
    (project / "requirements" / "extra").mkdir(parents=True)
    env = make_venv(project / ".venv")
    dirs = set(project_watch_dirs(project, tmp_path, [env], client_watches=True))
    # the editor reports requirement sources, locks and markers; a deleted project is seen on its parent
    assert dirs == {tmp_path / "group", *env_watch_dirs(env)}


def test_when_the_editor_watches_only_the_root_stays_of_the_tree(tmp_path):
    (tmp_path / "svc" / "api").mkdir(parents=True)
    assert root_watch_dirs(tmp_path, client_watches=True) == [tmp_path]
    assert set(root_watch_dirs(tmp_path)) == {tmp_path, tmp_path / "svc", tmp_path / "svc" / "api"}


def test_env_watches_are_asked_again_when_pyvenv_cfg_changes(tmp_path):
    env = make_venv(tmp_path / "p" / ".venv")
    dirs_of = EnvWatchDirs()
    first = dirs_of(env)
    assert dirs_of(env) == first  # remembered: nothing changed
    site = first[1]
    moved = site.parent.parent / "python9.99" / "site-packages"
    moved.mkdir(parents=True)
    cfg = env / "pyvenv.cfg"
    text = cfg.read_text()
    cfg.write_text(
        "".join(ln if not ln.startswith("version") else "version = 9.99.0\n" for ln in text.splitlines(True))
    )
    assert moved in dirs_of(env)  # a recreate rewrites pyvenv.cfg: its dirs are looked up again


def test_an_env_without_site_packages_yet_is_not_remembered(tmp_path):
    env = tmp_path / ".venv"
    env.mkdir()
    (env / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    dirs_of = EnvWatchDirs()
    assert dirs_of(env) == [env]
    (env / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    assert dirs_of(env)[1:] == [env / "lib" / "python3.11" / "site-packages"]


def test_only_dirs_newly_watched_after_the_first_sync_are_caught_up(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert catch_up_dirs(set(), {a, b}) == set()  # the first sync: everything is checked anyway
    assert catch_up_dirs({a}, {a, b}) == {b}
    assert catch_up_dirs({a, b}, {a}) == set()


def test_an_editor_reported_pyvenv_cfg_also_stands_for_its_env_dir(tmp_path: Path) -> None:
    cfg = tmp_path / ".venv" / "pyvenv.cfg"
    assert reported_paths(cfg) == (cfg, tmp_path / ".venv")
    assert reported_paths(tmp_path / "requirements.txt") == (tmp_path / "requirements.txt",)
