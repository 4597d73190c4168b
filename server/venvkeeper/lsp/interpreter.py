"""The custom requests: which interpreter, which candidates, every interpreter, and selecting one."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from pygls.exceptions import JsonRpcInvalidParams

from venvkeeper.app import SelectionError
from venvkeeper.lsp import protocol
from venvkeeper.lsp.workspace import uri_to_path
from venvkeeper.views import Environments, Interpreters
from venvkeeper.wire import to_wire

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")


def _path_param(params: Any) -> Optional[Path]:
    uri = protocol.param(params, "uri")
    if not isinstance(uri, str):
        raise JsonRpcInvalidParams("expected params {uri: string}")
    path = uri_to_path(uri)
    if path is None:
        log.info("not a file: URI, no interpreter: %s", uri)
    return path


def register(server: VenvkeeperServer) -> None:
    @server.feature(protocol.INTERPRETER)
    async def interpreter(ls: VenvkeeperServer, params: Any) -> Optional[dict[str, Any]]:
        path = _path_param(params)
        if path is None:
            return None
        project = ls.app.project_for(path)
        if project is not None:
            # This project's check (if due) runs on a worker; other requests are answered meanwhile.
            await ls.session.checks.ensure([project])
        return to_wire(ls.app.interpreter_for(path))

    @server.feature(protocol.ENVIRONMENTS)
    def environments(ls: VenvkeeperServer, params: Any) -> dict[str, Any]:
        path = _path_param(params)
        if path is None:
            return to_wire(Environments(project_root=None))
        return to_wire(ls.app.environments_for(path))

    @server.feature(protocol.INTERPRETERS)
    def interpreters(ls: VenvkeeperServer, params: Any) -> dict[str, Any]:
        uri = protocol.param(params, "uri")
        if uri is not None and not isinstance(uri, str):
            raise JsonRpcInvalidParams("expected params {uri: string | null}")
        path = uri_to_path(uri) if uri else None
        if path is None:
            path = Path(os.sep)  # in no project: every interpreter, judged against nothing
        return to_wire(Interpreters.of(ls.app.catalog(path)))

    @server.feature(protocol.SELECT)
    async def select(ls: VenvkeeperServer, params: Any) -> Optional[dict[str, Any]]:
        path = _path_param(params)
        env_path = protocol.param(params, "envPath")
        if path is None:
            raise JsonRpcInvalidParams("uri must be a file: URI")
        if env_path is not None and not isinstance(env_path, str):
            raise JsonRpcInvalidParams("envPath must be a string or null")
        try:
            project = ls.app.set_selection(path, Path(env_path) if env_path else None)
        except SelectionError as exc:
            raise JsonRpcInvalidParams(str(exc)) from None
        log.info("selected %s for %s", env_path or "(automatic)", project)
        await ls.session.refresh_async([project])
        return to_wire(ls.app.interpreter(project))
