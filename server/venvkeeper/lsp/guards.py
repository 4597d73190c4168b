"""Global-install guard over LSP: translation and wiring of :mod:`venvkeeper.guards.global_watch`.

A burst of installs into a global or user site (see that module) becomes a
``window/showMessageRequest`` with the actions, plus a ``global-install`` diagnostic on the requirement
line of each project that requires the dist; the answer runs the action.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from venvkeeper.discovery.model import Environment
from venvkeeper.findings import Finding
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
from venvkeeper.lsp import diagnostics, protocol
from venvkeeper.lsp.workspace import refresh_after_change
from venvkeeper.requirements.installed import InstalledDist
from venvkeeper.requirements.records import RequirementRecord
from venvkeeper.wire import to_wire

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")


class GlobalGuard:
    def __init__(self, server: VenvkeeperServer) -> None:
        self.server = server
        self.watch = GlobalSiteWatch(server.host, self._envs, self._on_installs)
        self.findings = GlobalInstallFindings()
        self.open = OpenWarnings()

    def start(self) -> None:
        if self.server.loop is not None:
            self.watch.start(self.server.loop)

    def stop(self) -> None:
        self.watch.stop()

    def _envs(self) -> list[Environment]:
        return [env for _, env in self.server.app.usable_envs()]

    def _on_installs(self, site: GlobalSite, appeared: list[InstalledDist]) -> None:
        app = self.server.app
        if not app.settings.global_install_warnings:
            return
        loop = self.server.loop
        changed, state = burst_seen(
            site,
            appeared,
            ((p, env, self._requirements(p)) for p, env in app.usable_envs()),
            self.server.host.home,
            self.findings,
            self.open,
            loop.time() if loop is not None else 0.0,
        )
        for project in changed:
            self.publish(project)
        if state is not None:
            self.server.spawn(self._prompt(site, state))

    def _requirements(self, project: Path) -> Sequence[RequirementRecord]:
        try:
            return self.server.app.requirements(project).requirements
        except Exception:
            log.exception("reading the requirements of %s failed", project)
            return ()

    async def _prompt(self, site: GlobalSite, state: OpenWarning) -> None:
        server = self.server
        warning = state.warning
        if not server.supports_message_actions():
            server.window_show_message(types.ShowMessageParams(types.MessageType.Warning, warning.message))
            state.answered = True
            return
        actions = prompt_actions(warning, server.app.settings.trusted)
        try:
            title = await server.ask(warning.message, actions, types.MessageType.Warning)
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
        server = self.server
        loop = asyncio.get_running_loop()
        failed = await loop.run_in_executor(
            None, install_burst, project, warning, dists, server.app.settings, server.host
        )
        if failed is not None:
            kind = types.MessageType.Warning if failed == UNTRUSTED_INSTALL else types.MessageType.Error
            server.window_show_message(types.ShowMessageParams(kind, failed))
            return
        refresh_after_change(self.server, [project.root])

    async def uninstall(
        self, site: GlobalSite, dists: Sequence[InstalledDist], *, confirm: bool
    ) -> Uninstalled:
        server = self.server
        if not server.app.settings.trusted:
            return Uninstalled.untrusted(dists)
        if confirm and server.supports_message_actions():
            question = uninstall_question(site, dists, server.host.home)
            answer = await server.ask(question, UNINSTALL_BUTTONS, types.MessageType.Warning)
            if answer != CONFIRM_UNINSTALL:
                return Uninstalled()  # the user said no
        result, changed = uninstall_and_forget(site, dists, self.watch.snapshots, self.findings)
        for project in changed:
            self.publish(project)
        server.window_show_message(types.ShowMessageParams(types.MessageType.Info, result.message()))
        refresh_after_change(self.server, self.server.app.projects())
        return result

    def _forget(self, names: Iterable[str]) -> None:
        for project in self.findings.forget(names):
            self.publish(project)

    def drop_resolved(self, projects: Iterable[Path]) -> None:
        """After a refresh: a global-install diagnostic goes once the env has the dist or the site lost it."""
        app = self.server.app
        for project in projects:
            chosen = app.discovery(project).chosen if project in self.findings.recent else None
            if self.findings.drop_resolved(project, chosen.env if chosen is not None else None):
                self.publish(project)  # the refresh itself already published everything else

    def publish(self, project: Path) -> None:
        diagnostics.publish(self.server, [project])

    def extra_findings(self, project: Path) -> list[Finding]:
        """The global-install findings shown beside the project's own (see diagnostics.publish)."""
        return self.findings.of(project)


def register(server: VenvkeeperServer) -> None:
    guard = GlobalGuard(server)
    server.extra_findings.append(guard.extra_findings)
    server.after_initial_sweep.append(guard.start)

    def after_refresh(projects: list[Path]) -> None:
        guard.watch.schedule_resync()
        guard.drop_resolved(projects)

    server.after_refresh.append(after_refresh)

    if protocol.CMD_UNINSTALL_USER_SITE not in server.protocol.fm.commands:

        @server.command(protocol.CMD_UNINSTALL_USER_SITE)
        async def uninstall_user_site(ls: Any, *args: Any) -> dict[str, Any]:
            """``{ uri, dists: string[] }``: remove those dists from the user site(s), after confirmation."""
            names = protocol.param(list(args), "dists")
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise JsonRpcInvalidParams("expected {uri, dists: string[]}")
            if not ls.app.settings.trusted:
                raise JsonRpcException(
                    "the workspace is untrusted; nothing is removed from the user site",
                    code=int(types.LSPErrorCodes.RequestFailed),
                )
            guard.watch.resync()
            result = Uninstalled()
            for site, dists in guard.watch.snapshots.in_user_sites(names):
                result.add(await guard.uninstall(site, dists, confirm=True))
            return to_wire(result)
