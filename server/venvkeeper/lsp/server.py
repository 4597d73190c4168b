"""The venvkeeper language server: the :class:`~venvkeeper.daemon.session.Session` it serves, and the
:class:`~venvkeeper.daemon.client.Client` that session reports to, made of standard LSP messages.

Handlers live in small modules (workspace.py, interpreter.py, diagnostics.py, …); each exposes
``register(server)``. lsp/features.py's :data:`~venvkeeper.lsp.features.FEATURES` is the one list that
says what the server does, and its ``build_server`` wires them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Callable, Optional

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from venvkeeper import __version__
from venvkeeper.creation.create import ProgressStep
from venvkeeper.creation.resolve import Proposal
from venvkeeper.daemon.client import MessageKind
from venvkeeper.daemon.session import Session
from venvkeeper.host import Host
from venvkeeper.lsp import diagnostics, protocol
from venvkeeper.lsp.logging import ClientLogHandler
from venvkeeper.views import Interpreter
from venvkeeper.wire import to_wire

log = logging.getLogger("venvkeeper")

KINDS: dict[MessageKind, types.MessageType] = {
    "error": types.MessageType.Error,
    "warning": types.MessageType.Warning,
    "info": types.MessageType.Info,
}


class VenvkeeperServer(LanguageServer):
    def __init__(self, host: Host) -> None:
        super().__init__("venvkeeper", __version__)
        self.session = Session(host, self)
        self.app = self.session.app
        self.connected = False
        #: URIs that currently carry our diagnostics, per project (to clear them when fixed).
        self.published: dict[Path, set[str]] = {}
        logging.getLogger().addHandler(ClientLogHandler(self))

    @property
    def loop(self) -> Optional[asyncio.AbstractEventLoop]:
        """The session's loop, once ``initialized`` (the log handler writes from other threads)."""
        return self.session.loop

    # -- capability checks (habit: check before using optional client features) -----------------
    @property
    def caps(self) -> types.ClientCapabilities:
        return self.client_capabilities

    def supports_progress(self) -> bool:
        window = self.caps.window if self.caps else None
        return bool(window and window.work_done_progress)

    def can_ask(self) -> bool:
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

    # -- the session's Client (venvkeeper/daemon/client.py) ---------------------------------------------
    def publish(self, projects: Iterable[Path]) -> None:
        """``publishDiagnostics`` for every file of ``projects`` with findings, and an empty list for each
        file that had some (open and unopened files alike)."""
        encoder = diagnostics.ColumnEncoder(self.position_encoding())
        for project in projects:
            try:
                extra = [f for hook in self.session.extra_findings for f in hook(project)]
                grouped = diagnostics.by_uri(self.app.shown_findings(project, extra), encoder)
                for uri in self.published.get(project, set()) - grouped.keys():
                    self._send(uri, [])
                for uri, diags in grouped.items():
                    self._send(uri, diags)
                self.published[project] = set(grouped)
            except Exception:  # one project's failure never stops another's diagnostics
                log.exception("publishing diagnostics for %s failed", project)

    def clear(self, project: Path) -> None:
        for uri in self.published.pop(project, set()):
            self._send(uri, [])

    def _send(self, uri: str, diags: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diags))

    def announce(self, project: Path, view: Optional[Interpreter]) -> None:
        self.protocol.notify(
            protocol.DID_CHANGE_ENVIRONMENT, {"projectRoot": str(project), "interpreter": to_wire(view)}
        )

    def show(self, kind: MessageKind, message: str) -> None:
        self.window_show_message(types.ShowMessageParams(type=KINDS[kind], message=message))

    async def ask(self, message: str, actions: Sequence[str], kind: MessageKind = "info") -> Optional[str]:
        """``window/showMessageRequest``: the title of the button pressed, or None (dismissed, failed)."""
        try:
            answer = await self.window_show_message_request_async(
                types.ShowMessageRequestParams(
                    type=KINDS[kind],
                    message=message,
                    actions=[types.MessageActionItem(title=a) for a in actions],
                )
            )
        except Exception as exc:
            log.info("showMessageRequest failed: %s", exc)
            return None
        title = getattr(answer, "title", None)
        return title if isinstance(title, str) else None

    async def begin_progress(self, title: str, on_cancel: Callable[[], None]) -> Optional[WorkDone]:
        """``$/progress`` when the client supports ``window.workDoneProgress`` (token created with
        ``window/workDoneProgress/create``; cancelling it calls ``on_cancel``)."""
        if not self.supports_progress():
            return None
        token = f"venvkeeper-{uuid.uuid4().hex}"
        progress = self.work_done_progress
        try:
            await progress.create_async(token)
        except Exception as exc:  # the client refused the token: work without progress
            log.info("window/workDoneProgress/create failed: %s", exc)
            return None
        progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=True, percentage=0))
        future = progress.tokens.get(token)
        if future is not None:  # pygls cancels this future on window/workDoneProgress/cancel
            future.add_done_callback(lambda f: on_cancel() if f.cancelled() else None)
        return WorkDone(self, token)

    async def apply_edit(self, proposal: Proposal) -> bool:
        """``workspace/applyEdit`` with the proposal's line edits (the client names the server)."""
        try:
            result = await self.workspace_apply_edit_async(
                types.ApplyWorkspaceEditParams(
                    edit=diagnostics.workspace_edit(proposal), label=proposal.summary
                )
            )
        except Exception as exc:
            log.warning("workspace/applyEdit failed: %s", exc)
            return False
        if not result.applied:
            log.warning("the client did not apply the edit: %s", result.failure_reason or "no reason given")
        return bool(result.applied)


class WorkDone:
    """One ``$/progress`` token, begun (the session's :class:`~venvkeeper.daemon.client.ProgressHandle`)."""

    def __init__(self, server: VenvkeeperServer, token: str) -> None:
        self.server = server
        self.token = token

    def report(self, step: ProgressStep) -> None:
        self.server.work_done_progress.report(
            self.token,
            types.WorkDoneProgressReport(message=step.message, percentage=step.percentage, cancellable=True),
        )

    def end(self, message: Optional[str]) -> None:
        self.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        self.server.work_done_progress.tokens.pop(self.token, None)
