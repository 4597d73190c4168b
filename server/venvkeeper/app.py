"""The workspace model: roots, projects, each project's env and findings — no protocol in sight.

The LSP server and the CLI both drive an :class:`App`. It caches discovery and check results per
project; :meth:`App.invalidate` (called by the watcher or a handler) marks what must be recomputed, and
:meth:`App.refresh` recomputes it and says which projects' answers changed, so the server notifies
clients only about real changes.

A check may run on another thread (the server keeps its event loop free that way): :meth:`App.check_job`
takes a snapshot of what the check needs, :meth:`CheckJob.run` touches no App state, and
:meth:`App.apply_check` stores the result only if nothing invalidated the project meanwhile. The App
itself is only ever used from one thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Literal, Optional, Union

from venvkeeper import codes as code_table
from venvkeeper import fsread
from venvkeeper.codes import Severity
from venvkeeper.context import CheckContext
from venvkeeper.creation.interpreters import BasePython
from venvkeeper.creation.journal import Leftover, recover_leftovers
from venvkeeper.creation.plan import python_version_file, requires_python
from venvkeeper.discovery.catalog import Catalog, Requirements, build_catalog
from venvkeeper.discovery.conda import is_conda_prefix
from venvkeeper.discovery.discover import discover
from venvkeeper.discovery.identify import identify_env
from venvkeeper.discovery.locators import LOCATORS, LocateContext, Locator
from venvkeeper.discovery.model import Discovery, Environment
from venvkeeper.discovery.projects import find_projects, nearest_project
from venvkeeper.errors import Refused
from venvkeeper.findings import Finding
from venvkeeper.guards.activation import Activation, activation_for
from venvkeeper.host import Host
from venvkeeper.requirements.lockcheck import drift_summary
from venvkeeper.requirements.provider import parsed_requirements, what_if_buffers
from venvkeeper.requirements.records import ParsedSources
from venvkeeper.settings import Settings, parse_settings
from venvkeeper.state import StateStore
from venvkeeper.views import (
    ActivationBuilder,
    Environments,
    Interpreter,
    ProblemCounts,
    Status,
    candidates_view,
    interpreter_view,
)
from venvkeeper.watch.plan import EnvWatchDirs, project_watch_dirs, root_watch_dirs
from venvkeeper.watch.routing import ProjectIndex, outermost


class SelectionError(ValueError):
    """``select`` was given something that is not a virtual environment."""


@dataclass(frozen=True)
class EventRouting:
    """What a batch of changed paths did to the model (see :meth:`App.route_events`)."""

    #: Projects to re-check, each with the first path that concerned it.
    recheck: dict[Path, Path]
    #: Projects that no longer exist (their diagnostics must go).
    removed: tuple[Path, ...] = ()


@dataclass
class ProjectState:
    discovery: Optional[Discovery] = None
    findings: Optional[list[Finding]] = None
    #: The memo of the check pass that made ``findings`` (the parsed sources among others).
    memo: Optional[dict[str, Any]] = None
    #: The last view sent to clients, to detect real changes.
    last_view: Optional[Interpreter] = None
    #: Whether the last view was ever announced (first computation is not a "change").
    announced: bool = False
    #: Bumped by every invalidation: a check started before the bump is stale and is dropped.
    generation: int = 0


@dataclass(frozen=True)
class CheckJob:
    """One project's check, ready to run on any thread: it reads files, never the App."""

    project: Path
    state: ProjectState
    generation: int
    context: CheckContext
    log: Callable[[str], None]

    def run(self) -> list[Finding]:
        # Imported on the first check, not with the App: `create`, `which`, `envs` and the daemon's first
        # interpreter answer never need the checks (~60% of this module's import time; issue 14, goal 6).
        from venvkeeper.checks import run_checks

        return run_checks(self.context, self.log)


