"""``workspace/executeCommand``: create, sync, install missing, recreate, install into env.

Each command runs the domain function (venvkeeper.creation) in a worker thread, with ``$/progress``
when the client supports ``window.workDoneProgress`` (token created with
``window/workDoneProgress/create``, cancellable; ``end`` is always sent). Cancelling the progress
cancels the operation: the tool's process group is killed and nothing half-made is left. All commands
refuse in an untrusted workspace, and one project runs one operation at a time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import uuid
import weakref
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from venvkeeper.creation import summary
from venvkeeper.creation.addpip import AddPipError, add_pip
from venvkeeper.creation.backends import BackendUnavailable, select_backend
from venvkeeper.creation.create import (
    CreateError,
    CreateRequest,
    CreateResult,
    ProgressStep,
    create_env,
    install_into_env,
    installed_requirements,
    recreate_env,
    sync_env,
    tool_environment,
)
from venvkeeper.creation.indexes import uv_index_options
from venvkeeper.creation.interpreters import NoSuitablePython
from venvkeeper.creation.plan import (
    InstallPlan,
    default_plan,
    missing_install_args,
    plan_from_sources,
    requested_plan,
)
from venvkeeper.creation.resolve import (
    Proposal,
    ResolveFailed,
    find_compatible,
    record_sync_after_edits,
    request_for,
    select_resolver,
)
from venvkeeper.creation.runner import Cancelled, CancelToken, CommandFailed, run_subprocess
from venvkeeper.discovery.model import Environment
from venvkeeper.lsp import protocol
from venvkeeper.lsp.workspace import refresh, uri_to_path

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")
#: Where uv is looked for besides PATH: next to the daemon's interpreter (as the install backends do).
_DAEMON_DIRS = (Path(sys.executable).parent,)
T = TypeVar("T")

#: Findings whose ``data.install`` says what to install to fix them.
#: Domain errors whose message is the user-facing reason.
USER_ERRORS = (
    CommandFailed,
    CreateError,
    NoSuitablePython,
    BackendUnavailable,
    AddPipError,
    ResolveFailed,
    OSError,
)


class CommandRefused(JsonRpcException):
    """LSP ``RequestFailed``: the message says why (no "venvkeeper:" prefix: clients name the server).

    ``data`` (docs/PROTOCOL.md "Command errors"): ``{ decisive, retry }`` — the one line that says
    why, and whether running the same command again may help (a tool failed, not a refusal).
    """

    CODE = int(types.LSPErrorCodes.RequestFailed)


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
            return {"cancelled": True, "message": str(exc)}

    return wrapped


Work = Callable[[Callable[[ProgressStep], None], CancelToken], T]
#: The one line that ends the progress on success: what was done, in how many seconds (run on the worker).
Summarize = Callable[[T, float], str]


def failure(title: str, exc: Exception) -> tuple[str, str]:
    """The user-facing message of a failed operation and its decisive line."""
    decisive = exc.decisive if isinstance(exc, CommandFailed) else str(exc)
    return f"{title} failed: {decisive}", decisive


def log_failure(title: str, exc: Exception) -> None:
    """Log a failure once, with the tool's whole output (the client's "Show output" opens it)."""
    message, _ = failure(title, exc)
    if isinstance(exc, CommandFailed):
        output = "\n".join(f"  {line}" for line in exc.output) or "  (no output)"
        log.warning("%s\n%s (exit code %s) said:\n%s", message, exc.what, exc.returncode, output)
    else:
        log.warning("%s", message)


class Operations:
    """Runs one long operation per project with progress and cancellation."""

    def __init__(self, server: VenvkeeperServer) -> None:
        self.server = server
        self.running: dict[Path, CancelToken] = {}

    async def run(
        self, project: Path, title: str, work: Work[T], summarize: Optional[Summarize[T]] = None
    ) -> T:
        """Run ``work`` on a worker thread; on success end the progress with ``summarize``'s line."""
        server = self.server
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

            clock = server.host.monotonic
            started = clock()

            def job() -> tuple[T, Optional[str]]:
                result = work(progress, cancel)
                if summarize is None:
                    return result, None
                try:
                    return result, summarize(result, clock() - started)
                except Exception:  # the work is done: a summary that cannot be made must not undo that
                    log.exception("summarising %s failed", title)
                    return result, None

            try:
                result, summary_line = await loop.run_in_executor(None, job)
            except asyncio.CancelledError:
                # $/cancelRequest cancelled the handler: stop the tool too (the worker cleans up).
                cancel.cancel()
                outcome = "cancelled; nothing was changed"
                raise
            except Cancelled:
                outcome = "cancelled; nothing was changed"
                raise OperationCancelled(f"{title} was cancelled; nothing was changed") from None
            except USER_ERRORS as exc:
                log_failure(title, exc)
                message, decisive = failure(title, exc)
                raise CommandRefused(
                    message, data={"decisive": decisive, "retry": isinstance(exc, CommandFailed)}
                ) from None
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


