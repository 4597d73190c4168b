"""Logs go to stderr and, once the client is connected, to window/logMessage — never to stdout."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

_LEVELS = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
}


class ClientLogHandler(logging.Handler):
    def __init__(self, server: VenvkeeperServer) -> None:
        # No level of its own: the root logger's (``--log-level``) decides, so ``debug`` shows
        # venvkeeper's audit lines (e.g. each re-check pass) in the client's log too.
        super().__init__(logging.NOTSET)
        self.server = server

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


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # a thread without a loop (a check's worker, a watchdog thread)
        return None


def setup_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_venvkeeper_stderr", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._venvkeeper_stderr = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    # pygls logs every message at INFO; keep its chatter out of the client's output channel.
    logging.getLogger("pygls").setLevel(logging.WARNING)
