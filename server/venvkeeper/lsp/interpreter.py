"""The custom requests: which interpreter, which candidates, every interpreter, and selecting one."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, TypedDict

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from venvkeeper.app import SelectionError
from venvkeeper.discovery.catalog import Catalog, CatalogEntry
from venvkeeper.lsp import protocol
from venvkeeper.lsp.workspace import refresh_async, uri_to_path
from venvkeeper.views import Environments
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


class InterpreterEntryView(TypedDict):
    group: str
    path: str
    python: str
    version: Optional[str]
    kind: str
    origin: str
    source: str
    state: str
    suitable: bool
    reasons: list[str]
    chosen: bool
    recommended: bool
    freeThreaded: bool
    prerelease: bool
    externallyManaged: bool
    activatedElsewhere: bool


class InterpretersView(TypedDict):
    projectRoot: Optional[str]
    requiresPython: Optional[str]
    pythonVersion: Optional[str]
    recommended: Optional[str]
    recommendedReason: Optional[str]
    interpreters: list[InterpreterEntryView]


def entry_view(entry: CatalogEntry) -> InterpreterEntryView:
    return {
        "group": entry.group,
        "path": str(entry.path),
        "python": str(entry.python),
        "version": entry.version,
        "kind": entry.kind,
        "origin": entry.origin,
        "source": entry.source,
        "state": entry.state,
        "suitable": entry.suitable,
        "reasons": list(entry.reasons),
        "chosen": entry.chosen,
        "recommended": entry.recommended,
        "freeThreaded": entry.free_threaded,
        "prerelease": entry.prerelease,
        "externallyManaged": entry.externally_managed,
        "activatedElsewhere": entry.activated_elsewhere,
    }


def interpreters_view(catalog: Catalog) -> InterpretersView:
    """The ``venvkeeper/interpreters`` answer (docs/PROTOCOL.md): the catalog, camelCased."""
    pins = catalog.requirements.pins
    return {
        "projectRoot": str(catalog.project) if catalog.project is not None else None,
        "requiresPython": catalog.requirements.requires_python,
        "pythonVersion": " ".join(pins) if pins else None,
        "recommended": str(catalog.recommended) if catalog.recommended is not None else None,
        "recommendedReason": catalog.recommended_reason,
        "interpreters": [entry_view(e) for e in catalog.entries],
    }


def register(server: VenvkeeperServer) -> None:
    @server.feature(protocol.INTERPRETER)
    async def interpreter(ls: VenvkeeperServer, params: Any) -> Optional[dict[str, Any]]:
        path = _path_param(params)
        if path is None:
            return None
        project = ls.app.project_for(path)
        if project is not None:
            # This project's check (if due) runs on a worker; other requests are answered meanwhile.
            await ls.checks.ensure([project])
        return to_wire(ls.app.interpreter_for(path))

    @server.feature(protocol.ENVIRONMENTS)
    def environments(ls: VenvkeeperServer, params: Any) -> dict[str, Any]:
        path = _path_param(params)
        if path is None:
            return to_wire(Environments(project_root=None))
        return to_wire(ls.app.environments_for(path))

    @server.feature(protocol.INTERPRETERS)
    def interpreters(ls: VenvkeeperServer, params: Any) -> InterpretersView:
        uri = protocol.param(params, "uri")
        if uri is not None and not isinstance(uri, str):
            raise JsonRpcInvalidParams("expected params {uri: string | null}")
        path = uri_to_path(uri) if uri else None
        if path is None:
            path = Path(os.sep)  # in no project: every interpreter, judged against nothing
        return interpreters_view(ls.app.catalog(path))

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
        await refresh_async(ls, [project])
        return to_wire(ls.app.interpreter(project))

    _ = types  # lsprotocol types are used by the other handler modules; keep the import symmetric
