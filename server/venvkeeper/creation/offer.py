"""Whether to offer creating an env for a project that has none (pure decision, no I/O besides reading files).

Rules (docs/user-research.md "Prompts"): only when the project declares dependencies and has no env;
a project with a lock file (or a ``[tool.uv]`` one with uv found) is offered an env made from its lock
— "Create .venv with uv sync?", or the pins installed with pip when its tool is not found
(:mod:`venvkeeper.creation.locksync`); never when another tool manages the project without a usable
lock (Poetry, Pipenv, PDM without their lock, Hatch, conda), inside ``.tox``/
``.nox``/``.hatch`` dirs, when ``autoCreate`` is "never", when the user chose "Never for this project"
(persisted in the user state dir), or in an untrusted workspace; at most once per project per session.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Iterable, MutableSet, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

from venvkeeper import fsread
from venvkeeper.creation.create import default_env_path
from venvkeeper.creation.interpreters import (
    BasePython,
    NoSuitablePython,
    choose_base,
    default_interpreter,
    find_interpreters,
)
from venvkeeper.creation.locksync import LockSync, plan_lock_sync
from venvkeeper.creation.plan import (
    InstallPlan,
    default_plan,
    managed_by,
    python_version_file,
    read_pyproject,
    requires_python,
)
from venvkeeper.discovery.model import Discovery
from venvkeeper.host import Host
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore

log = logging.getLogger("venvkeeper")

CREATE = "Create"
NOT_NOW = "Not now"
NEVER = "Never for this project"
#: The key "Never for this project" is stored under (StateStore.decline).
DECLINE_KEY = "create"

_TOOL_ENV_DIRS = {".tox", ".nox", ".hatch"}

#: The grouped prompt's buttons (issue 14: one prompt, not a hundred).
CREATE_ALL = "Create all"
CHOOSE = "Choose…"
NEVER_THESE = "Never for these"
GROUP_ACTIONS = (CREATE_ALL, CHOOSE, NOT_NOW, NEVER_THESE)
#: Project names listed in the grouped message before "and N more".
GROUP_NAMES_SHOWN = 3


@dataclass(frozen=True)
class Offer:
    project: Path
    env_path: Path
    plan: InstallPlan
    message: str
    actions: tuple[str, ...] = (CREATE, NOT_NOW, NEVER)
    #: ``autoCreate: "always"``: create without asking.
    automatic: bool = False
    #: The env is made from the project's lock (its tool, or pip from the pins).
    lock_sync: LockSync | None = None


def offer_message(
    env_path: Path, plan: InstallPlan, python_version: str | None, root: Path | None = None
) -> str:
    """ "Create .venv with Python 3.12 and install requirements.txt?" — for a project below the workspace
    root the env is named from the root ("Create api/.venv …") so several prompts can be told apart."""
    label = _env_label(env_path, root)
    with_python = f" with Python {python_version}" if python_version else ""
    return f"Create {label}{with_python} and install {plan.label}?"


def lock_offer_message(
    env_path: Path, sync: LockSync, python_version: str | None, root: Path | None = None
) -> str:
    """ "Create .venv with uv sync (Python 3.12)?" or, without the tool, "Create .venv with Python 3.12
    and install the pins of poetry.lock (poetry was not found)?" """
    label = _env_label(env_path, root)
    if sync.uses_tool:
        with_python = f" (Python {python_version})" if python_version else ""
        return f"Create {label} with {sync.label}{with_python}?"
    with_python = f" with Python {python_version}" if python_version else ""
    missing = f" ({sync.tool.name} was not found)" if sync.tool is not None else ""
    return f"Create {label}{with_python} and install {sync.label}{missing}?"


def _env_label(env_path: Path, root: Path | None) -> str:
    if root is not None and root in env_path.parents and env_path.parent != root:
        return env_path.relative_to(root).as_posix()
    return env_path.name


