"""Create or sync an env from the project's lock file: through the project's own tool, or with pip.

**Which way** is decided here, in :func:`plan_lock_sync`, and nowhere else:

1. The project's lock (:func:`venvkeeper.requirements.locks.find_lock`: ``uv.lock``, ``poetry.lock``,
   ``pdm.lock``, ``Pipfile.lock``, ``pylock.toml``; a uv workspace member's root ``uv.lock``) names its
   tool (:data:`TOOLS`, one row per tool). A ``pyproject.toml`` with ``[tool.uv]`` and no lock yet is
   uv's too (``uv sync`` writes the lock).
2. That tool, when found on ``PATH`` (or next to the daemon's interpreter) by looking at the file system
   — nothing is run to find it — syncs the env with its own command: ``uv sync`` (``--frozen`` when the
   lock matches the declared dependencies, else plain ``uv sync``, which re-locks first as it does in a
   terminal), ``poetry sync`` (``poetry install --sync`` before Poetry 2), ``pdm sync``,
   ``pipenv sync --dev``.
3. Without the tool (and always for ``pylock.toml``, which has no tool of its own) the lock's pins are
   installed with pip / ``uv pip``: ``name==version`` for what the lock selects for the env's Python
   (its markers, groups and the project's closure applied by the lock reader), ``--no-deps`` (the lock
   is the resolution), every ``--hash`` the lock records and ``--require-hashes`` when it records any;
   the project's own local packages (editable / path entries) follow, without hashes.

**Atomic**: the env is always built aside and swapped in by :func:`venvkeeper.creation.create.create_env`
(journal, recovery, see journal.py). Each tool is pointed at the build dir, never at the live env, and
the user's own variables that would send it elsewhere are overridden or dropped (:data:`TOOLS`, each
row checked with the real tool); an env the tool might still make of its own can only land in the
create's work dir. The env is made by the usual create backend first (venv + pip, or ``uv venv
--seed``), so it has pip like every env venvkeeper makes (the tools keep it). After the tool succeeds,
the build env must hold at least one of the lock's pins, else the tool synced another env and the swap
is refused. A failed, cancelled or killed sync leaves the old env as it was. Only the tool's own side
effects outside the env remain, as in a terminal (a re-lock writes the lock file; an editable PDM
project gets pdm-backend's ``.pdm-build/``).

**Safety**: the tools run only on an explicit user action in a trusted workspace (the LSP layer refuses
otherwise), in the project dir, with the cleaned tool environment of create.py plus ``PYTHONSAFEPATH``
(Python-based tools never import from the project dir), cancellable through the runner.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from venvkeeper import fsread
from venvkeeper.creation.backends import Backend, ToolContext, env_python, find_tool, find_uv
from venvkeeper.creation.interpreters import BasePython
from venvkeeper.creation.plan import InstallPlan, read_pyproject
from venvkeeper.creation.runner import CommandFailed, InstallProgress
from venvkeeper.host import Host

# The lock readers and the check's modules (installed dists, lock drift, markers: ~50 ms of imports)
# are imported where a lock is actually read or checked: `venvkeeper create` asks plan_lock_sync of
# every project, and most have no lock (see _may_sync).
if TYPE_CHECKING:
    from venvkeeper.requirements.locks import Lock, LockInputs
    from venvkeeper.requirements.locks.model import LockedPackage

#: The requirements file the pip fallback writes into the create's work dir (removed with it).
PINS_FILE = "venvkeeper-locked-requirements.txt"


class LockSyncError(Exception):
    """The lock cannot be synced from (unparsable, unknown version): nothing was installed."""


@dataclass(frozen=True)
class SyncTool:
    """One project tool: its lock file, its executable, and how it syncs an env it is pointed at."""

    #: The tool's name as users type it ("uv", "poetry").
    name: str
    #: The lock file it writes.
    lock: str
    #: The variables that point the tool at the env being built: ``{env}`` = its dir, ``{python}`` = its
    #: interpreter, ``{work}`` = the create's work dir (removed with the build, never in the project).
    env: tuple[tuple[str, str], ...]
    #: Inherited variables that would make the tool sync another env or project: removed.
    unset: tuple[str, ...] = ()

    def executable_name(self, host: Host) -> str:
        return f"{self.name}.exe" if host.platform == "windows" else self.name


#: The tools, one row each: the lock names the row (``uv.lock`` → uv). Commands: :func:`tool_argv`.
#: Each row was checked against the real tool (uv 0.13.9; Poetry 2.5.1 and 1.8.5; PDM 2.29.4; Pipenv
#: 2026.10.3), with the user's own variables set against us; what each variable is for:
#:
#: - Poetry uses ``VIRTUAL_ENV`` only while ``CONDA_DEFAULT_ENV`` is not ``base`` (an auto-activated
#:   conda base is common): otherwise it synced the project's live ``.venv`` in place, or — with
#:   ``virtualenvs.create = false`` — the base interpreter it found on PATH, removing what the lock does
#:   not name. So that variable is dropped, and should Poetry still ignore ``VIRTUAL_ENV`` it may only
#:   *create* an env (``create = true``), never in the project (``in-project = false``) and only in the
#:   work dir (``virtualenvs.path``); the check after the run then refuses the swap.
#: - PDM installs into ``__pypackages__`` in the project when the user's config (or ``PDM_USE_VENV``)
#:   says ``python.use_venv = false``: forced on. ``PDM_PYTHON`` wins over a saved ``.pdm-python`` and an
#:   existing ``.venv``, and is never saved (``.pdm-python`` is left as it was). ``PDM_CHECK_UPDATE``:
#:   no look-up of newer PDM releases on the network. ``PDM_PROJECT`` would name another project.
#: - Pipenv ignores ``VIRTUAL_ENV`` when ``PIPENV_ACTIVE`` (inside ``pipenv shell``) or
#:   ``PIPENV_IGNORE_VIRTUALENVS`` is set: it then synced the project's live ``.venv`` in place or made
#:   an env of its own under ``WORKON_HOME``. So the first is dropped, the second set to 0, and the
#:   fallbacks are fenced like Poetry's. ``PIPENV_PIPFILE`` would name another project's Pipfile.
#: - uv: ``UV_PROJECT_ENVIRONMENT`` names the env; ``UV_PROJECT`` would name another project.
TOOLS: tuple[SyncTool, ...] = (
    SyncTool(
        "uv",
        "uv.lock",
        (("UV_PROJECT_ENVIRONMENT", "{env}"), ("VIRTUAL_ENV", "{env}")),
        unset=("UV_PROJECT",),
    ),
    SyncTool(
        "poetry",
        "poetry.lock",
        (
            ("VIRTUAL_ENV", "{env}"),
            ("POETRY_VIRTUALENVS_CREATE", "true"),
            ("POETRY_VIRTUALENVS_IN_PROJECT", "false"),
            ("POETRY_VIRTUALENVS_PATH", "{work}/poetry-virtualenvs"),
        ),
        unset=("CONDA_DEFAULT_ENV",),
    ),
    SyncTool(
        "pdm",
        "pdm.lock",
        (
            ("VIRTUAL_ENV", "{env}"),
            ("PDM_PYTHON", "{python}"),
            ("PDM_USE_VENV", "1"),
            ("PDM_CHECK_UPDATE", "false"),
        ),
        unset=("PDM_PROJECT",),
    ),
    SyncTool(
        "pipenv",
        "Pipfile.lock",
        (
            ("VIRTUAL_ENV", "{env}"),
            ("PIPENV_IGNORE_VIRTUALENVS", "0"),
            ("PIPENV_VENV_IN_PROJECT", "0"),
            ("WORKON_HOME", "{work}/pipenv-virtualenvs"),
            ("PIPENV_YES", "1"),
            ("PIPENV_NOSPIN", "1"),
            ("PIPENV_VERBOSITY", "-1"),
        ),
        unset=("PIPENV_ACTIVE", "PIPENV_PIPFILE"),
    ),
)
_BY_LOCK = {t.lock: t for t in TOOLS}
_UV = TOOLS[0]


@dataclass(frozen=True)
class LockSync:
    """How to make an env hold what the project's lock pins (see the module docstring)."""

    project: Path
    #: The lock file; None for a ``[tool.uv]`` project that has none yet (``uv sync`` writes it).
    lock: Optional[Path]
    #: The project's tool (None for pylock.toml).
    tool: Optional[SyncTool]
    #: The tool's executable when found; None = install the pins with pip / uv pip.
    executable: Optional[Path]
    #: The lock matches the declared dependencies (uv: ``--frozen``).
    current: bool
    #: What the sync reads: the lock and the files it was locked from (the sync record hashes them).
    sources: tuple[Path, ...]
    #: Why the lock cannot be used (lock-invalid's message); nothing is installed from it then.
    problem: Optional[str] = None

    @property
    def uses_tool(self) -> bool:
        return self.tool is not None and self.executable is not None

    @property
    def lock_name(self) -> str:
        return self.lock.name if self.lock is not None else (self.tool.lock if self.tool else "the lock")

    @property
    def label(self) -> str:
        """ "uv sync", "poetry sync", or "the pins of poetry.lock" (the pip fallback)."""
        if self.uses_tool and self.tool is not None:
            return f"{self.tool.name} sync"
        return f"the pins of {self.lock_name}"

    @property
    def description(self) -> str:
        """ "uv.lock (uv sync)", "poetry.lock (pip; poetry was not found)" — for titles and summaries."""
        if self.uses_tool:
            return f"{self.lock_name} ({self.label})"
        why = f"; {self.tool.name} was not found" if self.tool is not None else ""
        return f"{self.lock_name} (pip{why})"

    @property
    def plan(self) -> InstallPlan:
        """The plan create.py records and reports (the install itself is :func:`build_from_lock`)."""
        return InstallPlan(sources=self.sources, label=self.label)


