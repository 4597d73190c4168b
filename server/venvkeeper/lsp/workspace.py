"""Lifecycle and workspace handlers, and the refresh pipeline every change goes through.

Pipeline: file-system events (watchdog threads) → :class:`Debouncer` (asyncio loop) →
:func:`on_fs_events` routes paths to projects → :func:`refresh` re-checks them on worker threads
(:mod:`venvkeeper.checkrunner`), then, back on the loop, announces changed interpreters,
republishes diagnostics and resyncs the watch set.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from lsprotocol import types
from pygls.uris import to_fs_path

from venvkeeper import sweep
from venvkeeper.app import normalize
from venvkeeper.hooks import call_each
from venvkeeper.lsp import diagnostics
from venvkeeper.lsp.protocol import as_plain
from venvkeeper.requirements.layout import CLIENT_WATCH_GLOB, CLIENT_WATCH_REQUIREMENTS_DIR
from venvkeeper.settings import initialization_settings, settings_section
from venvkeeper.watch.observer import make_dir_watcher
from venvkeeper.watch.plan import catch_up_dirs, reported_paths
from venvkeeper.watch.recheck import file_event_debouncer

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")

T = TypeVar("T")


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
    problems = server.app.update_settings(settings_section(as_plain(raw)))
    if server.debouncer is not None:
        server.debouncer.delay = server.app.settings.debounce_ms / 1000
    for problem in problems:
        log.warning(problem)
    if problems and announce and server.connected:
        server.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message="; ".join(problems))
        )


# -- the refresh pipeline -------------------------------------------------------------------------
def refresh(
    server: VenvkeeperServer, projects: Optional[Iterable[Path]] = None, *, watches: bool = True
) -> None:
    """Re-check ``projects`` (default: all) and publish; returns at once once the loop runs, the
    checks going on in worker threads so that requests are answered meanwhile."""
    targets = list(projects) if projects is not None else server.app.projects()
    if server.loop is None:  # before `initialized`: nothing to keep responsive yet
        _publish(server, targets, watches=watches)
        return
    server.spawn(refresh_async(server, targets, watches=watches))


def refresh_after_change(server: VenvkeeperServer, projects: Optional[list[Path]] = None) -> None:
    """Forget what is known of ``projects`` (default: all), then :func:`refresh` them: after venvkeeper
    changed an env, or the settings changed."""
    server.app.invalidate(projects)
    refresh(server, projects)


async def refresh_async(
    server: VenvkeeperServer, projects: Optional[Iterable[Path]] = None, *, watches: bool = True
) -> None:
    """:func:`refresh`, finished when the results are published."""
    targets = list(projects) if projects is not None else server.app.projects()
    await server.checks.ensure(targets)
    _publish(server, targets, watches=watches)


def _publish(server: VenvkeeperServer, targets: list[Path], *, watches: bool) -> None:
    """Announce changed interpreters and publish diagnostics (checks not yet run are run here)."""
    app = server.app
    for project, view in app.refresh(targets):
        server.notify_environment(project, view)
    diagnostics.publish(server, targets)
    call_each(server.after_refresh, "after-refresh", targets)
    if watches:
        sync_watches(server)


def sync_watches(server: VenvkeeperServer, *, catch_up: bool = True, envs: bool = True) -> None:
    """Watch what watch/plan.py says; ``catch_up``: route each newly watched dir once (what was written
    there before its watch existed) — not needed when every project is about to be checked anyway;
    ``envs=False``: not the env dirs yet (they need discovery)."""
    if server.watcher is None:
        return
    before = server.watcher.watched
    server.watcher.sync(server.app.watch_dirs(client_watches=server.client_watching, envs=envs))
    if catch_up and server.debouncer is not None:
        for d in catch_up_dirs(before, server.watcher.watched):
            server.debouncer.push(d)


def on_fs_events(server: VenvkeeperServer, paths: set[Path]) -> None:
    """Route debounced paths to projects (:meth:`App.route_events`) and queue those for a re-check; the
    re-checks run in slices (:func:`drain_rechecks`) so queries are answered meanwhile."""
    routed = server.app.route_events(paths)
    for project in routed.removed:
        server.rechecks.drop(project)
        diagnostics.clear(server, project)
    if routed.removed and not routed.recheck:
        sync_watches(server)
    if not routed.recheck:
        return
    start = server.rechecks.add(routed.recheck)
    if server.loop is None:  # no loop (unit use): re-check at once
        server.rechecks.drain_now(
            lambda p, trigger: _recheck_now(server, p, trigger), lambda: sync_watches(server)
        )
    elif start:
        server.spawn(drain_rechecks(server))


def _log_pass(project: Path, trigger: Path | str, t0: float) -> None:
    # One line per re-check pass, so a storm can be audited (issue 14).
    log.debug(
        "re-check pass: project=%s trigger=%s duration=%.1fms",
        project,
        trigger,
        (time.perf_counter() - t0) * 1000,
    )


async def _recheck(server: VenvkeeperServer, project: Path, trigger: Path | str) -> None:
    """Re-check one project and publish; its failure is logged, never stopping another's."""
    t0 = time.perf_counter()
    try:
        await refresh_async(server, [project], watches=False)
    except Exception:  # one project's failure never stops another's
        log.exception("refreshing %s failed", project)
    _log_pass(project, trigger, t0)