def should_offer_create(
    project: Path,
    discovery: Discovery | None,
    settings: Settings,
    state: StateStore,
    session_prompted: MutableSet[Path],
    *,
    python_version: str | Callable[[], str | None] | None = None,
    root: Path | None = None,
    host: Host | None = None,
    tool_dirs: Sequence[Path] = (Path(sys.executable).parent,),
) -> Offer | None:
    """The offer to make for ``project``, or None. Adds ``project`` to ``session_prompted`` when offering.

    ``python_version`` ("3.12") is shown in the message; pass a function to compute it only when an
    offer is actually made (finding interpreters lists a few directories). ``tool_dirs`` are where the
    project's tool is looked for besides PATH (next to the daemon's interpreter, as for uv).
    """
    if not settings.trusted or settings.auto_create == "never":
        return None
    if project in session_prompted:
        return None
    if discovery is not None and (discovery.chosen is not None or discovery.candidates):
        return None  # it has an env (even a broken one: that is for "recreate", not "create")
    if state.declined(project, DECLINE_KEY):  # reads the state file: after the in-memory checks
        return None
    if _TOOL_ENV_DIRS.intersection(project.parts):
        return None
    if fsread.is_file(project / ".venv"):
        return None  # PEP 832: the env lives elsewhere by the user's choice
    pyproject = read_pyproject(project / "pyproject.toml")
    host = host or Host(environ={})
    lock_sync = plan_lock_sync(project, host, settings.uv_path, tool_dirs)
    if lock_sync is not None and lock_sync.problem is None:
        env_path = default_env_path(project)
        session_prompted.add(project)
        version = python_version() if callable(python_version) else python_version
        return Offer(
            project=project,
            env_path=env_path,
            plan=lock_sync.plan,
            message=lock_offer_message(env_path, lock_sync, version, root),
            automatic=settings.auto_create == "always",
            lock_sync=lock_sync,
        )
    if managed_by(project, pyproject) is not None:
        return None
    plan = default_plan(project, settings, host)
    if plan.empty:
        return None  # declares no dependencies (the same sources and rules as the check)
    env_path = default_env_path(project)
    session_prompted.add(project)
    return Offer(
        project=project,
        env_path=env_path,
        plan=plan,
        message=offer_message(
            env_path, plan, python_version() if callable(python_version) else python_version, root
        ),
        automatic=settings.auto_create == "always",
    )


def create_python_version(project: Path, host: Host, found: list[BasePython] | None = None) -> str | None:
    """The Python X.Y that Create would use for ``project`` (requires-python, .python-version, the
    default interpreter), or None when no installed Python fits. ``found``: the interpreters already
    listed (a prompt for 100 projects lists them once, not 100 times — issue 14, goal 5)."""
    try:
        if found is None:
            found = find_interpreters(host)
        choice = choose_base(
            found,
            requires_python(project),
            python_version_file(project),
            None,
            default=default_interpreter(host, found),
        )
    except NoSuitablePython:
        return None
    return choice.python.major_minor


def group_message(projects: Sequence[Path], root: Path | None = None) -> str:
    """ "3 projects have no environment: api, web and tools" — one prompt for every project lacking an env
    at once, naming a few (relative to the workspace root) so the user knows what "all" means."""

    def label(p: Path) -> str:
        return p.relative_to(root).as_posix() if root is not None and root in p.parents else p.name

    names = [label(p) for p in projects[:GROUP_NAMES_SHOWN]]
    rest = len(projects) - len(names)
    if rest > 0:
        listed = ", ".join(names) + f" and {rest} more"
    else:
        listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    return f"{len(projects)} projects have no environment: {listed}"


@dataclass(frozen=True)
class OfferRound:
    """The offers of one pass and how to make them."""

    offers: list[Offer]
    #: automatic: create each without asking (``autoCreate: "always"``); single: its own prompt;
    #: group: one grouped prompt for them all.
    kind: Literal["automatic", "single", "group"]


