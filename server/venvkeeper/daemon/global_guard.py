"""The global-install guard in a session: what :mod:`venvkeeper.guards.global_watch` sees becomes a
message with actions and a ``global-install`` finding on the requirement line of each project that
requires the dist; the answer runs the action.

A burst of installs into a global or user site (see that module) is one message, shown through the
session's :class:`~venvkeeper.daemon.client.Client`; its findings are published with the project's own
(:attr:`Session.extra_findings`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from venvkeeper.discovery.model import Environment
from venvkeeper.errors import Refused
from venvkeeper.guards.global_watch import (
    CONFIRM_UNINSTALL,
    UNINSTALL_BUTTONS,
    UNTRUSTED_INSTALL,
    GlobalInstallFindings,
    GlobalSiteWatch,
    OpenWarning,
    OpenWarnings,
    Uninstalled,
    burst_seen,
    install_burst,
    prompt_actions,
    prompt_choice,
    uninstall_and_forget,
    uninstall_question,
)
from venvkeeper.guards.globals import GlobalInstallWarning, WatchedProject
from venvkeeper.guards.sites import GlobalSite
from venvkeeper.requirements.installed import InstalledDist
from venvkeeper.requirements.records import RequirementRecord

if TYPE_CHECKING:
    from venvkeeper.daemon.session import Session

log = logging.getLogger("venvkeeper")


class GlobalGuard:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.client = session.client
        self.watch = GlobalSiteWatch(session.host, self._envs, self._on_installs)
        self.findings = GlobalInstallFindings()
        self.open = OpenWarnings()

    def attach(self) -> None:
        """Start after the initial sweep; after each refresh resync, and drop what was resolved."""
        self.session.extra_findings.append(self.findings.of)
        self.session.after_initial_sweep.append(self.start)
        self.session.after_refresh.append(self.after_refresh)

    def start(self) -> None:
        if self.session.loop is not None:
            self.watch.start(self.session.loop)

    def stop(self) -> None:
        self.watch.stop()

    def after_refresh(self, projects: list[Path]) -> None:
        self.watch.schedule_resync()
        self.drop_resolved(projects)

    def _envs(self) -> list[Environment]:
        return [env for _, env in self.session.app.usable_envs()]

    def _on_installs(self, site: GlobalSite, appeared: list[InstalledDist]) -> None:
        app = self.session.app
        if not app.settings.global_install_warnings:
            return
        loop = self.session.loop
        changed, state = burst_seen(
            site,
            appeared,
            ((p, env, self._requirements(p)) for p, env in app.usable_envs()),
            self.session.host.home,
            self.findings,
            self.open,
            loop.time() if loop is not None else 0.0,
        )
        self.client.publish(changed)
        if state is not None:
            self.session.spawn(self._prompt(site, state))

    def _requirements(self, project: Path) -> Sequence[RequirementRecord]:
        try:
            return self.session.app.requirements(project).requirements
        except Exception:
            log.exception("reading the requirements of %s failed", project)
            return ()

    async def _prompt(self, site: GlobalSite, state: OpenWarning) -> None:
        warning = state.warning
        if not self.client.can_ask():
            self.client.show("warning", warning.message)
            state.answered = True
            return
        actions = prompt_actions(warning, self.session.app.settings.trusted)
        try:
            title = await self.client.ask(warning.message, actions, "warning")
        finally:
            state.answered = True
        dists = list(state.dists.values())
        choice = prompt_choice(title, warning)
        if choice is None:
            return
        if choice.action == "forget":
            self._forget(d.canonical_name for d in dists)
        elif choice.action == "uninstall":
            await self.uninstall(site, dists, confirm=True)
        elif choice.project is not None:
            await self.install_into_env(choice.project, warning, dists)

    async def install_into_env(
        self, project: WatchedProject, warning: GlobalInstallWarning, dists: Sequence[InstalledDist]
    ) -> None:
        session = self.session
        loop = asyncio.get_running_loop()
        failed = await loop.run_in_executor(
            None, install_burst, project, warning, dists, session.app.settings, session.host
        )
        if failed is not None:
            self.client.show("warning" if failed == UNTRUSTED_INSTALL else "error", failed)
            return
        session.refresh_after_change([project.root])

    async def uninstall(
        self, site: GlobalSite, dists: Sequence[InstalledDist], *, confirm: bool
    ) -> Uninstalled:
        session = self.session
        if not session.app.settings.trusted:
            return Uninstalled.untrusted(dists)
        if confirm and self.client.can_ask():
            question = uninstall_question(site, dists, session.host.home)
            answer = await self.client.ask(question, UNINSTALL_BUTTONS, "warning")
            if answer != CONFIRM_UNINSTALL:
                return Uninstalled()  # the user said no
        result, changed = uninstall_and_forget(site, dists, self.watch.snapshots, self.findings)
        self.client.publish(changed)
        self.client.show("info", result.message())
        session.refresh_after_change(session.app.projects())
        return result

    async def uninstall_from_user_sites(self, names: Sequence[str]) -> Uninstalled:
        """The uninstall command: remove the dists ``names`` from the user site(s), after confirmation."""
        if not self.session.app.settings.trusted:
            raise Refused("the workspace is untrusted; nothing is removed from the user site")
        self.watch.resync()
        result = Uninstalled()
        for site, dists in self.watch.snapshots.in_user_sites(names):
            result.add(await self.uninstall(site, dists, confirm=True))
        return result

    def _forget(self, names: Iterable[str]) -> None:
        self.client.publish(self.findings.forget(names))

    def drop_resolved(self, projects: Iterable[Path]) -> None:
        """After a refresh: a global-install finding goes once the env has the dist or the site lost it."""
        app = self.session.app
        for project in projects:
            chosen = app.discovery(project).chosen if project in self.findings.recent else None
            if self.findings.drop_resolved(project, chosen.env if chosen is not None else None):
                self.client.publish([project])  # the refresh itself already published everything else
