"""Create, sync and recreate a project's env: atomically, cancellably, with progress.

Atomicity: the env is always built aside, in ``<dir>/.venvkeeper-tmp-XXXX/<name>`` next to the target
(same file system, so the final rename is atomic; one level down, so discovery never sees the half-built
env as a child env of the project), made valid for its final path by
:func:`venvkeeper.creation.relocate.retarget_env`, and only then swapped into place by a journaled
:class:`venvkeeper.creation.journal.Transaction`: one atomic exchange where the OS has it, and in every
case a journal the next start reads to finish or roll back (see journal.py). A failure or cancellation
before the swap only deletes the work dir: the target path never holds a half-made env and an existing
env is untouched until its replacement is complete. Each create first recovers what earlier, killed
creates left next to the target.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

from venvkeeper import fsread
from venvkeeper.creation.backends import (
    Backend,
    ToolContext,
    env_python,
    select_backend,
)
from venvkeeper.creation.interpreters import (
    BasePython,
    Choice,
    choose_base,
    default_interpreter,
    find_interpreters,
    names_a_path,
)
from venvkeeper.creation.journal import (
    BUILD_ENV_VAR,
    Leftover,
    SwapOps,
    Transaction,
    recover_leftovers,
)
from venvkeeper.creation.plan import python_version_file, requires_python
from venvkeeper.creation.relocate import retarget_env
from venvkeeper.creation.runner import CancelToken, Runner, RunResult, run_subprocess
from venvkeeper.discovery.identify import is_complete_env_dir
from venvkeeper.discovery.pyvenv import PyvenvError, read_pyvenv_cfg
from venvkeeper.host import Host
from venvkeeper.settings import Selection, Settings
from venvkeeper.state import StateStore

# What only the install plan, the sync record, a lock sync or a recreate need (the requirement parsers,
# packaging's requirement grammar, the lock readers: ~60 ms of imports) is imported where it is used:
# `venvkeeper create` starts the tool first and loads them while it runs (see create_env).
if TYPE_CHECKING:
    from venvkeeper.creation.locksync import LockSync
    from venvkeeper.creation.plan import InstallPlan

_T = TypeVar("_T")

#: Env directory names we keep when one exists (``venv/`` stays ``venv/``); otherwise ``.venv``.
CONVENTIONAL_NAMES = (".venv", "venv", "env")
#: Variables that would make the tools act on the wrong interpreter or env.
_TOOL_ENV_DROP = (
    "PYTHONHOME",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "__PYVENV_LAUNCHER__",
    "PIP_USER",
)


@dataclass(frozen=True)
class ProgressStep:
    message: str
    #: 0-100 when known.
    percentage: int | None = None


class CreateError(Exception):
    """Creation cannot start, or failed for a reason other than a tool's exit code (user-facing)."""


@dataclass(frozen=True)
class CreateRequest:
    project: Path
    #: Where the env goes; None = the project's existing conventional env dir, else ``<project>/.venv``.
    env_path: Path | None = None
    #: Requested base: a version ("3.12", "3.12.1", "3.13t") or an interpreter path.
    python: str | None = None
    backend: str = "auto"
    uv_path: str | None = None
    #: What to install; None = :func:`venvkeeper.creation.plan.default_plan` with ``extras``/``groups``.
    plan: InstallPlan | None = None
    extras: Selection = "all"
    groups: Selection = "default"
    #: Passed through to pip/uv: ``("--no-index", "--find-links", "/wheels")``, ``("--index-url", URL)``.
    index_options: tuple[str, ...] = ()
    #: Extra environment variables for the tools (``PIP_NO_INDEX``, ``UV_OFFLINE``, proxies…).
    tool_env: Mapping[str, str] = field(default_factory=dict)
    #: Replace an existing env at the target (recreate). Without it an existing env is an error.
    replace: bool = False
    #: Copy the interpreter instead of symlinking.
    copies: bool = False
    #: Where the system interpreter dirs are rooted (tests use a fixture tree).
    root: Path = Path("/")
    #: Build from the project's lock (its own tool, or pip from the pins) instead of ``plan``
    #: (:mod:`venvkeeper.creation.locksync`).
    lock_sync: LockSync | None = None


