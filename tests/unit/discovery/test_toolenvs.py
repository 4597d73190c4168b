"""Tool-managed envs: naming rules frozen from the real tools, and fixture homes built in tmp_path.

The vectors below are what the real tools produced or computed, run in a scratch venv outside the repo
(HOME pointed at a temp dir; no network needed to create an empty env), on Linux, Nov 2026:

- Poetry 2.5.1: ``poetry env use /usr/bin/python3.11`` in "/tmp/h7lab/proj/Demo App" (``[tool.poetry]
  name = "Demo App"``) created ``~/.cache/pypoetry/virtualenvs/demo_app-BhPwyk5t-py3.11`` and recorded
  ``[demo_app-BhPwyk5t] minor = "3.11"`` in ``envs.toml``; ``[project] name = "My.Cool_Pkg"`` in
  ".../pep621" gave ``my-cool-pkg-LAJudJ-V-py3.11``; ``poetry.toml`` ``[virtualenvs] path =
  "{cache-dir}/elsewhere"`` with ``POETRY_CACHE_DIR=/tmp/h7lab/pcache`` gave
  ``/tmp/h7lab/pcache/elsewhere/local-cfg-Oehk6ykE-py3.11``; ``POETRY_VIRTUALENVS_IN_PROJECT=true`` gave
  ``.venv``; ``[tool.poetry] package-mode = false`` without a name gave
  ``non-package-mode-64D6lr1o-py3.11`` in ".../noname". Two more names come from Poetry's own
  ``EnvManager.generate_env_name``.
- Pipenv 2026.10.3: ``pipenv --python /usr/bin/python3.11`` in "/tmp/h7lab/proj/Pip (Env)" created
  ``~/.local/share/virtualenvs/Pip__Env_-WnFZ7mug`` holding ``.project`` = the project dir; with a
  ``.venv`` *file* holding ``named-env`` it created ``~/.local/share/virtualenvs/named-env``.
- virtualenvwrapper 6.1.1: ``mkvirtualenv -a /tmp/h7lab/proj/vwproj vwenv`` created
  ``$WORKON_HOME/vwenv`` with ``.project`` = ``/tmp/h7lab/proj/vwproj\n``.
- PDM 2.29.4: ``pdm venv create`` (``venv.in_project = false``) in "/tmp/h7lab/proj/pdmproj" created
  ``~/.local/share/pdm/venvs/pdmproj-d2UHyYsu-3.11`` (``--name foo``: ``…-foo``); ``pdm use`` wrote
  ``.pdm-python`` = ``<that env>/bin/python`` (and ``.python-version`` = ``3.11``).
- Hatch 1.18.2: ``hatch env create`` / ``hatch env create lint`` in "/tmp/h7lab/proj/hatchproj"
  (``[project] name = "Hatch_Proj"``) created ``~/.local/share/hatch/env/virtual/hatch-proj/wPAyOapu/
  {hatch-proj,lint}``; with ``[dirs.env] virtual = ".hatch"`` (user config) and an env ``path``, see
  test_hatch_path_option_and_in_project_env_dir.
- pyenv 2.6.30 + pyenv-virtualenv: ``pyenv virtualenv 3.11.7 myvenv`` made ``versions/3.11.7/envs/myvenv``
  and the link ``versions/myvenv`` to it; ``pyenv local myvenv`` wrote ``.python-version`` = ``myvenv``.

conda/mamba/pixi cannot be installed from PyPI here; their layout follows conda's documentation
(``conda-meta/``, ``~/.conda/environments.txt``, ``envs_dirs``) and is marked so below.
"""

from __future__ import annotations

import ntpath
import os
import sys
from pathlib import Path

import pytest

from support.envs import fake_env
from venvkeeper.discovery.discover import discover
from venvkeeper.discovery.locators import LocateContext
from venvkeeper.discovery.model import Discovery
from venvkeeper.discovery.toolenvs import (
    hatch_project_id,
    pdm_venv_prefix,
    pipenv_env_name,
    poetry_env_base,
)
from venvkeeper.state import StateStore


@pytest.mark.parametrize(
    ("canonical_name", "project_dir", "expected"),
    [
        ("demo app", "/tmp/h7lab/proj/Demo App", "demo_app-BhPwyk5t"),  # poetry env use
        ("my-cool-pkg", "/tmp/h7lab/proj/pep621", "my-cool-pkg-LAJudJ-V"),  # poetry env use
        ("local-cfg", "/tmp/h7lab/proj/localcfg", "local-cfg-Oehk6ykE"),  # poetry env use
        ("non-package-mode", "/tmp/h7lab/proj/noname", "non-package-mode-64D6lr1o"),  # no name at all
        # EnvManager.generate_env_name: cut to 42 chars after sanitising; non-ASCII kept.
        ("a" * 50 + ' $weird`!*@"name', "/srv/x/y", "a" * 42 + "-2M1IRIuL"),
        ("über-pkg-name", "/home/u/Code/über", "über-pkg-name-RpCxBFn1"),
    ],
)
def test_poetry_names_match_poetry(canonical_name, project_dir, expected):
    assert poetry_env_base(canonical_name, project_dir) == expected


