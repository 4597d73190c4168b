"""Logs go to stderr until a client is connected, then to window/logMessage — never to stdout.

Only one of the two while a client listens: editors show the server's stderr in the same output channel
as window/logMessage (vscode-languageclient does), so both would say every line twice.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Optional, Protocol

from lsprotocol import types

_LEVELS = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
}


class LogClient(Protocol):
    """What the handler needs of the server (lsp/server.py's VenvkeeperServer): the server imports this
    module, so this module names the shape rather than the class."""

    connected: bool

    @property
    def loop(self) -> Optional[asyncio.AbstractEventLoop]: ...

    def window_log_message(self, params: types.LogMessageParams) -> None: ...


#: The client handlers of this process (one per server; tests build several).
_CLIENT_HANDLERS: list[ClientLogHandler] = []


class ClientLogHandler(logging.Handler):
    def __init__(self, server: LogClient) -> None:
        # No level of its own: the root logger's (``--log-level``) decides, so ``debug`` shows
        # venvkeeper's audit lines (e.g. each re-check pass) in the client's log too.
        super().__init__(logging.NOTSET)
        self.server = server
        _CLIENT_HANDLERS.append(self)

    def emit(self, record: logging.LogRecord) -> None:
        if not self.server.connected:
            return
        if record.levelno < logging.INFO and not record.name.startswith("venvkeeper"):
            return  # other libraries' debug chatter stays on stderr
        try:
            params = types.LogMessageParams(
                type=_LEVELS.get(record.levelno, types.MessageType.Log), message=self.format(record)
            )
            loop = self.server.loop
            if loop is not None and _running_loop() is not loop:
                # Checks log from worker threads; only the loop's thread may write to the client.
                loop.call_soon_threadsafe(self.server.window_log_message, params)
            else:
                self.server.window_log_message(params)
        except Exception:  # logging must never break the server
            pass


def _not_sent_to_a_client(record: logging.LogRecord) -> bool:
    """Stderr's filter: a record a connected client receives through window/logMessage is not repeated."""
    return not any(h.server.connected and record.levelno >= h.level for h in _CLIENT_HANDLERS)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # a thread without a loop (a check's worker, a watchdog thread)
        return None


def setup_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_venvkeeper_stderr", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.addFilter(_not_sent_to_a_client)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._venvkeeper_stderr = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    # pygls logs every message at INFO; keep its chatter out of the client's output channel.
    logging.getLogger("pygls").setLevel(logging.WARNING)
