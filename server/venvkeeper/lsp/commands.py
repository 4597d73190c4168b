"""``workspace/executeCommand``: create, sync, install missing, recreate, install into env, resolve, add pip.

Translation and wiring only: each handler parses its JSON argument into the typed arguments of
:mod:`venvkeeper.creation.commands`, runs that module's work in a worker thread with ``$/progress`` when
the client supports ``window.workDoneProgress`` (token created with ``window/workDoneProgress/create``,
cancellable; ``end`` is always sent), and answers the typed result as camelCase JSON. Cancelling the
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
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from venvkeeper.app import Refused
from venvkeeper.creation.commands import (
    CANCELLED,
    USER_ERRORS,
    CancelledCommand,
    CommandErrorData,
    CreateArgs,
    Created,
    Installed,
    InstallSelection,
    Operation,
    PipAdded,
    Resolution,
    Synced,
    add_pip_operation,
    cancelled_message,
    create_operation,
    create_request,
    failure,
    failure_log,
    install_operation,
    lock_sync_for,
    lock_sync_operation,
    recreate_operation,
    resolve_operation,
    sync_operation,
    sync_plan,
)
from venvkeeper.creation.create import (
    CreateResult,
    ProgressStep,
)
from venvkeeper.creation.plan import missing_install_args
from venvkeeper.creation.resolve import Proposal, record_sync_after_edits
from venvkeeper.creation.runner import Cancelled, CancelToken
from venvkeeper.discovery.model import Environment
from venvkeeper.lsp import protocol
from venvkeeper.lsp.diagnostics import file_uri
from venvkeeper.lsp.workspace import refresh, uri_to_path
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


def _strings(value: Any, name: str) -> Optional[tuple[str, ...]]:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CommandRefused(f"'{name}' must be a list of strings")
    return tuple(value)


def _string(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


@contextmanager
def refusals() -> Iterator[None]:
    """The App's refusals (untrusted, outside every project, no env) as ``RequestFailed``."""
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


def _create_args(arg: dict[str, Any]) -> CreateArgs:
    install = arg.get("install")
    if install is not None and not isinstance(install, dict):
        raise CommandRefused("'install' must be an object")
    backend = arg.get("backend")
    return CreateArgs(
        env_path=_string(arg.get("path")),
        python=_string(arg.get("python")),
        backend=backend if backend in ("auto", "venv", "uv") else None,
        install=InstallSelection(
            _strings(install.get("requirements"), "install.requirements") or (),
            _strings(install.get("extras"), "install.extras"),
            _strings(install.get("groups"), "install.groups"),
        )
        if install is not None
        else None,
    )


def _after_change(server: VenvkeeperServer, project: Path) -> None:
    server.app.invalidate([project])
    refresh(server, [project])


def _log_leftovers(result: CreateResult) -> None:
    """Say once what the create recovered of earlier, killed creates (creation/journal.py)."""
    for note in result.leftovers:
        log.info("%s", note)


async def create_for_project(
    server: VenvkeeperServer, project: Path, arg: Optional[dict[str, Any]] = None
) -> dict[str, Any]:
    """The body of ``venvkeeper.create`` (also used by the auto-create prompt)."""
    request = create_request(project, server.app.settings, server.host, _create_args(arg or {}))
    op = create_operation(project, request, server.host, server.app.state)
    result = await operations(server).run(project, op)
    _log_leftovers(result)
    log.info("created %s: %s", result.env_path, result.choice.reason)
    _after_change(server, project)
    return to_wire(Created.of(result))


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
        _after_change(server, project)
    return applied


def register(server: VenvkeeperServer) -> None:
    def _target(arg: dict[str, Any]) -> tuple[Path, Path]:
        project = command_project(server, arg)
        return project, _chosen_env(server, project).path

    async def install(project: Path, env: Path, wanted: Sequence[str], *, missing: bool) -> dict[str, Any]:
        """Install ``wanted`` into the project's env (one operation, with progress), then re-check."""
        settings = server.app.settings
        op = install_operation(project, env, wanted, settings, server.host, missing=missing)
        await operations(server).run(project, op)
        _after_change(server, project)
        return to_wire(Installed(env, tuple(wanted)))

    @server.command(protocol.CMD_CREATE)
    @quiet_cancel
    async def create(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        return await create_for_project(server, command_project(server, arg), arg)

    @server.command(protocol.CMD_SYNC)
    @quiet_cancel
    async def sync(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        project, env = _target(arg)
        app = server.app
        source = _string(arg.get("source"))
        lock_sync = lock_sync_for(project, source, app.settings, server.host)
        if lock_sync is not None:
            op = lock_sync_operation(project, env, lock_sync, app.settings, server.host, app.state)
            result = await operations(server).run(project, op)
            _log_leftovers(result)
            _after_change(server, project)
            return to_wire(replace(Created.of(result), installed=lock_sync.label))
        plan = sync_plan(project, source, app.settings, server.host)
        await operations(server).run(
            project, sync_operation(project, env, plan, app.settings, server.host, app.state)
        )
        _after_change(server, project)
        return to_wire(Synced(env, plan.label))

    @server.command(protocol.CMD_INSTALL_MISSING)
    @quiet_cancel
    async def install_missing(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        project, env = _target(arg)
        await server.checks.ensure([project])  # its findings, computed off the event loop if due
        wanted = _strings(arg.get("requirements"), "requirements") or missing_install_args(
            server.app.findings(project)
        )
        if not wanted:
            return to_wire(Installed(env, ()))
        return await install(project, env, wanted, missing=True)

    @server.command(protocol.CMD_INSTALL_INTO_ENV)
    @quiet_cancel
    async def install_into(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        project, env = _target(arg)
        wanted = _strings(arg.get("requirements"), "requirements")
        if not wanted:
            raise CommandRefused("'requirements' must name at least one requirement")
        return await install(project, env, wanted, missing=False)

    @server.command(protocol.CMD_RECREATE)
    @quiet_cancel
    async def recreate(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        project, env = _target(arg)
        op = recreate_operation(project, env, server.app.settings, server.host)
        result = await operations(server).run(project, op)
        _log_leftovers(result)
        _after_change(server, project)
        return to_wire(Created.of(result))

    @server.command(protocol.CMD_FIND_COMPATIBLE)
    @quiet_cancel
    async def find_compatible_command(ls: Any, *args: Any) -> dict[str, Any]:
        """Resolve, then apply the edit (``sync``: install the set first: a failed install edits nothing)."""
        arg = _argument(args)
        project = command_project(server, arg)
        sync = arg.get("sync") is True
        proposal = await find_compatible(server, project, sync=sync)
        applied = await apply_proposal(server, project, proposal, synced=sync)
        return to_wire(Resolution.of(proposal, applied=applied, synced=sync))

    @server.command(protocol.CMD_ADD_PIP)
    @quiet_cancel
    async def add_pip_command(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        project = command_project(server, arg)
        env = _chosen_env(server, project)
        dist_info = await operations(server).run(project, add_pip_operation(env, server.host))
        _after_change(server, project)
        return to_wire(PipAdded.of(env.path, dist_info))
