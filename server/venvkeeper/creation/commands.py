"""The editor commands' domain half: create, sync, install, recreate, find compatible versions, add pip.

daemon/dispatch.py asks the App for the project and env (:meth:`venvkeeper.app.App.command_project`,
:meth:`~venvkeeper.app.App.chosen_env`) and turns a command's argument object into one :class:`Job`
here (its operation, and how the result becomes the answer; a bad argument is :class:`Refused`);
daemon/operations.py runs the job's operation on a worker thread with progress and cancellation, and
lsp/commands.py sends the typed answer through :func:`venvkeeper.wire.to_wire` (docs/PROTOCOL.md
"Creation and installs" names the shapes).
Nothing here knows the protocol: tests call it with files in tmp_path.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Generic, Optional, TypeVar, Union, cast, get_args

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
    sync_env_from_lock,
    tool_environment,
)
from venvkeeper.creation.indexes import uv_index_options
from venvkeeper.creation.interpreters import NoSuitablePython
from venvkeeper.creation.locksync import LockSync, plan_lock_sync, usable
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
    request_for,
    select_resolver,
)
from venvkeeper.creation.runner import CancelToken, CommandFailed, run_subprocess
from venvkeeper.discovery.model import Environment
from venvkeeper.errors import Refused
from venvkeeper.findings import Finding
from venvkeeper.host import Host
from venvkeeper.settings import Backend, Settings
from venvkeeper.state import StateStore

log = logging.getLogger("venvkeeper")
T = TypeVar("T")
Progress = Callable[[ProgressStep], None]

#: Where uv is looked for besides PATH: next to the daemon's interpreter (as the install backends do).
DAEMON_DIRS = (Path(sys.executable).parent,)

#: Domain errors whose message is the user-facing reason a command failed.
USER_ERRORS = (
    CommandFailed,
    CreateError,
    NoSuitablePython,
    BackendUnavailable,
    AddPipError,
    ResolveFailed,
    OSError,
)


@dataclass(frozen=True)
class CommandErrorData:
    """docs/PROTOCOL.md "Command errors": the one line that says why, and whether running the same
    command again may help (a tool failed, not a refusal)."""

    decisive: str
    retry: bool


def failure(title: str, exc: Exception) -> tuple[str, CommandErrorData]:
    """The user-facing message of a failed operation, and what the error carries besides."""
    decisive = exc.decisive if isinstance(exc, CommandFailed) else str(exc)
    return f"{title} failed: {decisive}", CommandErrorData(decisive, retry=isinstance(exc, CommandFailed))


def failure_log(title: str, exc: Exception) -> str:
    """What the log says of a failure, once: the message and, for a tool, its whole output."""
    message, _ = failure(title, exc)
    if not isinstance(exc, CommandFailed):
        return message
    output = "\n".join(f"  {line}" for line in exc.output) or "  (no output)"
    return f"{message}\n{exc.what} (exit code {exc.returncode}) said:\n{output}"


def resolve_path(project: Path, name: str) -> Path:
    """A path a command names: absolute as given, else relative to the project."""
    path = Path(name)
    return path if path.is_absolute() else project / path


# -- arguments -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class InstallSelection:
    """``create``'s ``install``: these files, else exactly these extras/groups (None: per the settings)."""

    requirements: tuple[str, ...] = ()
    extras: Optional[tuple[str, ...]] = None
    groups: Optional[tuple[str, ...]] = None


@dataclass(frozen=True)
class CreateArgs:
    """``venvkeeper.create``'s argument (docs/PROTOCOL.md "Commands"); None: the default."""

    env_path: Optional[str] = None
    python: Optional[str] = None
    backend: Optional[Backend] = None
    install: Optional[InstallSelection] = None


def strings(value: object, name: str) -> Optional[tuple[str, ...]]:
    """A command argument that must be a list of strings (None: not given)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Refused(f"'{name}' must be a list of strings")
    return tuple(value)


def string(value: object) -> Optional[str]:
    """A command argument that is a non-empty string, else None (the default)."""
    return value if isinstance(value, str) and value else None


def create_args(arg: Mapping[str, object]) -> CreateArgs:
    """``venvkeeper.create``'s argument object as :class:`CreateArgs` (an unknown backend: the default)."""
    install = arg.get("install")
    if install is not None and not isinstance(install, dict):
        raise Refused("'install' must be an object")
    backend = arg.get("backend")
    return CreateArgs(
        env_path=string(arg.get("path")),
        python=string(arg.get("python")),
        backend=cast(Backend, backend) if backend in get_args(Backend) else None,
        install=InstallSelection(
            strings(install.get("requirements"), "install.requirements") or (),
            strings(install.get("extras"), "install.extras"),
            strings(install.get("groups"), "install.groups"),
        )
        if install is not None
        else None,
    )