def test_poetry_names_on_windows_hash_the_normcased_path():
    # Derived, not run: Poetry hashes os.path.normcase(realpath), which on Windows lowercases and
    # turns / into \, so two spellings of one folder give one env.
    assert poetry_env_base("app", r"C:\Users\U\App", windows=True) == poetry_env_base(
        "app", ntpath.normcase("c:/users/u/app"), windows=False
    )


@pytest.mark.parametrize(
    ("dir_name", "pipfile", "expected"),
    [
        ("Pip (Env)", "/tmp/h7lab/proj/Pip (Env)/Pipfile", "Pip__Env_-WnFZ7mug"),  # pipenv --python
        ("x[&]y" * 10, "/srv/p/Pipfile", "x___yx___yx___yx___yx___yx___yx___yx___yx_-8y_JgKN5"),
    ],
)
def test_pipenv_names_match_pipenv(dir_name, pipfile, expected):
    assert pipenv_env_name(dir_name, pipfile) == expected


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ("/tmp/h7lab/proj/pdmproj", "pdmproj-d2UHyYsu-"),  # pdm venv create
        ("C:/Users/u/proj", "proj-NM5seGH6-"),  # pdm's hash_path on a Windows root's as_posix()
        ("/home/u/Code/über", "über-3WDVxpIq-"),
    ],
)
def test_pdm_prefixes_match_pdm(root, expected):
    assert pdm_venv_prefix(root.rsplit("/", 1)[1], root) == expected


@pytest.mark.parametrize(
    ("root", "expected"), [("/tmp/h7lab/proj/hatchproj", "wPAyOapu"), ("/home/u/Code/über", "RpCxBFn1")]
)
def test_hatch_ids_match_hatch(root, expected):
    assert hatch_project_id(root) == expected


# -- fixture homes ---------------------------------------------------------------------------------


def make_ctx(
    tmp_path: Path,
    environ: dict[str, str] | None = None,
    platform: str = "linux",
    log: list[str] | None = None,
) -> LocateContext:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return LocateContext(
        state=StateStore(tmp_path / "state"),
        virtual_env=None,
        prefer_layout="windows" if platform == "win32" else "posix",
        home=home,
        environ=environ or {},
        sys_platform=platform,
        log=(log.append if log is not None else lambda _m: None),
    )


def make_project(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    p = tmp_path / "ws" / name
    p.mkdir(parents=True)
    for rel, text in files.items():
        (p / rel).write_text(text)
    return p


def chosen(d: Discovery) -> tuple[str, str]:
    assert d.chosen is not None, [c.source for c in d.candidates]
    return d.chosen.origin, d.chosen.env.name


POETRY_PYPROJECT = '[tool.poetry]\nname = "Demo App"\npackage-mode = false\n'


def poetry_dir(ctx: LocateContext, project: Path, name: str = "demo app") -> str:
    return poetry_env_base(name, os.path.realpath(project))


def test_poetry_env_in_the_default_cache_dir_and_the_one_poetry_env_use_chose(tmp_path):
    ctx = make_ctx(tmp_path)
    p = make_project(tmp_path, "Demo App", {"pyproject.toml": POETRY_PYPROJECT})
    venvs = tmp_path / "home" / ".cache" / "pypoetry" / "virtualenvs"
    base = poetry_dir(ctx, p)
    fake_env(venvs / f"{base}-py3.12", version="3.12.1")
    fake_env(venvs / f"{base}-py3.11")
    fake_env(venvs / "other-AAAAAAAA-py3.11")
    (venvs / "envs.toml").write_text(f'[{base}]\nminor = "3.11"\npatch = "3.11.2"\n')
    d = discover(p, ctx)
    assert chosen(d) == ("poetry", f"{base}-py3.11")
    assert d.chosen is not None and "poetry env use" in d.chosen.source
    assert [c.env.name for c in d.candidates] == [f"{base}-py3.11", f"{base}-py3.12"]


def test_poetry_virtualenvs_path_precedence(tmp_path):
    p = make_project(tmp_path, "app", {"pyproject.toml": POETRY_PYPROJECT})
    base = poetry_dir(make_ctx(tmp_path), p)
    # poetry.toml "{cache-dir}/elsewhere" with POETRY_CACHE_DIR, as frozen above
    (p / "poetry.toml").write_text('[virtualenvs]\npath = "{cache-dir}/elsewhere"\n')
    fake_env(tmp_path / "pcache" / "elsewhere" / f"{base}-py3.11")
    ctx = make_ctx(tmp_path, {"POETRY_CACHE_DIR": str(tmp_path / "pcache")})
    assert chosen(discover(p, ctx))[1] == f"{base}-py3.11"
    # POETRY_VIRTUALENVS_PATH beats poetry.toml
    fake_env(tmp_path / "envvar" / f"{base}-py3.11")
    ctx = make_ctx(tmp_path, {"POETRY_VIRTUALENVS_PATH": str(tmp_path / "envvar")})
    d = discover(p, ctx)
    assert d.chosen is not None and d.chosen.env.path == tmp_path / "envvar" / f"{base}-py3.11"
    # config.toml (POETRY_CONFIG_DIR) when the project says nothing
    (p / "poetry.toml").unlink()
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "config.toml").write_text(f'[virtualenvs]\npath = "{tmp_path / "fromconf"}"\n')
    fake_env(tmp_path / "fromconf" / f"{base}-py3.11")
    d = discover(p, make_ctx(tmp_path, {"POETRY_CONFIG_DIR": str(conf)}))
    assert d.chosen is not None and d.chosen.env.path == tmp_path / "fromconf" / f"{base}-py3.11"


