"""Watching the global and user sites for installs that missed the project env — the domain half.

Pipeline: watchdog (non-recursive watches on each global site, ≤ 10 per base interpreter) →
:func:`install_bursts` (waits until pip has written a ``*.dist-info``, so one ``pip install`` is one
burst) → :class:`GlobalSiteWatch` diffs each site against its last snapshot →
:func:`~venvkeeper.guards.globals.global_install_warning` → :class:`OpenWarnings` decides whether the
burst joins a message already sent → :class:`GlobalInstallFindings` keeps a ``global-install`` finding
on the requirement line of each project that requires the dist, until the dist is in the env, gone
from the site, or ignored.

No LSP here: :mod:`venvkeeper.lsp.guards` shows the messages, publishes the findings and runs the
commands.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal, Optional

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from venvkeeper import fsread
from venvkeeper.creation.create import install_into_env
from venvkeeper.creation.plan import InstallPlan
from venvkeeper.discovery.model import Environment
from venvkeeper.findings import Finding
from venvkeeper.guards.globals import (
    ACTION_IGNORE,
    ACTION_UNINSTALL,
    CODE_GLOBAL_INSTALL,
    GlobalInstallWarning,
    UninstallRefused,
    WatchedProject,
    global_install_warning,
    new_dists,
    uninstall_from_user_site,
)
from venvkeeper.guards.paths import env_label, tilde
from venvkeeper.guards.sites import GlobalSite, global_sites
from venvkeeper.host import Host
from venvkeeper.requirements.installed import InstalledDist, read_installed
from venvkeeper.requirements.records import RequirementRecord
from venvkeeper.settings import Settings
from venvkeeper.watch.debounce import Debouncer
from venvkeeper.watch.observer import AnyDirWatcher, make_dir_watcher

log = logging.getLogger("venvkeeper")

#: Quiet time after a ``*.dist-info`` appeared: pip writes it last for each dist, so this is short.
QUICK_S = 0.15
#: Quiet time after anything else (a package dir: pip is still extracting files into it).
SETTLE_S = 2.0
#: Never wait longer than this after the first event of a burst.
MAX_WAIT_S = 10.0
#: Refreshes closer together than this share one resync of the global-site watches.
RESYNC_AFTER_S = 0.2
#: Installs into a site that follow a message within this time belong to the same burst (no 2nd message).
SAME_BURST_S = 10.0


def canonical(name: str) -> str:
    return str(canonicalize_name(name))


def watch_dir(site: GlobalSite) -> Optional[Path]:
    """The site itself, or (user site not made yet) its nearest existing ancestor inside the user base."""
    if site.exists:
        return site.path
    if site.kind != "user" or site.user_base is None:
        return None
    # Up to the user base's parent (the home dir when ~/.local itself is missing): one watch, and the
    # burst that creates the site makes us watch the site itself.
    stop = site.user_base.parent
    probe = site.path.parent
    while probe != probe.parent:
        if fsread.is_dir(probe):
            return probe
        if probe == stop:
            break
        probe = probe.parent
    return None


def install_bursts(
    loop: asyncio.AbstractEventLoop, callback: Callable[[set[Path]], None], watched: Callable[[], set[Path]]
) -> Debouncer[Path]:
    """One burst per install run: settle quickly once pip has written a ``*.dist-info``, wait longer on
    anything else; the watched dirs' own "modified" events say nothing about pip's progress."""
    return Debouncer(
        loop,
        callback,
        max_wait=MAX_WAIT_S,
        quiet_for=lambda p: QUICK_S if p.name.endswith(".dist-info") else SETTLE_S,
        ignore=lambda p: p in watched(),
    )


@dataclass
class SiteSnapshots:
    """The global sites that matter for the current envs, and what each held when last read."""

    host: Host
    sites: list[GlobalSite] = field(default_factory=list)
    snapshots: dict[Path, dict[str, InstalledDist]] = field(default_factory=dict)

    def resync(self, envs: Sequence[Environment]) -> list[Path]:
        """Recompute the sites for ``envs``; return the directories to watch for them."""
        self.sites = global_sites(envs, self.host)
        for site in self.sites:
            if site.path not in self.snapshots:
                # A site that does not exist yet starts empty, so everything in it later counts as new.
                self.snapshots[site.path] = read_installed([site.path]) if site.exists else {}
        return [d for d in (watch_dir(s) for s in self.sites) if d is not None]

    def appeared(self, paths: Iterable[Path]) -> list[tuple[GlobalSite, list[InstalledDist]]]:
        """Re-read every site after a burst of ``paths``; the dists new in each (sites with none left out)."""
        touched = {p.name for p in paths if p.name.endswith(".dist-info")}
        out: list[tuple[GlobalSite, list[InstalledDist]]] = []
        for site in self.sites:
            before = self.snapshots.get(site.path, {})
            after = read_installed([site.path]) if site.exists else {}
            self.snapshots[site.path] = after
            new = new_dists(before, after, {n for n in touched if fsread.exists(site.path / n)})
            if new:
                out.append((site, list(new)))
        return out

    def reread(self, site: GlobalSite) -> None:
        self.snapshots[site.path] = read_installed([site.path])

    def in_user_sites(self, names: Iterable[str]) -> list[tuple[GlobalSite, list[InstalledDist]]]:
        """Each existing user site with those of ``names`` it holds now (sites holding none left out)."""
        wanted = {canonical(n) for n in names}
        out: list[tuple[GlobalSite, list[InstalledDist]]] = []
        for site in self.sites:
            if site.kind == "user" and site.exists:
                dists = [d for k, d in read_installed([site.path]).items() if k in wanted]
                if dists:
                    out.append((site, dists))
        return out


class GlobalSiteWatch:
    """Watcher lifecycle: watch exactly the sites that matter for ``envs()``, report each burst's new dists.

    ``on_installs(site, dists)`` runs on the loop, once per site that gained dists in a burst.
    """

    def __init__(
        self,
        host: Host,
        envs: Callable[[], Sequence[Environment]],
        on_installs: Callable[[GlobalSite, list[InstalledDist]], None],
    ) -> None:
        self.snapshots = SiteSnapshots(host)
        self.envs = envs
        self.on_installs = on_installs
        self.watcher: Optional[AnyDirWatcher] = None
        self.bursts: Optional[Debouncer[Path]] = None
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self._resync_handle: Optional[asyncio.TimerHandle] = None
        #: The directories watched right now (read on the loop by the burst debouncer).
        self.watched: set[Path] = set()

    @property
    def sites(self) -> list[GlobalSite]:
        return self.snapshots.sites

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.watcher is not None:
            return
        self.loop = loop
        self.bursts = install_bursts(loop, self.on_burst, lambda: self.watched)
        # Global sites: creations, deletions and moves only — a Python start reading them is no event.
        watcher = make_dir_watcher(self.bursts.push, structure_only=lambda _p: True)
        try:
            watcher.start()
        except Exception as exc:  # no inotify or limits reached: the start-up check still reports
            log.warning("cannot watch global site-packages (%s); global installs are not announced", exc)
            return
        self.watcher = watcher
        self.resync()
        log.info(
            "watching %d global site dirs for installs outside the project envs: %s",
            len(watcher.watched),
            ", ".join(str(p) for p in sorted(watcher.watched)),
        )

    def stop(self) -> None:
        if self._resync_handle is not None:
            self._resync_handle.cancel()
            self._resync_handle = None
        if self.bursts is not None:
            self.bursts.cancel()
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    def resync(self) -> None:
        """Recompute which global sites matter (envs come and go) and watch exactly those."""
        dirs = self.snapshots.resync(self.envs())
        if self.watcher is not None:
            self.watcher.sync(dirs)
            self.watched = self.watcher.watched

    def schedule_resync(self) -> None:
        """After a refresh: resync once the current burst of refreshes is over, not once per project
        (resync looks at every project: per refresh that made the initial sweep O(projects²)). Before
        :meth:`start` there is nothing to resync — start does it once."""
        if self.watcher is None or self.loop is None:
            return
        if self._resync_handle is None:
            self._resync_handle = self.loop.call_later(RESYNC_AFTER_S, self._resync_now)

    def _resync_now(self) -> None:
        self._resync_handle = None
        try:
            self.resync()
        except Exception:
            log.exception("resyncing the global-site watches failed")

    def on_burst(self, paths: set[Path]) -> None:
        try:
            self.resync()  # a user site may just have been created
            for site, dists in self.snapshots.appeared(paths):
                self.on_installs(site, dists)
        except Exception:
            log.exception("global install check failed")


def watched_projects(
    project_envs: Iterable[tuple[Path, Environment, Iterable[RequirementRecord]]], home: Path
) -> tuple[list[WatchedProject], dict[Path, dict[str, RequirementRecord]]]:
    """Each project with a usable env, what it requires (first non-constraint line per dist)."""
    projects: list[WatchedProject] = []
    records: dict[Path, dict[str, RequirementRecord]] = {}
    for project, env, requirements in project_envs:
        by_name: dict[str, RequirementRecord] = {}
        for record in requirements:
            if record.name and not record.constraint:
                by_name.setdefault(record.name, record)
        records[project] = by_name
        projects.append(
            WatchedProject(project, env.path, env_label(env.path, project, home), frozenset(by_name))
        )
    return projects, records


@dataclass
class OpenWarning:
    """A message that was sent; later installs into the same site join it instead of a new message."""

    warning: GlobalInstallWarning
    sent_at: float
    dists: dict[str, InstalledDist] = field(default_factory=dict)
    answered: bool = False


@dataclass
class OpenWarnings:
    """Burst merging: one message per pip run (or runs close together) per site."""

    open: dict[Path, OpenWarning] = field(default_factory=dict)

    def add(self, warning: GlobalInstallWarning, now: float) -> Optional[OpenWarning]:
        """The new message to send, or None when ``warning`` joined the site's open one."""
        current = self.open.get(warning.site.path)
        dists = {d.canonical_name: d for d in warning.dists}
        if current is not None and (not current.answered or now - current.sent_at < SAME_BURST_S):
            # The same pip run (or one right after it): the open message's actions now cover these too.
            current.dists.update(dists)
            return None
        state = OpenWarning(warning, now, dists)
        self.open[warning.site.path] = state
        return state


