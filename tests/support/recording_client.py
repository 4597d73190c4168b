"""A :class:`venvkeeper.daemon.client.Client` that records what the session tells the editor, and answers
questions from a script: domain tests of the session run without a server or a protocol."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Callable, Optional

from venvkeeper.creation.create import ProgressStep
from venvkeeper.creation.resolve import Proposal
from venvkeeper.daemon.client import MessageKind
from venvkeeper.views import Interpreter


class RecordedProgress:
    def __init__(self, title: str, on_cancel: Callable[[], None]) -> None:
        self.title = title
        self.cancel = on_cancel
        self.steps: list[str] = []
        self.ended: list[Optional[str]] = []

    def report(self, step: ProgressStep) -> None:
        self.steps.append(step.message)

    def end(self, message: Optional[str]) -> None:
        self.ended.append(message)


class RecordingClient:
    def __init__(self, answers: Sequence[Optional[str]] = (), *, can_ask: bool = True) -> None:
        #: Button titles to press, in order (None: dismissed); exhausted: dismissed.
        self.answers = list(answers)
        self.asks = can_ask
        self.published: list[Path] = []
        self.cleared: list[Path] = []
        self.announced: list[tuple[Path, Optional[Interpreter]]] = []
        self.shown: list[tuple[MessageKind, str]] = []
        self.asked: list[tuple[str, list[str]]] = []
        self.progress: list[RecordedProgress] = []
        self.edits: list[Proposal] = []

    def publish(self, projects: Iterable[Path]) -> None:
        self.published.extend(projects)

    def clear(self, project: Path) -> None:
        self.cleared.append(project)

    def announce(self, project: Path, view: Optional[Interpreter]) -> None:
        self.announced.append((project, view))

    def show(self, kind: MessageKind, message: str) -> None:
        self.shown.append((kind, message))

    def can_ask(self) -> bool:
        return self.asks

    async def ask(self, message: str, actions: Sequence[str], kind: MessageKind = "info") -> Optional[str]:
        self.asked.append((message, list(actions)))
        return self.answers.pop(0) if self.answers else None

    async def begin_progress(self, title: str, on_cancel: Callable[[], None]) -> RecordedProgress:
        shown = RecordedProgress(title, on_cancel)
        self.progress.append(shown)
        return shown

    async def apply_edit(self, proposal: Proposal) -> bool:
        self.edits.append(proposal)
        return True
