"""What the daemon needs of the editor it serves, as one interface the domain code talks to.

The domain side of the daemon (venvkeeper/daemon/session.py, the create prompts, the global-install guard, the
commands' runner) decides *what* to tell the user and when; an implementation of :class:`Client`
decides how it reaches the editor. lsp/server.py implements it with standard LSP messages
(``publishDiagnostics``, ``window/showMessage(Request)``, ``$/progress``, ``workspace/applyEdit``); tests
can implement it with a list. Nothing here imports pygls or lsprotocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal, Optional, Protocol

if TYPE_CHECKING:
    from venvkeeper.creation.create import ProgressStep
    from venvkeeper.creation.resolve import Proposal
    from venvkeeper.views import Interpreter

#: How a message is shown (the LSP ``MessageType`` subset venvkeeper uses).
MessageKind = Literal["error", "warning", "info"]


class ProgressHandle(Protocol):
    """One long operation's progress as the editor shows it (begun, cancellable)."""

    def report(self, step: ProgressStep) -> None: ...

    def end(self, message: Optional[str]) -> None:
        """Always called once, last; ``message`` is the outcome's one line."""


class Client(Protocol):
    def publish(self, projects: Iterable[Path]) -> None:
        """Show the current findings of ``projects`` (and clear what they no longer have)."""

    def clear(self, project: Path) -> None:
        """Withdraw everything shown for ``project`` (it is gone)."""

    def announce(self, project: Path, view: Optional[Interpreter]) -> None:
        """Tell the editor ``project``'s interpreter changed (``view`` None: it has none now)."""

    def show(self, kind: MessageKind, message: str) -> None: ...

    def can_ask(self) -> bool:
        """The editor can show buttons with a message (callers decide what to do without)."""

    async def ask(self, message: str, actions: Sequence[str], kind: MessageKind = "info") -> Optional[str]:
        """The title of the button pressed, or None (dismissed, failed)."""

    async def begin_progress(self, title: str, on_cancel: Callable[[], None]) -> Optional[ProgressHandle]:
        """Show a cancellable progress titled ``title`` (None: the editor shows none; work goes on);
        ``on_cancel`` is called when the user cancels it."""

    async def apply_edit(self, proposal: Proposal) -> bool:
        """Ask the editor to apply ``proposal``'s line edits; True when it did."""
