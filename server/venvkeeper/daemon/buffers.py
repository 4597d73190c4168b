"""What-if on edit: open requirement buffers (saved or not) get ``would-conflict`` on lines whose pin
would break an installed dependent, within one debounce of the keystroke.

The verdict is :meth:`venvkeeper.app.App.what_if`'s; the buffers' findings are published with the
project's own through :attr:`Session.extra_findings`, so one publish never drops the other's. Nothing
is read from disk for a keystroke: the env's consistency report is the one the last check pass made
(every change under site-packages re-runs it).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from venvkeeper.findings import Finding
from venvkeeper.requirements.layout import is_requirement_source_path

if TYPE_CHECKING:
    from venvkeeper.daemon.session import Session

log = logging.getLogger("venvkeeper")


class OpenBuffers:
    def __init__(self, session: Session) -> None:
        self.session = session
        #: Open requirement buffers: path -> current text.
        self.buffers: dict[Path, str] = {}
        self._pending: dict[Path, asyncio.TimerHandle] = {}

    def attach(self) -> None:
        self.session.extra_findings.append(self.findings)

    def findings(self, project: Path) -> list[Finding]:
        try:
            return self.session.app.what_if(project, self.buffers)
        except Exception:  # a bug here must not stop the project's own diagnostics from publishing
            log.exception("what-if check failed")
            return []

    def changed(self, path: Optional[Path], text: Optional[str]) -> None:
        """A buffer opened, changed (``text``) or closed (None): re-publish its project after the
        debounce."""
        if path is None or not is_requirement_source_path(path):
            return
        if text is None:
            self.buffers.pop(path, None)
        else:
            self.buffers[path] = text
        project = self.session.app.project_for(path)
        loop = self.session.loop
        if project is None or loop is None:
            return
        pending = self._pending.pop(path, None)
        if pending is not None:
            pending.cancel()
        delay = self.session.app.settings.debounce_ms / 1000
        self._pending[path] = loop.call_later(delay, self._publish, path, project)

    def _publish(self, path: Path, project: Path) -> None:
        self._pending.pop(path, None)
        self.session.client.publish([project])