@dataclass(frozen=True)
class CreateResult:
    env_path: Path
    python: Path
    choice: Choice
    backend: str
    plan: InstallPlan
    #: True when an existing env was replaced.
    replaced: bool
    #: What was recovered or removed of earlier, killed creates before this one started.
    leftovers: tuple[Leftover, ...] = ()


Progress = Callable[[ProgressStep], None]


def default_env_path(project: Path) -> Path:
    for name in CONVENTIONAL_NAMES:
        if is_complete_env_dir(project / name):
            return project / name
    return project / ".venv"


def tool_environment(host: Host, extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in host.environ.items() if k not in _TOOL_ENV_DROP}
    env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PYTHONIOENCODING": "utf-8"})
    env.update(extra)
    return env


def _digests(sources: Sequence[Path]) -> dict[str, str]:
    from venvkeeper.requirements.check import file_digest

    out: dict[str, str] = {}
    for src in sources:
        digest = file_digest(src)
        if digest is not None:
            out[str(src.resolve())] = digest
    return out


def _build_from_lock(*args: Any, **kwargs: Any) -> None:
    """:func:`build_from_lock`, its refusal of an unusable lock said as a :class:`CreateError`."""
    from venvkeeper.creation.locksync import LockSyncError, build_from_lock

    try:
        build_from_lock(*args, **kwargs)
    except LockSyncError as exc:
        raise CreateError(str(exc)) from None


def _plan_and_digests(request: CreateRequest, host: Host) -> tuple[InstallPlan, dict[str, str]]:
    """What ``request`` installs (the project's sources by default) and the digests of what was read."""
    from venvkeeper.creation.plan import default_plan

    plan = request.plan or default_plan(
        request.project, Settings(extras=request.extras, dependency_groups=request.groups), host
    )
    return plan, _digests(plan.sources)


class _OnAThread(Generic[_T]):
    """``fn`` run once, on a daemon thread, from :meth:`start` on; :meth:`result` waits for it (starting
    it if nothing did) and returns what it returned or raises what it raised. A create that fails
    before asking for the result does not wait for it.

    Not ``concurrent.futures``: nothing else on the ``venvkeeper create`` path imports it, and the
    point of this thread is to keep imports off the time before the tool starts."""

    def __init__(self, fn: Callable[[], _T]) -> None:
        self._fn = fn
        self._thread: threading.Thread | None = None
        self._outcome: dict[str, Any] = {}

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="venvkeeper-plan", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._outcome["result"] = self._fn()
        except BaseException as exc:
            self._outcome["error"] = exc

    def result(self) -> _T:
        self.start()
        assert self._thread is not None
        self._thread.join()
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["result"]  # type: ignore[no-any-return]


def _swap_into_place(txn: Transaction, target: Path, *, replace: bool) -> bool:
    """Swap the built env in (exchanging it with the env at ``target`` when replacing)."""
    if fsread.lexists(target) and (not replace or not is_complete_env_dir(target)):
        # Something appeared at the target while we were building: never delete what we did not make.
        raise CreateError(f"{target} appeared while the new env was being built; the new env was discarded")
    return txn.swap(target)