def test_poetry_project_without_a_name(tmp_path):
    p = make_project(tmp_path, "noname", {"pyproject.toml": "[tool.poetry]\npackage-mode = false\n"})
    base = poetry_dir(make_ctx(tmp_path), p, "non-package-mode")
    fake_env(tmp_path / "home/.cache/pypoetry/virtualenvs" / f"{base}-py3.11")
    assert chosen(discover(p, make_ctx(tmp_path))) == ("poetry", f"{base}-py3.11")


def test_poetry_config_that_is_not_toml_is_logged_and_the_default_dir_still_answers(tmp_path):
    log: list[str] = []
    ctx = make_ctx(tmp_path, log=log)
    (tmp_path / "home" / ".config" / "pypoetry").mkdir(parents=True)
    (tmp_path / "home" / ".config" / "pypoetry" / "config.toml").write_text("[virtualenvs\npath = = '\n")
    p = make_project(tmp_path, "app", {"pyproject.toml": POETRY_PYPROJECT})
    base = poetry_dir(ctx, p)
    fake_env(tmp_path / "home" / ".cache" / "pypoetry" / "virtualenvs" / f"{base}-py3.11")
    assert chosen(discover(p, ctx)) == ("poetry", f"{base}-py3.11")
    assert any("config.toml is not valid TOML" in m for m in log)


def test_declared_tool_env_beats_a_stray_venv_dir_and_undeclared_loses_to_it(tmp_path):
    ctx = make_ctx(tmp_path)
    declared = make_project(tmp_path, "declared", {"pyproject.toml": POETRY_PYPROJECT})
    fake_env(declared / "venv")
    fake_env(tmp_path / "home/.cache/pypoetry/virtualenvs" / f"{poetry_dir(ctx, declared)}-py3.11")
    d = discover(declared, ctx)
    assert chosen(d)[0] == "poetry"
    stray = d.candidates[1]
    assert stray.env.name == "venv" and stray.rejected and "comes first (Poetry env" in stray.rejected

    # [project] only: Poetry can work on it, but the project does not say so
    undeclared = make_project(tmp_path, "undeclared", {"pyproject.toml": '[project]\nname = "Demo App"\n'})
    fake_env(undeclared / "venv")
    fake_env(tmp_path / "home/.cache/pypoetry/virtualenvs" / f"{poetry_dir(ctx, undeclared)}-py3.11")
    d = discover(undeclared, make_ctx(tmp_path))  # a new context: the env dir changed
    assert chosen(d) == ("conventional", "venv")
    assert d.candidates[1].origin == "poetry" and "does not declare poetry" in d.candidates[1].source

    # .venv in the project still beats the tool's central env (Poetry, Pipenv and PDM prefer it too)
    fake_env(declared / ".venv")
    assert chosen(discover(declared, make_ctx(tmp_path))) == ("conventional", ".venv")


