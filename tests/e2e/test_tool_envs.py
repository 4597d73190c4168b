"""The real server finds each tool's env for its project, from a fake home (HOME and XDG dirs point
into tmp_path), and says why. Names come from the naming functions that tests/unit/discovery/
test_toolenvs.py pins to what the real tools produced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.envs import fake_env, make_venv
from venvkeeper.discovery.toolenvs import (
    hatch_project_id,
    pdm_venv_prefix,
    pipenv_env_name,
    poetry_env_base,
)

pytestmark = pytest.mark.asyncio


def _project(ws: Path, name: str, files: dict[str, str]) -> Path:
    p = ws / name
    p.mkdir(parents=True)
    for rel, text in files.items():
        (p / rel).write_text(text)
    return p


def _conda_env(prefix: Path) -> Path:
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "python-3.12.4-h955ad1f_0.json").write_text("{}")
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python").write_text("")  # never run
    return prefix


async def test_every_tool_env_is_chosen_for_its_project_with_its_reason(tmp_path, start_server):
    home = tmp_path / "home"
    ws = tmp_path / "ws"
    env = {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PYENV_ROOT": str(home / ".pyenv"),
        "WORKON_HOME": "",
    }
    expected: dict[Path, tuple[str, Path, str]] = {}

    poetry = _project(
        ws, "poetry-app", {"pyproject.toml": '[tool.poetry]\nname = "Demo App"\npackage-mode = false\n'}
    )
    fake_env(poetry / "venv")  # a stray venv/ loses to the declared tool's env
    poetry_env = make_venv(
        home
        / ".cache/pypoetry/virtualenvs"
        / f"{poetry_env_base('demo app', os.path.realpath(poetry))}-py3.11"
    )
    expected[poetry] = ("poetry", poetry_env, f"Poetry env {poetry_env.name} in {poetry_env.parent}")

    pipenv = _project(ws, "pipenv-app", {"Pipfile": "[packages]\n"})
    pipenv_env = fake_env(
        home / ".local/share/virtualenvs" / pipenv_env_name("pipenv-app", str(pipenv / "Pipfile"))
    )
    expected[pipenv] = ("pipenv", pipenv_env, f"Pipenv env {pipenv_env.name} in {pipenv_env.parent}")

    pdm = _project(ws, "pdm-app", {"pyproject.toml": '[project]\nname = "pdm-app"\n', "pdm.lock": ""})
    pdm_env = fake_env(home / ".local/share/pdm/venvs" / f"{pdm_venv_prefix('pdm-app', str(pdm))}3.11")
    expected[pdm] = ("pdm", pdm_env, f"PDM env {pdm_env.name} in {pdm_env.parent}")

    hatch = _project(
        ws, "hatch-app", {"pyproject.toml": '[project]\nname = "hatch-app"\n[tool.hatch.envs.default]\n'}
    )
    storage = home / ".local/share/hatch/env/virtual/hatch-app" / hatch_project_id(str(hatch))
    hatch_env = fake_env(storage / "hatch-app")
    expected[hatch] = ("hatch", hatch_env, f"Hatch env default in {storage}")

    conda = _project(ws, "conda-app", {"environment.yml": "name: sci\n"})
    conda_env = _conda_env(home / "miniforge3" / "envs" / "sci")
    _conda_env(home / "miniforge3")
    expected[conda] = ("conda", conda_env, "conda env sci (environment.yml name: sci)")

    pixi = _project(ws, "pixi-app", {"pixi.toml": "[project]\nname = 'pixi-app'\n"})
    pixi_env = _conda_env(pixi / ".pixi" / "envs" / "default")
    expected[pixi] = ("pixi", pixi_env, "pixi env default (.pixi/envs/default)")

    pyenv = _project(ws, "pyenv-app", {"requirements.txt": "", ".python-version": "my-venv\n"})
    pyenv_env = fake_env(home / ".pyenv/versions/3.11.7/envs/my-venv")
    (home / ".pyenv/versions/my-venv").symlink_to(pyenv_env)
    expected[pyenv] = (
        "pyenv",
        home / ".pyenv/versions/my-venv",
        f".python-version names the pyenv-virtualenv env my-venv ({home / '.pyenv/versions'})",
    )

    wrapper = _project(ws, "wrapper-app", {"requirements.txt": ""})
    wrapper_env = fake_env(home / ".virtualenvs" / "wrapped")
    (wrapper_env / ".project").write_text(str(wrapper))
    expected[wrapper] = (
        "virtualenvwrapper",
        wrapper_env,
        f"wrapped/.project in {wrapper_env.parent} names this project",
    )

    pep = _project(ws, "pep-app", {"requirements.txt": "", ".python-envs": "envs/a\nenvs/b\n"})
    fake_env(pep / "envs" / "a")
    pep_env = fake_env(pep / "envs" / "b")
    expected[pep] = ("pep832", pep_env, f".python-envs default (last line) {pep_env}")

    s = await start_server([ws], env=env)
    for project, (origin, env_path, source) in expected.items():
        answer = await s.request("venvkeeper/interpreter", {"uri": project.as_uri()})
        assert answer is not None, project.name
        assert (answer["origin"], answer["envPath"], answer["source"]) == (origin, str(env_path), source)

    listed = await s.request("venvkeeper/environments", {"uri": poetry.as_uri()})
    stray = next(e for e in listed["environments"] if e["envPath"] == str(poetry / "venv"))
    assert stray["rejected"] == f"{poetry_env.name} comes first ({expected[poetry][2]})"
    conda_answer = await s.request("venvkeeper/interpreter", {"uri": conda.as_uri()})
    assert conda_answer["kind"] == "conda" and conda_answer["version"] == "3.12.4"
