"""The auto-create prompt: a project that declares dependencies has no env → offer to create one.

Sent with the standard ``window/showMessageRequest`` (so it works in any LSP client that supports
message actions) after the initial sweep and whenever a refresh finds such a project. The decision is
:func:`venvkeeper.creation.offer.should_offer_create` (at most once per project per session, never when
declined, untrusted, managed by another tool, …). "Never for this project" is persisted in the user
state dir; ``autoCreate: "always"`` creates without asking.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from venvkeeper.creation.offer import (
    CREATE,
    DECLINE_KEY,
    NEVER,
    Offer,
    create_python_version,
    should_offer_create,
)
from venvkeeper.lsp.commands import OperationCancelled, create_for_project

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")


class CreatePrompts:
    def __init__(self, server: VenvkeeperServer) -> None:
        self.server = server
        #: Projects already offered in this session (the "once per session" rule).
        self.prompted: set[Path] = set()
        self.ready = False

    def consider(self, projects: list[Path]) -> None:
        if not self.ready:
            return  # the initial sweep calls us once it has seen every project
        server = self.server
        app = server.app
        assert app.state is not None
        known = set(app.projects())
        for project in projects:
            if project not in known:
                continue
            try:
                offer = should_offer_create(
                    project,
                    app.discovery(project),
                    app.settings,
                    app.state,
                    self.prompted,
                    python_version=lambda p=project: create_python_version(p, server.host),  # type: ignore[misc]
                    root=next((r for r in app.roots if r == project or r in project.parents), None),
                    host=server.host,
                )
            except Exception:
                log.exception("deciding whether to offer an env for %s failed", project)
                continue
            if offer is not None:
                self.server.spawn(self._handle(offer))

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
            assert server.app.state is not None
            server.app.state.decline(offer.project, DECLINE_KEY)
            log.info("will not offer to create an env for %s again", offer.project)

    async def _create(self, offer: Offer) -> None:
        server = self.server
        if not server.app.settings.trusted:
            return
        try:
            await create_for_project(server, offer.project)
        except OperationCancelled as exc:  # the user pressed Cancel: nothing to report as an error
            log.info("%s", exc)
        except Exception as exc:
            message = getattr(exc, "message", None) or str(exc)
            log.warning("%s", message)
            server.window_show_message(types.ShowMessageParams(types.MessageType.Error, message))


def register(server: VenvkeeperServer) -> None:
    prompts = CreatePrompts(server)

    def after_sweep() -> None:
        prompts.ready = True
        prompts.consider(server.app.projects())

    server.after_initial_sweep.append(after_sweep)
    server.after_refresh.append(prompts.consider)
