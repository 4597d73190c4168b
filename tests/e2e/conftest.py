"""End-to-end fixtures: the real server spawned over stdio by pytest-lsp, with an isolated state dir."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER_CMD = [sys.executable, "-m", "venvkeeper", "serve"]


def server_env(state_dir: Path, extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    env = dict(os.environ)
    # Isolate the user state dir (selections, declines) from the developer's real one.
    env["XDG_STATE_HOME"] = str(state_dir)
    env["XDG_CACHE_HOME"] = str(state_dir / "cache")
    env.pop("VIRTUAL_ENV", None)
    env.update(extra or {})
    return env


class Session:
    """A running server plus helpers to wait for its notifications without sleeping."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.env_changes: list[dict[str, Any]] = []
        self._env_event = asyncio.Event()

        @client.feature("venvkeeper/didChangeEnvironment")
        def _changed(params: Any) -> None:
            self.env_changes.append(_plain(params))
            self._env_event.set()
            self._any_event.set()

        self._any_event = asyncio.Event()
        client.on_publish = self._any_event.set  # type: ignore[attr-defined]

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        result = await self.client.protocol.send_request_async(method, params)
        return _plain(result)

    async def wait_env_change(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0
    ) -> dict[str, Any]:
        async def _wait() -> dict[str, Any]:
            seen = 0
            while True:
                for change in self.env_changes[seen:]:
                    if predicate(change):
                        return change
                seen = len(self.env_changes)
                self._env_event.clear()
                await self._env_event.wait()

        return await asyncio.wait_for(_wait(), timeout)

    async def wait_for(self, condition: Callable[[], Awaitable[bool] | bool], timeout: float = 60.0) -> None:
        """Re-check a condition after each diagnostics/environment notification, bounded by a timeout.

        The timeout is only a safety net (the wait ends on the condition): 5 s was not enough for a first
        publish on the shared 2-core machine under load, where test_diagnostics failed once."""

        async def _wait() -> None:
            while True:
                self._any_event.clear()
                result = condition()
                if asyncio.iscoroutine(result):
                    result = await result
                if result:
                    return
                await self._any_event.wait()

        await asyncio.wait_for(_wait(), timeout)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _publish_diagnostics(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
    """pytest-lsp's bookkeeping, plus a wake-up for Session.wait_for on every publish."""
    client.diagnostics[params.uri] = params.diagnostics
    hook = getattr(client, "on_publish", None)
    if hook is not None:
        hook()


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _publish_diagnostics
    register_lsp_features(client, features)
    return client


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    d = tmp_path / "state"
    d.mkdir()
    return d


@pytest_asyncio.fixture
async def start_server(state_dir: Path) -> AsyncIterator[Callable[..., Awaitable[Session]]]:
    """Start the real server; call it with workspace folders and initialization options."""
    clients: list[LanguageClient] = []

    async def _start(
        folders: list[Path],
        init_options: Optional[dict[str, Any]] = None,
        env: Optional[dict[str, str]] = None,
        capabilities: str = "visual-studio-code",
    ) -> Session:
        config = ClientServerConfig(
            server_command=SERVER_CMD, server_env=server_env(state_dir, env), client_factory=make_client
        )
        client = await config.start()
        clients.append(client)
        session = Session(client)
        await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities(capabilities),
                workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
                root_uri=folders[0].as_uri() if folders else None,
                initialization_options=init_options or {},
            )
        )
        return session

    yield _start
    for client in clients:
        try:
            await asyncio.wait_for(client.shutdown_session(), 5)
        except Exception:
            await client.stop()