def burst_seen(
    site: GlobalSite,
    appeared: list[InstalledDist],
    projects: Iterable[tuple[Path, Environment, Sequence[RequirementRecord]]],
    home: Path,
    findings: GlobalInstallFindings,
    open_warnings: OpenWarnings,
    now: float,
) -> tuple[list[Path], Optional[OpenWarning]]:
    """Installs ``appeared`` in ``site``, with ``projects`` (root, usable env, requirements): the projects
    whose global-install findings changed, and the message to send (None: nothing concerns a project,
    or the burst joined the site's open message)."""
    watched, records = watched_projects(projects, home)
    warning = global_install_warning(site, appeared, watched, home)
    if warning is None:
        return [], None
    return findings.add(warning, records, home), open_warnings.add(warning, now)


def prompt_actions(warning: GlobalInstallWarning, trusted: bool) -> tuple[str, ...]:
    """The buttons of a global-install message.

    Untrusted workspace: nothing is executed, so the only honest action is to acknowledge.
    """
    return warning.actions if trusted else (ACTION_IGNORE,)


@dataclass(frozen=True)
class PromptChoice:
    """What an answer to a global-install message asks for."""

    #: forget: drop the burst's findings; uninstall: remove it from the user site (after a
    #: confirmation); install: install it into ``project``'s env.
    action: Literal["forget", "uninstall", "install"]
    project: Optional[WatchedProject] = None


