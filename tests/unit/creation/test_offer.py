"""The auto-create decision: when to offer, what the offer says."""

from __future__ import annotations

from pathlib import Path

import pytest

from venvkeeper.creation.offer import DECLINE_KEY, GROUP_ACTIONS, Offer, group_message, should_offer_create
from venvkeeper.discovery.model import Discovery
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "app"
    p.mkdir()
    (p / "requirements.txt").write_text("requests\n")
    return p


def offer(
    project: Path, state: StateStore, settings: Settings | None = None, prompted: set[Path] | None = None
) -> Offer | None:
    return should_offer_create(
        project,
        Discovery(project, None, []),
        settings or Settings(),
        state,
        prompted if prompted is not None else set(),
        python_version="3.12",
    )


def test_offer_message_and_buttons(project: Path, tmp_path: Path) -> None:
    got = offer(project, StateStore(tmp_path / "state"))
    assert got is not None
    assert got.message == "Create .venv with Python 3.12 and install requirements.txt?"
    assert got.actions == ("Create", "Not now", "Never for this project")
    assert got.env_path == project / ".venv" and not got.automatic


def test_pyproject_only_project_is_offered(tmp_path: Path) -> None:
    p = tmp_path / "lib"
    p.mkdir()
    (p / "pyproject.toml").write_text('[project]\nname = "lib"\ndependencies = ["attrs"]\n')
    got = offer(p, StateStore(tmp_path / "state"))
    assert (
        got is not None
        and got.message == "Create .venv with Python 3.12 and install pyproject.toml dependencies?"
    )


def test_once_per_session_and_never_persists(project: Path, tmp_path: Path) -> None:
    state = StateStore(tmp_path / "state")
    prompted: set[Path] = set()
    assert offer(project, state, prompted=prompted) is not None
    assert offer(project, state, prompted=prompted) is None
    state.decline(project, DECLINE_KEY)
    assert offer(project, StateStore(tmp_path / "state")) is None  # a new session still remembers


@pytest.mark.parametrize(
    "settings",
    [Settings(auto_create="never"), Settings(trusted=False)],
    ids=["autoCreate-never", "untrusted"],
)
def test_settings_can_forbid(project: Path, tmp_path: Path, settings: Settings) -> None:
    assert offer(project, StateStore(tmp_path / "state"), settings) is None


def test_always_is_automatic(project: Path, tmp_path: Path) -> None:
    got = offer(project, StateStore(tmp_path / "state"), Settings(auto_create="always"))
    assert got is not None and got.automatic


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("poetry.lock", ""),
        ("Pipfile", ""),
        ("pdm.lock", ""),
        ("environment.yml", "name: x\n"),
        ("pyproject.toml", "[tool.poetry]\nname = 'x'\n"),
        ("pyproject.toml", "[tool.pdm]\n"),
        ("pyproject.toml", "[tool.hatch.envs.default]\n"),
    ],
)
def test_managed_projects_are_left_alone(project: Path, tmp_path: Path, name: str, content: str) -> None:
    (project / name).write_text(content)
    assert offer(project, StateStore(tmp_path / "state")) is None


def test_no_dependencies_no_env_dirs_of_tools_or_existing_env(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "state")
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "pyproject.toml").write_text('[project]\nname = "bare"\n')
    assert offer(bare, state) is None
    (bare / "requirements.txt").write_text("# nothing yet\n\n")
    assert offer(bare, state) is None
    (bare / "requirements-dev.txt").write_text("pytest\n")
    got = offer(bare, state)
    assert got is not None and got.plan.label == "requirements-dev.txt"
    tox = tmp_path / ".tox" / "py312"
    tox.mkdir(parents=True)
    (tox / "requirements.txt").write_text("x\n")
    assert offer(tox, state) is None
    pep832 = tmp_path / "pointer"
    pep832.mkdir()
    (pep832 / "requirements.txt").write_text("x\n")
    (pep832 / ".venv").write_text("/elsewhere/env\n")
    assert offer(pep832, state) is None


def test_group_message_names_a_few_projects(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    three = [ws / "api", ws / "web", ws / "libs" / "tools"]
    assert group_message(three, ws) == "3 projects have no environment: api, web and libs/tools"
    many = [ws / f"p{i}" for i in range(100)]
    assert group_message(many, ws) == "100 projects have no environment: p0, p1, p2 and 97 more"
    assert GROUP_ACTIONS == ("Create all", "Choose…", "Not now", "Never for these")
