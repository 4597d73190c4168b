"""The session without a server or a protocol: what reaches the editor after file events, folder
changes and the initial sweep (a recording client stands for the editor)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.envs import make_venv
from tests.support.recording_client import RecordingClient
from venvkeeper.creation.offer import DECLINE_KEY, NEVER_THESE
from venvkeeper.daemon.create_prompts import CreatePrompts
from venvkeeper.daemon.session import Session
from venvkeeper.host import Host


def _session(tmp_path: Path, client: RecordingClient) -> Session:
    host = Host(environ={}, state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", home=tmp_path)
    return Session(host, client)


def _workspace(tmp_path: Path, *names: str) -> Path:
    ws = tmp_path / "ws"
    for name in names:
        (ws / name).mkdir(parents=True)
        (ws / name / "requirements.txt").write_text("alpha\n")
    return ws


def test_an_edited_requirement_file_republishes_its_project_only(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "api", "web")
    make_venv(ws / "api" / ".venv")
    client = RecordingClient()
    session = _session(tmp_path, client)
    session.app.set_roots([ws])
    session.refresh()
    assert sorted(p.name for p in client.published) == ["api", "web"]
    assert [(p.name, view is not None) for p, view in client.announced] == [("api", True)]
    client.published.clear()

    (ws / "api" / "requirements.txt").write_text("alpha\nbeta\n")
    session.on_fs_events({ws / "api" / "requirements.txt"})  # no loop: re-checked at once

    assert [p.name for p in client.published] == ["api"]


def test_a_removed_project_and_a_removed_folder_are_withdrawn(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "api", "web")
    other = _workspace(tmp_path / "other", "tools")
    client = RecordingClient()
    session = _session(tmp_path, client)
    session.app.set_roots([ws, other])
    session.refresh()

    (ws / "web" / "requirements.txt").unlink()
    (ws / "web").rmdir()
    session.on_fs_events({ws / "web"})
    session.folders_changed([other], [])

    assert [p.name for p in client.cleared] == ["web", "tools"]
    assert [p.name for p in session.app.projects()] == ["api"]


def test_several_projects_without_env_get_one_prompt_and_never_is_remembered(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "api", "web", "tools")
    client = RecordingClient([NEVER_THESE])
    session = _session(tmp_path, client)
    prompts = CreatePrompts(session)
    prompts.attach()
    session.app.set_roots([ws], scan=False)

    async def run() -> None:
        session.loop = asyncio.get_running_loop()
        await session.initial_sweep()
        while session._tasks:  # the prompt runs as a task of the session
            await asyncio.gather(*session._tasks)

    asyncio.run(run())
    [(message, actions)] = client.asked
    assert message.startswith("3 projects have no environment")
    assert NEVER_THESE in actions
    state = session.app.state
    assert state is not None
    assert all(state.declined(ws / name, DECLINE_KEY) for name in ("api", "web", "tools"))