def create_request(project: Path, settings: Settings, host: Host, args: CreateArgs) -> CreateRequest:
    """What to create and install for ``args``: the plan is read from the sources the check reads."""
    install = args.install
    plan = (
        requested_plan(
            project,
            settings,
            host,
            [resolve_path(project, f) for f in install.requirements],
            install.extras,
            install.groups,
        )
        if install is not None
        else None
    )
    return CreateRequest(
        project,
        env_path=resolve_path(project, args.env_path) if args.env_path else None,
        python=args.python,
        backend=args.backend or settings.backend,
        uv_path=settings.uv_path,
        plan=plan,
        extras=settings.extras,
        groups=settings.dependency_groups,
        # A project with a usable lock is created from it (its tool, or pip from the pins) unless told
        # what; with a lock that does not parse, from its sources (as the create prompt said).
        lock_sync=None if install is not None else usable(lock_sync_for(project, None, settings, host)),
    )


def lock_sync_for(project: Path, source: Optional[str], settings: Settings, host: Host) -> Optional[LockSync]:
    """How a create or a sync of ``project`` goes through its lock (creation/locksync.py), or None: no
    lock, or the sync names another source than the lock."""
    sync = plan_lock_sync(project, host, settings.uv_path, DAEMON_DIRS)
    if sync is None or not source:
        return sync
    named = resolve_path(project, source)
    return sync if sync.lock is not None and named.absolute() == sync.lock.absolute() else None


def recreate_request(project: Path, env: Path, settings: Settings) -> CreateRequest:
    return CreateRequest(project, env_path=env, backend=settings.backend, uv_path=settings.uv_path)


def sync_plan(project: Path, source: Optional[str], settings: Settings, host: Host) -> InstallPlan:
    """Sync: one source as the check reads it, or (no source) everything the check expects."""
    if not source:
        return default_plan(project, settings, host)
    return plan_from_sources(project, [resolve_path(project, source)], settings, host)


def named_plan(requirements: Sequence[str]) -> InstallPlan:
    """Install exactly the requirements named (installMissing, installIntoEnv)."""
    return InstallPlan(requirements=tuple(requirements), label=" ".join(requirements))


# -- operations ----------------------------------------------------------------------------------
#: How a cancelled operation ends: its progress, and the answer's message.
CANCELLED = "cancelled; nothing was changed"


def cancelled_message(title: str) -> str:
    return f"{title} was cancelled; nothing was changed"


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One long command as the server runs it: the title of its progress, the work (run on a worker
    thread, reporting progress, cancellable) and the line that ends its progress on success."""

    title: str
    work: Callable[[Progress, CancelToken], T]
    #: What was done, in how many seconds ("Synced .venv with requirements.txt in 3 s").
    summarize: Optional[Callable[[T, float], str]] = None

    def run(
        self, progress: Progress, cancel: CancelToken, clock: Callable[[], float]
    ) -> tuple[T, Optional[str]]:
        """The work and its summary line (None: no summary, or one that could not be made)."""
        started = clock()
        result = self.work(progress, cancel)
        if self.summarize is None:
            return result, None
        try:
            return result, self.summarize(result, clock() - started)
        except Exception:  # the work is done: a summary that cannot be made must not undo that
            log.exception("summarising %s failed", self.title)
            return result, None


def create_operation(
    project: Path, request: CreateRequest, host: Host, state: Optional[StateStore]
) -> Operation[CreateResult]:
    return Operation(
        f"Creating the environment for {project.name}",
        lambda progress, cancel: create_env(
            request, host=host, progress=progress, cancel=cancel, state=state
        ),
        create_summary(project, host),
    )


def recreate_operation(project: Path, env: Path, settings: Settings, host: Host) -> Operation[CreateResult]:
    request = recreate_request(project, env, settings)
    return Operation(
        f"Recreating {env.name}",
        # No sync record here: the same packages are reinstalled, so the last sync still holds.
        lambda progress, cancel: recreate_env(request, host=host, progress=progress, cancel=cancel),
        create_summary(project, host),
    )


def sync_operation(
    project: Path, env: Path, plan: InstallPlan, settings: Settings, host: Host, state: Optional[StateStore]
) -> Operation[None]:
    return Operation(
        f"Syncing {env.name} with {plan.label}",
        lambda progress, cancel: sync_env(
            project,
            env,
            plan,
            host=host,
            state=state,
            progress=progress,
            cancel=cancel,
            backend_preference=settings.backend,
            uv_path=settings.uv_path,
        ),
        lambda _, seconds: summary.synced(summary.env_label(env, project), plan.label, seconds),
    )


def lock_sync_operation(
    project: Path, env: Path, lock_sync: LockSync, settings: Settings, host: Host, state: Optional[StateStore]
) -> Operation[CreateResult]:
    """Sync the env with the lock: rebuilt aside by the project's tool (or pip from the pins), swapped in."""
    request = recreate_request(project, env, settings)
    return Operation(
        f"Syncing {env.name} with {lock_sync.description}",
        lambda progress, cancel: sync_env_from_lock(
            request, lock_sync, host=host, progress=progress, cancel=cancel, state=state
        ),
        lambda _, seconds: summary.synced(summary.env_label(env, project), lock_sync.description, seconds),
    )