def test_poetry_on_macos_and_windows_uses_their_cache_dirs(tmp_path):
    p = make_project(tmp_path, "app", {"pyproject.toml": POETRY_PYPROJECT})
    mac = make_ctx(tmp_path, platform="darwin")
    base = poetry_dir(mac, p)
    fake_env(tmp_path / "home/Library/Caches/pypoetry/virtualenvs" / f"{base}-py3.11")
    assert chosen(discover(p, mac)) == ("poetry", f"{base}-py3.11")

    local = tmp_path / "AppData" / "Local"
    win = make_ctx(
        tmp_path, {"LOCALAPPDATA": str(local), "APPDATA": str(tmp_path / "AppData/Roaming")}, "win32"
    )
    win_base = poetry_env_base("demo app", os.path.realpath(p), windows=True)
    fake_env(
        local / "pypoetry" / "Cache" / "virtualenvs" / f"{win_base}-py3.12", windows=True, version="3.12.1"
    )
    d = discover(p, win)
    assert chosen(d) == ("poetry", f"{win_base}-py3.12") and d.chosen is not None
    assert d.chosen.env.python.name == "python.exe"


def test_pipenv_env_by_name_hash_by_custom_name_and_by_dot_venv_file(tmp_path):
    ctx = make_ctx(tmp_path)
    p = make_project(tmp_path, "Pip (Env)", {"Pipfile": "[packages]\n"})
    venvs = tmp_path / "home/.local/share/virtualenvs"
    name = pipenv_env_name(p.name, str(p / "Pipfile"))
    fake_env(venvs / name)
    (venvs / name / ".project").write_text(str(p))
    d = discover(p, ctx)
    assert chosen(d) == ("pipenv", name)
    assert d.chosen is not None and d.chosen.source == f"Pipenv env {name} in {venvs}"

    # a .venv *file* naming an env: Pipenv's env dir / that name (as pipenv did with "named-env")
    fake_env(venvs / "named-env")
    (p / ".venv").write_text("named-env\n")
    d = discover(p, make_ctx(tmp_path))
    assert chosen(d) == ("venv-file", "named-env")
    # WORKON_HOME moves it
    workon = tmp_path / "workon"
    fake_env(workon / "by-name")
    (p / ".venv").write_text("by-name\n")
    d = discover(p, make_ctx(tmp_path, {"WORKON_HOME": str(workon)}))
    assert chosen(d) == ("venv-file", "by-name")


def test_virtualenvwrapper_env_whose_project_file_names_the_project(tmp_path):
    ctx = make_ctx(tmp_path)
    p = make_project(tmp_path, "wrapped", {"requirements.txt": ""})
    env = fake_env(tmp_path / "home/.virtualenvs/wrapped-env")
    (env / ".project").write_text(str(p) + "\n")
    fake_env(tmp_path / "home/.virtualenvs/unrelated")
    d = discover(p, ctx)
    assert chosen(d) == ("virtualenvwrapper", "wrapped-env")
    assert d.chosen is not None and ".project" in d.chosen.source


def test_pdm_dot_pdm_python_then_central_envs(tmp_path):
    log: list[str] = []
    ctx = make_ctx(tmp_path, log=log)
    p = make_project(tmp_path, "pdmproj", {"pyproject.toml": '[project]\nname = "pdmproj"\n', "pdm.lock": ""})
    venvs = tmp_path / "home/.local/share/pdm/venvs"
    prefix = pdm_venv_prefix(p.name, str(p))
    fake_env(venvs / f"{prefix}3.11")
    foo = fake_env(venvs / f"{prefix}foo")
    (p / ".pdm-python").write_text(str(foo / "bin" / "python"))
    d = discover(p, ctx)
    assert chosen(d) == ("pdm", f"{prefix}foo")
    assert [c.env.name for c in d.candidates] == [f"{prefix}foo", f"{prefix}3.11"]

    # .pdm-python naming a missing file: logged, the central env still answers
    (p / ".pdm-python").write_text(str(tmp_path / "gone" / "bin" / "python"))
    d = discover(p, make_ctx(tmp_path, log=log))
    assert chosen(d) == ("pdm", f"{prefix}3.11")
    assert any(".pdm-python" in m and "does not exist" in m for m in log)


def test_pdm_venv_location_from_its_config_file(tmp_path):
    p = make_project(tmp_path, "pdmproj", {"pyproject.toml": '[project]\nname = "x"\n[tool.pdm]\n'})
    conf = tmp_path / "pdm.toml"
    conf.write_text(f'[venv]\nlocation = "{tmp_path / "central"}"\n')
    fake_env(tmp_path / "central" / f"{pdm_venv_prefix(p.name, str(p))}3.12", version="3.12.1")
    assert chosen(discover(p, make_ctx(tmp_path, {"PDM_CONFIG_FILE": str(conf)})))[0] == "pdm"


