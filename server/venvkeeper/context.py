"""What every check gets: the project, its discovery, settings, host and state, plus a per-pass memo.

Kept apart from :mod:`venvkeeper.checks` (the list of providers) so providers can import it without an
import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from venvkeeper.discovery.model import Discovery, Environment
from venvkeeper.findings import Finding
from venvkeeper.host import Host
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore

T = TypeVar("T")


@dataclass(frozen=True)
class CheckContext:
    project: Path
    discovery: Discovery
    settings: Settings
    host: Host
    state: StateStore
    #: Scratch space for one :func:`run_checks` pass, so providers share work (the requirements are
    #: parsed and checked once although two providers need them). None outside such a pass.
    memo: Optional[dict[str, Any]] = field(default=None, compare=False)
    #: Where a provider says why it skipped something (the daemon's log; stderr for the CLI).
    log: Callable[[str], None] = field(default=lambda _m: None, compare=False)

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        if self.memo is None:
            return compute()
        if key not in self.memo:
            self.memo[key] = compute()
        value: T = self.memo[key]
        return value

    @property
    def env(self) -> Optional[Environment]:
        return self.discovery.chosen.env if self.discovery.chosen else None


Provider = Callable[[CheckContext], Sequence[Finding]]
