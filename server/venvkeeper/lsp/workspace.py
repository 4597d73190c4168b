"""Lifecycle and workspace handlers: each message becomes a call of the session (venvkeeper/daemon/session.py
holds the refresh pipeline every change goes through)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from lsprotocol import types
from pygls.uris import to_fs_path

from venvkeeper.app import normalize
from venvkeeper.lsp.protocol import as_plain
from venvkeeper.requirements.layout import CLIENT_WATCH_GLOB, CLIENT_WATCH_REQUIREMENTS_DIR
from venvkeeper.settings import initialization_settings

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")


def uri_to_path(uri: str) -> Optional[Path]:
    if not uri.startswith("file:"):
        return None
    fs = to_fs_path(uri)
    return normalize(Path(fs)) if fs else None


def paths_of(uris: Iterable[str]) -> list[Path]:
    """The file-system paths of ``uris`` (those that are not ``file:`` URIs left out)."""
    return [path for path in map(uri_to_path, uris) if path is not None]


def _roots_from_initialize(params: types.InitializeParams) -> list[Path]:
    roots = paths_of(folder.uri for folder in params.workspace_folders or [])
    if not roots and params.root_uri:
        path = uri_to_path(params.root_uri)
        if path is not None:
            roots.append(path)
    if not roots and params.root_path:
        roots.append(normalize(Path(params.root_path)))
    return roots


def apply_settings(server: VenvkeeperServer, raw: Any, *, announce: bool = True) -> None:
    problems = server.session.apply_settings(as_plain(raw))
    if problems and announce and server.connected:
        server.show("warning", "; ".join(problems))


# -- handlers ------------------------------------------------------------------------------------
def register(server: VenvkeeperServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: VenvkeeperServer, params: types.InitializeParams) -> None:
        options = initialization_settings(as_plain(params.initialization_options))
        apply_settings(ls, options, announce=False)
        # Answer `initialize` before walking the workspace (issue 14, goal 5): the walk runs in a worker
        # thread at the start of the initial sweep; a query meanwhile finds its project by walking up.
        ls.app.set_roots(_roots_from_initialize(params), scan=False)
        log.info("venvkeeper started; roots: %s", ", ".join(map(str, ls.app.roots)) or "(none)")

    @server.feature(types.INITIALIZED)
    async def initialized(ls: VenvkeeperServer, params: types.InitializedParams) -> None:
        ls.connected = True
        loop = asyncio.get_running_loop()
        ls.session.start(loop)
        # Answer requests first: the initial sweep runs as a task that yields between projects, so an
        # interpreter query sent right after `initialized` is not queued behind the whole workspace.
        ls.session.spawn(initial_sweep(ls))
        if ls.supports_watched_files_registration():
            ls.session.spawn(register_client_watchers(ls))

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: VenvkeeperServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        ls.session.folders_changed(
            paths_of(f.uri for f in params.event.removed), paths_of(f.uri for f in params.event.added)
        )

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: VenvkeeperServer, params: types.DidChangeConfigurationParams
    ) -> None:
        if params.settings is not None:
            apply_settings(ls, params.settings)
        if ls.supports_configuration_pull():
            await pull_configuration(ls, do_refresh=False)
        ls.session.refresh_after_change()

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: VenvkeeperServer, params: types.DidSaveTextDocumentParams) -> None:
        path = uri_to_path(params.text_document.uri)
        if path is not None:
            ls.session.saved(path)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: VenvkeeperServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.session.files_changed(paths_of(change.uri for change in params.changes))

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: VenvkeeperServer, *args: Any) -> None:
        ls.session.stop()


async def initial_sweep(server: VenvkeeperServer) -> None:
    """The client's settings first (when it offers them), then the session's sweep."""
    if server.supports_configuration_pull():
        await pull_configuration(server, do_refresh=False)
    await server.session.initial_sweep()


async def register_client_watchers(server: VenvkeeperServer) -> None:
    try:
        await server.client_register_capability_async(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="venvkeeper-project-files",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[
                                types.FileSystemWatcher(glob_pattern=CLIENT_WATCH_GLOB),
                                types.FileSystemWatcher(glob_pattern=CLIENT_WATCH_REQUIREMENTS_DIR),
                            ]
                        ),
                    )
                ]
            )
        )
    except Exception as exc:  # the client may refuse; our own watches still work
        log.info("client file watching not registered: %s", exc)
        return
    server.session.client_watches()


async def pull_configuration(server: VenvkeeperServer, *, do_refresh: bool = True) -> None:
    try:
        result = await server.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="venvkeeper")])
        )
    except Exception as exc:
        log.info("workspace/configuration failed: %s", exc)
        return
    if result and isinstance(as_plain(result[0]), dict):
        before = server.app.settings
        apply_settings(server, result[0])
        if do_refresh and server.app.settings != before:
            server.session.refresh_after_change()