@dataclass
class OfferSession:
    """Which projects get an env offer in this session, and how (issue 14: one prompt, not a hundred).

    The projects found lacking an env in one pass get *one* prompt: a single project its own, several a
    grouped one. After that first prompt of the session, a project is offered only when the user opens
    one of its files (its own prompt, once, even if it was part of a grouped prompt).
    """

    #: Projects already offered in this session (the "once per session" rule; see should_offer_create).
    prompted: set[Path] = field(default_factory=set)
    #: False until the initial sweep has seen every project: nothing is offered before.
    ready: bool = False
    #: Whether this session has shown its one unprompted offer (single or grouped).
    asked: bool = False
    #: Projects the user opened a file of (each may get its own offer once).
    opened_projects: set[Path] = field(default_factory=set)
    #: Projects offered only as part of a grouped prompt.
    grouped_only: set[Path] = field(default_factory=set)

    def opened(self, project: Path) -> bool:
        """The user opened a file of ``project``: True the first time (then consider it alone)."""
        if project in self.opened_projects:
            return False
        self.opened_projects.add(project)
        return True

    def candidates(self, projects: Sequence[Path], *, opened: bool, auto_create: str) -> list[Path]:
        """Those of ``projects`` that may get an offer now. ``opened``: the user opened a file of the
        (single) project — it may get its own prompt even after the session's first."""
        if not self.ready:
            return []  # the initial sweep asks once it has seen every project
        if self.asked and not opened and auto_create != "always":
            projects = [p for p in projects if p in self.opened_projects]
        if opened:
            # Offered only inside a grouped prompt so far: its own prompt is still owed, once.
            for project in self.grouped_only.intersection(projects):
                self.grouped_only.discard(project)
                self.prompted.discard(project)
        return list(projects)

    def offers(
        self,
        candidates: Iterable[Path],
        discovery: Callable[[Path], Discovery],
        settings: Settings,
        state: StateStore,
        host: Host,
        root_for: Callable[[Path], Path | None],
    ) -> list[Offer]:
        """The offers to make for ``candidates`` (see :func:`should_offer_create`); a project whose
        decision fails is logged and skipped, never stopping the others."""
        offers: list[Offer] = []
        # Listed once for all the projects, only if one of them gets an offer (issue 14, goal 5).
        interpreters = functools.cache(lambda: find_interpreters(host))
        for project in candidates:
            try:
                offer = should_offer_create(
                    project,
                    discovery(project),
                    settings,
                    state,
                    self.prompted,
                    python_version=lambda p=project: create_python_version(p, host, interpreters()),  # type: ignore[misc]
                    root=root_for(project),
                    host=host,
                )
            except Exception:
                log.exception("deciding whether to offer an env for %s failed", project)
                continue
            if offer is not None:
                offers.append(offer)
        return offers

    def round(self, offers: Sequence[Offer]) -> OfferRound | None:
        """How to make ``offers`` (None: nothing to offer); records that the session has asked."""
        if not offers:
            return None
        if offers[0].automatic:
            return OfferRound(list(offers), "automatic")
        self.asked = True
        if len(offers) == 1:
            return OfferRound(list(offers), "single")
        self.grouped_only.update(o.project for o in offers)
        return OfferRound(list(offers), "group")

    def one_by_one(self, offer: Offer) -> None:
        """The user chose to be asked project by project: ``offer`` gets its own prompt now."""
        self.grouped_only.discard(offer.project)


def decline_offers(state: StateStore, projects: Sequence[Path]) -> None:
    """ "Never for this project" / "Never for these": remembered in the user state dir (and said once)."""
    for project in projects:
        state.decline(project, DECLINE_KEY)
    log.info("will not offer to create an env for %s again", ", ".join(map(str, projects)))


#: At most this many Pythons are offered as buttons ("Choose Python…" after a failed create).
MAX_PYTHON_BUTTONS = 6


def python_choices(found: Sequence[BasePython]) -> dict[str, Path]:
    """ "Choose Python…": one button per version found ("Python 3.12", "Python 3.13 (free-threaded)"),
    the first interpreter of each, at most :data:`MAX_PYTHON_BUTTONS`; button title -> interpreter."""
    choices: dict[str, Path] = {}
    for base in found:
        title = f"Python {base.version}{' (free-threaded)' if base.free_threaded else ''}"
        choices.setdefault(title, base.path)
    return dict(list(choices.items())[:MAX_PYTHON_BUTTONS])
