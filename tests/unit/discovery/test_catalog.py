"""``venvkeeper/interpreters``' domain side on fixture homes: groups, order, suitability and the
recommended base (discovery/catalog.py). Base interpreters are binary-looking files in pyenv, uv and
``/usr/bin`` layouts under tmp_path; envs are hand-made trees; nothing is run."""

from __future__ import annotations

import os
from pathlib import Path

from support.envs import fake_env
from unit.creation.test_interpreters import fake_python
from venvkeeper.app import App, SelectionError
from venvkeeper.creation.interpreters import find_interpreters
from venvkeeper.discovery.catalog import Catalog, CatalogEntry, Requirements, assess, build_catalog
from venvkeeper.discovery.discover import discover
from venvkeeper.discovery.locators import LocateContext
from venvkeeper.discovery.toolenvs import poetry_env_base
from venvkeeper.host import Host
from venvkeeper.state import StateStore


def conda_env(prefix: Path, version: str) -> Path:
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / f"python-{version}-h1_0.json").write_text("{}")
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python").write_text("")
    return prefix


def fixture_home(tmp_path: Path) -> tuple[Host, Path, Path]:
    """A home with pyenv 3.11.7 (the global version), 3.12.4, 3.13.1t and 3.14.0a1, a uv-managed 3.10.14,
    a /usr/bin python3.12 marked EXTERNALLY-MANAGED; a Poetry project with its env, another project's
    Poetry env and a conda env. Returns (host, project, root of the system dirs)."""
    home = tmp_path / "home"
    versions = home / ".pyenv" / "versions"
    for v in ("3.11.7", "3.12.4", "3.14.0a1"):
        fake_python(versions / v / "bin" / f"python{v[:4]}")
    fake_python(versions / "3.13.1t" / "bin" / "python3.13t")
    (home / ".pyenv" / "version").parent.mkdir(parents=True, exist_ok=True)
    (home / ".pyenv" / "version").write_text("3.11.7\n")
    shims = home / ".pyenv" / "shims"
    shims.mkdir(parents=True)
    (shims / "python3").write_text("#!/bin/sh\n")
    (shims / "python3").chmod(0o755)
    fake_python(home / ".local/share/uv/python/cpython-3.10.14-linux-x86_64-gnu/bin/python3.10")
    root = tmp_path / "root"
    fake_python(root / "usr" / "bin" / "python3.12", lib="3.12")
    (root / "usr" / "lib" / "python3.12" / "EXTERNALLY-MANAGED").write_text("[externally-managed]\n")

    project = tmp_path / "ws" / "app"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nrequires-python = ">=3.11"\n[tool.poetry]\npackage-mode = false\n'
    )
    poetry = home / ".cache" / "pypoetry" / "virtualenvs"
    fake_env(poetry / f"{poetry_env_base('app', os.path.realpath(project))}-py3.12", version="3.12.4")
    fake_env(poetry / "someone-else-AbCdEfGh-py3.10", version="3.10.14")
    conda_env(home / "miniconda3" / "envs" / "data", "3.11.9")
    fake_env(project / "venv", version="3.9.18")
    host = Host(
        environ={"PATH": f"{shims}{os.pathsep}{root / 'usr' / 'bin'}"},
        home=home,
        state_dir=tmp_path / "state",
        cache_dir=tmp_path / "cache",
        platform="posix",
        sys_platform="linux",
    )
    return host, project, root


def catalog_for(host: Host, project: Path, root: Path) -> Catalog:
    ctx = LocateContext(
        state=StateStore(host.state_dir), virtual_env=None, home=host.home, environ=host.environ
    )
    reqs = Requirements(">=3.11", None)
    return build_catalog(
        project, discover(project, ctx), reqs, ctx, host, bases=find_interpreters(host, root=root)
    )


def by_group(cat: Catalog) -> dict[str, list[CatalogEntry]]:
    out: dict[str, list[CatalogEntry]] = {}
    for e in cat.entries:
        out.setdefault(e.group, []).append(e)
    return out


def test_groups_come_in_picker_order_with_the_chosen_env_first(tmp_path: Path) -> None:
    host, project, root = fixture_home(tmp_path)
    cat = catalog_for(host, project, root)
    groups = by_group(cat)
    assert list(groups) == ["project", "toolEnvs", "otherEnvs", "base"]
    # The declared tool's env beats the stray venv/ (which is 3.9: unsuitable, and says why).
    [tool_env] = groups["toolEnvs"]
    assert tool_env.chosen and tool_env.origin == "poetry" and tool_env.suitable
    assert tool_env.reasons == ("satisfies requires-python >=3.11",)
    [venv] = groups["project"]
    assert venv.path == project / "venv" and not venv.chosen and not venv.suitable
    assert venv.reasons[0] == "does not satisfy requires-python >=3.11"
    assert any(r.startswith("not chosen: ") for r in venv.reasons)
    other = {(e.origin, e.path.name): e for e in groups["otherEnvs"]}
    assert set(other) == {("poetry", "someone-else-AbCdEfGh-py3.10"), ("conda", "data")}
    assert other["conda", "data"].kind == "conda" and other["conda", "data"].version == "3.11.9"
    assert other["conda", "data"].suitable and "not tied to this project" in other["conda", "data"].reasons
    assert not other["poetry", "someone-else-AbCdEfGh-py3.10"].suitable


