"""The watch set stays bounded: no .git, node_modules, tox dirs or env internals; envs get 3 watches."""

from __future__ import annotations

from pathlib import Path

from support.envs import make_venv
from venvkeeper.watch.plan import TREE_CAP, env_watch_dirs, project_watch_dirs, tree_dirs


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


def test_env_watches_are_env_bin_and_site_packages_only(tmp_path):
    env = make_venv(tmp_path / "p" / ".venv")
    dirs = env_watch_dirs(env)
    assert dirs[0] == env and dirs[1] == env / "bin"
    assert len(dirs) == 3 and dirs[2].name == "site-packages"


def test_project_watches_include_ancestors_up_to_root(tmp_path):
    root = tmp_path
    project = root / "a" / "b" / "proj"
    project.mkdir(parents=True)
    dirs = project_watch_dirs(project, root, [])
    assert set(dirs) == {project, project / "requirements", root / "a" / "b", root / "a"}
    assert all(isinstance(d, Path) for d in dirs)
