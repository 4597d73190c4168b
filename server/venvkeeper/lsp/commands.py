"""``workspace/executeCommand``: create, sync, install missing, recreate, install into env, resolve, add pip.

Translation and wiring only: each command is a row of :data:`COMMANDS` that turns its JSON argument
into a job of :mod:`venvkeeper.creation.commands`; one runner (:func:`run_command`) runs the job's
operation in a worker thread with ``$/progress`` when the client supports ``window.workDoneProgress``
(token created with ``window/workDoneProgress/create``, cancellable; ``end`` is always sent), and
answers the typed result as camelCase JSON. Cancelling the
progress cancels the operation: the tool's process group is killed and nothing half-made is left. All
commands refuse in an untrusted workspace (:meth:`App.command_project`), and one project runs one
operation at a time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
import weakref
from collections.abc import Awaitable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from venvkeeper.creation.commands import (
    CANCELLED,
    USER_ERRORS,
    Answer,
    CancelledCommand,
    CommandErrorData,
    Job,
    Operation,
    Resolution,
    Scope,
    add_pip_job,
    cancelled_message,
    create_args,
    create_job,
    failure,
    failure_log,
    install_into_job,
    install_missing_job,
    recreate_job,
    resolve_operation,
    string,
    strings,
    sync_job,
)
from venvkeeper.creation.create import ProgressStep
from venvkeeper.creation.resolve import Proposal, record_sync_after_edits
from venvkeeper.creation.runner import Cancelled, CancelToken
from venvkeeper.discovery.model import Environment
from venvkeeper.errors import Refused
from venvkeeper.findings import Finding
from venvkeeper.lsp import protocol
from venvkeeper.lsp.diagnostics import file_uri
from venvkeeper.lsp.workspace import refresh_after_change, uri_to_path
from venvkeeper.wire import to_wire

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")
T = TypeVar("T")


class CommandRefused(JsonRpcException):
    """LSP ``RequestFailed``: the message says why (no "venvkeeper:" prefix: clients name the server).

    ``data`` (docs/PROTOCOL.md "Command errors"): ``{ decisive, retry }`` — the one line that says
    why, and whether running the same command again may help (a tool failed, not a refusal).
    """

    CODE = int(types.LSPErrorCodes.RequestFailed)

    def __init__(self, message: str, error: Optional[CommandErrorData] = None) -> None:
        super().__init__(message, data=to_wire(error) if error is not None else None)
        #: The typed ``data`` (None: a refusal, nothing to retry).
        self.error = error


class OperationCancelled(Exception):
    """The user cancelled: not an error, so the command answers ``{cancelled: true}`` (no error toast)."""


Handler = Callable[..., Awaitable[dict[str, Any]]]


def quiet_cancel(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(*args: Any) -> dict[str, Any]:
        try:
            return await handler(*args)
        except OperationCancelled as exc:
            log.info("%s", exc)
            return to_wire(CancelledCommand(str(exc)))

    return wrapped


class Operations:
    """Runs one long operation per project with progress and cancellation."""

    def __init__(self, server: VenvkeeperServer) -> None:
        self.server = server
        self.running: dict[Path, CancelToken] = {}

    async def run(self, project: Path, op: Operation[T]) -> T:
        """Run ``op`` on a worker thread; on success end the progress with its summary line."""
        server = self.server
        title = op.title
        if project in self.running:
            raise CommandRefused(f"an operation is already running for {project}")
        cancel = CancelToken()
        self.running[project] = cancel
        loop = asyncio.get_running_loop()
        token: Optional[str] = None
        if server.supports_progress():
            token = f"venvkeeper-{uuid.uuid4().hex}"
            try:
                await server.work_done_progress.create_async(token)
            except Exception as exc:  # the client refused the token: work without progress
                log.info("window/workDoneProgress/create failed: %s", exc)
                token = None
        outcome: Optional[str] = None
        try:
            if token is not None:
                server.work_done_progress.begin(
                    token, types.WorkDoneProgressBegin(title=title, cancellable=True, percentage=0)
                )
                future = server.work_done_progress.tokens.get(token)
                if future is not None:
                    # pygls cancels this future on window/workDoneProgress/cancel.
                    future.add_done_callback(lambda f: cancel.cancel() if f.cancelled() else None)

            def report(step: ProgressStep) -> None:
                if token is not None:
                    server.work_done_progress.report(
                        token,
                        types.WorkDoneProgressReport(
                            message=step.message, percentage=step.percentage, cancellable=True
                        ),
                    )

            def progress(step: ProgressStep) -> None:  # called on the worker thread
                loop.call_soon_threadsafe(report, step)

            try:
                result, summary_line = await loop.run_in_executor(
                    None, op.run, progress, cancel, server.host.monotonic
                )
            except asyncio.CancelledError:
                # $/cancelRequest cancelled the handler: stop the tool too (the worker cleans up).
                cancel.cancel()
                outcome = CANCELLED
                raise
            except Cancelled:
                outcome = CANCELLED
                raise OperationCancelled(cancelled_message(title)) from None
            except USER_ERRORS as exc:
                log.warning("%s", failure_log(title, exc))
                message, data = failure(title, exc)
                raise CommandRefused(message, data) from None
            outcome = summary_line or "done"
            if summary_line:
                log.info("%s", summary_line)
            return result
        finally:
            self.running.pop(project, None)
            if token is not None:
                server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=outcome))
                server.work_done_progress.tokens.pop(token, None)


def _argument(args: Sequence[Any]) -> dict[str, Any]:
    plain = protocol.as_plain(list(args))
    while isinstance(plain, list) and len(plain) == 1 and isinstance(plain[0], list):
        plain = plain[0]  # some clients wrap the argument list once more
    if isinstance(plain, list) and plain and isinstance(plain[0], dict):
        return plain[0]
    raise CommandRefused("the command takes one argument object, e.g. { uri }")


@contextmanager
def refusals() -> Iterator[None]:
    """The domain's refusals (untrusted, no project, no env, a bad argument) as ``RequestFailed``."""
    try:
        yield
    except Refused as exc:
        raise CommandRefused(str(exc)) from None