def _tool_of(
    project: Path, lock: Optional[Path], pyproject: Optional[Mapping[str, object]]
) -> Optional[SyncTool]:
    if lock is not None:
        return _BY_LOCK.get(lock.name)  # pylock*.toml: no tool
    tool = (pyproject or {}).get("tool")
    return _UV if isinstance(tool, Mapping) and "uv" in tool else None


def _inputs(project: Path, lock: Path, environment: Mapping[str, str], *, hashes: bool = False) -> LockInputs:
    from venvkeeper.requirements.locks import LockInputs, lock_member

    pipfile = project / "Pipfile"
    return LockInputs(
        environment=environment,
        pyproject=read_pyproject(project / "pyproject.toml")
        if fsread.is_file(project / "pyproject.toml")
        else None,
        pipfile=read_pyproject(pipfile) if lock.name == "Pipfile.lock" else None,
        member=lock_member(project, lock),
        hashes=hashes,
    )


def _may_sync(project: Path) -> bool:
    """False when ``project`` surely has nothing to sync from, told by one ``scandir`` before any lock
    reader is loaded: every lock name ends in ``.lock`` or ``.toml`` (``pylock.*.toml``), and a uv
    project or a uv workspace member (whose lock is its root's) has a ``pyproject.toml``."""
    try:
        with os.scandir(project) as it:
            return any(e.name.endswith((".lock", ".toml")) for e in it)
    except OSError:
        return True  # let find_lock decide, as before