def install_operation(
    project: Path, env: Path, wanted: Sequence[str], settings: Settings, host: Host, *, missing: bool
) -> Operation[None]:
    """Install exactly ``wanted`` (``missing``: what the check found missing, named so in the title)."""
    plan = named_plan(wanted)
    what = "missing requirements" if missing else " ".join(wanted)
    return Operation(
        f"Installing {what} into {env.name}",
        lambda progress, cancel: install_into_env(
            env,
            plan,
            host=host,
            backend_preference=settings.backend,
            uv_path=settings.uv_path,
            progress=progress,
            cancel=cancel,
        ),
        lambda _, seconds: summary.installed(summary.env_label(env, project), wanted, seconds),
    )


def add_pip_operation(env: Environment, host: Host) -> Operation[Path]:
    return Operation(f"Adding pip to {env.name}", lambda progress, cancel: add_pip(env, host))


def create_summary(project: Path, host: Host) -> Callable[[CreateResult, float], str]:
    """The line that ends a create's or recreate's progress ("Created .venv with Python 3.12.1 …")."""

    def summarize(result: CreateResult, seconds: float) -> str:
        packages = installed_requirements(result.env_path, windows=host.platform == "windows")
        return summary.created(
            summary.env_label(result.env_path, project),
            result.choice.python.version,
            len(packages),
            seconds,
            replaced=result.replaced,
        )

    return summarize


def resolve_operation(
    project: Path, env: Environment, settings: Settings, host: Host, *, sync: bool
) -> Operation[Proposal]:
    return Operation(
        "Finding versions that work together" + (f" and syncing {env.path.name}" if sync else ""),
        lambda progress, cancel: find_compatible_versions(
            project, env, settings, host, sync=sync, progress=progress, cancel=cancel
        ),
    )


def find_compatible_versions(
    project: Path,
    env: Environment,
    settings: Settings,
    host: Host,
    *,
    sync: bool,
    progress: Progress,
    cancel: CancelToken,
) -> Proposal:
    """Resolve (and with ``sync`` install the set found) — the body of one cancellable operation.

    Only on an explicit user action: it spawns the resolver. The env changes only when ``sync`` is set
    and the resolve succeeded; a failed or cancelled install is rolled back by pip/uv, so the env is
    left as it was. Nothing is edited here: the caller shows or applies the edit.
    """
    request = request_for(project, env, settings, host, tool_env=tool_environment(host, {}))
    if not request.conflicts:
        raise ResolveFailed(f"{env.path.name} has no dependency conflicts any more; nothing to resolve")
    resolver = select_resolver(settings.backend, host, project, env, settings.uv_path, DAEMON_DIRS)
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
        backend = select_backend(settings.backend, host, settings.uv_path, DAEMON_DIRS)
        install_into_env(
            env.path,
            InstallPlan(requirements=proposal.pins, label=proposal.summary, no_deps=True),
            host=host,
            backend=backend,
            index_options=tuple(uv_index_options(host, project, env.path)) if backend.name == "uv" else (),
            progress=progress,
            cancel=cancel,
        )
    return proposal


def already_compatible(proposal: Proposal) -> str:
    """Said when the resolver found a consistent set that the declared lines already allow."""
    return (
        "the declared requirements already allow versions that work together "
        f"({proposal.summary}); no line needs to change — sync the env to install them"
    )


# -- results (docs/PROTOCOL.md "Creation and installs": Results) ---------------------------------
@dataclass(frozen=True)
class Created:
    """``create`` and ``recreate``."""

    env_path: Path
    python: Path
    #: Which rule chose the base Python ("Python 3.12.1 (/usr/bin/python3.12): newest found that …").
    reason: str
    backend: str
    #: What was installed, in words (the plan's label).
    installed: str
    replaced: bool

    @classmethod
    def of(cls, result: CreateResult) -> Created:
        return cls(
            env_path=result.env_path,
            python=result.python,
            reason=result.choice.reason,
            backend=result.backend,
            installed=result.plan.label,
            replaced=result.replaced,
        )


@dataclass(frozen=True)
class Synced:
    env_path: Path
    #: The plan's label ("requirements.txt", "pyproject.toml [dev]").
    installed: str


