"""What-if on edit, wired: the editor's open, changed and closed documents feed the session's
:class:`~venvkeeper.daemon.buffers.OpenBuffers` (and an opened file the session's on-open hooks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from venvkeeper.daemon.buffers import OpenBuffers
from venvkeeper.lsp.workspace import uri_to_path

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer


def register(server: VenvkeeperServer) -> None:
    buffers = OpenBuffers(server.session)
    buffers.attach()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: VenvkeeperServer, params: types.DidOpenTextDocumentParams) -> None:
        path = uri_to_path(params.text_document.uri)
        buffers.changed(path, params.text_document.text)
        if path is not None:
            ls.session.opened(path)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: VenvkeeperServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        buffers.changed(uri_to_path(uri), ls.workspace.get_text_document(uri).source)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: VenvkeeperServer, params: types.DidCloseTextDocumentParams) -> None:
        buffers.changed(uri_to_path(params.text_document.uri), None)