def test_bases_recommended_first_then_suitable_with_reasons(tmp_path: Path) -> None:
    host, project, root = fixture_home(tmp_path)
    cat = catalog_for(host, project, root)
    bases = by_group(cat)["base"]
    order = [(e.version, e.origin, e.suitable, e.recommended) for e in bases]
    # pyenv's global 3.11.7 is the user's default and satisfies >=3.11: recommended over the newest.
    assert order == [
        ("3.11.7", "pyenv", True, True),
        ("3.12.4", "pyenv", True, False),
        ("3.12", "PATH", True, False),  # root/usr/bin is on PATH: first sighting wins
        ("3.14.0a1", "pyenv", False, False),
        ("3.13.1", "pyenv", False, False),
        ("3.10.14", "uv", False, False),
    ]
    assert cat.recommended == bases[0].path
    assert (
        cat.recommended_reason is not None
        and "your default interpreter (pyenv's global version 3.11.7)" in (cat.recommended_reason)
    )
    assert bases[0].reasons[0].startswith("recommended: Python 3.11.7")
    usr = bases[2]
    assert usr.externally_managed and any("EXTERNALLY-MANAGED (PEP 668)" in r for r in usr.reasons)
    assert "pre-release" in bases[3].reasons
    assert bases[4].free_threaded and any(r.startswith("free-threaded build") for r in bases[4].reasons)
    assert bases[5].reasons == ("does not satisfy requires-python >=3.11",)


def test_python_version_pins_and_a_pin_nobody_meets() -> None:
    reqs = Requirements(None, "3.12\n")
    assert assess("3.12.4", reqs) == (True, ("matches .python-version 3.12",))
    assert assess("3.11.7", reqs) == (False, ("does not match .python-version 3.12",))
    ok, reasons = assess("3.11.7", reqs, enforce_pins=False)
    assert ok and reasons == (".python-version asks for 3.12, which no interpreter found matches",)
    # Asking for a free-threaded build makes one suitable; a pyenv-virtualenv name is no version pin.
    assert assess("3.13.1", Requirements(None, "3.13t"), free_threaded=True)[0]
    assert Requirements(None, "myvenv\n3.11").pins == ["3.11"]
    assert assess("3.11.7", Requirements(None, "myvenv")) == (True, ())


def test_no_project_lists_every_env_as_other_and_every_base(tmp_path: Path) -> None:
    host, _project, root = fixture_home(tmp_path)
    ctx = LocateContext(state=StateStore(host.state_dir), virtual_env=None, home=host.home, environ={})
    cat = build_catalog(None, None, Requirements(), ctx, host, bases=find_interpreters(host, root=root))
    groups = by_group(cat)
    assert set(groups) == {"otherEnvs", "base"}
    assert len(groups["otherEnvs"]) == 3  # both Poetry envs and the conda env; venv/ is in no tool dir
    assert all("belongs to no open project" in e.reasons for e in groups["otherEnvs"])
    assert cat.recommended is not None  # no requires-python: the default 3.11.7


def test_app_catalog_and_select_of_a_conda_env(tmp_path: Path) -> None:
    host, project, _root = fixture_home(tmp_path)
    app = App(host=host)
    app.set_roots([project.parent])
    data = host.home / "miniconda3" / "envs" / "data"
    cat = app.catalog(project / "pyproject.toml", bases=[])
    assert any(e.path == data and e.group == "otherEnvs" for e in cat.entries)
    # A conda env has no pyvenv.cfg: select takes its prefix or its interpreter all the same.
    app.set_selection(project, data / "bin" / "python")
    d = app.discovery(project)
    assert d.chosen is not None and d.chosen.origin == "selected" and d.chosen.env.kind == "conda"
    assert d.chosen.env.path == data and d.chosen.env.version == "3.11.9"
    cat = app.catalog(project, bases=[])
    [chosen] = [e for e in cat.entries if e.chosen]
    assert chosen.path == data and chosen.group == "toolEnvs"
    try:
        app.set_selection(project, tmp_path)
    except SelectionError as exc:
        assert "nor a conda environment" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a plain dir was accepted")


def test_tool_dirs_of_declared_tools_are_watched_and_routed(tmp_path: Path) -> None:
    host, project, _root = fixture_home(tmp_path)
    app = App(host=host)
    app.set_roots([project.parent])
    poetry = host.home / ".cache" / "pypoetry" / "virtualenvs"
    assert poetry in app.env_dirs(project)
    # A project that does not declare Poetry does not re-check when a Poetry env appears.
    plain = project.parent / "plain"
    plain.mkdir()
    (plain / "pyproject.toml").write_text('[project]\nname = "plain"\n')
    app.rescan(project.parent)
    assert poetry not in app.env_dirs(plain)