def prompt_choice(title: Optional[str], warning: GlobalInstallWarning) -> Optional[PromptChoice]:
    """The answer ``title`` to ``warning``'s message as an action; None: dismissed, nothing to do."""
    if title == ACTION_IGNORE:
        return PromptChoice("forget")
    if title == ACTION_UNINSTALL and warning.site.kind == "user":
        return PromptChoice("uninstall")
    if title is not None and title.startswith("Install into ") and warning.projects:
        return PromptChoice("install", warning.projects[0])
    return None


def global_install_message(dist: InstalledDist, site: GlobalSite, env_label: str, home: Path) -> str:
    return (
        f"{dist.name} {dist.version} was just installed into {site.describe(home)}, "
        f"not into {env_label} — the terminal was probably not activated."
    )


@dataclass
class GlobalInstallFindings:
    """project -> canonical dist name -> the ``global-install`` finding on its requirement line."""

    recent: dict[Path, dict[str, Finding]] = field(default_factory=dict)

    def add(
        self,
        warning: GlobalInstallWarning,
        records: Mapping[Path, Mapping[str, RequirementRecord]],
        home: Path,
    ) -> list[Path]:
        """Record a finding per required dist of ``warning``; return the projects it concerns."""
        by_name = {d.canonical_name: d for d in warning.dists}
        projects: list[Path] = []
        for project, names in warning.required_by.items():
            env_path = next(p.env for p in warning.projects if p.root == project)
            label = env_label(env_path, project, home)
            for name in names:
                record = records.get(project, {}).get(name)
                if record is None:
                    continue
                self.recent.setdefault(project, {})[name] = Finding(
                    record.file,
                    record.span,
                    CODE_GLOBAL_INSTALL,
                    global_install_message(by_name[name], warning.site, label, home),
                    {
                        "project": str(project),
                        "env": str(env_path),
                        "requirement": name,
                        "site": str(warning.site.path),
                        "siteKind": warning.site.kind,
                    },
                )
            projects.append(project)
        return projects

    def forget(self, names: Iterable[str]) -> list[Path]:
        """Drop the findings of ``names`` (ignored or uninstalled); return the projects that changed."""
        gone = set(names)
        changed: list[Path] = []
        for project, found in self.recent.items():
            if gone & found.keys():
                for name in gone:
                    found.pop(name, None)
                changed.append(project)
        return changed

    def drop_resolved(self, project: Path, env: Optional[Environment]) -> bool:
        """Drop what is settled: the env has the dist now, or the site lost it. True when any went."""
        found = self.recent.get(project)
        if not found:
            return False
        in_env = read_installed(env.site_packages()) if env is not None else {}
        resolved = [
            name
            for name, finding in found.items()
            if name in in_env or name not in read_installed([Path(finding.data.get("site", ""))])
        ]
        for name in resolved:
            del found[name]
        return bool(resolved)

    def of(self, project: Path) -> list[Finding]:
        return list(self.recent.get(project, {}).values())