def test_hatch_default_storage_ties_envs_to_their_project(tmp_path):
    ctx = make_ctx(tmp_path)
    p = make_project(
        tmp_path, "hatchproj", {"pyproject.toml": '[project]\nname = "Hatch_Proj"\n[tool.hatch.envs.lint]\n'}
    )
    storage = tmp_path / "home/.local/share/hatch/env/virtual/hatch-proj" / hatch_project_id(str(p))
    fake_env(storage / "lint")
    fake_env(storage / "hatch-proj")
    fake_env(
        tmp_path / "home/.local/share/hatch/env/virtual/hatch-proj/XXXXXXXX/hatch-proj"
    )  # another checkout
    d = discover(p, ctx)
    assert chosen(d) == ("hatch", "hatch-proj")
    assert [c.env.path.parent for c in d.candidates] == [storage, storage]
    assert d.chosen is not None and d.chosen.source.startswith("Hatch env default in")


def test_hatch_path_option_and_in_project_env_dir(tmp_path):
    # Hatch 1.18.2 with HATCH_CONFIG holding [dirs.env] virtual = ".hatch": `hatch env create` made
    # <project>/.hatch/hatch2 (flat: the dir is inside the project) and `hatch env create docs` made
    # build/docs-env from [tool.hatch.envs.docs] path; the default env comes first.
    p = make_project(
        tmp_path,
        "hatch2",
        {
            "pyproject.toml": '[project]\nname = "hatch2"\n[tool.hatch.envs.default]\n'
            '[tool.hatch.envs.docs]\npath = "build/docs-env"\n'
        },
    )
    config = tmp_path / "hatchcfg.toml"
    config.write_text('[dirs.env]\nvirtual = ".hatch"\n')
    fake_env(p / "build" / "docs-env")
    fake_env(p / ".hatch" / "hatch2")
    d = discover(p, make_ctx(tmp_path, {"HATCH_CONFIG": str(config)}))
    assert [(c.origin, c.env.path) for c in d.candidates] == [
        ("hatch", p / ".hatch" / "hatch2"),
        ("hatch", p / "build" / "docs-env"),
    ]
    assert d.candidates[1].source == f"Hatch env docs at {p / 'build' / 'docs-env'} (its path option)"


def fake_conda_env(prefix: Path, version: str = "3.11.7", windows: bool = False) -> Path:
    """A conda prefix as conda documents it: conda-meta/ with one JSON record per package."""
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / f"python-{version}-h955ad1f_0.json").write_text("{}")
    (prefix / "conda-meta" / "history").write_text("")
    if windows:
        (prefix / "python.exe").write_bytes(b"MZ")
    else:
        (prefix / "bin").mkdir()
        (prefix / "bin" / "python3.11").write_text("")  # never run: only its presence matters
        (prefix / "bin" / "python").symlink_to("python3.11")
    return prefix


def test_conda_env_named_by_environment_yml(tmp_path):
    ctx = make_ctx(tmp_path)
    p = make_project(
        tmp_path, "sci", {"environment.yml": "name: sci-env  # the env\nchannels:\n  - conda-forge\n"}
    )
    fake_conda_env(tmp_path / "home/miniforge3")
    fake_conda_env(tmp_path / "home/miniforge3/envs/sci-env", "3.12.4")
    fake_conda_env(tmp_path / "home/miniforge3/envs/other")
    d = discover(p, ctx)
    assert chosen(d) == ("conda", "sci-env") and d.chosen is not None
    assert d.chosen.env.version == "3.12.4" and d.chosen.env.kind == "conda"
    assert "environment.yml name: sci-env" in d.chosen.source


def test_conda_envs_dirs_from_condarc_and_environments_txt(tmp_path):
    ctx = make_ctx(tmp_path)
    (tmp_path / "home" / ".condarc").write_text(f"envs_dirs:\n  - {tmp_path / 'my-envs'}\n")
    fake_conda_env(tmp_path / "my-envs" / "a")
    fake_conda_env(tmp_path / "listed" / "b")
    (tmp_path / "home" / ".conda").mkdir()
    (tmp_path / "home" / ".conda" / "environments.txt").write_text(f"{tmp_path / 'listed' / 'b'}\n")
    pa = make_project(tmp_path, "pa", {"environment.yml": "name: a\n"})
    pb = make_project(tmp_path, "pb", {"environment.yaml": "name: 'b'\n"})
    assert chosen(discover(pa, ctx)) == ("conda", "a")
    assert chosen(discover(pb, ctx)) == ("conda", "b")


