"""An editor that watches files for us (issue 14, goal 3): when the client offers
``workspace/didChangeWatchedFiles`` with dynamic registration and accepts our watchers, the server stops
watching project dirs — the client's notifications say when a requirement source or an env appears —
and keeps its own watches on env internals (pip installs behind the editor's back)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Callable

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from support.envs import make_venv
from tests.e2e.conftest import SERVER_CMD, Session, _publish_diagnostics, server_env

pytestmark = pytest.mark.asyncio

WAIT = 60.0  # safety net only, sized for a loaded machine


class WatchingEditor:
    """A client that accepts registrations and reports file changes itself, as VS Code does."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.session = Session(client)
        self.registrations: list[types.Registration] = []

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def _register(params: types.RegistrationParams) -> None:
            self.registrations.extend(params.registrations)
            self.session._any_event.set()

    @property
    def logs(self) -> list[str]:
        return [m.message for m in self.client.log_messages]

    def changed(self, *paths: Path, kind: types.FileChangeType = types.FileChangeType.Changed) -> None:
        self.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=p.as_uri(), type=kind) for p in paths]
            )
        )

    def watched_inodes(self) -> set[int]:
        """Inodes of the dirs the server process has inotify watches on (from /proc)."""
        server = self.client._server
        assert server is not None
        inodes: set[int] = set()
        fdinfo = Path(f"/proc/{server.pid}/fdinfo")
        for fd in os.listdir(fdinfo):
            try:
                lines = (fdinfo / fd).read_text().splitlines()
            except OSError:
                continue
            for line in lines:
                if line.startswith("inotify wd:"):
                    field = next(f for f in line.split() if f.startswith("ino:"))
                    inodes.add(int(field[4:], 16))
        return inodes


def make_watching_client() -> LanguageClient:
    """conftest's client, also woken (Session.wait_for) by each window/logMessage."""

    def _log(client: LanguageClient, params: types.LogMessageParams) -> None:
        DEFAULT_CLIENT_FEATURES[types.WINDOW_LOG_MESSAGE](client, params)
        hook = getattr(client, "on_publish", None)
        if hook is not None:
            hook()

    client = LanguageClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _publish_diagnostics
    features[types.WINDOW_LOG_MESSAGE] = _log
    register_lsp_features(client, features)
    return client


@pytest_asyncio.fixture
async def editor(state_dir: Path) -> AsyncIterator[Callable[[list[Path]], Any]]:
    started: list[LanguageClient] = []

    async def _start(folders: list[Path]) -> WatchingEditor:
        config = ClientServerConfig(
            server_command=SERVER_CMD, server_env=server_env(state_dir), client_factory=make_watching_client
        )
        client = await config.start()
        started.append(client)
        ed = WatchingEditor(client)
        caps = client_capabilities("visual-studio-code")
        assert caps.workspace and caps.workspace.did_change_watched_files
        assert caps.workspace.did_change_watched_files.dynamic_registration
        await client.initialize_session(
            types.InitializeParams(
                capabilities=caps,
                workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
            )
        )
        return ed

    yield _start
    for client in started:
        try:
            await asyncio.wait_for(client.shutdown_session(), 5)
        except Exception:
            await client.stop()


def codes(client: LanguageClient, path: Path) -> dict[int, str]:
    return {
        d.range.start.line: str(d.code)
        for d in client.diagnostics.get(path.as_uri(), [])
        if d.source == "venvkeeper" and d.code != "env-no-pip"
    }


def fake_install(site: Path, name: str, version: str) -> None:
    """What pip leaves for an installed distribution, enough for venvkeeper to read."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


async def test_the_editor_watches_projects_and_the_server_watches_envs(tmp_path: Path, editor: Any) -> None:
    ws = tmp_path / "ws"
    a, b = ws / "a", ws / "b"
    a.mkdir(parents=True)
    b.mkdir()
    reqs = a / "requirements.txt"
    reqs.write_text("alpha>=1.0\n")
    (b / "requirements.txt").write_text("alpha>=1.0\n")
    env = make_venv(a / ".venv")
    site = next(env.glob("lib/python*/site-packages"))
    ed: WatchingEditor = await editor([ws])
    s, c = ed.session, ed.client

    # Our globs are registered for requirement sources, lock files, markers and envs.
    await s.wait_for(lambda: codes(c, reqs) == {0: "not-installed"}, WAIT)
    await s.wait_for(lambda: any("client watches project files" in m for m in ed.logs), WAIT)
    globs = [  # register_options arrive as plain JSON (the client cannot know their type)
        str(w["globPattern"])
        for r in ed.registrations
        if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        for w in dict(r.register_options or {}).get("watchers", [])
    ]
    assert any("requirements*.txt" in g and "uv.lock" in g and "pyvenv.cfg" in g for g in globs), globs

    # The server's own watches: the env and its site-packages, not the project dirs.
    inodes = ed.watched_inodes()
    assert os.stat(env).st_ino in inodes and os.stat(site).st_ino in inodes
    assert os.stat(a).st_ino not in inodes and os.stat(b).st_ino not in inodes
    assert not (env / "bin").exists() or os.stat(env / "bin").st_ino not in inodes

    # A requirement source edited on disk: the editor's notification brings the new diagnostics.
    reqs.write_text("alpha>=1.0\ngamma\n")
    ed.changed(reqs)
    await s.wait_for(lambda: codes(c, reqs) == {0: "not-installed", 1: "not-installed"}, WAIT)

    # An install behind the editor's back: the server's own site-packages watch sees it, unannounced.
    fake_install(site, "alpha", "1.5")
    await s.wait_for(lambda: codes(c, reqs) == {1: "not-installed"}, WAIT)

    # A new env in a project the server does not watch: the editor reports its pyvenv.cfg.
    b_env = make_venv(b / ".venv")
    ed.changed(b_env / "pyvenv.cfg", kind=types.FileChangeType.Created)
    change = await s.wait_env_change(lambda ch: ch["projectRoot"] == str(b) and ch["interpreter"], WAIT)
    assert change["interpreter"]["envPath"] == str(b_env)
