"""What-if on edit, wired: open requirement buffers (saved or not) get ``would-conflict`` on lines whose
pin would break an installed dependent, within one debounce of the keystroke.

Translation only: the verdict is :meth:`venvkeeper.app.App.what_if`'s; the buffers'
findings are published with the project's own through ``server.extra_findings``, so one publish never
drops the other's. Nothing is read from disk for a keystroke: the env's consistency report is the one
the last check pass made (every change under site-packages re-runs it).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from venvkeeper.findings import Finding
from venvkeeper.hooks import call_each
from venvkeeper.lsp import diagnostics
from venvkeeper.lsp.workspace import uri_to_path
from venvkeeper.requirements.layout import is_requirement_source_path

log = logging.getLogger("venvkeeper")

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer


class WhatIf:
    def __init__(self, server: VenvkeeperServer) -> None:
        self.server = server
        #: Open requirement buffers: path -> current text.
        self.buffers: dict[Path, str] = {}
        self._pending: dict[Path, asyncio.TimerHandle] = {}

    def findings(self, project: Path) -> list[Finding]:
        try:
            return self.server.app.what_if(project, self.buffers)
        except Exception:  # a bug here must not stop the project's own diagnostics from publishing
            log.exception("what-if check failed")
            return []

    def changed(self, uri: str, text: str | None) -> None:
        """A buffer opened, changed (``text``) or closed (None): re-publish its project after the debounce."""
        path = uri_to_path(uri)
        if path is None or not is_requirement_source_path(path):
            return
        if text is None:
            self.buffers.pop(path, None)
        else:
            self.buffers[path] = text
        project = self.server.app.project_for(path)
        loop = self.server.loop
        if project is None or loop is None:
            return
        pending = self._pending.pop(path, None)
        if pending is not None:
            pending.cancel()
        delay = self.server.app.settings.debounce_ms / 1000
        self._pending[path] = loop.call_later(delay, self._publish, path, project)

    def _publish(self, path: Path, project: Path) -> None:
        self._pending.pop(path, None)
        diagnostics.publish(self.server, [project])


def register(server: VenvkeeperServer) -> None:
    whatif = WhatIf(server)
    server.extra_findings.append(whatif.findings)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: VenvkeeperServer, params: types.DidOpenTextDocumentParams) -> None:
        whatif.changed(params.text_document.uri, params.text_document.text)
        path = uri_to_path(params.text_document.uri)
        if path is not None:
            call_each(ls.on_open, "on-open", path)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: VenvkeeperServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        whatif.changed(uri, ls.workspace.get_text_document(uri).source)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: VenvkeeperServer, params: types.DidCloseTextDocumentParams) -> None:
        whatif.changed(params.text_document.uri, None)
