"""Global-install guard over LSP: watch the global and user sites, warn once per burst, act on the answer.

Pipeline: watchdog (non-recursive watches on each global site, ≤ 10 per base interpreter) →
a :class:`~venvkeeper.watch.debounce.Debouncer` (waits until pip has written a ``*.dist-info``, so
one ``pip install`` gives one message) → diff against the last snapshot of each site →
:func:`global_install_warning` →
``window/showMessageRequest`` with the actions, plus a ``global-install`` diagnostic on the requirement
line of each project that requires the dist. The diagnostic stays until the dist is in the env, is gone
from the site, or the user chose "Ignore".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from lsprotocol import types

from venvkeeper import fsread
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
from venvkeeper.lsp import diagnostics, protocol
from venvkeeper.requirements.installed import InstalledDist, read_installed
from venvkeeper.requirements.records import RequirementRecord
from venvkeeper.watch.debounce import Debouncer
from venvkeeper.watch.observer import AnyDirWatcher, make_dir_watcher

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")

#: Quiet time after a ``*.dist-info`` appeared: pip writes it last for each dist, so this is short.
QUICK_S = 0.15
#: Quiet time after anything else (a package dir: pip is still extracting files into it).
SETTLE_S = 2.0
#: Never wait longer than this after the first event of a burst.
MAX_WAIT_S = 10.0
#: Installs into a site that follow a message within this time belong to the same burst (no 2nd message).
SAME_BURST_S = 10.0

CONFIRM_UNINSTALL = "Uninstall"
CANCEL = "Cancel"


@dataclass
class OpenWarning:
    """A message that was sent; later installs into the same site join it instead of a new message."""

    warning: GlobalInstallWarning
    sent_at: float
    dists: dict[str, InstalledDist] = field(default_factory=dict)
    answered: bool = False


def _watch_dir(site: GlobalSite) -> Optional[Path]:
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


#: Refreshes closer together than this share one resync of the global-site watches.
RESYNC_AFTER_S = 0.2


class GlobalGuard:
    def __init__(self, server: VenvkeeperServer) -> None:
        self.server = server
        self.sites: list[GlobalSite] = []
        self.snapshots: dict[Path, dict[str, InstalledDist]] = {}
        self.watcher: Optional[AnyDirWatcher] = None
        self.bursts: Optional[Debouncer[Path]] = None
        #: project -> canonical dist name -> the global-install finding on its requirement line.
        self.recent: dict[Path, dict[str, Finding]] = {}
        self.open: dict[Path, OpenWarning] = {}
        #: The directories watched right now (read on the loop by the burst debouncer).
        self.watched: set[Path] = set()
        self._resync_handle: Optional[asyncio.TimerHandle] = None

    # -- watching --------------------------------------------------------------------------------
    def start(self) -> None:
        loop = self.server.loop
        if loop is None or self.watcher is not None:
            return
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

    def _project_envs(self) -> list[tuple[Path, Environment]]:
        app = self.server.app
        out: list[tuple[Path, Environment]] = []
        for project in app.projects():
            chosen = app.discovery(project).chosen
            if chosen is not None and chosen.env.state == "ok":
                out.append((project, chosen.env))
        return out

    def resync(self) -> None:
        """Recompute which global sites matter (envs come and go) and watch exactly those."""
        envs = [env for _, env in self._project_envs()]
        self.sites = global_sites(envs, self.server.host)
        for site in self.sites:
            if site.path not in self.snapshots:
                # A site that does not exist yet starts empty, so everything in it later counts as new.
                self.snapshots[site.path] = read_installed([site.path]) if site.exists else {}
        if self.watcher is not None:
            self.watcher.sync(d for d in (_watch_dir(s) for s in self.sites) if d is not None)
            self.watched = self.watcher.watched

    def schedule_resync(self) -> None:
        """After a refresh: resync once the current burst of refreshes is over, not once per project
        (resync looks at every project: per refresh that made the initial sweep O(projects²)). Before
        :meth:`start` there is nothing to resync — start does it once."""
        loop = self.server.loop
        if self.watcher is None or loop is None:
            return
        if self._resync_handle is None:
            self._resync_handle = loop.call_later(RESYNC_AFTER_S, self._resync_now)

    def _resync_now(self) -> None:
        self._resync_handle = None
        try:
            self.resync()
        except Exception:
            log.exception("resyncing the global-site watches failed")

    def on_burst(self, paths: set[Path]) -> None:
        try:
            self._on_burst(paths)
        except Exception:
            log.exception("global install check failed")

    def _on_burst(self, paths: set[Path]) -> None:
        self.resync()  # a user site may just have been created
        touched = {p.name for p in paths if p.name.endswith(".dist-info")}
        settings = self.server.app.settings
        for site in self.sites:
            before = self.snapshots.get(site.path, {})
            after = read_installed([site.path]) if site.exists else {}
            self.snapshots[site.path] = after
            appeared = new_dists(before, after, {n for n in touched if fsread.exists(site.path / n)})
            if not appeared or not settings.global_install_warnings:
                continue
            self._warn(site, appeared)

    # -- warning ---------------------------------------------------------------------------------
    def _watched_projects(self) -> tuple[list[WatchedProject], dict[Path, dict[str, RequirementRecord]]]:
        from venvkeeper.requirements.sources import parse_sources, project_sources

        app = self.server.app
        host = self.server.host
        projects: list[WatchedProject] = []
        records: dict[Path, dict[str, RequirementRecord]] = {}
        for project, env in self._project_envs():
            by_name: dict[str, RequirementRecord] = {}
            try:
                parsed = parse_sources(
                    project_sources(project, app.settings, host), app.settings, host, project
                )
                for record in parsed.requirements:
                    if record.name and not record.constraint:
                        by_name.setdefault(record.name, record)
            except Exception:
                log.exception("reading the requirements of %s failed", project)
            records[project] = by_name
            label = env_label(env.path, project, host.home)
            projects.append(WatchedProject(project, env.path, label, frozenset(by_name)))
        return projects, records

    def _warn(self, site: GlobalSite, appeared: Sequence[InstalledDist]) -> None:
        projects, records = self._watched_projects()
        warning = global_install_warning(site, appeared, projects, self.server.host.home)
        if warning is None:
            return
        self._add_diagnostics(warning, records)
        loop = self.server.loop
        now = loop.time() if loop is not None else 0.0
        current = self.open.get(site.path)
        if current is not None and (not current.answered or now - current.sent_at < SAME_BURST_S):
            # The same pip run (or one right after it): the open message's actions now cover these too.
            current.dists.update({d.canonical_name: d for d in warning.dists})
            return
        state = OpenWarning(warning, now, {d.canonical_name: d for d in warning.dists})
        self.open[site.path] = state
        self.server.spawn(self._prompt(site, state))

    def _add_diagnostics(
        self, warning: GlobalInstallWarning, records: dict[Path, dict[str, RequirementRecord]]
    ) -> None:
        home = self.server.host.home
        by_name = {d.canonical_name: d for d in warning.dists}
        for project, names in warning.required_by.items():
            env_path = next(p.env for p in warning.projects if p.root == project)
            label = env_label(env_path, project, home)
            for name in names:
                record = records.get(project, {}).get(name)
                dist = by_name[name]
                if record is None:
                    continue
                self.recent.setdefault(project, {})[name] = Finding(
                    record.file,
                    record.span,
                    CODE_GLOBAL_INSTALL,
                    f"{dist.name} {dist.version} was just installed into {warning.site.describe(home)}, "
                    f"not into {label} — the terminal was probably not activated.",
                    {
                        "project": str(project),
                        "env": str(env_path),
                        "requirement": name,
                        "site": str(warning.site.path),
                        "siteKind": warning.site.kind,
                    },
                )
            self.publish(project)

    async def _prompt(self, site: GlobalSite, state: OpenWarning) -> None:
        server = self.server
        warning = state.warning
        trusted = server.app.settings.trusted
        # Untrusted workspace: nothing is executed, so the only honest action is to acknowledge.
        actions = warning.actions if trusted else (ACTION_IGNORE,)
        if not server.supports_message_actions():
            server.window_show_message(types.ShowMessageParams(types.MessageType.Warning, warning.message))
            state.answered = True
            return
        try:
            title = await server.ask(warning.message, actions, types.MessageType.Warning)
        finally:
            state.answered = True
        dists = list(state.dists.values())
        if title is None:
            return
        if title == ACTION_IGNORE:
            self._forget(d.canonical_name for d in dists)
        elif title == ACTION_UNINSTALL and site.kind == "user":
            await self.uninstall(site, dists, confirm=True)
        elif title.startswith("Install into ") and warning.projects:
            await self.install_into_env(warning.projects[0], warning, dists)

    # -- actions ---------------------------------------------------------------------------------
    async def install_into_env(
        self, project: WatchedProject, warning: GlobalInstallWarning, dists: Sequence[InstalledDist]
    ) -> None:
        from venvkeeper.creation.create import install_into_env
        from venvkeeper.creation.plan import InstallPlan

        server = self.server
        settings = server.app.settings
        if not settings.trusted:
            server.window_show_message(
                types.ShowMessageParams(types.MessageType.Warning, "untrusted workspace; nothing installed")
            )
            return
        wanted = _to_install(dists, warning.required_by.get(project.root, ()))
        requirements = tuple(f"{d.name}=={d.version}" for d in wanted)
        plan = InstallPlan(requirements=requirements, label=", ".join(requirements))
        loop = asyncio.get_running_loop()
        log.info("installing %s into %s", " ".join(requirements), project.env)
        try:
            await loop.run_in_executor(
                None,
                lambda: install_into_env(
                    project.env,
                    plan,
                    host=server.host,
                    backend_preference=settings.backend,
                    uv_path=settings.uv_path,
                ),
            )
        except Exception as exc:
            log.warning("install into %s failed: %s", project.env, exc)
            server.window_show_message(
                types.ShowMessageParams(
                    types.MessageType.Error, f"installing into {project.env_label} failed: {exc}"
                )
            )
            return
        self._refresh([project.root])

    async def uninstall(
        self, site: GlobalSite, dists: Sequence[InstalledDist], *, confirm: bool
    ) -> dict[str, Any]:
        server = self.server
        if not server.app.settings.trusted:
            return {
                "removed": [],
                "refused": [{"dist": d.name, "reason": "untrusted workspace"} for d in dists],
            }
        home = server.host.home
        listed = ", ".join(f"{d.name} {d.version}" for d in dists)
        if confirm and server.supports_message_actions():
            answer = await server.ask(
                f"Remove {listed} from the user site ({tilde(site.path, home)})? Only the user-site "
                "copies are removed; system packages and project envs are not touched.",
                (CONFIRM_UNINSTALL, CANCEL),
                types.MessageType.Warning,
            )
            if answer != CONFIRM_UNINSTALL:
                return {"removed": [], "refused": [], "cancelled": True}
        current = read_installed([site.path])
        removed: list[str] = []
        refused: list[dict[str, str]] = []
        for dist in dists:
            found = current.get(dist.canonical_name)
            if found is None:
                continue
            try:
                uninstall_from_user_site(found, site)
                removed.append(found.name)
            except UninstallRefused as exc:
                refused.append({"dist": found.name, "reason": str(exc)})
        self.snapshots[site.path] = read_installed([site.path])
        self._forget(canonical(n) for n in removed)
        message = f"Removed {', '.join(removed)} from the user site." if removed else "Nothing was removed."
        if refused:
            message += " Refused: " + "; ".join(r["reason"] for r in refused)
        server.window_show_message(types.ShowMessageParams(types.MessageType.Info, message))
        self._refresh(self.server.app.projects())
        return {"removed": removed, "refused": refused}

    def _forget(self, names: Iterable[str]) -> None:
        gone = set(names)
        for project, found in list(self.recent.items()):
            if gone & found.keys():
                for name in gone:
                    found.pop(name, None)
                self.publish(project)

    def _refresh(self, projects: list[Path]) -> None:
        from venvkeeper.lsp.workspace import refresh

        self.server.app.invalidate(projects)
        refresh(self.server, projects)

    # -- diagnostics -----------------------------------------------------------------------------
    def drop_resolved(self, projects: Iterable[Path]) -> None:
        """After a refresh: a global-install diagnostic goes once the env has the dist or the site lost it."""
        app = self.server.app
        for project in projects:
            found = self.recent.get(project)
            if not found:
                continue
            chosen = app.discovery(project).chosen
            in_env = read_installed(chosen.env.site_packages()) if chosen is not None else {}
            resolved = [
                name
                for name, finding in found.items()
                if name in in_env or name not in read_installed([Path(finding.data.get("site", ""))])
            ]
            for name in resolved:
                del found[name]
            if resolved:  # the refresh itself already published everything else
                self.publish(project)

    def publish(self, project: Path) -> None:
        diagnostics.publish(self.server, [project])

    def extra_findings(self, project: Path) -> list[Finding]:
        """The global-install findings shown beside the project's own (see diagnostics.publish)."""
        return list(self.recent.get(project, {}).values())


def canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def _to_install(dists: Sequence[InstalledDist], required: Sequence[str]) -> list[InstalledDist]:
    """What "Install into .venv" installs: the required dists of the burst, else its top-level dists."""
    if required:
        return [d for d in dists if d.canonical_name in required]
    depended_on: set[str] = set()
    for d in dists:
        for raw in d.requires:
            try:
                from packaging.requirements import Requirement

                depended_on.add(canonical(Requirement(raw).name))
            except Exception:
                continue
    top = [d for d in dists if d.canonical_name not in depended_on]
    return top or list(dists)


def register(server: VenvkeeperServer) -> None:
    guard = GlobalGuard(server)
    server.extra_findings.append(guard.extra_findings)
    server.after_initial_sweep.append(guard.start)

    def after_refresh(projects: list[Path]) -> None:
        guard.schedule_resync()
        guard.drop_resolved(projects)

    server.after_refresh.append(after_refresh)

    if protocol.CMD_UNINSTALL_USER_SITE not in server.protocol.fm.commands:

        @server.command(protocol.CMD_UNINSTALL_USER_SITE)
        async def uninstall_user_site(ls: Any, *args: Any) -> dict[str, Any]:
            """``{ uri, dists: string[] }``: remove those dists from the user site(s), after confirmation."""
            names = protocol.param(list(args), "dists")
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                from pygls.exceptions import JsonRpcInvalidParams

                raise JsonRpcInvalidParams("expected {uri, dists: string[]}")
            if not ls.app.settings.trusted:
                from pygls.exceptions import JsonRpcException

                raise JsonRpcException(
                    "the workspace is untrusted; nothing is removed from the user site",
                    code=int(types.LSPErrorCodes.RequestFailed),
                )
            wanted = {canonical(n) for n in names}
            guard.resync()
            result: dict[str, Any] = {"removed": [], "refused": []}
            for site in [s for s in guard.sites if s.kind == "user" and s.exists]:
                dists = [d for k, d in read_installed([site.path]).items() if k in wanted]
                if dists:
                    part = await guard.uninstall(site, dists, confirm=True)
                    result["removed"] += part.get("removed", [])
                    result["refused"] += part.get("refused", [])
            return result
