"""watch/routing.py: which changed paths concern which projects (pure, no file system)."""

from __future__ import annotations

from pathlib import Path

import pytest

from venvkeeper.watch.routing import ProjectIndex, is_relevant_name, outermost

ROOT = Path("/ws")
A = ROOT / "packages" / "a"
B = ROOT / "packages" / "b"
ENV_A = A / ".venv"


def index(dirs: frozenset[Path] = frozenset()) -> ProjectIndex:
    return ProjectIndex([ROOT], [A, B], {A: [ENV_A], B: []}, is_dir=lambda p: p in dirs)


@pytest.mark.parametrize(
    "name",
    [
        "requirements.txt",
        "requirements-dev.txt",
        "pyproject.toml",
        "uv.lock",
        "poetry.lock",
        "Pipfile",
        "setup.cfg",
        ".python-version",
        "constraints.txt",
        "dev.in",
        "pylock.toml",
        ".venv",
        "environment.yml",
    ],
)
def test_relevant_names(name: str) -> None:
    assert is_relevant_name(name)


@pytest.mark.parametrize("name", ["README.md", "main.py", "notes.txt", ".main.py.new", "Makefile"])
def test_irrelevant_names(name: str) -> None:
    assert not is_relevant_name(name)


def test_readme_and_sources_trigger_nothing() -> None:
    r = index().route([A / "README.md", A / "main.py", B / ".README.md.new", A / "src" / "x.py"])
    assert r.affected == {} and r.rescan == set()


def test_requirement_change_affects_only_its_project() -> None:
    r = index().route(
        [A / "requirements.txt", A / "requirements" / "ci" / "dev.txt", B / "dev-requirements.txt"]
    )
    assert set(r.affected) == {A, B}


def test_requirements_dir_changes_affect_its_project() -> None:
    r = index().route([A / "requirements", A / "requirements" / "ci" / "lint.in"])
    assert set(r.affected) == {A}


def test_env_internals_affect_the_env_owner() -> None:
    site = ENV_A / "lib" / "python3.12" / "site-packages" / "foo-1.0.dist-info"
    r = index().route([site, ENV_A])
    assert set(r.affected) == {A} and r.rescan == set()


def test_shared_env_affects_every_owner() -> None:
    shared = ROOT / "envs" / "shared"
    idx = ProjectIndex([ROOT], [A, B], {A: [shared], B: [shared]}, is_dir=lambda p: False)
    assert set(idx.route([shared / "bin" / "python"]).affected) == {A, B}


def test_new_dir_in_a_project_is_rescanned_and_affects_it() -> None:
    new_env = A / "myenv"
    r = index(frozenset({new_env})).route([new_env])
    assert set(r.affected) == {A} and r.rescan == {new_env}


def test_marker_change_rescans_the_project() -> None:
    r = index().route([A / "pyproject.toml"])
    assert set(r.affected) == {A} and r.rescan == {A}


def test_new_project_outside_known_ones_is_rescanned() -> None:
    c = ROOT / "packages" / "c"
    assert index(frozenset({c})).route([c]).rescan == {c}
    assert index().route([c / "requirements.txt"]).rescan == {c}


def test_deleted_project_or_holder_rescans_above_it() -> None:
    assert index().route([A]).rescan == {ROOT / "packages"}
    assert index().route([ROOT / "packages"]).rescan == {ROOT}


def test_paths_outside_every_root_are_ignored() -> None:
    assert index().route([Path("/elsewhere/requirements.txt")]).rescan == set()


def test_routing_cost_does_not_grow_with_the_project_count() -> None:
    # A structural check, not a timing one: routing asks is_dir only for a path whose name could matter.
    asked: list[Path] = []
    projects = [ROOT / "p" / f"{i}" for i in range(2000)]
    idx = ProjectIndex([ROOT], projects, {}, is_dir=lambda p: asked.append(p) is not None)
    idx.route([p / "README.md" for p in projects])
    assert len(asked) == 2000  # one question per path (is it a new dir?), never per project pair


def test_outermost() -> None:
    assert outermost([ROOT / "a" / "b", ROOT / "a", ROOT / "c"]) == [ROOT / "a", ROOT / "c"]


def test_a_uv_workspace_lock_above_members_concerns_every_member() -> None:
    r = index().route([ROOT / "packages" / "uv.lock"])
    assert set(r.affected) == {A, B}
    assert set(index().route([ROOT / "uv.lock"]).affected) == {A, B}