def test_python_org_framework_and_windows_installer_layouts(tmp_path: Path) -> None:
    root = tmp_path / "root"
    framework = root / "Library/Frameworks/Python.framework/Versions/3.13"
    fake_python(framework / "bin" / "python3.13", patchlevel="3.13.1")
    (framework / "bin" / "python3").symlink_to("python3.13")
    host = Host(
        environ={"PATH": ""}, home=tmp_path / "home", state_dir=tmp_path / "s", cache_dir=tmp_path / "c"
    )
    [py] = find_interpreters(host, root=root)
    assert (py.version, py.origin, py.path.name) == ("3.13.1", "python.org installer", "python3.13")
    # Windows: the per-user python.org installer dir (the py launcher's layout); the Store alias is never one.
    local = tmp_path / "LocalAppData"
    fake_python(local / "Programs/Python/Python312/python.exe", patchlevel="3.12.7")
    fake_python(local / "Microsoft/WindowsApps/python.exe")
    win = Host(
        environ={"PATH": str(local / "Microsoft/WindowsApps"), "LOCALAPPDATA": str(local)},
        home=tmp_path / "home",
        state_dir=tmp_path / "s",
        cache_dir=tmp_path / "c",
        platform="windows",
    )
    ctx = LocateContext(state=StateStore(tmp_path / "s"), virtual_env=None)
    cat = build_catalog(None, None, Requirements(), ctx, win)
    assert [(e.version, e.origin, e.recommended) for e in cat.entries] == [
        ("3.12.7", "python.org installer", True)
    ]


def test_a_poetry_env_made_outside_the_project_routes_to_it(tmp_path: Path) -> None:
    from venvkeeper import fsread
    from venvkeeper.watch.plan import project_watch_dirs
    from venvkeeper.watch.routing import ProjectIndex

    host, project, _root = fixture_home(tmp_path)
    app = App(host=host)
    app.set_roots([project.parent])
    poetry = host.home / ".cache" / "pypoetry" / "virtualenvs"
    assert poetry in project_watch_dirs(project, project.parent, app.env_dirs(project))
    index = ProjectIndex(
        app.roots, app.projects(), {p: app.env_dirs(p) for p in app.projects()}, fsread.is_dir
    )
    new_env = poetry / f"{poetry_env_base('app', os.path.realpath(project))}-py3.13"
    assert index.route([new_env]).affected == {project: new_env}
    # After the re-check discovery sees it (newest first), without a restart.
    fake_env(new_env, version="3.13.1")
    app.invalidate([project])
    chosen = app.discovery(project).chosen
    assert chosen is not None and chosen.env.path == new_env


def test_conda_and_pyenv_dirs_are_watched_for_the_projects_that_name_them(tmp_path: Path) -> None:
    host, project, _root = fixture_home(tmp_path)
    conda_project = project.parent / "sci"
    conda_project.mkdir()
    (conda_project / "environment.yml").write_text("name: data\n")
    pyenv_project = project.parent / "pinned"
    pyenv_project.mkdir()
    (pyenv_project / "requirements.txt").write_text("")
    (pyenv_project / ".python-version").write_text("3.12.4\n")
    app = App(host=host)
    app.set_roots([project.parent])
    home = host.home
    assert {home / "miniconda3" / "envs"} <= set(app.env_dirs(conda_project))
    assert home / ".pyenv" / "versions" in app.env_dirs(pyenv_project)
    # A project naming no conda env does not re-check when one is created or removed.
    assert home / "miniconda3" / "envs" not in app.env_dirs(project)


def test_another_projects_poetry_env_from_the_list_is_selectable(tmp_path: Path) -> None:
    host, project, _root = fixture_home(tmp_path)
    app = App(host=host)
    app.set_roots([project.parent])
    [other] = [e for e in app.catalog(project, bases=[]).entries if e.path.name.startswith("someone-else")]
    app.set_selection(project, other.python)
    d = app.discovery(project)
    assert d.chosen is not None and (d.chosen.origin, d.chosen.env.path) == ("selected", other.path)


def test_an_env_activated_for_another_directory_is_another_env_flagged_activated_elsewhere(
    tmp_path: Path,
) -> None:
    host, project, root = fixture_home(tmp_path)
    other = fake_env(tmp_path / "ws" / "other" / ".venv", version="3.12.4")
    ctx = LocateContext(
        state=StateStore(host.state_dir), virtual_env=str(other), home=host.home, environ=host.environ
    )
    catalog = build_catalog(
        project,
        discover(project, ctx),
        Requirements(">=3.11", None),
        ctx,
        host,
        bases=find_interpreters(host, root=root),
    )
    (entry,) = [e for e in catalog.entries if e.path == other]
    assert (entry.group, entry.activated_elsewhere, entry.suitable) == ("otherEnvs", True, True)
    assert not any(e.activated_elsewhere for e in catalog.entries if e.path != other)
