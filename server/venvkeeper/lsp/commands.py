"""``workspace/executeCommand``: create, sync, install missing, recreate, install into env, resolve, add pip.

Translation only: a command's protocol name becomes its :data:`~venvkeeper.daemon.dispatch.CommandName`,
its argument object's ``uri`` a path, and :func:`venvkeeper.daemon.dispatch.run_command` runs it
(with ``$/progress`` through the session's client). The typed answer goes back as camelCase JSON; a
refusal or a failure as ``RequestFailed`` (docs/PROTOCOL.md "Command errors"), a cancel as
``{cancelled: true}`` (no error toast).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Optional

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from venvkeeper.creation.commands import CancelledCommand, CommandErrorData
from venvkeeper.daemon.dispatch import CommandName, run_command
from venvkeeper.daemon.operations import OperationCancelled, OperationFailed
from venvkeeper.errors import Refused
from venvkeeper.lsp import protocol
from venvkeeper.lsp.workspace import uri_to_path
from venvkeeper.wire import to_wire

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")


class CommandRefused(JsonRpcException):
    """LSP ``RequestFailed``: the message says why (no "venvkeeper:" prefix: clients name the server).

    ``data`` (docs/PROTOCOL.md "Command errors"): ``{ decisive, retry }`` — the one line that says
    why, and whether running the same command again may help (a tool failed, not a refusal).
    """

    CODE = int(types.LSPErrorCodes.RequestFailed)

    def __init__(self, message: str, error: Optional[CommandErrorData] = None) -> None:
        super().__init__(message, data=to_wire(error) if error is not None else None)


@contextmanager
def request_failed() -> Iterator[None]:
    """The domain's refusals and failures, raised inside, as ``RequestFailed``."""
    try:
        yield
    except Refused as exc:
        raise CommandRefused(str(exc)) from None
    except OperationFailed as exc:
        raise CommandRefused(exc.message, exc.error) from None


#: Every command, in the order ``initialize`` lists them (lsp/front.py answers the same list).
COMMANDS: dict[str, CommandName] = {
    protocol.CMD_CREATE: "create",
    protocol.CMD_SYNC: "sync",
    protocol.CMD_INSTALL_MISSING: "install-missing",
    protocol.CMD_INSTALL_INTO_ENV: "install-into-env",
    protocol.CMD_RECREATE: "recreate",
    protocol.CMD_FIND_COMPATIBLE: "find-compatible",
    protocol.CMD_ADD_PIP: "add-pip",
}


def argument(args: Sequence[Any]) -> dict[str, Any]:
    """The one argument object of a command (some clients wrap the argument list once more)."""
    plain = protocol.as_plain(list(args))
    while isinstance(plain, list) and len(plain) == 1 and isinstance(plain[0], list):
        plain = plain[0]
    if isinstance(plain, list) and plain and isinstance(plain[0], dict):
        return plain[0]
    raise CommandRefused("the command takes one argument object, e.g. { uri }")


def register(server: VenvkeeperServer) -> None:
    def command(name: str, domain_name: CommandName) -> None:
        @server.command(name)
        async def run(ls: Any, *args: Any) -> dict[str, Any]:
            arg = argument(args)
            uri = arg.get("uri")
            path = uri_to_path(uri) if isinstance(uri, str) else None
            try:
                with request_failed():
                    return to_wire(await run_command(server.session, domain_name, path, arg))
            except OperationCancelled as exc:
                log.info("%s", exc)
                return to_wire(CancelledCommand(str(exc)))

    for name, domain_name in COMMANDS.items():
        command(name, domain_name)