def plan_lock_sync(
    project: Path, host: Host, uv_path: Optional[str] = None, extra_dirs: Sequence[Path] = ()
) -> Optional[LockSync]:
    """How ``project``'s env is synced from its lock, or None when the project has no lock (and is not
    a uv project). Reads files only; see the module docstring for the rules."""
    if not _may_sync(project):
        return None
    from venvkeeper.requirements.locks import LockInvalid, find_lock, read_lock

    lock = find_lock(project)
    pyproject = read_pyproject(project / "pyproject.toml")
    tool = _tool_of(project, lock, pyproject)
    if lock is None and tool is None:
        return None
    executable: Optional[Path] = None
    if tool is _UV:
        executable = find_uv(host, uv_path, extra_dirs)
    elif tool is not None:
        executable = find_tool(host, tool.executable_name(host), extra_dirs)
    if lock is None and executable is None:
        return None  # a [tool.uv] project without uv and without a lock: nothing to install from
    current, problem = True, None
    if lock is not None:
        from venvkeeper.requirements.markers import marker_environment

        try:
            current = read_lock(lock, _inputs(project, lock, marker_environment(None, host))).outdated is None
        except LockInvalid as exc:
            # The sync refuses it (build_from_lock) and the tool is never run on it.
            current, problem = False, exc.message
    sources = [p for p in (lock, project / "pyproject.toml", project / "Pipfile") if p is not None]
    return LockSync(
        project=project,
        lock=lock,
        tool=tool,
        executable=executable,
        current=current,
        problem=problem,
        sources=tuple(
            p
            for p in sources
            if fsread.is_file(p) and (p.name != "Pipfile" or tool is _BY_LOCK["Pipfile.lock"])
        ),
    )


def usable(sync: Optional[LockSync]) -> Optional[LockSync]:
    """``sync`` when its lock can be used; None when it does not parse (a create then installs the
    project's sources; an explicit sync with the lock is refused by :func:`build_from_lock`)."""
    return sync if sync is not None and sync.problem is None else None


# -- the tool's way ---------------------------------------------------------------------------------

_POETRY_VERSION = re.compile(r"(\d+)\.(\d+)")