def _recheck_now(server: VenvkeeperServer, project: Path, trigger: Path) -> None:
    t0 = time.perf_counter()
    refresh(server, [project], watches=False)
    _log_pass(project, trigger, t0)


async def drain_rechecks(server: VenvkeeperServer) -> None:
    """Re-check the queued projects in slices (:meth:`RecheckQueue.drain`), then resync the watches."""
    await server.rechecks.drain(
        lambda project, trigger: _recheck(server, project, trigger),
        server.app.has_project,
        lambda: sync_watches(server),
    )


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
        ls.loop = asyncio.get_running_loop()
        ls.debouncer = file_event_debouncer(
            ls.loop, lambda paths: on_fs_events(ls, paths), ls.app.settings.debounce_ms / 1000
        )
        ls.watcher = make_dir_watcher(ls.debouncer.push)
        try:
            ls.watcher.start()
        except Exception as exc:  # no inotify, limits reached: still answer queries
            log.warning("file watching is unavailable (%s); answers refresh on requests only", exc)
            ls.watcher = None
        # Answer requests first: the initial sweep runs as a task that yields between projects, so an
        # interpreter query sent right after `initialized` is not queued behind the whole workspace.
        ls.loop.create_task(initial_sweep(ls))
        if ls.supports_watched_files_registration():
            ls.loop.create_task(register_client_watchers(ls))

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: VenvkeeperServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for path in paths_of(folder.uri for folder in params.event.removed):
            for project in ls.app.remove_root(path):
                diagnostics.clear(ls, project)
        added = paths_of(folder.uri for folder in params.event.added)
        for path in added:
            ls.app.add_root(path)
        log.info("workspace folders now: %s", ", ".join(map(str, ls.app.roots)) or "(none)")
        refresh(ls, ls.app.projects_under(added))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: VenvkeeperServer, params: types.DidChangeConfigurationParams
    ) -> None:
        if params.settings is not None:
            apply_settings(ls, params.settings)
        if ls.supports_configuration_pull():
            await pull_configuration(ls, do_refresh=False)
        refresh_after_change(ls)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: VenvkeeperServer, params: types.DidSaveTextDocumentParams) -> None:
        # The editor's own save needs no debounce (nothing to coalesce it with) unless a burst is already
        # pending; the watch's event for the same write then finds nothing left to do but one re-check.
        path = uri_to_path(params.text_document.uri)
        if path is not None and ls.debouncer is not None:
            ls.debouncer.push_now(path)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: VenvkeeperServer, params: types.DidChangeWatchedFilesParams) -> None:
        # The client's watcher covers what our bounded watches do not (a project appearing deep in
        # a monorepo); both feed the same debouncer.
        if ls.debouncer is None:
            return
        for path in paths_of(change.uri for change in params.changes):
            for reported in reported_paths(path):
                ls.debouncer.push(reported)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: VenvkeeperServer, *args: Any) -> None:
        stop_watching(ls)


async def initial_sweep(server: VenvkeeperServer) -> None:
    """Start-up (the order of work is venvkeeper/sweep.py's), then the hooks waiting for it."""
    if server.supports_configuration_pull():
        await pull_configuration(server, do_refresh=False)
    loop = asyncio.get_running_loop()

    def in_worker(fn: Callable[[], T]) -> Awaitable[T]:
        return loop.run_in_executor(None, fn)

    await sweep.initial_sweep(
        server.app,
        lambda catch_up, envs: sync_watches(server, catch_up=catch_up, envs=envs),
        lambda project: _recheck(server, project, "start-up"),
        in_worker,
    )
    call_each(server.after_initial_sweep, "after-initial-sweep")


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
    # The editor watches the workspace now: drop our watches on project dirs (issue 14, goal 3).
    server.client_watching = True
    log.info("the client watches project files; own watches kept for envs and global sites")
    sync_watches(server)


def stop_watching(server: VenvkeeperServer) -> None:
    if server.debouncer is not None:
        server.debouncer.cancel()
    if server.watcher is not None:
        server.watcher.stop()
        server.watcher = None


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
            refresh_after_change(server)
