"""The server with every feature registered: the one place that lists the feature modules.

Kept apart from lsp/server.py so that the feature modules, which take the server class as a type, and
the server class itself import nothing of each other at run time.
"""

from __future__ import annotations

from typing import Callable, Optional

from venvkeeper.daemon.create_prompts import CreatePrompts
from venvkeeper.host import Host
from venvkeeper.lsp import code_actions, commands, guards, interpreter, whatif, workspace
from venvkeeper.lsp.server import VenvkeeperServer

#: Every feature module, in registration order. Add new features here, and only here.
FEATURES: list[Callable[[VenvkeeperServer], None]] = [
    workspace.register,
    interpreter.register,
    code_actions.register,
    guards.register,
    commands.register,
    lambda server: CreatePrompts(server.session).attach(),
    whatif.register,
]


def build_server(host: Optional[Host] = None) -> VenvkeeperServer:
    server = VenvkeeperServer(host or Host.from_process())
    for register in FEATURES:
        register(server)
    return server
