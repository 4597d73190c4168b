"""Running the long operations (create, sync, install, resolve…) for the editor: one per project, on a
worker thread, with the client's progress, cancellable.

Cancelling the progress (or the awaiting task) cancels the operation: the tool's process group is
killed and nothing half-made is left (venvkeeper/creation/runner.py). The outcome reaches the caller as
the result, :class:`OperationCancelled` (not an error: the user asked for it), :class:`OperationFailed`
(the one decisive line, and whether a retry may help) or :class:`~venvkeeper.errors.Refused`.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, TypeVar

from venvkeeper.creation.commands import (
    CANCELLED,
    USER_ERRORS,
    CommandErrorData,
    Operation,
    cancelled_message,
    failure,
    failure_log,
)
from venvkeeper.creation.create import ProgressStep
from venvkeeper.creation.runner import Cancelled, CancelToken
from venvkeeper.errors import Refused

if TYPE_CHECKING:
    from venvkeeper.daemon.client import Client, ProgressHandle

log = logging.getLogger("venvkeeper")
T = TypeVar("T")


class OperationCancelled(Exception):
    """The user cancelled: not an error (the message says nothing was changed)."""


class OperationFailed(Exception):
    """A tool or a step failed: ``str(exc)`` is the decisive line, ``error`` the typed details."""

    def __init__(self, message: str, error: CommandErrorData) -> None:
        super().__init__(message)
        self.message = message
        self.error = error


class Operations:
    """Runs one long operation per project with progress and cancellation."""

    def __init__(self, client: Client, clock: Callable[[], float]) -> None:
        self.client = client
        self.clock = clock
        self.running: dict[Path, CancelToken] = {}

    async def run(self, project: Path, op: Operation[T]) -> T:
        """Run ``op`` on a worker thread; on success end the progress with its summary line."""
        if project in self.running:
            raise Refused(f"an operation is already running for {project}")
        cancel = CancelToken()
        self.running[project] = cancel
        loop = asyncio.get_running_loop()
        shown: Optional[ProgressHandle] = None
        outcome: Optional[str] = None
        try:
            shown = await self.client.begin_progress(op.title, cancel.cancel)

            def progress(step: ProgressStep) -> None:  # called on the worker thread
                if shown is not None:
                    loop.call_soon_threadsafe(shown.report, step)

            try:
                result, summary_line = await loop.run_in_executor(None, op.run, progress, cancel, self.clock)
            except asyncio.CancelledError:
                # The awaiting request was cancelled: stop the tool too (the worker cleans up).
                cancel.cancel()
                outcome = CANCELLED
                raise
            except Cancelled:
                outcome = CANCELLED
                raise OperationCancelled(cancelled_message(op.title)) from None
            except USER_ERRORS as exc:
                log.warning("%s", failure_log(op.title, exc))
                raise OperationFailed(*failure(op.title, exc)) from None
            outcome = summary_line or "done"
            if summary_line:
                log.info("%s", summary_line)
            return result
        finally:
            self.running.pop(project, None)
            if shown is not None:
                shown.end(outcome)