def test_environments_txt_with_10000_paths_and_loops_is_cut_and_logged(tmp_path):
    log: list[str] = []
    ctx = make_ctx(tmp_path, log=log)
    (tmp_path / "home" / ".conda").mkdir()
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    lines = [str(loop), str(loop / "x")] + [str(tmp_path / f"nope{i}") for i in range(10_000)]
    (tmp_path / "home" / ".conda" / "environments.txt").write_text("\n".join(lines))
    fake_conda_env(tmp_path / "home/miniconda3/envs/real")
    p = make_project(tmp_path, "p", {"environment.yml": "name: real\n"})
    fake_env(p / "venv")
    assert chosen(discover(p, ctx)) == ("conda", "real")
    assert any("environments.txt" in m and "10002" in m for m in log)


def test_pixi_envs_in_the_project(tmp_path):
    p = make_project(tmp_path, "px", {"pixi.toml": "[project]\nname = 'px'\n"})
    fake_conda_env(p / ".pixi" / "envs" / "test")
    fake_conda_env(p / ".pixi" / "envs" / "default")
    d = discover(p, make_ctx(tmp_path))
    assert chosen(d) == ("pixi", "default")
    assert [c.env.name for c in d.candidates] == ["default", "test"]


def test_pyenv_virtualenv_named_by_python_version(tmp_path):
    root = tmp_path / "home" / ".pyenv"
    (root / "versions" / "3.11.7" / "bin").mkdir(parents=True)
    env = fake_env(root / "versions" / "3.11.7" / "envs" / "myvenv")
    (root / "versions" / "myvenv").symlink_to(env)  # what pyenv-virtualenv makes
    p = make_project(tmp_path, "pyenvproj", {"requirements.txt": "", ".python-version": "myvenv\n"})
    d = discover(p, make_ctx(tmp_path))
    assert chosen(d) == ("pyenv", "myvenv")
    # a plain version is a base interpreter, not an env
    (p / ".python-version").write_text("3.11.7\n")
    assert discover(p, make_ctx(tmp_path)).chosen is None
    # "../" never leaves versions/
    (p / ".python-version").write_text("../../outside\n")
    fake_env(tmp_path / "home" / "outside")
    assert discover(p, make_ctx(tmp_path)).chosen is None


def test_uv_project_environment_relative_to_the_project(tmp_path):
    p = make_project(tmp_path, "uvp", {"pyproject.toml": '[project]\nname = "uvp"\n'})
    fake_env(p / "build" / "env")
    fake_env(p / ".venv")
    d = discover(p, make_ctx(tmp_path, {"UV_PROJECT_ENVIRONMENT": "build/env"}))
    assert chosen(d) == ("uv", "env")


def test_python_envs_last_line_is_the_default_and_dot_venv_is_an_implicit_last_line(tmp_path):
    log: list[str] = []
    p = make_project(tmp_path, "pep", {"requirements.txt": ""})
    fake_env(tmp_path / "envs" / "one")
    fake_env(p / "rel" / "two")
    (p / ".python-envs").write_text(
        f"{tmp_path / 'envs' / 'one'}\r\nssh@example.com:custom\n/\nrel/two\nrel/two\n"
    )
    d = discover(p, make_ctx(tmp_path, log=log))
    assert chosen(d) == ("pep832", "two") and d.chosen is not None
    assert d.chosen.source.startswith(".python-envs default (last line)")
    assert [c.env.name for c in d.candidates] == ["two", "one"]
    assert any("ssh@example.com:custom" in m and "not an environment" in m for m in log)
    assert any(m.startswith("discovery skipped /, listed in") for m in log)

    fake_env(p / ".venv")
    d = discover(p, make_ctx(tmp_path))
    assert chosen(d) == ("pep832", ".venv") and d.chosen is not None
    assert d.chosen.source == ".venv beside .python-envs (PEP 832 default)"


def test_python_envs_default_that_is_not_an_env_is_skipped_and_the_next_line_answers(tmp_path):
    log: list[str] = []
    p = make_project(tmp_path, "pep", {"requirements.txt": ""})
    fake_env(p / "envs" / "old")
    (p / ".python-envs").write_text("envs/old\nenvs/deleted\n")
    fake_env(p / "venv")
    d = discover(p, make_ctx(tmp_path, log=log))
    assert chosen(d) == ("pep832", "old") and d.chosen is not None
    assert d.chosen.source == (
        f".python-envs lists {p / 'envs' / 'old'} (the default, {p / 'envs' / 'deleted'}, is not an environment)"
    )
    assert not any(c.env.state == "broken" for c in d.candidates)  # skipped, not shown broken
    assert (
        f"discovery skipped {p / 'envs' / 'deleted'}, the default (last line) in {p / '.python-envs'}: "
        "not an environment"
    ) in log
    # Nothing else listed is an env either: the usual order answers (venv/ here).
    (p / ".python-envs").write_text("envs/deleted\n")
    assert chosen(discover(p, make_ctx(tmp_path))) == ("conventional", "venv")