@dataclass(frozen=True)
class Installed:
    """``installMissing`` and ``installIntoEnv``: the requirements installed (none: nothing was missing)."""

    env_path: Path
    installed: tuple[str, ...]


@dataclass(frozen=True)
class PipAdded:
    env_path: Path
    #: pip's version.
    pip: str

    @classmethod
    def of(cls, env: Path, dist_info: Path) -> PipAdded:
        return cls(env_path=env, pip=dist_info.name[len("pip-") : -len(".dist-info")])


@dataclass(frozen=True)
class EditedLine:
    file: Path
    line: int
    old: str
    new: str


@dataclass(frozen=True)
class Resolution:
    """``findCompatibleVersions``: what the resolver proposed and what became of it."""

    tool: str
    changes: tuple[str, ...]
    edits: tuple[EditedLine, ...]
    install: tuple[str, ...]
    applied: bool
    synced: bool

    @classmethod
    def of(cls, proposal: Proposal, *, applied: bool, synced: bool) -> Resolution:
        return cls(
            tool=proposal.tool,
            changes=tuple(str(c) for c in proposal.changes),
            edits=tuple(EditedLine(e.file, e.span.line, e.old, e.new) for e in proposal.edits),
            install=tuple(proposal.pins),
            applied=applied,
            synced=synced,
        )


@dataclass(frozen=True)
class CancelledCommand:
    """A command the user cancelled: not an error (no error toast), so this is its answer."""

    message: str
    cancelled: bool = True


# -- jobs: what each command runs and answers ------------------------------------------------------
#: What a command that changes an env answers (docs/PROTOCOL.md "Creation and installs": Results).
Answer = Union[Created, Synced, Installed, PipAdded]


@dataclass(frozen=True)
class Job:
    """One command's operation and how its result becomes the answer (made by :func:`job`, which types
    the pair; the runner needs neither's type)."""

    operation: Operation[Any]
    answer: Callable[[Any], Answer]


def job(operation: Operation[T], answer: Callable[[T], Answer]) -> Job:
    return Job(operation, answer)


@dataclass(frozen=True)
class Scope:
    """What every command's job needs besides its argument: the project it acts on, and the App's
    settings, host and state store."""

    project: Path
    settings: Settings
    host: Host
    state: Optional[StateStore] = None


def created(result: CreateResult) -> Created:
    """The answer of a create or recreate; says once what it recovered of earlier, killed creates."""
    for note in result.leftovers:
        log.info("%s", note)
    return Created.of(result)


def create_job(scope: Scope, args: CreateArgs) -> Job:
    request = create_request(scope.project, scope.settings, scope.host, args)

    def answer(result: CreateResult) -> Created:
        done = created(result)
        log.info("created %s: %s", result.env_path, result.choice.reason)
        return done

    return job(create_operation(scope.project, request, scope.host, scope.state), answer)


def recreate_job(scope: Scope, env: Path) -> Job:
    return job(recreate_operation(scope.project, env, scope.settings, scope.host), created)


def sync_job(scope: Scope, env: Path, source: Optional[str]) -> Job:
    """Sync through the project's lock when it has one and ``source`` names no other file, else from
    the sources as the check reads them (one, or everything the check expects)."""
    project, settings, host, state = scope.project, scope.settings, scope.host, scope.state
    lock_sync = lock_sync_for(project, source, settings, host)
    if lock_sync is not None:
        label = lock_sync.label
        return job(
            lock_sync_operation(project, env, lock_sync, settings, host, state),
            lambda result: replace(created(result), installed=label),
        )
    plan = sync_plan(project, source, settings, host)
    return job(sync_operation(project, env, plan, settings, host, state), lambda _: Synced(env, plan.label))


def install_job(scope: Scope, env: Path, wanted: Sequence[str], *, missing: bool) -> Job:
    """Install exactly ``wanted`` (``missing``: what the check found missing)."""
    operation = install_operation(scope.project, env, wanted, scope.settings, scope.host, missing=missing)
    return job(operation, lambda _: Installed(env, tuple(wanted)))


def install_missing_job(
    scope: Scope, env: Path, requested: Optional[Sequence[str]], findings: Sequence[Finding]
) -> Union[Job, Installed]:
    """Install what was named, else what the findings say is missing; nothing missing: answered at once."""
    wanted = requested or missing_install_args(findings)
    if not wanted:
        return Installed(env, ())
    return install_job(scope, env, wanted, missing=True)


def install_into_job(scope: Scope, env: Path, requested: Optional[Sequence[str]]) -> Job:
    if not requested:
        raise Refused("'requirements' must name at least one requirement")
    return install_job(scope, env, requested, missing=False)


def add_pip_job(scope: Scope, env: Environment) -> Job:
    return job(add_pip_operation(env, scope.host), lambda dist_info: PipAdded.of(env.path, dist_info))