def _poetry_major(executable: Path, ctx: ToolContext, env: Mapping[str, str]) -> int:
    """Poetry's major version (``poetry --version``: "Poetry (version 1.8.3)"); 2 when unknown."""
    result = ctx.runner([str(executable), "--version", "--no-ansi"], env=env, cwd=ctx.cwd, cancel=ctx.cancel)
    m = _POETRY_VERSION.search(" ".join(result.output or result.tail)) if result.returncode == 0 else None
    return int(m.group(1)) if m else 2


def tool_argv(sync: LockSync, ctx: ToolContext, env: Mapping[str, str]) -> list[str]:
    """The tool's own sync command for ``sync`` (the tool's row of :data:`TOOLS`)."""
    assert sync.tool is not None and sync.executable is not None
    exe = str(sync.executable)
    name = sync.tool.name
    if name == "uv":
        frozen = ["--frozen"] if sync.lock is not None and sync.current else []
        return [exe, "sync", *frozen, "--color", "never", "--no-progress", *ctx.index_options]
    if name == "poetry":
        verb = ["sync"] if _poetry_major(sync.executable, ctx, env) >= 2 else ["install", "--sync"]
        return [exe, *verb, "--no-interaction", "--no-ansi"]
    if name == "pdm":
        return [exe, "sync"]  # default + dev groups, as the lock check selects
    return [exe, "sync", "--dev"]  # pipenv: default + develop, as the lock check selects


def tool_env(sync: LockSync, build_dir: Path, ctx: ToolContext) -> dict[str, str]:
    """The environment the tool runs with: the cleaned tool environment, the tool's row of
    :data:`TOOLS` pointing it at ``build_dir``, and ``PYTHONSAFEPATH``."""
    assert sync.tool is not None
    python = env_python(build_dir, windows=ctx.host.platform == "windows")
    values = {"env": str(build_dir), "python": str(python), "work": str(build_dir.parent)}
    pointed = {k: v.format(**values) for k, v in sync.tool.env}
    inherited = {k: v for k, v in ctx.env.items() if k not in sync.tool.unset}
    # Python-based tools (Poetry, PDM, Pipenv) never import from the project dir they run in.
    return {**inherited, **pointed, "PYTHONSAFEPATH": "1"}


