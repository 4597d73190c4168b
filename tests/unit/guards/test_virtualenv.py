"""The client's VIRTUAL_ENV: deleted, another project's env, or an env inside this project."""

from __future__ import annotations

from pathlib import Path

from support.envs import make_venv
from venvkeeper.guards.virtualenv import stale_virtual_env_message

from .conftest import env_of

HOME = Path("/nonexistent-home")


def test_other_projects_env_names_both(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for p in (a, b):
        p.mkdir()
        (p / "requirements.txt").write_text("requests\n")
    a_env, b_env = make_venv(a / ".venv"), make_venv(b / ".venv")
    msg = stale_virtual_env_message(str(a_env), b, env_of(b_env), HOME)
    assert msg is not None
    assert msg.startswith(
        f"VIRTUAL_ENV={a_env} (another project's env) does not match this project's env {b_env}"
    )


def test_deleted_env(tmp_path: Path) -> None:
    b_env = make_venv(tmp_path / "b" / ".venv")
    msg = stale_virtual_env_message(str(tmp_path / "gone" / ".venv"), tmp_path / "b", env_of(b_env), HOME)
    assert msg is not None and "no longer exists" in msg and str(b_env) in msg


def test_own_env_or_inside_project_or_unset_is_fine(tmp_path: Path) -> None:
    b = tmp_path / "b"
    b_env = make_venv(b / ".venv")
    other_inside = make_venv(b / "venv2")
    env = env_of(b_env)
    assert stale_virtual_env_message(str(b_env), b, env, HOME) is None
    assert stale_virtual_env_message(str(other_inside), b, env, HOME) is None
    assert stale_virtual_env_message(None, b, env, HOME) is None


def test_foreign_env_without_own_env_is_not_a_mismatch(tmp_path: Path) -> None:
    a_env = make_venv(tmp_path / "a" / ".venv")
    assert stale_virtual_env_message(str(a_env), tmp_path / "b", None, HOME) is None