def _journaled(runner: Runner, txn: Transaction, then: Callable[[], None] = lambda: None) -> Runner:
    """``runner`` that records each tool's process group in the journal as it starts, then calls
    ``then`` (create_env starts reading the plan there: after the tool, not competing with its start)."""

    def run(
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        on_line: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> RunResult:
        def started(pgid: int) -> None:
            txn.tool_started(pgid)
            then()
            if on_start is not None:
                on_start(pgid)

        return runner(argv, cwd=cwd, env=env, on_line=on_line, cancel=cancel, on_start=started)

    return run


def create_env(
    request: CreateRequest,
    *,
    host: Host,
    runner: Runner = run_subprocess,
    progress: Progress = lambda step: None,
    cancel: CancelToken | None = None,
    state: StateStore | None = None,
    interpreters: Sequence[BasePython] | None = None,
    backend: Backend | None = None,
    swap_ops: SwapOps | None = None,
) -> CreateResult:
    """Choose a base, build the env aside, install, and move it into place. See the module docstring.

    ``swap_ops`` are the rename primitives of the swap (tests inject ones that stop half-way).
    """
    cancel = cancel or CancelToken()
    project = request.project
    windows = host.platform == "windows"

    def report(message: str, percentage: int | None) -> None:
        progress(ProgressStep(message, percentage))

    target = request.env_path or default_env_path(project)
    leftovers = tuple(recover_leftovers([target.parent], now=host.wall_clock))
    for note in leftovers:
        report(str(note), None)
    report("choosing Python", 0)
    if interpreters is not None:
        found = list(interpreters)
    elif names_a_path(request.python):
        found = []  # a path is identified as it is (choose_base): no need to search every install dir
    else:
        found = find_interpreters(host, root=request.root)
    choice = choose_base(
        found,
        requires_python(project),
        python_version_file(project),
        request.python,
        default=None if request.python else default_interpreter(host, found),
    )
    report(choice.reason, 5)

    if fsread.lexists(target):
        if not is_complete_env_dir(target):
            raise CreateError(f"{target} exists and is not a virtual environment; not touching it")
        if not request.replace:
            raise CreateError(f"{target} already exists; recreate it to replace it")
    backend = backend or select_backend(request.backend, host, request.uv_path, [Path(sys.executable).parent])
    cancel.raise_if_cancelled()
    target.parent.mkdir(parents=True, exist_ok=True)
    # The env is built one level down (<dir>/.venvkeeper-tmp-XXXX/.venv): same file system, so the final
    # rename is atomic, and the half-built env is never a direct child with a pyvenv.cfg, so discovery
    # (which looks at direct children) never offers it to the editor while it is being built.
    txn = Transaction.begin(target.parent, target.name, ops=swap_ops, clock=host.wall_clock)
    build_dir = txn.build_dir
    # What to install is read while the tool builds the env (from its start on): loading the
    # requirement parsers takes about as long as `uv venv` itself. The sources are hashed with it,
    # before installing: the record must describe what was read, even if a file changes meanwhile.
    planned = _OnAThread(lambda: _plan_and_digests(request, host))
    ctx = ToolContext(
        host=host,
        runner=_journaled(runner, txn, then=planned.start if request.lock_sync is None else lambda: None),
        cancel=cancel,
        report=report,
        # The marker lets recovery tell this create's leftover tools from a recycled process group.
        env={**tool_environment(host, request.tool_env), BUILD_ENV_VAR: str(txn.work)},
        index_options=request.index_options,
        cwd=project,
    )
    try:
        if request.lock_sync is not None:
            plan = request.lock_sync.plan
            _build_from_lock(
                request.lock_sync,
                choice.python,
                build_dir,
                target,
                project.name,
                ctx,
                backend,
                copies=request.copies,
            )
            # After the tool: a tool that re-locked (uv sync on an outdated lock) synced the new lock.
            digests = _digests(plan.sources)
        else:
            backend.create(choice.python, build_dir, target, project.name, ctx, copies=request.copies)
            cancel.raise_if_cancelled()
            plan, digests = planned.result()
            backend.install(build_dir, plan, ctx)
        cancel.raise_if_cancelled()
        report("finishing", 97)
        gitignore = build_dir / ".gitignore"
        if not fsread.exists(gitignore):
            # Python 3.13's venv and uv do this; older venvs do not. Keeps the env out of `git add .`.
            gitignore.write_text("# Created by venvkeeper automatically.\n*\n", encoding="utf-8")
        retarget_env(build_dir, build_dir, target, windows=windows)
        cancel.raise_if_cancelled()
        replaced = _swap_into_place(txn, target, replace=request.replace)
    finally:
        txn.close()
    if state is not None:
        state.set_sync_record(project, {"env": str(target), **digests})
    report("done", 100)
    return CreateResult(
        env_path=target,
        python=env_python(target, windows=windows),
        choice=choice,
        backend=backend.name,
        plan=plan,
        replaced=replaced,
        leftovers=leftovers,
    )


def install_into_env(
    env_path: Path,
    plan: InstallPlan,
    *,
    host: Host,
    backend_preference: str = "auto",
    uv_path: str | None = None,
    index_options: tuple[str, ...] = (),
    tool_env: Mapping[str, str] | None = None,
    runner: Runner = run_subprocess,
    progress: Progress = lambda step: None,
    cancel: CancelToken | None = None,
    backend: Backend | None = None,
) -> None:
    """Install ``plan`` into an existing env (Install missing / Install into env)."""
    if not is_complete_env_dir(env_path):
        raise CreateError(f"{env_path} is not a virtual environment")
    backend = backend or select_backend(backend_preference, host, uv_path, [Path(sys.executable).parent])
    ctx = ToolContext(
        host=host,
        runner=runner,
        cancel=cancel or CancelToken(),
        report=lambda message, pct: progress(ProgressStep(message, pct)),
        env=tool_environment(host, tool_env or {}),
        index_options=index_options,
        cwd=env_path.parent,
    )
    backend.install(env_path, plan, ctx)
    progress(ProgressStep("done", 100))


def sync_env(
    project: Path,
    env_path: Path,
    plan: InstallPlan,
    *,
    host: Host,
    state: StateStore | None = None,
    **kwargs: object,
) -> None:
    """Install what ``plan``'s sources require, then record their digests (clears "changed since sync")."""
    digests = _digests(plan.sources)
    install_into_env(env_path, plan, host=host, **kwargs)  # type: ignore[arg-type]
    if state is not None:
        # Keep the digests of other sources synced into the same env (syncing dev.txt must not forget
        # requirements.txt); a record for another env is replaced.
        previous = state.sync_record(project)
        kept = previous if previous.get("env") == str(env_path) else {}
        state.set_sync_record(project, {**kept, "env": str(env_path), **digests})


def sync_env_from_lock(
    request: CreateRequest,
    lock_sync: LockSync,
    *,
    host: Host,
    interpreters: Sequence[BasePython] | None = None,
    **kwargs: object,
) -> CreateResult:
    """Sync the existing env with the project's lock: rebuild it aside from the lock with the same
    Python X.Y (when still found), then swap it in (the old env is untouched until then)."""
    target = request.env_path or default_env_path(request.project)
    if not is_complete_env_dir(target):
        raise CreateError(f"{target} is not a virtual environment; create it first")
    found = list(interpreters) if interpreters is not None else find_interpreters(host, root=request.root)
    return create_env(
        replace(
            request,
            env_path=target,
            python=request.python or _same_python(target, found),
            lock_sync=lock_sync,
            replace=True,
        ),
        host=host,
        interpreters=found,
        **kwargs,  # type: ignore[arg-type]
    )


def _same_python(env: Path, found: Sequence[BasePython]) -> str | None:
    """The env's Python X.Y when a base of that version is still installed (else the usual choice)."""
    try:
        old_mm = read_pyvenv_cfg(env / "pyvenv.cfg").major_minor
    except PyvenvError:
        return None
    return old_mm if old_mm and any(p.major_minor == old_mm and not p.free_threaded for p in found) else None


def installed_requirements(env_path: Path, *, windows: bool) -> list[str]:
    """``name==version`` for what the env holds (editables as ``-e <dir>``), pip itself excluded."""
    from venvkeeper.requirements.installed import read_installed

    site_dirs = (
        [env_path / "Lib" / "site-packages"]
        if windows
        else [p for p in fsread.glob(env_path, "lib*/python*/site-packages") if fsread.is_dir(p)]
    )
    reqs: list[str] = []
    for dist in sorted(read_installed(site_dirs).values(), key=lambda d: d.canonical_name):
        if dist.canonical_name == "pip":
            continue
        if dist.editable and dist.editable_location is not None:
            reqs += ["-e", str(dist.editable_location)]
        else:
            reqs.append(f"{dist.name}=={dist.version}")
    return reqs


def recreate_env(
    request: CreateRequest,
    *,
    host: Host,
    interpreters: Sequence[BasePython] | None = None,
    **kwargs: object,
) -> CreateResult:
    """Rebuild the env aside with what it had installed (same Python X.Y when still found), then swap."""
    target = request.env_path or default_env_path(request.project)
    if not is_complete_env_dir(target):
        raise CreateError(f"{target} is not a virtual environment; nothing to recreate")
    from venvkeeper.creation.plan import InstallPlan

    windows = host.platform == "windows"
    reqs = installed_requirements(target, windows=windows)
    found = list(interpreters) if interpreters is not None else find_interpreters(host, root=request.root)
    python = request.python or _same_python(target, found)
    plan = request.plan or InstallPlan(
        requirements=tuple(reqs), label=f"{len(reqs)} packages that were installed"
    )
    return create_env(
        replace(request, env_path=target, python=python, plan=plan, replace=True),
        host=host,
        interpreters=found,
        **kwargs,  # type: ignore[arg-type]
    )
