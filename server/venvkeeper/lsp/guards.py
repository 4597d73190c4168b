"""Global-install guard over LSP: the session's :class:`~venvkeeper.daemon.global_guard.GlobalGuard`,
and its uninstall command (``venvkeeper.uninstallUserSite``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInvalidParams

from venvkeeper.daemon.global_guard import GlobalGuard
from venvkeeper.lsp import protocol
from venvkeeper.lsp.commands import request_failed
from venvkeeper.wire import to_wire

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer


def register(server: VenvkeeperServer) -> None:
    guard = GlobalGuard(server.session)
    guard.attach()

    @server.command(protocol.CMD_UNINSTALL_USER_SITE)
    async def uninstall_user_site(ls: Any, *args: Any) -> dict[str, Any]:
        """``{ uri, dists: string[] }``: remove those dists from the user site(s), after confirmation."""
        names = protocol.param(list(args), "dists")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise JsonRpcInvalidParams("expected {uri, dists: string[]}")
        with request_failed():
            return to_wire(await guard.uninstall_from_user_sites(names))