def test_virtual_env_precedence(tmp_path):
    """VIRTUAL_ENV comes last: inside the project it is chosen only when nothing else is found, and it
    never overrides a selection, .python-envs, .venv or a declared tool's env; elsewhere it is listed,
    never chosen (docs/PROTOCOL.md "Projects and discovery")."""
    p = make_project(tmp_path, "act", {"requirements.txt": ""})
    inner = fake_env(p / "build" / "active")  # not a direct child: only VIRTUAL_ENV names it
    ctx = make_ctx(tmp_path)

    def with_venv(path: Path) -> LocateContext:
        return LocateContext(state=ctx.state, virtual_env=str(path), home=ctx.home, environ={})

    d = discover(p, with_venv(inner))
    assert chosen(d) == ("activated", "active")
    fake_env(p / ".venv")
    d = discover(p, with_venv(inner))
    assert chosen(d) == ("conventional", ".venv")
    assert d.candidates[-1].origin == "activated" and d.candidates[-1].rejected == (
        ".venv comes first (.venv in the project)"
    )
    # Activating the env discovery already chose changes nothing: the earlier reason stands.
    d = discover(p, with_venv(p / ".venv"))
    assert [(c.origin, c.env.name) for c in d.candidates] == [("conventional", ".venv")]
    # Elsewhere: listed with its reason, never chosen, even when the project has no env at all.
    other = fake_env(tmp_path / "elsewhere")
    q = make_project(tmp_path, "bare", {"requirements.txt": ""})
    d = discover(q, with_venv(other))
    assert d.chosen is None and d.candidates[0].activated_elsewhere


def test_python_envs_of_1_mb_is_skipped_with_a_reason_and_others_answer(tmp_path):
    log: list[str] = []
    p = make_project(tmp_path, "big", {"requirements.txt": ""})
    (p / ".python-envs").write_text("x/\n" * 350_000)
    fake_env(p / "venv")
    d = discover(p, make_ctx(tmp_path, log=log))
    assert chosen(d) == ("conventional", "venv")
    assert any(".python-envs is 1.0 MB; venvkeeper reads a .python-envs up to 64 KiB" in m for m in log)


# -- zero processes, unreadable dirs ---------------------------------------------------------------

TOOLS = (
    "poetry",
    "pipenv",
    "pdm",
    "hatch",
    "conda",
    "mamba",
    "micromamba",
    "pixi",
    "pyenv",
    "uv",
    "python",
    "python3",
)


