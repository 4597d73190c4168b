"""The checks that turn a project + its env into findings, gathered in one explicit list.

Each provider is a pure function of a :class:`CheckContext`. The CLI (`venvkeeper check`) and the LSP
layer (publishDiagnostics) both call :func:`run_checks`, so they always report the same findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from venvkeeper.discovery.model import Discovery, Environment
from venvkeeper.findings import Finding
from venvkeeper.host import Host
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore


@dataclass(frozen=True)
class CheckContext:
    project: Path
    discovery: Discovery
    settings: Settings
    host: Host
    state: StateStore

    @property
    def env(self) -> Optional[Environment]:
        return self.discovery.chosen.env if self.discovery.chosen else None


Provider = Callable[[CheckContext], Sequence[Finding]]


def _providers() -> list[Provider]:
    # Imported lazily so a failure in one provider's module cannot stop discovery from working.
    providers: list[Provider] = []
    return providers


def run_checks(ctx: CheckContext, log: Callable[[str], None] = lambda _m: None) -> list[Finding]:
    """Run every provider; one that raises is logged and skipped, never fatal."""
    findings: list[Finding] = []
    for provider in _providers():
        try:
            findings.extend(provider(ctx))
        except Exception as exc:  # a bug in one check must not take the daemon down
            log(f"check {getattr(provider, '__name__', provider)!r} failed: {exc!r}")
    return [f for f in findings if ctx.settings.severity(f.code) != "off"]
