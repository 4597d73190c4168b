"""The auto-create prompt: a project that declares dependencies has no env → offer to create one.

Shown through the :class:`~venvkeeper.daemon.client.Client` (over LSP: the standard
``window/showMessageRequest``, so it works in any client that supports message actions). What to offer
is decided in :mod:`venvkeeper.creation.offer`: per project by ``should_offer_create`` (at most once
per project per session, never when declined, untrusted, managed by another tool, …), for the session
by ``OfferSession``. "Never for this project" is persisted in the user state dir;
``autoCreate: "always"`` creates without asking.

One prompt, not a hundred (issue 14; docs/user-research.md "Prompts"): the projects found lacking an
env in one pass get *one* message — a single project its own "Create .venv …?", several a grouped
"N projects have no environment: …" with Create all / Choose… / Not now / Never for these ("Choose…"
then asks project by project: the user asked for it). After that first prompt of the session, a
project found later is offered only when the user opens one of its files (its own prompt, once);
the others are logged, and the create command stays available.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Optional

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
from venvkeeper.daemon.dispatch import run_command
from venvkeeper.daemon.operations import OperationCancelled, OperationFailed
from venvkeeper.errors import Refused

if TYPE_CHECKING:
    from venvkeeper.daemon.session import Session

log = logging.getLogger("venvkeeper")

#: The buttons of a failed create (the VS Code client adds its own "Show output").
RETRY = "Retry"
CHOOSE_PYTHON = "Choose Python…"


class CreatePrompts:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.client = session.client
        self.offers = OfferSession()

    def attach(self) -> None:
        """Offer after the initial sweep, after each refresh, and when a file is opened."""
        self.session.after_initial_sweep.append(self.after_sweep)
        self.session.after_refresh.append(self.consider)
        self.session.on_open.append(self.opened)

    def after_sweep(self) -> None:
        self.offers.ready = True
        self.consider(self.session.app.projects())

    def consider(self, projects: list[Path], *, opened: bool = False) -> None:
        """Offer envs for those of ``projects`` that lack one (see OfferSession.candidates)."""
        app = self.session.app
        candidates = self.offers.candidates(projects, opened=opened, auto_create=app.settings.auto_create)
        if not candidates:
            return
        assert app.state is not None
        offers = self.offers.offers(
            [p for p in candidates if app.has_project(p)],
            app.discovery,
            app.settings,
            app.state,
            self.session.host,
            app.root_of,
        )
        plan = self.offers.round(offers)
        if plan is None:
            return
        if plan.kind == "group":
            self.session.spawn(self._handle_group(plan.offers))
        else:
            for offer in plan.offers:
                self.session.spawn(self._handle(offer))

    def opened(self, path: Path) -> None:
        project = self.session.app.project_for(path)
        if project is not None and self.offers.opened(project):
            self.consider([project], opened=True)

    async def _handle_group(self, offers: list[Offer]) -> None:
        projects = [o.project for o in offers]
        message = group_message(projects, self.session.app.root_of(projects[0]))
        if not self.client.can_ask():
            log.info("%s (use the venvkeeper.create command)", message)
            return
        title = await self.client.ask(message, GROUP_ACTIONS)
        if title == CREATE_ALL:
            for offer in offers:  # one at a time: creates contend for the disk and the network
                await self._create(offer)
        elif title == CHOOSE:
            for offer in offers:
                self.offers.one_by_one(offer)
                await self._handle(offer)
        elif title == NEVER_THESE:
            self._decline(projects)

    async def _handle(self, offer: Offer) -> None:
        if offer.automatic:
            log.info('autoCreate is "always": creating %s', offer.env_path)
            await self._create(offer)
            return
        if not self.client.can_ask():
            log.info(
                "%s (the client cannot show message actions; use the venvkeeper.create command)",
                offer.message,
            )
            return
        title = await self.client.ask(offer.message, offer.actions)
        if title == CREATE:
            await self._create(offer)
        elif title == NEVER:
            self._decline([offer.project])

    def _decline(self, projects: list[Path]) -> None:
        assert self.session.app.state is not None  # offers are made only with a state store
        decline_offers(self.session.app.state, projects)

    async def _create(self, offer: Offer, python: Optional[str] = None) -> None:
        client = self.client
        if not self.session.app.settings.trusted:
            return
        try:
            await run_command(self.session, "create", offer.project, {"python": python} if python else {})
        except OperationCancelled as exc:  # the user pressed Cancel: nothing to report as an error
            log.info("%s", exc)
        except OperationFailed as exc:  # already logged once, with the tool's output
            if not exc.error.retry or not client.can_ask():
                client.show("error", exc.message)
                return
            title = await client.ask(exc.message, [RETRY, CHOOSE_PYTHON], "error")
            if title == RETRY:
                await self._create(offer, python)
            elif title == CHOOSE_PYTHON:
                chosen = await self._choose_python(offer)
                if chosen is not None:
                    await self._create(offer, chosen)
        except Refused as exc:
            client.show("error", str(exc))
        except Exception as exc:
            log.warning("%s", exc)
            client.show("error", str(exc))

    async def _choose_python(self, offer: Offer) -> Optional[str]:
        """Ask which base Python to create with (one button per version found); its path, or None."""
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(None, find_interpreters, self.session.host)
        choices = python_choices(found)
        if not choices:
            self.client.show("error", "No Python interpreter found to create with")
            return None
        picked = await self.client.ask(
            f"Create the environment for {offer.project.name} with:", list(choices)
        )
        return str(choices[picked]) if picked in choices else None
