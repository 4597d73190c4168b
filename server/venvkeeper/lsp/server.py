"""The venvkeeper language server: one class holding the state and the client-facing helpers.

Handlers live in small modules (workspace.py, interpreter.py, diagnostics.py, …); each exposes
``register(server)``. lsp/features.py's :data:`~venvkeeper.lsp.features.FEATURES` is the one list that
says what the server does, and its ``build_server`` wires them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from venvkeeper import __version__
from venvkeeper.app import App
from venvkeeper.checkrunner import CheckRunner
from venvkeeper.findings import Finding
from venvkeeper.host import Host
from venvkeeper.lsp import protocol
from venvkeeper.lsp.logging import ClientLogHandler
from venvkeeper.views import Interpreter
from venvkeeper.watch.debounce import Debouncer
from venvkeeper.watch.observer import AnyDirWatcher
from venvkeeper.watch.recheck import RecheckQueue
from venvkeeper.wire import to_wire

log = logging.getLogger("venvkeeper")


class VenvkeeperServer(LanguageServer):
    def __init__(self, host: Host) -> None:
        super().__init__("venvkeeper", __version__)
        self.host = host
        self.app = App(host=host, log=log.info)
        #: Checks run off the event loop, one at a time per project (venvkeeper/checkrunner.py).
        self.checks = CheckRunner(self.app)
        self.connected = False
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.watcher: Optional[AnyDirWatcher] = None
        self.debouncer: Optional[Debouncer[Path]] = None
        #: The editor accepted our file watchers (workspace/didChangeWatchedFiles): it reports requirement
        #: sources, lock files and markers, so our own watches keep to env internals, global sites and
        #: the dirs holding projects (watch/plan.py).
        self.client_watching = False
        #: Projects waiting for a re-check, drained in slices (lsp/workspace.py drain_rechecks).
        self.rechecks = RecheckQueue()
        #: URIs that currently carry our diagnostics, per project (to clear them when fixed).
        self.published: dict[Path, set[str]] = {}
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
        logging.getLogger().addHandler(ClientLogHandler(self))

    # -- capability checks (habit: check before using optional client features) -----------------
    @property
    def caps(self) -> types.ClientCapabilities:
        return self.client_capabilities

    def supports_progress(self) -> bool:
        window = self.caps.window if self.caps else None
        return bool(window and window.work_done_progress)

    def supports_message_actions(self) -> bool:
        window = self.caps.window if self.caps else None
        return bool(window and window.show_message)

    def position_encoding(self) -> str:
        """The negotiated position encoding (UTF-16 unless the client offered another)."""
        try:
            chosen = self.server_capabilities.position_encoding
        except Exception:  # before initialize
            chosen = None
        return str(chosen or types.PositionEncodingKind.Utf16)

    def supports_watched_files_registration(self) -> bool:
        ws = self.caps.workspace if self.caps else None
        watched = ws.did_change_watched_files if ws else None
        return bool(watched and watched.dynamic_registration)

    def supports_configuration_pull(self) -> bool:
        ws = self.caps.workspace if self.caps else None
        return bool(ws and ws.configuration)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as a task on the server's loop, holding a reference until it finishes (asyncio
        keeps only weak ones, so an unreferenced task can vanish mid-flight)."""
        if self.loop is None:
            coro.close()
            return
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def ask(
        self, message: str, actions: Sequence[str], kind: types.MessageType = types.MessageType.Info
    ) -> Optional[str]:
        """``window/showMessageRequest``: the title of the button pressed, or None (dismissed, failed).

        Callers check :meth:`supports_message_actions` first: what to do without buttons differs.
        """
        try:
            answer = await self.window_show_message_request_async(
                types.ShowMessageRequestParams(
                    type=kind, message=message, actions=[types.MessageActionItem(title=a) for a in actions]
                )
            )
        except Exception as exc:
            log.info("showMessageRequest failed: %s", exc)
            return None
        title = getattr(answer, "title", None)
        return title if isinstance(title, str) else None

    # -- change announcements --------------------------------------------------------------------
    def notify_environment(self, project: Path, view: Optional[Interpreter]) -> None:
        self.protocol.notify(
            protocol.DID_CHANGE_ENVIRONMENT, {"projectRoot": str(project), "interpreter": to_wire(view)}
        )
