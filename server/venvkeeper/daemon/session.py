"""One editor session of the daemon: the workspace model, its watches, and the refresh pipeline every
change goes through — without the protocol (lsp/ translates messages into calls of :class:`Session`,
and implements the :class:`~venvkeeper.daemon.client.Client` it reports to).

Pipeline: file-system events (watchdog threads) → :class:`~venvkeeper.watch.debounce.Debouncer`
(asyncio loop) → :meth:`Session.on_fs_events` routes paths to projects → the projects are re-checked
in slices on worker threads (:mod:`venvkeeper.daemon.checkrunner`), then, back on the loop, changed
interpreters are announced, diagnostics republished and the watch set resynced.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Coroutine, Iterable
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from venvkeeper.app import App
from venvkeeper.daemon import sweep
from venvkeeper.daemon.checkrunner import CheckRunner
from venvkeeper.daemon.client import Client
from venvkeeper.daemon.hooks import call_each
from venvkeeper.daemon.operations import Operations
from venvkeeper.findings import Finding
from venvkeeper.host import Host
from venvkeeper.settings import settings_section
from venvkeeper.watch.debounce import Debouncer
from venvkeeper.watch.observer import AnyDirWatcher, make_dir_watcher
from venvkeeper.watch.plan import catch_up_dirs, reported_paths
from venvkeeper.watch.recheck import RecheckQueue, file_event_debouncer

log = logging.getLogger("venvkeeper")

T = TypeVar("T")


class Session:
    def __init__(self, host: Host, client: Client) -> None:
        self.host = host
        self.client = client
        self.app = App(host=host, log=log.info)
        #: Checks run off the event loop, one at a time per project (venvkeeper/daemon/checkrunner.py).
        self.checks = CheckRunner(self.app)
        #: Long operations (create, sync, install…): one per project, with progress and cancel.
        self.operations = Operations(client, host.monotonic)
        #: Set by :meth:`start`; None before (unit use: work is done at once).
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.watcher: Optional[AnyDirWatcher] = None
        self.debouncer: Optional[Debouncer[Path]] = None
        #: The editor accepted our file watchers: it reports requirement sources, lock files and
        #: markers, so our own watches keep to env internals, global sites and the dirs holding
        #: projects (watch/plan.py).
        self.client_watching = False
        #: Projects waiting for a re-check, drained in slices (:meth:`drain_rechecks`).
        self.rechecks = RecheckQueue()
        self._tasks: set[asyncio.Task[None]] = set()
        #: Hooks other features add: run after projects were refreshed (project list given).
        self.after_refresh: list[Callable[[list[Path]], None]] = []
        #: Findings other features keep outside the check pass (e.g. a just-seen global install),
        #: published together with the project's own so one publish never drops another's.
        self.extra_findings: list[Callable[[Path], list[Finding]]] = []
        #: Hooks run once, after the first sweep over every project (e.g. prompts, global watches).
        self.after_initial_sweep: list[Callable[[], None]] = []
        #: Hooks run when the editor opens a file (its path).
        self.on_open: list[Callable[[Path], None]] = []

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as a task on the session's loop, holding a reference until it finishes
        (asyncio keeps only weak ones, so an unreferenced task can vanish mid-flight)."""
        if self.loop is None:
            coro.close()
            return
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def apply_settings(self, raw: Any) -> list[str]:
        """Apply the client's ``venvkeeper`` settings section; the problems found (each logged)."""
        problems = self.app.update_settings(settings_section(raw))
        if self.debouncer is not None:
            self.debouncer.delay = self.app.settings.debounce_ms / 1000
        for problem in problems:
            log.warning(problem)
        return problems

    # -- start and stop -------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start watching (the initial sweep is :meth:`initial_sweep`, run by the caller)."""
        self.loop = loop
        self.debouncer = file_event_debouncer(loop, self.on_fs_events, self.app.settings.debounce_ms / 1000)
        self.watcher = make_dir_watcher(self.debouncer.push)
        try:
            self.watcher.start()
        except Exception as exc:  # no inotify, limits reached: still answer queries
            log.warning("file watching is unavailable (%s); answers refresh on requests only", exc)
            self.watcher = None

    async def initial_sweep(self) -> None:
        """Start-up (the order of work is venvkeeper/daemon/sweep.py's), then the hooks waiting for it."""
        loop = asyncio.get_running_loop()

        def in_worker(fn: Callable[[], T]) -> Awaitable[T]:
            return loop.run_in_executor(None, fn)

        await sweep.initial_sweep(
            self.app,
            lambda catch_up, envs: self.sync_watches(catch_up=catch_up, envs=envs),
            lambda project: self._recheck(project, "start-up"),
            in_worker,
        )
        call_each(self.after_initial_sweep, "after-initial-sweep")

    def stop(self) -> None:
        if self.debouncer is not None:
            self.debouncer.cancel()
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    # -- what the editor reports ----------------------------------------------------------------
    def saved(self, path: Path) -> None:
        """The editor saved ``path``: no debounce (nothing to coalesce it with) unless a burst is
        already pending; the watch's event for the same write then finds nothing left to do."""
        if self.debouncer is not None:
            self.debouncer.push_now(path)

    def files_changed(self, paths: Iterable[Path]) -> None:
        """The editor's file watcher reported ``paths`` (what our bounded watches do not cover, such
        as a project appearing deep in a monorepo); both feed the same debouncer."""
        if self.debouncer is None:
            return
        for path in paths:
            for reported in reported_paths(path):
                self.debouncer.push(reported)

    def client_watches(self) -> None:
        """The editor watches the workspace now: drop our watches on project dirs (issue 14, goal 3)."""
        self.client_watching = True
        log.info("the client watches project files; own watches kept for envs and global sites")
        self.sync_watches()

    def folders_changed(self, removed: Iterable[Path], added: list[Path]) -> None:
        for path in removed:
            for project in self.app.remove_root(path):
                self.client.clear(project)
        for path in added:
            self.app.add_root(path)
        log.info("workspace folders now: %s", ", ".join(map(str, self.app.roots)) or "(none)")
        self.refresh(self.app.projects_under(added))

    def opened(self, path: Path) -> None:
        call_each(self.on_open, "on-open", path)

    # -- the refresh pipeline -------------------------------------------------------------------
    def refresh(self, projects: Optional[Iterable[Path]] = None, *, watches: bool = True) -> None:
        """Re-check ``projects`` (default: all) and publish; returns at once once the loop runs, the
        checks going on in worker threads so that requests are answered meanwhile."""
        targets = list(projects) if projects is not None else self.app.projects()
        if self.loop is None:  # before the loop runs: nothing to keep responsive yet
            self._publish(targets, watches=watches)
            return
        self.spawn(self.refresh_async(targets, watches=watches))

    def refresh_after_change(self, projects: Optional[list[Path]] = None) -> None:
        """Forget what is known of ``projects`` (default: all), then :meth:`refresh` them: after
        venvkeeper changed an env, or the settings changed."""
        self.app.invalidate(projects)
        self.refresh(projects)

    async def refresh_async(self, projects: Optional[Iterable[Path]] = None, *, watches: bool = True) -> None:
        """:meth:`refresh`, finished when the results are published."""
        targets = list(projects) if projects is not None else self.app.projects()
        await self.checks.ensure(targets)
        self._publish(targets, watches=watches)

    def _publish(self, targets: list[Path], *, watches: bool) -> None:
        """Announce changed interpreters and publish diagnostics (checks not yet run are run here)."""
        for project, view in self.app.refresh(targets):
            self.client.announce(project, view)
        self.client.publish(targets)
        call_each(self.after_refresh, "after-refresh", targets)
        if watches:
            self.sync_watches()

    def sync_watches(self, *, catch_up: bool = True, envs: bool = True) -> None:
        """Watch what watch/plan.py says; ``catch_up``: route each newly watched dir once (what was
        written there before its watch existed) — not needed when every project is about to be
        checked anyway; ``envs=False``: not the env dirs yet (they need discovery)."""
        if self.watcher is None:
            return
        before = self.watcher.watched
        self.watcher.sync(self.app.watch_dirs(client_watches=self.client_watching, envs=envs))
        if catch_up and self.debouncer is not None:
            for d in catch_up_dirs(before, self.watcher.watched):
                self.debouncer.push(d)

    def on_fs_events(self, paths: set[Path]) -> None:
        """Route debounced paths to projects (:meth:`App.route_events`) and queue those for a
        re-check; the re-checks run in slices (:meth:`drain_rechecks`) so queries are answered
        meanwhile."""
        routed = self.app.route_events(paths)
        for project in routed.removed:
            self.rechecks.drop(project)
            self.client.clear(project)
        if routed.removed and not routed.recheck:
            self.sync_watches()
        if not routed.recheck:
            return
        start = self.rechecks.add(routed.recheck)
        if self.loop is None:  # no loop (unit use): re-check at once
            self.rechecks.drain_now(self._recheck_now, self.sync_watches)
        elif start:
            self.spawn(self.drain_rechecks())

    async def drain_rechecks(self) -> None:
        """Re-check the queued projects in slices (:meth:`RecheckQueue.drain`), then resync."""
        await self.rechecks.drain(self._recheck, self.app.has_project, self.sync_watches)

    async def _recheck(self, project: Path, trigger: Path | str) -> None:
        """Re-check one project and publish; its failure is logged, never stopping another's."""
        t0 = time.perf_counter()
        try:
            await self.refresh_async([project], watches=False)
        except Exception:  # one project's failure never stops another's
            log.exception("refreshing %s failed", project)
        _log_pass(project, trigger, t0)

    def _recheck_now(self, project: Path, trigger: Path) -> None:
        t0 = time.perf_counter()
        self.refresh([project], watches=False)
        _log_pass(project, trigger, t0)


def _log_pass(project: Path, trigger: Path | str, t0: float) -> None:
    # One line per re-check pass, so a storm can be audited (issue 14).
    log.debug(
        "re-check pass: project=%s trigger=%s duration=%.1fms",
        project,
        trigger,
        (time.perf_counter() - t0) * 1000,
    )