def to_install(dists: Sequence[InstalledDist], required: Sequence[str]) -> list[InstalledDist]:
    """What "Install into .venv" installs: the required dists of the burst, else its top-level dists."""
    if required:
        return [d for d in dists if d.canonical_name in required]
    depended_on: set[str] = set()
    for d in dists:
        for raw in d.requires:
            try:
                depended_on.add(canonical(Requirement(raw).name))
            except InvalidRequirement:
                continue
    top = [d for d in dists if d.canonical_name not in depended_on]
    return top or list(dists)


def install_plan(dists: Sequence[InstalledDist], required: Sequence[str]) -> InstallPlan:
    """The exact versions that landed in the global site, to install into the project env instead."""
    requirements = tuple(f"{d.name}=={d.version}" for d in to_install(dists, required))
    return InstallPlan(requirements=requirements, label=", ".join(requirements))


#: The answer to "Install into .venv" in an untrusted workspace.
UNTRUSTED_INSTALL = "untrusted workspace; nothing installed"


def install_burst(
    project: WatchedProject,
    warning: GlobalInstallWarning,
    dists: Sequence[InstalledDist],
    settings: Settings,
    host: Host,
) -> Optional[str]:
    """ "Install into .venv": the burst's dists the project needs, into its env (runs pip or uv: call it
    off the event loop). None when done, else what to tell the user."""
    if not settings.trusted:
        return UNTRUSTED_INSTALL
    plan = install_plan(dists, warning.required_by.get(project.root, ()))
    log.info("installing %s into %s", " ".join(plan.requirements), project.env)
    try:
        install_into_env(
            project.env, plan, host=host, backend_preference=settings.backend, uv_path=settings.uv_path
        )
    except Exception as exc:
        log.warning("install into %s failed: %s", project.env, exc)
        return f"installing into {project.env_label} failed: {exc}"
    return None


@dataclass(frozen=True)
class Refusal:
    dist: str
    #: Why the dist was left in place.
    reason: str


@dataclass
class Uninstalled:
    """What an uninstall from the user site did (``venvkeeper.uninstallUserSite``'s answer)."""

    removed: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    @classmethod
    def untrusted(cls, dists: Sequence[InstalledDist]) -> Uninstalled:
        """Nothing is removed from an untrusted workspace."""
        return cls(refused=[Refusal(d.name, "untrusted workspace") for d in dists])

    def add(self, other: Uninstalled) -> None:
        self.removed += other.removed
        self.refused += other.refused

    def message(self) -> str:
        text = (
            f"Removed {', '.join(self.removed)} from the user site."
            if self.removed
            else "Nothing was removed."
        )
        if self.refused:
            text += " Refused: " + "; ".join(r.reason for r in self.refused)
        return text


#: The buttons of the confirmation asked before anything is removed from the user site.
CONFIRM_UNINSTALL = "Uninstall"
UNINSTALL_BUTTONS = (CONFIRM_UNINSTALL, "Cancel")


def uninstall_question(site: GlobalSite, dists: Sequence[InstalledDist], home: Path) -> str:
    """What the user confirms before anything is removed from the user site."""
    listed = ", ".join(f"{d.name} {d.version}" for d in dists)
    return (
        f"Remove {listed} from the user site ({tilde(site.path, home)})? Only the user-site copies are "
        "removed; system packages and project envs are not touched."
    )


def uninstall_dists(site: GlobalSite, dists: Sequence[InstalledDist]) -> Uninstalled:
    """Remove ``dists`` from the user site ``site``: only what is still there, refusals kept apart."""
    current = read_installed([site.path])
    result = Uninstalled()
    for dist in dists:
        found = current.get(dist.canonical_name)
        if found is None:
            continue
        try:
            uninstall_from_user_site(found, site)
            result.removed.append(found.name)
        except UninstallRefused as exc:
            result.refused.append(Refusal(found.name, str(exc)))
    return result


def uninstall_and_forget(
    site: GlobalSite,
    dists: Sequence[InstalledDist],
    snapshots: SiteSnapshots,
    findings: GlobalInstallFindings,
) -> tuple[Uninstalled, list[Path]]:
    """Remove ``dists`` from the user site (:func:`uninstall_dists`), then re-read the site (the removal
    is no install to announce) and forget the removed dists' findings: the result, and the projects
    whose findings that changed."""
    result = uninstall_dists(site, dists)
    snapshots.reread(site)
    return result, findings.forget(canonical(n) for n in result.removed)