def command_project(server: VenvkeeperServer, arg: dict[str, Any]) -> Path:
    """The project of the argument's ``uri`` a command acts on (refused when untrusted, or none)."""
    uri = arg.get("uri")
    with refusals():
        return server.app.command_project(uri_to_path(uri) if isinstance(uri, str) else None)


def _chosen_env(server: VenvkeeperServer, project: Path) -> Environment:
    with refusals():
        return server.app.chosen_env(project)


async def run_command(
    server: VenvkeeperServer, name: str, project: Path, arg: dict[str, Any]
) -> dict[str, Any]:
    """Run one row of :data:`COMMANDS`: its job (one operation, with progress), then re-check the
    project and answer the job's result (a row that has nothing to run answers at once)."""
    if name in NEEDS_FINDINGS:
        await server.checks.ensure([project])
    with refusals():
        work = COMMANDS[name](Call(server, arg, project))
    if not isinstance(work, Job):
        return to_wire(work)
    result = await operations(server).run(project, work.operation)
    answer = work.answer(result)
    refresh_after_change(server, [project])
    return to_wire(answer)


async def create_for_project(
    server: VenvkeeperServer, project: Path, arg: Optional[dict[str, Any]] = None
) -> dict[str, Any]:
    """The body of ``venvkeeper.create`` (also used by the auto-create prompt)."""
    return await run_command(server, protocol.CMD_CREATE, project, arg or {})


_OPERATIONS: weakref.WeakKeyDictionary[Any, Operations] = weakref.WeakKeyDictionary()


def operations(server: VenvkeeperServer) -> Operations:
    """The server's one :class:`Operations` (shared by the commands and the auto-create prompt)."""
    ops = _OPERATIONS.get(server)
    if ops is None:
        ops = _OPERATIONS[server] = Operations(server)
    return ops


def workspace_edit(proposal: Proposal) -> types.WorkspaceEdit:
    """The proposal's line edits as a WorkspaceEdit (``changes``: every client applies those)."""
    changes: dict[str, list[types.TextEdit]] = {}
    for edit in proposal.edits:
        span = edit.span
        changes.setdefault(file_uri(edit.file), []).append(
            types.TextEdit(
                range=types.Range(
                    types.Position(span.line, span.start), types.Position(span.end_line, span.end)
                ),
                new_text=edit.new,
            )
        )
    return types.WorkspaceEdit(changes=changes)


