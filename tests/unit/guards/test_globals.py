"""Real installs into a real user site (pip --user, PYTHONUSERBASE) and a made-up global prefix."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from support.envs import make_venv, pip_install
from venvkeeper.guards.globals import (
    ACTION_IGNORE,
    ACTION_UNINSTALL,
    UninstallRefused,
    WatchedProject,
    global_install_warning,
    new_dists,
    uninstall_from_user_site,
)
from venvkeeper.guards.sites import GlobalSite, user_site_dir
from venvkeeper.requirements.installed import read_installed

from .conftest import (
    BASE_PYTHON,
    BASE_XY,
    _clean_environ,
    fake_prefix,
    host_for,
    pip_install_prefix,
    pip_install_user,
)

pytestmark = pytest.mark.slow


def user_site(tmp_path: Path) -> tuple[GlobalSite, Path]:
    host = host_for(tmp_path, PYTHONUSERBASE=str(tmp_path / "home" / ".local"))
    path = user_site_dir(host, BASE_XY)
    return GlobalSite(path, "user", BASE_XY, None, False, tmp_path / "home" / ".local"), host.home


def project(tmp_path: Path, required: frozenset[str] = frozenset()) -> WatchedProject:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    return WatchedProject(root, root / ".venv", ".venv", required)


def test_pip_install_user_gives_one_warning_for_the_burst(tmp_path: Path, wheelhouse: Path) -> None:
    site, home = user_site(tmp_path)
    before = read_installed([site.path])
    pip_install_user(site.user_base or tmp_path, wheelhouse, ["django"])
    dists = new_dists(before, read_installed([site.path]))
    assert sorted(d.canonical_name for d in dists) == ["asgiref", "django", "sqlparse"]
    warning = global_install_warning(site, dists, [project(tmp_path)], home)
    assert warning is not None
    assert warning.message == (
        f"django 4.2.7 (and 2 more: asgiref, sqlparse) was just installed into the user site "
        f"(~/.local/lib/python{BASE_XY}/site-packages), not into .venv — the terminal was probably not "
        "activated."
    )
    assert warning.actions == ("Install into .venv", ACTION_UNINSTALL, ACTION_IGNORE)


def test_a_required_dist_leads_and_names_the_requiring_project(tmp_path: Path, wheelhouse: Path) -> None:
    site, home = user_site(tmp_path)
    pip_install_user(site.user_base or tmp_path, wheelhouse, ["django"])
    other = WatchedProject(tmp_path / "other", tmp_path / "other" / "env", "env", frozenset())
    needs = project(tmp_path, frozenset({"sqlparse"}))
    warning = global_install_warning(site, new_dists({}, read_installed([site.path])), [other, needs], home)
    assert warning is not None
    assert warning.headline.canonical_name == "sqlparse"
    assert warning.projects[0] == needs and warning.required_by == {needs.root: ("sqlparse",)}


def test_reinstall_of_the_same_version_counts_when_its_dist_info_was_touched(
    tmp_path: Path, wheelhouse: Path
) -> None:
    site, _ = user_site(tmp_path)
    pip_install_user(site.user_base or tmp_path, wheelhouse, ["requests"])
    snapshot = read_installed([site.path])
    assert new_dists(snapshot, snapshot) == []
    again = new_dists(snapshot, snapshot, touched={"requests-2.31.0.dist-info"})
    assert [d.name for d in again] == ["requests"]


def test_system_site_offers_no_uninstall_and_nothing_without_projects(
    tmp_path: Path, wheelhouse: Path
) -> None:
    prefix = fake_prefix(tmp_path / "usr")
    pip_install_prefix(prefix, wheelhouse, ["requests"])
    path = prefix / "lib" / f"python{BASE_XY}" / "site-packages"
    site = GlobalSite(path, "system", BASE_XY, prefix, False)
    dists = new_dists({}, read_installed([path]))
    warning = global_install_warning(site, dists, [project(tmp_path)], tmp_path)
    assert warning is not None and ACTION_UNINSTALL not in warning.actions
    assert f"the global site of Python {BASE_XY}" in warning.message
    assert global_install_warning(site, dists, [], tmp_path) is None
    with pytest.raises(UninstallRefused):
        uninstall_from_user_site(dists[0], site)


def _pip_user_list(user_base: Path) -> set[str]:
    out = subprocess.run(
        [str(BASE_PYTHON), "-m", "pip", "list", "--user", "--format=json"],
        check=True, capture_output=True, text=True, env=_clean_environ(PYTHONUSERBASE=str(user_base)),
    ).stdout  # fmt: skip
    return {d["name"] for d in json.loads(out)}


def test_uninstall_removes_only_the_user_site_copy(tmp_path: Path, wheelhouse: Path) -> None:
    site, _ = user_site(tmp_path)
    assert site.user_base is not None
    pip_install_user(site.user_base, wheelhouse, ["requests", "sqlparse"])
    env = make_venv(tmp_path / "proj" / ".venv")
    pip_install(env, wheelhouse, ["requests"])
    assert {"requests", "sqlparse"} <= _pip_user_list(site.user_base)

    dist = read_installed([site.path])["requests"]
    result = uninstall_from_user_site(dist, site)

    assert result.removed and all(str(p).startswith(str(site.user_base)) for p in result.removed)
    assert _pip_user_list(site.user_base) == {"sqlparse"}  # pip agrees it is gone, the other dist stays
    assert not (site.path / "requests").exists()
    env_site = env / "lib" / f"python{BASE_XY}" / "site-packages"
    assert "requests" in read_installed([env_site])  # the env's own copy is untouched
    assert (env_site / "requests" / "__init__.py").is_file()


def test_uninstall_refuses_a_dist_that_is_not_in_the_user_site(tmp_path: Path, wheelhouse: Path) -> None:
    site, _ = user_site(tmp_path)
    env = make_venv(tmp_path / ".venv")
    pip_install(env, wheelhouse, ["requests"])
    env_dist = read_installed([env / "lib" / f"python{BASE_XY}" / "site-packages"])["requests"]
    with pytest.raises(UninstallRefused, match="not installed in the user site"):
        uninstall_from_user_site(env_dist, site)
    assert env_dist.path.is_dir()


def test_uninstall_refuses_a_record_that_points_outside_the_user_base(
    tmp_path: Path, wheelhouse: Path
) -> None:
    site, _ = user_site(tmp_path)
    assert site.user_base is not None
    pip_install_user(site.user_base, wheelhouse, ["requests"])
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    dist = read_installed([site.path])["requests"]
    with (dist.path / "RECORD").open("a") as fh:
        fh.write(f"{victim},,\n")
    with pytest.raises(UninstallRefused, match="outside the user base"):
        uninstall_from_user_site(dist, site)
    assert victim.read_text() == "keep me" and (site.path / "requests").is_dir()