@dataclass
class App:
    host: Host
    settings: Settings = field(default_factory=Settings)
    state: Optional[StateStore] = None
    log: Callable[[str], None] = lambda _m: None
    activation: Optional[ActivationBuilder] = None
    #: The discovery order (discovery/locators.py); the CLI puts the env its command line names first.
    locators: tuple[Locator, ...] = LOCATORS

    def __post_init__(self) -> None:
        if self.state is None:
            self.state = StateStore(self.host.state_dir)
        if self.activation is None:
            self.activation = default_activation
        self.roots: list[Path] = []
        self._projects: dict[Path, ProjectState] = {}
        #: Shared by every discovery until the next invalidation, so one refresh lists each tool's
        #: env dir once (see LocateContext.memo).
        self._ctx: Optional[LocateContext] = None
        self._env_watch_dirs = EnvWatchDirs()

    # -- settings --------------------------------------------------------------------------------
    def update_settings(self, raw: Any) -> list[str]:
        """Apply settings a client sent (keys it left out keep their values); log a change of trust and
        each value ignored while untrusted; return the complaints about bad values."""
        before = self.settings
        notes: list[str] = []
        self.settings, problems = parse_settings(raw, before, notes)
        if self.settings.trusted != before.trusted:
            self.log(
                f"workspace {'trusted' if self.settings.trusted else 'untrusted: read-only, no activation'}"
            )
        for note in notes:
            self.log(note)
        return problems

    # -- roots and projects ----------------------------------------------------------------------
    def set_roots(self, roots: Iterable[Path], *, scan: bool = True) -> None:
        self.roots = []
        self._projects.clear()
        for root in roots:
            self.add_root(root, scan=scan)

    def adopt(self, projects: Iterable[Path]) -> list[Path]:
        """Add projects found by a walk made elsewhere (e.g. in a worker thread); return the new ones."""
        added = []
        for project in projects:
            if project not in self._projects and self._inside_roots(project):
                self._projects[project] = ProjectState()
                added.append(project)
        return added

    def add_root(self, root: Path, *, scan: bool = True) -> list[Path]:
        """Add a root; ``scan=False`` finds its projects only when asked about a path (the CLI's "/")."""
        root = normalize(root)
        if root in self.roots:
            return []
        self.roots.append(root)
        added = []
        for project in find_projects(root) if scan else []:
            if project not in self._projects:
                self._projects[project] = ProjectState()
                added.append(project)
        return added

    def remove_root(self, root: Path) -> list[Path]:
        root = normalize(root)
        if root not in self.roots:
            return []
        self.roots.remove(root)
        removed = [p for p in self._projects if not self._inside_roots(p)]
        for p in removed:
            del self._projects[p]
        return removed

    def _inside_roots(self, path: Path) -> bool:
        return any(path == r or r in path.parents for r in self.roots)

    def projects(self) -> list[Path]:
        return sorted(self._projects)

    def has_project(self, path: Path) -> bool:
        return path in self._projects

    def rescan(self, directory: Path) -> tuple[list[Path], list[Path]]:
        """Re-find projects at or below ``directory``; return (added, removed)."""
        directory = normalize(directory)
        if not self._inside_roots(directory):
            return [], []
        root = max(
            (r for r in self.roots if r == directory or r in directory.parents), key=lambda r: len(r.parts)
        )
        found = set(find_projects(directory, workspace_root=root)) if fsread.is_dir(directory) else set()
        known = {p for p in self._projects if p == directory or directory in p.parents}
        added = sorted(found - known)
        removed = sorted(known - found)
        for p in added:
            self._projects[p] = ProjectState()
        for p in removed:
            del self._projects[p]
        return added, removed

    def project_for(self, path: Path) -> Optional[Path]:
        path = normalize(path)
        project = nearest_project(path, self.roots)
        if project is not None and project not in self._projects:
            self._projects[project] = ProjectState()  # created since the last scan; adopt it now
        return project

    def root_of(self, project: Path) -> Optional[Path]:
        """The workspace root ``project`` is in (the first listed, as roots do not nest in practice)."""
        return next((r for r in self.roots if r == project or r in project.parents), None)

    def projects_under(self, roots: Iterable[Path]) -> list[Path]:
        """The known projects at or below any of ``roots``."""
        roots = list(roots)
        return [p for p in self.projects() if any(p == r or r in p.parents for r in roots)]

    # -- commands --------------------------------------------------------------------------------
    def command_project(self, path: Optional[Path]) -> Path:
        """The project a create/install/sync command acts on: refused while untrusted (nothing is
        created or installed then), for no path, or for a path outside every project."""
        if not self.settings.trusted:
            raise Refused("the workspace is not trusted; nothing is created or installed")
        if path is None:
            raise Refused("'uri' must be a file:// URI of a file or folder in a project")
        project = self.project_for(path)
        if project is None:
            raise Refused(f"{path} is not inside any project of the workspace")
        return project

    def chosen_env(self, project: Path) -> Environment:
        """The env a command installs into; refused when the project has none."""
        chosen = self.discovery(project).chosen
        if chosen is None:
            raise Refused(f"{project} has no environment; create one first")
        return chosen.env

    # -- leftovers of killed creates -------------------------------------------------------------
    def recover_leftovers(self, projects: Iterable[Path]) -> list[Leftover]:
        """Finish or roll back what killed creates left in these project dirs (creation/journal.py).

        One ``scandir`` per project when there is nothing to do; what was done is logged once each.
        Thread-safe (it touches no cached state): callers that already ran discovery invalidate.
        """
        notes = recover_leftovers(projects, now=self.host.wall_clock)
        for note in notes:
            self.log(str(note))
        return notes

    # -- discovery -------------------------------------------------------------------------------
    def _locate_context(self) -> LocateContext:
        assert self.state is not None
        if self._ctx is None or self._ctx.virtual_env != self.settings.virtual_env:
            self._ctx = LocateContext(
                state=self.state,
                virtual_env=self.settings.virtual_env,
                prefer_layout=self.host.platform,
                home=self.host.home,
                environ=self.host.environ,
                sys_platform=self.host.sys_platform,
                log=self.log,
            )
        return self._ctx

    def discovery(self, project: Path) -> Discovery:
        st = self._projects.setdefault(project, ProjectState())
        if st.discovery is None:
            st.discovery = discover(project, self._locate_context(), self.locators)
        return st.discovery

    def usable_env(self, project: Path) -> Optional[Environment]:
        """The project's chosen env when it is usable (not broken), else None."""
        chosen = self.discovery(project).chosen
        return chosen.env if chosen is not None and chosen.env.state == "ok" else None

    def what_if(self, project: Path, buffers: Mapping[Path, str]) -> list[Finding]:
        """``would-conflict`` findings for those open requirement ``buffers`` (path -> text) that belong
        to ``project``, against its usable env (none: nothing to break)."""
        mine = {p: text for p, text in buffers.items() if self.project_for(p) == project}
        if not mine:
            return []
        env = self.usable_env(project)
        if env is None:
            return []
        return what_if_buffers(project, env, mine, self.host)

    def usable_envs(self) -> list[tuple[Path, Environment]]:
        """Every project with a usable env, and that env."""
        found = ((p, self.usable_env(p)) for p in self.projects())
        return [(p, env) for p, env in found if env is not None]

    def findings(self, project: Path) -> list[Finding]:
        st = self._projects.setdefault(project, ProjectState())
        if st.findings is None:
            job = self.check_job(project)
            st.findings = job.run()
            st.memo = job.context.memo
        return st.findings

    def shown_findings(self, project: Path, extra: Iterable[Finding] = ()) -> list[tuple[Finding, Severity]]:
        """The project's findings and ``extra`` ones, each with its severity; those set "off" left out."""
        out: list[tuple[Finding, Severity]] = []
        for finding in [*self.findings(project), *extra]:
            severity = self.settings.severity(finding.code)
            if severity != "off":
                out.append((finding, severity))
        return out

    def needs_check(self, project: Path) -> bool:
        """Whether ``project`` (a known one) has no current findings."""
        st = self._projects.get(project)
        return st is not None and st.findings is None

    def check_job(self, project: Path) -> CheckJob:
        """The check of ``project`` as a job for another thread (discovery runs here, if not cached)."""
        assert self.state is not None
        st = self._projects.setdefault(project, ProjectState())
        ctx = CheckContext(project, self.discovery(project), self.settings, self.host, self.state, memo={})
        return CheckJob(project, st, st.generation, ctx, self.log)

    def apply_check(self, job: CheckJob, findings: list[Finding]) -> bool:
        """Store a finished job's findings; False (dropped) when the project changed since it started."""
        st = self._projects.get(job.project)
        if st is not job.state or st.generation != job.generation:
            return False
        if st.findings is None:
            st.findings = findings
            st.memo = job.context.memo
        return True

    def requirements(self, project: Path) -> ParsedSources:
        """The project's parsed requirement sources, from the same pass as its findings (no second parse)."""
        self.findings(project)
        st = self._projects[project]
        assert self.state is not None
        ctx = CheckContext(project, self.discovery(project), self.settings, self.host, self.state, st.memo)
        return parsed_requirements(ctx)

    def status(self, project: Path) -> Union[Status, Literal["none"]]:
        disc = self.discovery(project)
        if disc.chosen is None:
            return "none"
        codes = {f.code for f in self.findings(project)}
        if disc.chosen.env.state != "ok" or codes & code_table.BROKEN:
            return "broken"
        if codes & code_table.STALE:
            return "stale"
        return "ok"

    def problem_counts(self, project: Path) -> ProblemCounts:
        errors = warnings = 0
        for f in self.findings(project):
            sev = self.settings.severity(f.code)
            errors += sev == "error"
            warnings += sev == "warning"
        return ProblemCounts(errors=errors, warnings=warnings)

    def interpreter(self, project: Path) -> Optional[Interpreter]:
        disc = self.discovery(project)
        status = self.status(project)
        # Untrusted: no activation data at all, so no client can put the workspace's bin/ on a
        # terminal's PATH (a committed .venv/bin/ls would take over `ls`). Trust turns it back on:
        # the settings change re-checks every project and the new view is announced.
        activation = self.activation if self.settings.trusted else None
        detail = drift_summary(self.findings(project)) if status == "stale" else None
        view = interpreter_view(
            disc, status if status != "none" else "ok", self.problem_counts(project), activation, detail
        )
        if view is not None and status == "broken" and not view.problem:
            # Broken by a finding (a dependency conflict, a base interpreter gone): the status bar's
            # tooltip names the first one.
            first = next((f for f in self.findings(project) if f.code in code_table.BROKEN), None)
            if first is not None:
                view = replace(view, problem=first.message)
        return view

    def interpreter_for(self, path: Path) -> Optional[Interpreter]:
        project = self.project_for(path)
        if project is None:
            self.log(
                f"no project contains {path}: it is outside every workspace folder or has no project files"
            )
            return None
        return self.interpreter(project)

    def environments_for(self, path: Path) -> Environments:
        project = self.project_for(path)
        if project is None:
            return Environments(project_root=None)
        return Environments(project_root=project, environments=candidates_view(self.discovery(project)))

    def set_selection(self, path: Path, env_path: Optional[Path]) -> Path:
        """Record the env chosen for ``path``'s project (None: automatic) and invalidate that project."""
        project = self.project_for(path)
        if project is None:
            raise SelectionError(f"{path} is not inside any project of the workspace")
        assert self.state is not None
        if env_path is None:
            self.state.set_selection(project, None)
        else:
            env_dir = env_dir_of(normalize(env_path))
            if env_dir is None:
                raise SelectionError(
                    f"{env_path} is not a virtual environment (no pyvenv.cfg next to or above it)"
                    " nor a conda environment (no conda-meta/)"
                )
            self.state.set_selection(project, env_dir)
        self.invalidate([project])
        return project

    # -- change tracking -------------------------------------------------------------------------
    def invalidate(self, projects: Optional[Iterable[Path]] = None, *, findings_only: bool = False) -> None:
        targets = self._projects.keys() if projects is None else projects
        if not findings_only:
            self._ctx = None  # tool configs and env dirs may have changed too
        for p in list(targets):
            st = self._projects.get(p)
            if st is None:
                continue
            if not findings_only:
                st.discovery = None
            st.findings = None
            st.memo = None
            st.generation += 1

    def refresh(self, projects: Optional[Iterable[Path]] = None) -> list[tuple[Path, Optional[Interpreter]]]:
        """Recompute views; return (project, new view) for each answer that changed since last announced."""
        changed: list[tuple[Path, Optional[Interpreter]]] = []
        for p in list(projects if projects is not None else self._projects):
            st = self._projects.get(p)
            if st is None:
                continue
            try:
                view = self.interpreter(p)
            except Exception as exc:  # one project's failure never stops another's answer
                self.log(f"cannot answer for {p}: {exc!r}")
                continue
            if view != st.last_view or (not st.announced and view is not None):
                changed.append((p, view))
            st.last_view = view
            st.announced = True
        return changed

    def env_dirs(self, project: Path) -> list[Path]:
        """Every candidate env dir of a project, and the tool dirs its answer depends on (a Poetry env
        created in the cache dir): to watch them, and to route their events to the project."""
        disc = self.discovery(project)
        envs = [c.env.path for c in disc.candidates if not c.activated_elsewhere]
        return envs + [d for d in disc.watch_dirs if d not in envs]

    def catalog(self, path: Path, *, bases: Optional[list[BasePython]] = None) -> Catalog:
        """Every interpreter for the project of ``path`` (or, outside any project, every one found),
        grouped and judged for the picker (discovery/catalog.py)."""
        project = self.project_for(path)
        disc = self.discovery(project) if project is not None else None
        reqs = (
            Requirements(requires_python(project), python_version_file(project))
            if project is not None
            else Requirements()
        )
        return build_catalog(project, disc, reqs, self._locate_context(), self.host, bases=bases)

    # -- watching --------------------------------------------------------------------------------
    def watch_dirs(self, *, client_watches: bool = False, envs: bool = True) -> set[Path]:
        """Every directory to watch: each root's top levels, each project and its env dirs (watch/plan.py).
        ``client_watches``: the editor watches the workspace's files for us; ``envs=False``: not the env
        dirs yet (they need discovery)."""
        wanted: set[Path] = set()
        for root in self.roots:
            wanted.update(root_watch_dirs(root, client_watches=client_watches))
        for project in self.projects():
            wanted.update(
                project_watch_dirs(
                    project,
                    self.root_of(project),
                    self.env_dirs(project) if envs else [],
                    client_watches=client_watches,
                    dirs_of_env=self._env_watch_dirs,
                )
            )
        return wanted

    def project_index(self) -> ProjectIndex:
        projects = self.projects()
        return ProjectIndex(
            self.roots, projects, {p: self.env_dirs(p) for p in projects}, is_dir=fsread.is_dir
        )

    def route_events(self, paths: Iterable[Path]) -> EventRouting:
        """Route changed paths to the projects they concern (O(depth) a path, watch/routing.py), rescan
        the directories that may have gained or lost projects, and invalidate what must be re-checked."""
        routing = self.project_index().route(paths)
        affected = dict(routing.affected)
        removed: list[Path] = []
        for directory in outermost(routing.rescan):
            added, gone = self.rescan(directory)
            for project in added:
                affected.setdefault(project, directory)
            removed.extend(gone)
        for project in removed:
            affected.pop(project, None)
        if affected:
            self.invalidate(affected)
        return EventRouting(affected, tuple(removed))


def default_activation(env: Environment) -> Optional[Activation]:
    """Terminal activation data for every shell (guards/activation.py)."""
    return activation_for(env)


def normalize(path: Path) -> Path:
    """Absolute and normalised, without resolving symlinks (the user's view of the path)."""
    return Path(os.path.normpath(os.path.abspath(path)))


def env_dir_of(path: Path) -> Optional[Path]:
    """Accept an env dir or an interpreter inside one (``…/bin/python``); return the env dir."""
    for candidate in (path, path.parent, path.parent.parent):
        # A conda/mamba/pixi env has no pyvenv.cfg: its conda-meta/ marks it (discovery/conda.py).
        if identify_env(candidate) is not None or is_conda_prefix(candidate):
            return candidate
    return None