async def find_compatible(server: VenvkeeperServer, project: Path, *, sync: bool) -> Proposal:
    """Resolve (and with ``sync`` install the set found) as one cancellable operation with progress."""
    env = _chosen_env(server, project)
    op = resolve_operation(project, env, server.app.settings, server.host, sync=sync)
    return await operations(server).run(project, op)


async def apply_proposal(
    server: VenvkeeperServer, project: Path, proposal: Proposal, *, synced: bool
) -> bool:
    """Ask the client to apply the proposal's edit (``workspace/applyEdit``); True when it did."""
    applied = True
    if proposal.edits:
        label = proposal.summary  # the client names the server
        try:
            result = await server.workspace_apply_edit_async(
                types.ApplyWorkspaceEditParams(edit=workspace_edit(proposal), label=label)
            )
            applied = bool(result.applied)
            if not applied:
                log.warning(
                    "the client did not apply the edit: %s", result.failure_reason or "no reason given"
                )
        except Exception as exc:
            log.warning("workspace/applyEdit failed: %s", exc)
            applied = False
    if synced:
        env = _chosen_env(server, project).path
        # The env now holds what the edited files say: record them as synced (as they will be saved).
        if server.app.state is not None:
            record_sync_after_edits(server.app.state, project, env, proposal if applied else None)
        refresh_after_change(server, [project])
    return applied


@dataclass(frozen=True)
class Call:
    """One ``workspace/executeCommand``: its argument object and the project it acts on."""

    server: VenvkeeperServer
    arg: dict[str, Any]
    project: Path

    @property
    def scope(self) -> Scope:
        app = self.server.app
        return Scope(self.project, app.settings, self.server.host, app.state)

    @property
    def env(self) -> Environment:
        return self.server.app.chosen_env(self.project)

    @property
    def requirements(self) -> Optional[tuple[str, ...]]:
        return strings(self.arg.get("requirements"), "requirements")

    def findings(self) -> list[Finding]:
        return self.server.app.findings(self.project)


#: Each command that runs one job: how its call becomes that job (or its answer, when nothing is to run).
#: The domain half of each row is in :mod:`venvkeeper.creation.commands`.
COMMANDS: dict[str, Callable[[Call], Union[Job, Answer]]] = {
    protocol.CMD_CREATE: lambda c: create_job(c.scope, create_args(c.arg)),
    protocol.CMD_SYNC: lambda c: sync_job(c.scope, c.env.path, string(c.arg.get("source"))),
    protocol.CMD_INSTALL_MISSING: lambda c: install_missing_job(
        c.scope, c.env.path, c.requirements, c.findings()
    ),
    protocol.CMD_INSTALL_INTO_ENV: lambda c: install_into_job(c.scope, c.env.path, c.requirements),
    protocol.CMD_RECREATE: lambda c: recreate_job(c.scope, c.env.path),
    protocol.CMD_ADD_PIP: lambda c: add_pip_job(c.scope, c.env),
}

#: Commands whose job reads the project's findings: computed first, off the event loop if due.
NEEDS_FINDINGS = frozenset({protocol.CMD_INSTALL_MISSING})


async def find_compatible_command(server: VenvkeeperServer, arg: dict[str, Any]) -> dict[str, Any]:
    """Resolve, then apply the edit (``sync``: install the set first: a failed install edits nothing)."""
    project = command_project(server, arg)
    sync = arg.get("sync") is True
    proposal = await find_compatible(server, project, sync=sync)
    applied = await apply_proposal(server, project, proposal, synced=sync)
    return to_wire(Resolution.of(proposal, applied=applied, synced=sync))


#: Every command, in the order ``initialize`` lists them (lsp/front.py answers the same list).
ORDER = (
    protocol.CMD_CREATE,
    protocol.CMD_SYNC,
    protocol.CMD_INSTALL_MISSING,
    protocol.CMD_INSTALL_INTO_ENV,
    protocol.CMD_RECREATE,
    protocol.CMD_FIND_COMPATIBLE,
    protocol.CMD_ADD_PIP,
)


def register(server: VenvkeeperServer) -> None:
    def command(name: str) -> None:
        @server.command(name)
        @quiet_cancel
        async def run(ls: Any, *args: Any) -> dict[str, Any]:
            arg = _argument(args)
            if name == protocol.CMD_FIND_COMPATIBLE:  # not one job: it applies an edit after
                return await find_compatible_command(server, arg)
            return await run_command(server, name, command_project(server, arg), arg)

    for name in ORDER:
        command(name)