def booby_trap(path: Path, marker: Path) -> None:
    """An executable that records that it ran."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    path.write_text(f'#!/bin/sh\necho "$0" >> "{marker}"\n')
    path.chmod(0o755)


def test_discovery_of_every_kind_spawns_no_process(tmp_path):
    marker = tmp_path / "ran"
    bin_dir = tmp_path / "trap-bin"
    for tool in TOOLS:
        booby_trap(bin_dir / tool, marker)
    root = tmp_path / "home" / ".pyenv"
    for tool in ("python", "python3", "pyenv"):
        booby_trap(root / "shims" / tool, marker)
    ctx = make_ctx(tmp_path, {"PATH": f"{root / 'shims'}{os.pathsep}{bin_dir}", "PYENV_ROOT": str(root)})
    home = tmp_path / "home"
    envs: list[Path] = []
    poetry = make_project(tmp_path, "poetry", {"pyproject.toml": POETRY_PYPROJECT})
    envs.append(fake_env(home / ".cache/pypoetry/virtualenvs" / f"{poetry_dir(ctx, poetry)}-py3.11"))
    pipenv = make_project(tmp_path, "pipenv", {"Pipfile": ""})
    envs.append(
        fake_env(home / ".local/share/virtualenvs" / pipenv_env_name("pipenv", str(pipenv / "Pipfile")))
    )
    pdm = make_project(tmp_path, "pdm", {"pyproject.toml": '[project]\nname = "pdm"\n', "pdm.lock": ""})
    envs.append(fake_env(home / ".local/share/pdm/venvs" / f"{pdm_venv_prefix('pdm', str(pdm))}3.11"))
    hatch = make_project(
        tmp_path, "hatch", {"pyproject.toml": '[project]\nname = "hatch"\n[tool.hatch.envs]\n'}
    )
    envs.append(
        fake_env(home / ".local/share/hatch/env/virtual/hatch" / hatch_project_id(str(hatch)) / "hatch")
    )
    conda = make_project(tmp_path, "conda", {"environment.yml": "name: c\n"})
    fake_conda_env(home / "miniconda3" / "envs" / "c")
    booby_trap(home / "miniconda3" / "envs" / "c" / "bin" / "python", marker)
    pixi = make_project(tmp_path, "pixi", {"pixi.toml": ""})
    fake_conda_env(pixi / ".pixi" / "envs" / "default")
    booby_trap(pixi / ".pixi" / "envs" / "default" / "bin" / "python", marker)
    pyenv = make_project(tmp_path, "pyenv", {"requirements.txt": "", ".python-version": "v\n"})
    envs.append(fake_env(root / "versions" / "v"))
    wrapper = make_project(tmp_path, "wrapper", {"requirements.txt": ""})
    envs.append(fake_env(home / ".virtualenvs" / "w"))
    (home / ".virtualenvs" / "w" / ".project").write_text(str(wrapper))
    pep = make_project(tmp_path, "pep", {"requirements.txt": "", ".python-envs": "e\n"})
    envs.append(fake_env(pep / "e"))
    for env in envs:
        booby_trap(env / "bin" / "python", marker)
    projects = [poetry, pipenv, pdm, hatch, conda, pixi, pyenv, wrapper, pep]
    origins = [chosen(discover(p, ctx))[0] for p in projects]
    assert origins == [
        "poetry",
        "pipenv",
        "pdm",
        "hatch",
        "conda",
        "pixi",
        "pyenv",
        "virtualenvwrapper",
        "pep832",
    ]
    assert not marker.exists(), marker.read_text()


UNREADABLE_SCRIPT = """
import json, sys
from pathlib import Path
from venvkeeper.discovery.discover import discover
from venvkeeper.discovery.locators import LocateContext
from venvkeeper.state import StateStore
base = Path(sys.argv[1])
log = []
ctx = LocateContext(state=StateStore(base / "state"), virtual_env=None, home=base / "home", log=log.append)
d = discover(base / "ws" / "p", ctx)
print(json.dumps({"chosen": d.chosen and d.chosen.origin, "log": log}))
"""


@pytest.mark.skipif(
    sys.version_info < (3, 10), reason="the 3.9 compat env's interpreter cannot load libpython under setpriv"
)
def test_unreadable_tool_dirs_are_skipped_with_a_reason(tmp_path):
    """Root ignores file modes, so the discovery runs as nobody (uid 65534) on a tree nobody can reach."""
    if os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists():
        pytest.skip("needs root and setpriv to run the check as another user")
    import json
    import shutil
    import subprocess
    import sys
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="vk-unreadable-"))
    try:
        base.chmod(0o755)
        p = make_project(base, "p", {"pyproject.toml": POETRY_PYPROJECT, "Pipfile": ""})
        fake_env(p / "venv")
        venvs = base / "home" / ".cache" / "pypoetry" / "virtualenvs"
        fake_env(venvs / f"{poetry_dir(make_ctx(base), p)}-py3.11")
        (base / "home" / ".local" / "share" / "virtualenvs").mkdir(parents=True)
        for d in [base, *(x for x in base.rglob("*") if x.is_dir())]:
            d.chmod(0o755)
        venvs.chmod(0)
        (base / "home" / ".local" / "share" / "virtualenvs").chmod(0)
        (base / "state").mkdir(mode=0o777)
        done = subprocess.run(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                sys.executable,
                "-c",
                UNREADABLE_SCRIPT,
                str(base),
            ],
            capture_output=True,
            text=True,
            env={"PYTHONPATH": os.pathsep.join(sys.path), "PATH": "/usr/bin:/bin"},
        )
        if done.returncode != 0 and "ModuleNotFoundError" in done.stderr:
            pytest.skip(f"the test interpreter is not usable by uid 65534: {done.stderr[-200:]}")
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["chosen"] == "conventional"  # the other locators still answer
        assert any("virtualenvs cannot be listed: Permission denied" in m for m in result["log"])
    finally:
        for d in [base, *(x for x in base.rglob("*") if x.is_dir() and not x.is_symlink())]:
            d.chmod(0o755)
        shutil.rmtree(base)


def test_fifos_in_place_of_tool_files_are_logged_never_read(tmp_path):
    log: list[str] = []
    p = make_project(tmp_path, "fifo", {"pyproject.toml": POETRY_PYPROJECT})
    for name in ("poetry.toml", ".python-envs", ".pdm-python", ".python-version", "environment.yml"):
        os.mkfifo(p / name)
    fake_env(p / "venv")
    d = discover(p, make_ctx(tmp_path, log=log))  # would block forever if any FIFO were opened for reading
    assert chosen(d) == ("conventional", "venv")
    assert any("poetry.toml is a named pipe (FIFO), not a regular file" in m for m in log)
    assert any(".python-envs is a named pipe (FIFO), not a regular file" in m for m in log)
