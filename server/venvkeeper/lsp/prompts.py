"""The auto-create prompt: a project that declares dependencies has no env → offer to create one.

Sent with the standard ``window/showMessageRequest`` (so it works in any LSP client that supports
message actions). What to offer is decided in :mod:`venvkeeper.creation.offer`: per project by
``should_offer_create`` (at most once per project per session, never when declined, untrusted, managed
by another tool, …), for the session by ``OfferSession``.
"Never for this project" is persisted in the user state dir; ``autoCreate: "always"`` creates without
asking.

One prompt, not a hundred (issue 14; docs/user-research.md "Prompts"): the projects found lacking an
env in one pass get *one* message — a single project its own "Create .venv …?", several a grouped
"N projects have no environment: …" with Create all / Choose… / Not now / Never for these ("Choose…"
then asks project by project: the user asked for it). After that first prompt of the session, a
project found later is offered only when the user opens one of its files (its own prompt, once);
the others are logged, and the venvkeeper.create command stays available.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from lsprotocol import types

from venvkeeper.creation.interpreters import find_interpreters
from venvkeeper.creation.offer import (
    CHOOSE,
    CREATE,
    CREATE_ALL,
    GROUP_ACTIONS,
    NEVER,
    NEVER_THESE,
    Offer,
    OfferSession,
    decline_offers,
    group_message,
    python_choices,
)
from venvkeeper.lsp.commands import CommandRefused, OperationCancelled, create_for_project

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")

#: The buttons of a failed create (the VS Code client adds its own "Show output").
RETRY = "Retry"
CHOOSE_PYTHON = "Choose Python…"


class CreatePrompts:
    def __init__(self, server: VenvkeeperServer) -> None:
        self.server = server
        self.session = OfferSession()

    def consider(self, projects: list[Path], *, opened: bool = False) -> None:
        """Offer envs for those of ``projects`` that lack one (see OfferSession.candidates)."""
        server = self.server
        app = server.app
        candidates = self.session.candidates(projects, opened=opened, auto_create=app.settings.auto_create)
        if not candidates:
            return
        assert app.state is not None
        offers = self.session.offers(
            [p for p in candidates if app.has_project(p)],
            app.discovery,
            app.settings,
            app.state,
            server.host,
            self.server.app.root_of,
        )
        plan = self.session.round(offers)
        if plan is None:
            return
        if plan.kind == "group":
            self.server.spawn(self._handle_group(plan.offers))
        else:
            for offer in plan.offers:
                self.server.spawn(self._handle(offer))

    def opened(self, path: Path) -> None:
        project = self.server.app.project_for(path)
        if project is not None and self.session.opened(project):
            self.consider([project], opened=True)

    async def _handle_group(self, offers: list[Offer]) -> None:
        server = self.server
        projects = [o.project for o in offers]
        message = group_message(projects, self.server.app.root_of(projects[0]))
        if not server.supports_message_actions():
            log.info("%s (use the venvkeeper.create command)", message)
            return
        title = await server.ask(message, GROUP_ACTIONS)
        if title == CREATE_ALL:
            for offer in offers:  # one at a time: creates contend for the disk and the network
                await self._create(offer)
        elif title == CHOOSE:
            for offer in offers:
                self.session.one_by_one(offer)
                await self._handle(offer)
        elif title == NEVER_THESE:
            self._decline(projects)

    async def _handle(self, offer: Offer) -> None:
        server = self.server
        if offer.automatic:
            log.info('autoCreate is "always": creating %s', offer.env_path)
            await self._create(offer)
            return
        if not server.supports_message_actions():
            log.info(
                "%s (the client cannot show message actions; use the venvkeeper.create command)",
                offer.message,
            )
            return
        title = await server.ask(offer.message, offer.actions)
        if title == CREATE:
            await self._create(offer)
        elif title == NEVER:
            self._decline([offer.project])

    def _decline(self, projects: list[Path]) -> None:
        assert self.server.app.state is not None  # offers are made only with a state store
        decline_offers(self.server.app.state, projects)

    async def _create(self, offer: Offer, python: Optional[str] = None) -> None:
        server = self.server
        if not server.app.settings.trusted:
            return
        try:
            await create_for_project(server, offer.project, {"python": python} if python else None)
        except OperationCancelled as exc:  # the user pressed Cancel: nothing to report as an error
            log.info("%s", exc)
        except CommandRefused as exc:  # already logged once, with the tool's output
            if exc.error is None or not exc.error.retry or not server.supports_message_actions():
                server.window_show_message(types.ShowMessageParams(types.MessageType.Error, exc.message))
                return
            title = await server.ask(exc.message, [RETRY, CHOOSE_PYTHON], types.MessageType.Error)
            if title == RETRY:
                await self._create(offer, python)
            elif title == CHOOSE_PYTHON:
                chosen = await self._choose_python(offer)
                if chosen is not None:
                    await self._create(offer, chosen)
        except Exception as exc:
            message = getattr(exc, "message", None) or str(exc)
            log.warning("%s", message)
            server.window_show_message(types.ShowMessageParams(types.MessageType.Error, message))

    async def _choose_python(self, offer: Offer) -> Optional[str]:
        """Ask which base Python to create with (one button per version found); its path, or None."""
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(None, find_interpreters, self.server.host)
        choices = python_choices(found)
        if not choices:
            self.server.window_show_message(
                types.ShowMessageParams(types.MessageType.Error, "No Python interpreter found to create with")
            )
            return None
        picked = await self.server.ask(
            f"Create the environment for {offer.project.name} with:", list(choices)
        )
        return str(choices[picked]) if picked in choices else None


def register(server: VenvkeeperServer) -> None:
    prompts = CreatePrompts(server)

    def after_sweep() -> None:
        prompts.session.ready = True
        prompts.consider(server.app.projects())

    server.after_initial_sweep.append(after_sweep)
    server.after_refresh.append(prompts.consider)
    server.on_open.append(prompts.opened)
