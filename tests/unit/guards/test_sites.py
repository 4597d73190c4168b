"""Global sites found from files alone: env bases, python3 on PATH (pyenv shims), the user site."""

from __future__ import annotations

import os
from pathlib import Path

from venvkeeper.guards.base_interpreters import base_of_env, python_on_path
from venvkeeper.guards.sites import MAX_SITES_PER_BASE, global_sites, sites_of_base, user_site_dir

from .conftest import BASE_XY, env_of, fake_prefix, host_for, venv_on


def test_env_base_gives_its_site_packages_and_the_user_site(tmp_path: Path) -> None:
    prefix = fake_prefix(tmp_path / "opt" / "py")
    env = env_of(venv_on(prefix, tmp_path / "proj" / ".venv"))
    host = host_for(tmp_path)
    base = base_of_env(env)
    assert base is not None and base.prefix == prefix and base.version == BASE_XY
    sites = sites_of_base(base, host)
    assert [(s.path, s.kind) for s in sites] == [
        (prefix / "lib" / f"python{BASE_XY}" / "site-packages", "system"),
        (host.home / ".local" / "lib" / f"python{BASE_XY}" / "site-packages", "user"),
    ]
    assert not any(s.externally_managed for s in sites)
    assert sites[0].writable_by_user


def test_debian_layout_lists_dist_packages_and_usr_local(tmp_path: Path) -> None:
    from venvkeeper.guards.base_interpreters import BaseInterpreter
    from venvkeeper.guards.sites import base_site_dirs

    dirs = base_site_dirs(BaseInterpreter(Path("/usr"), "3.11", "posix"))
    assert Path("/usr/lib/python3/dist-packages") in dirs
    assert Path("/usr/local/lib/python3.11/dist-packages") in dirs
    assert len(dirs) <= MAX_SITES_PER_BASE - 1  # room for the user site


def test_pythonuserbase_and_per_os_user_sites(tmp_path: Path) -> None:
    from venvkeeper.guards.base_interpreters import BaseInterpreter

    host = host_for(tmp_path, PYTHONUSERBASE=str(tmp_path / "ub"))
    assert user_site_dir(host, "3.12") == tmp_path / "ub" / "lib" / "python3.12" / "site-packages"
    win = host_for(tmp_path, APPDATA="C:/Users/me/AppData/Roaming")
    win = type(win)(**{**win.__dict__, "platform": "windows", "sys_platform": "win32"})
    assert user_site_dir(win, "3.12") == Path("C:/Users/me/AppData/Roaming/Python/Python312/site-packages")
    mac = type(win)(**{**host_for(tmp_path).__dict__, "sys_platform": "darwin"})
    framework = BaseInterpreter(Path("/Library/Frameworks/Python.framework/Versions/3.12"), "3.12", "posix")
    assert user_site_dir(mac, "3.12", framework) == (
        mac.home / "Library" / "Python" / "3.12" / "lib" / "python" / "site-packages"
    )


def test_python3_on_path_resolves_symlinks_and_skips_venvs(tmp_path: Path) -> None:
    prefix = fake_prefix(tmp_path / "usrlocal")
    venv_bin = tmp_path / "somevenv" / "bin"
    venv_bin.mkdir(parents=True)
    (tmp_path / "somevenv" / "pyvenv.cfg").write_text("home = /x\n")
    os.symlink(prefix / "bin" / "python3", venv_bin / "python3")
    linkdir = tmp_path / "links"
    linkdir.mkdir()
    os.symlink(prefix / "bin" / "python3", linkdir / "python3")
    # A venv first on PATH is not a global place; the next python3 is.
    host = host_for(tmp_path, PATH=os.pathsep.join([str(venv_bin), str(linkdir)]))
    base = python_on_path(host)
    assert base is not None
    # The link chain ends at the real base interpreter, whose prefix is what pip writes into.
    assert base.version == BASE_XY


def test_pyenv_shim_resolves_to_the_selected_version(tmp_path: Path) -> None:
    root = tmp_path / "pyenv"
    (root / "shims").mkdir(parents=True)
    (root / "shims" / "python3").write_text('#!/bin/sh\nexec pyenv exec python3 "$@"\n')
    version_prefix = root / "versions" / "3.12.1"
    (version_prefix / "bin").mkdir(parents=True)
    (version_prefix / "bin" / "python3.12").write_text("")
    os.symlink("python3.12", version_prefix / "bin" / "python3")
    (version_prefix / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    (root / "version").write_text("3.12.1\n")
    host = host_for(tmp_path, PYENV_ROOT=str(root), PATH=str(root / "shims"))
    base = python_on_path(host)
    assert base is not None and base.prefix == version_prefix and base.version == "3.12"
    sites = global_sites([], host)
    assert sites[0].path == version_prefix / "lib" / "python3.12" / "site-packages"
    # "system" hands python3 to the next PATH entry.
    (root / "version").write_text("system\n")
    assert python_on_path(host) is None


def test_watch_count_is_bounded_per_base(tmp_path: Path) -> None:
    prefix = fake_prefix(tmp_path / "p")
    for extra in (
        "lib64/python{xy}/site-packages",
        "lib/python{xy}/dist-packages",
        "lib/python3/dist-packages",
    ):
        (prefix / extra.format(xy=BASE_XY)).mkdir(parents=True)
    env = env_of(venv_on(prefix, tmp_path / "proj" / ".venv"))
    base = base_of_env(env)
    assert base is not None
    sites = sites_of_base(base, host_for(tmp_path))
    assert 1 < len(sites) <= MAX_SITES_PER_BASE
    assert len({s.path for s in sites}) == len(sites)