def _run_tool(sync: LockSync, base: BasePython, build_dir: Path, ctx: ToolContext) -> None:
    env = tool_env(sync, build_dir, ctx)
    argv = tool_argv(sync, ctx, env)
    progress = InstallProgress(
        lambda msg, pct: ctx.report(msg, None if pct is None else 30 + pct * 65 // 100)
    )
    ctx.report(f"running {sync.label} ({sync.lock_name})", 30)
    result = ctx.runner(argv, env=env, cwd=sync.project, on_line=progress.feed, cancel=ctx.cancel)
    if result.returncode != 0:
        raise CommandFailed(
            " ".join([Path(argv[0]).name, argv[1]]), result.returncode, result.tail, result.output
        )
    _check_landed(sync, base, build_dir, ctx)


def _check_landed(sync: LockSync, base: BasePython, build_dir: Path, ctx: ToolContext) -> None:
    """Refuse the swap when the tool put none of the lock's pins into the env being built: it synced
    another env (a variable we did not foresee made it ignore the one we named, see :data:`TOOLS`).

    Only "none at all" fails: which groups a tool installs by default can differ in details from what
    the lock check selects, and a partial difference is what ``lock-drift`` then reports."""
    if sync.lock is None:
        return
    from venvkeeper.requirements.locks import LockInvalid, read_lock

    try:  # read again: a tool that re-locked (plain ``uv sync``) installed the new pins
        lock = read_lock(sync.lock, _inputs(sync.project, sync.lock, _base_environment(base, ctx.host)))
    except LockInvalid:
        return
    pins = {p.name: p.version for p in lock.packages if p.source == "registry" and p.version}
    if not pins:
        return
    from venvkeeper.requirements.installed import read_installed
    from venvkeeper.requirements.lockcheck import same_version

    # Globbed, not env_site_packages(): a free-threaded env's dir is python3.13t.
    pattern = "Lib/site-packages" if ctx.host.platform == "windows" else "lib/python*/site-packages"
    installed = read_installed(fsread.glob(build_dir, pattern))
    if any(name in installed and same_version(installed[name].version, v) for name, v in pins.items()):
        return
    assert sync.tool is not None
    raise LockSyncError(
        f"{sync.label} reported success but installed none of the {len(pins)} packages "
        f"{sync.lock.name} pins into the env being built: it synced another env (check {sync.tool.name}'s "
        "own settings for an env it prefers); the env was not replaced"
    )


# -- the pip fallback -------------------------------------------------------------------------------


def _base_environment(base: BasePython, host: Host) -> dict[str, str]:
    """Marker values for an env made from ``base`` (the env does not exist yet when the lock is read)."""
    from venvkeeper.requirements.markers import marker_environment

    env = marker_environment(None, host)
    env.update(
        python_version=base.major_minor, python_full_version=base.version, implementation_version=base.version
    )
    return env


def _pin_line(pkg: LockedPackage) -> Optional[str]:
    """The requirements-file line installing ``pkg`` as locked; None for a local package (installed after)."""
    if pkg.source == "registry":
        if not pkg.version:
            return None
        hashes = "".join(f" --hash={h}" for h in pkg.hashes)
        return f"{pkg.name}=={pkg.version}{hashes}"
    if pkg.source == "git" and pkg.location:
        url = pkg.location if pkg.location.startswith("git+") else f"git+{pkg.location}"
        return f"{pkg.name} @ {url}"
    if pkg.source == "url" and pkg.location:
        return f"{pkg.name} @ {pkg.location}"
    return None


def _local_installs(lock: Lock, lock_dir: Path) -> list[str]:
    from venvkeeper.requirements.locks.model import LOCAL_SOURCES

    out: list[str] = []
    for pkg in lock.packages:
        if pkg.source in LOCAL_SOURCES and pkg.source != "virtual" and pkg.location:
            path = Path(pkg.location)
            path = path if path.is_absolute() else lock_dir / path
            out.append(f"-e {path}" if pkg.source == "editable" else str(path))
    return out


def pins_file_text(lock: Lock) -> tuple[str, bool]:
    """The requirements file of the lock's registry/URL pins, and whether it enforces hashes."""
    lines = [line for pkg in lock.packages if (line := _pin_line(pkg)) is not None]
    hashed = any("--hash=" in line for line in lines)
    header = [f"# {lock.path.name} pins, written by venvkeeper for one install"]
    return "\n".join([*header, *(["--require-hashes"] if hashed else []), *lines]) + "\n", hashed


def _install_pins(
    sync: LockSync, base: BasePython, build_dir: Path, ctx: ToolContext, backend: Backend
) -> None:
    assert sync.lock is not None
    from venvkeeper.requirements.locks import LockInvalid, read_lock

    try:
        environment = _base_environment(base, ctx.host)
        lock = read_lock(sync.lock, _inputs(sync.project, sync.lock, environment, hashes=True))
    except LockInvalid as exc:
        raise LockSyncError(
            f"{sync.lock.name} cannot be used: {exc.message}; nothing was installed"
        ) from None
    text, hashed = pins_file_text(lock)
    pins = build_dir.parent / PINS_FILE  # the work dir: removed with the build, never in the project
    pins.write_text(text, encoding="utf-8")
    what = f"{len(lock.packages)} packages {sync.lock.name} pins" + (" (hashes enforced)" if hashed else "")
    backend.install(build_dir, InstallPlan(requirement_files=(pins,), label=what, no_deps=True), ctx)
    local = _local_installs(lock, sync.lock.parent)
    if local:
        ctx.cancel.raise_if_cancelled()
        backend.install(
            build_dir, InstallPlan(requirements=tuple(local), label="the project", no_deps=True), ctx
        )


# -- one entry point for create.py ------------------------------------------------------------------


def build_from_lock(
    sync: LockSync,
    base: BasePython,
    build_dir: Path,
    final_dir: Path,
    prompt: str,
    ctx: ToolContext,
    backend: Backend,
    *,
    copies: bool,
) -> None:
    """Make the env at ``build_dir`` hold what the lock pins (create.py swaps it into place)."""
    from venvkeeper.requirements.locks import LockInvalid, read_lock

    if sync.lock is not None and sync.tool is not None and sync.uses_tool:
        # Never hand the tool a lock that did not parse: it could install something else from it.
        try:
            read_lock(sync.lock, _inputs(sync.project, sync.lock, _base_environment(base, ctx.host)))
        except LockInvalid as exc:
            raise LockSyncError(
                f"{sync.lock.name} cannot be used: {exc.message}; nothing was installed"
            ) from None
    backend.create(base, build_dir, final_dir, prompt, ctx, copies=copies)
    ctx.cancel.raise_if_cancelled()
    if sync.uses_tool:
        _run_tool(sync, base, build_dir, ctx)
    else:
        _install_pins(sync, base, build_dir, ctx, backend)