def _strings(value: Any, name: str) -> Optional[list[str]]:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CommandRefused(f"'{name}' must be a list of strings")
    return value


def _project(server: VenvkeeperServer, arg: dict[str, Any]) -> Path:
    if not server.app.settings.trusted:
        raise CommandRefused("the workspace is not trusted; nothing is created or installed")
    uri = arg.get("uri")
    path = uri_to_path(uri) if isinstance(uri, str) else None
    if path is None:
        raise CommandRefused("'uri' must be a file:// URI of a file or folder in a project")
    project = server.app.project_for(path)
    if project is None:
        raise CommandRefused(f"{path} is not inside any project of the workspace")
    return project


def _chosen_env(server: VenvkeeperServer, project: Path) -> Environment:
    chosen = server.app.discovery(project).chosen
    if chosen is None:
        raise CommandRefused(f"{project} has no environment; create one first")
    return chosen.env


def _env(server: VenvkeeperServer, project: Path) -> Path:
    return _chosen_env(server, project).path


def _resolve(project: Path, name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else project / path


def plan_for_source(server: VenvkeeperServer, project: Path, source: Optional[str]) -> InstallPlan:
    """Sync: one source as the check reads it, or (no source) everything the check expects."""
    settings = server.app.settings
    if not source:
        return default_plan(project, settings, server.host)
    return plan_from_sources(project, [_resolve(project, source)], settings, server.host)


def _create_plan(server: VenvkeeperServer, project: Path, install: Any) -> Optional[InstallPlan]:
    if install is None:
        return None
    if not isinstance(install, dict):
        raise CommandRefused("'install' must be an object")
    files = _strings(install.get("requirements"), "install.requirements") or []
    extras = _strings(install.get("extras"), "install.extras")
    groups = _strings(install.get("groups"), "install.groups")
    return requested_plan(
        project,
        server.app.settings,
        server.host,
        [_resolve(project, f) for f in files],
        tuple(extras) if extras is not None else None,
        tuple(groups) if groups is not None else None,
    )


def _after_change(server: VenvkeeperServer, project: Path) -> None:
    server.app.invalidate([project])
    refresh(server, [project])


def _log_leftovers(result: CreateResult) -> None:
    """Say once what the create recovered of earlier, killed creates (creation/journal.py)."""
    for note in result.leftovers:
        log.info("%s", note)


def _summarize_create(server: VenvkeeperServer, project: Path) -> Summarize[CreateResult]:
    def summarize(result: CreateResult, seconds: float) -> str:
        packages = installed_requirements(result.env_path, windows=server.host.platform == "windows")
        return summary.created(
            summary.env_label(result.env_path, project),
            result.choice.python.version,
            len(packages),
            seconds,
            replaced=result.replaced,
        )

    return summarize


def _result_view(result: CreateResult) -> dict[str, Any]:
    return {
        "envPath": str(result.env_path),
        "python": str(result.python),
        "reason": result.choice.reason,
        "backend": result.backend,
        "installed": result.plan.label,
        "replaced": result.replaced,
    }


async def create_for_project(
    server: VenvkeeperServer, project: Path, arg: Optional[dict[str, Any]] = None
) -> dict[str, Any]:
    """The body of ``venvkeeper.create`` (also used by the auto-create prompt)."""
    arg = arg or {}
    settings = server.app.settings
    env_path = arg.get("path")
    request = CreateRequest(
        project,
        env_path=_resolve(project, env_path) if isinstance(env_path, str) and env_path else None,
        python=arg.get("python") if isinstance(arg.get("python"), str) else None,
        backend=str(arg["backend"]) if arg.get("backend") in ("auto", "venv", "uv") else settings.backend,
        uv_path=settings.uv_path,
        plan=_create_plan(server, project, arg.get("install")),
        extras=settings.extras,
        groups=settings.dependency_groups,
    )
    ops = operations(server)
    result = await ops.run(
        project,
        f"Creating the environment for {project.name}",
        lambda progress, cancel: create_env(
            request, host=server.host, progress=progress, cancel=cancel, state=server.app.state
        ),
        _summarize_create(server, project),
    )
    _log_leftovers(result)
    log.info("created %s: %s", result.env_path, result.choice.reason)
    _after_change(server, project)
    return _result_view(result)


_OPERATIONS: weakref.WeakKeyDictionary[Any, Operations] = weakref.WeakKeyDictionary()


def operations(server: VenvkeeperServer) -> Operations:
    """The server's one :class:`Operations` (shared by the commands and the auto-create prompt)."""
    ops = _OPERATIONS.get(server)
    if ops is None:
        ops = _OPERATIONS[server] = Operations(server)
    return ops


def workspace_edit(proposal: Proposal) -> types.WorkspaceEdit:
    """The proposal's line edits as a WorkspaceEdit (``changes``: every client applies those)."""
    from venvkeeper.lsp.diagnostics import file_uri

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


def proposal_view(proposal: Proposal) -> dict[str, Any]:
    return {
        "tool": proposal.tool,
        "changes": [str(c) for c in proposal.changes],
        "edits": [
            {"file": str(e.file), "line": e.span.line, "old": e.old, "new": e.new} for e in proposal.edits
        ],
        "install": list(proposal.pins),
    }


async def find_compatible_versions(server: VenvkeeperServer, project: Path, *, sync: bool) -> Proposal:
    """Resolve (and with ``sync`` install the set found) as one cancellable operation with progress.

    Only on an explicit user action: it spawns the resolver. The env changes only when ``sync`` is set
    and the resolve succeeded; a failed or cancelled install is rolled back by pip/uv, so the env is
    left as it was. Nothing is edited here: the caller shows or applies the edit.
    """
    env = _chosen_env(server, project)
    settings = server.app.settings
    host = server.host

    def work(progress: Callable[[ProgressStep], None], cancel: CancelToken) -> Proposal:
        request = request_for(project, env, settings, host, tool_env=tool_environment(host, {}))
        if not request.conflicts:
            raise ResolveFailed(f"{env.path.name} has no dependency conflicts any more; nothing to resolve")
        resolver = select_resolver(settings.backend, host, project, env, settings.uv_path, _DAEMON_DIRS)
        proposal = find_compatible(
            request,
            resolver=resolver,
            runner=run_subprocess,
            cancel=cancel,
            report=lambda message: progress(ProgressStep(message, None)),
        )
        log.info("%s proposes: %s", proposal.tool, proposal.summary)
        if sync and proposal.pins:
            # Exactly the changes of the set found (--no-deps): no second resolution that could differ.
            backend = select_backend(settings.backend, host, settings.uv_path, _DAEMON_DIRS)
            install_into_env(
                env.path,
                InstallPlan(requirements=proposal.pins, label=proposal.summary, no_deps=True),
                host=host,
                backend=backend,
                index_options=tuple(uv_index_options(host, project, env.path))
                if backend.name == "uv"
                else (),
                progress=progress,
                cancel=cancel,
            )
        return proposal

    title = "Finding versions that work together" + (f" and syncing {env.path.name}" if sync else "")
    return await operations(server).run(project, title, work)


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
        env = _env(server, project)
        # The env now holds what the edited files say: record them as synced (as they will be saved).
        if server.app.state is not None:
            record_sync_after_edits(server.app.state, project, env, proposal if applied else None)
        _after_change(server, project)
    return applied


def register(server: VenvkeeperServer) -> None:
    def _install_kwargs() -> dict[str, Any]:
        settings = server.app.settings
        return {"host": server.host, "backend_preference": settings.backend, "uv_path": settings.uv_path}

    async def install(project: Path, env: Path, wanted: list[str], title: str) -> dict[str, Any]:
        """Install ``wanted`` into the project's env (one operation, with progress), then re-check."""
        plan = InstallPlan(requirements=tuple(wanted), label=" ".join(wanted))
        await operations(server).run(
            project,
            title,
            lambda progress, cancel: install_into_env(
                env, plan, progress=progress, cancel=cancel, **_install_kwargs()
            ),
            lambda _, seconds: summary.installed(summary.env_label(env, project), wanted, seconds),
        )
        _after_change(server, project)
        return {"envPath": str(env), "installed": wanted}

    @server.command(protocol.CMD_CREATE)
    @quiet_cancel
    async def create(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        return await create_for_project(server, _project(server, arg), arg)

    @server.command(protocol.CMD_SYNC)
    @quiet_cancel
    async def sync(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        project = _project(server, arg)
        env = _env(server, project)
        source = arg.get("source") if isinstance(arg.get("source"), str) else None
        plan = plan_for_source(server, project, source)
        await operations(server).run(
            project,
            f"Syncing {env.name} with {plan.label}",
            lambda progress, cancel: sync_env(
                project,
                env,
                plan,
                state=server.app.state,
                progress=progress,
                cancel=cancel,
                **_install_kwargs(),
            ),
            lambda _, seconds: summary.synced(summary.env_label(env, project), plan.label, seconds),
        )
        _after_change(server, project)
        return {"envPath": str(env), "installed": plan.label}

    @server.command(protocol.CMD_INSTALL_MISSING)
    @quiet_cancel
    async def install_missing(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        project = _project(server, arg)
        env = _env(server, project)
        await server.checks.ensure([project])  # its findings, computed off the event loop if due
        wanted = _strings(arg.get("requirements"), "requirements") or missing_install_args(
            server.app.findings(project)
        )
        if not wanted:
            return {"envPath": str(env), "installed": []}
        return await install(project, env, wanted, f"Installing missing requirements into {env.name}")

    @server.command(protocol.CMD_INSTALL_INTO_ENV)
    @quiet_cancel
    async def install_into(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        project = _project(server, arg)
        env = _env(server, project)
        wanted = _strings(arg.get("requirements"), "requirements")
        if not wanted:
            raise CommandRefused("'requirements' must name at least one requirement")
        return await install(project, env, wanted, f"Installing {' '.join(wanted)} into {env.name}")

    @server.command(protocol.CMD_RECREATE)
    @quiet_cancel
    async def recreate(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        project = _project(server, arg)
        env = _env(server, project)
        settings = server.app.settings
        request = CreateRequest(project, env_path=env, backend=settings.backend, uv_path=settings.uv_path)
        result = await operations(server).run(
            project,
            f"Recreating {env.name}",
            # No sync record here: the same packages are reinstalled, so the last sync still holds.
            lambda progress, cancel: recreate_env(
                request, host=server.host, progress=progress, cancel=cancel
            ),
            _summarize_create(server, project),
        )
        _log_leftovers(result)
        _after_change(server, project)
        return _result_view(result)

    @server.command(protocol.CMD_FIND_COMPATIBLE)
    @quiet_cancel
    async def find_compatible_command(ls: Any, *args: Any) -> dict[str, Any]:
        """Resolve, then apply the edit (``sync``: install the set first: a failed install edits nothing)."""
        arg = _argument(args)
        project = _project(server, arg)
        sync = arg.get("sync") is True
        proposal = await find_compatible_versions(server, project, sync=sync)
        applied = await apply_proposal(server, project, proposal, synced=sync)
        return {**proposal_view(proposal), "applied": applied, "synced": sync}

    @server.command(protocol.CMD_ADD_PIP)
    @quiet_cancel
    async def add_pip_command(ls: Any, *args: Any) -> dict[str, Any]:
        arg = _argument(args)
        project = _project(server, arg)
        env = _chosen_env(server, project)
        dist_info = await operations(server).run(
            project, f"Adding pip to {env.name}", lambda progress, cancel: add_pip(env, server.host)
        )
        _after_change(server, project)
        return {"envPath": str(env.path), "pip": dist_info.name[len("pip-") : -len(".dist-info")]}
