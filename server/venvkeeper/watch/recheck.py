"""The re-check queue: projects a change touched, waiting to be re-checked one at a time.

Each project is queued once, with the first path that concerned it (the log names it), in arrival
order; a project that is gone leaves the queue. One drain at a time works through it, yielding to the
event loop between projects so queries are answered meanwhile (daemon/session.py wires the re-check).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from venvkeeper.watch.debounce import Debouncer

#: A burst of this many paths is a storm (a checkout), not a save: wait for STORM_QUIET_S of quiet, at
#: most STORM_CAP_S after its first event, before re-checking.
STORM_AFTER = 50
STORM_QUIET_S = 0.5
STORM_CAP_S = 30.0


def file_event_debouncer(
    loop: asyncio.AbstractEventLoop, route: Callable[[set[Path]], None], delay: float
) -> Debouncer[Path]:
    """The debouncer between the file watches and :func:`route`: ``delay`` after a save; a checkout or
    branch switch is waited out, up to the cap, so each project is re-checked once per storm (issue 14,
    goal 2)."""
    return Debouncer(
        loop,
        route,
        delay=delay,
        max_wait=STORM_CAP_S,
        storm_after=STORM_AFTER,
        storm_quiet=STORM_QUIET_S,
    )


@dataclass
class RecheckQueue:
    #: project -> the path that triggered its re-check, in arrival order.
    pending: dict[Path, Path] = field(default_factory=dict)
    #: A drain is under way: a second one would check projects twice.
    draining: bool = False

    def add(self, recheck: Mapping[Path, Path]) -> bool:
        """Queue ``recheck``; True when the caller is to start a drain (none is under way)."""
        for project, trigger in recheck.items():
            self.pending.setdefault(project, trigger)
        if self.draining or not self.pending:
            return False
        self.draining = True
        return True

    def drop(self, project: Path) -> None:
        """``project`` is gone: nothing to re-check."""
        self.pending.pop(project, None)

    def next(self) -> Optional[tuple[Path, Path]]:
        """The oldest queued project and its trigger, taken off the queue; None when it is empty."""
        if not self.pending:
            return None
        project = next(iter(self.pending))
        return project, self.pending.pop(project)

    def drained(self) -> None:
        """The drain ended (emptied the queue, or failed): the next :meth:`add` starts another."""
        self.draining = False

    async def drain(
        self,
        recheck: Callable[[Path, Path], Awaitable[None]],
        is_project: Callable[[Path], bool],
        finish: Callable[[], None],
    ) -> None:
        """Re-check queued projects (``recheck(project, trigger)``) one at a time, yielding to the loop
        between them; ``finish`` once at the end (the watches are resynced once, not once per project)."""
        try:
            while (queued := self.next()) is not None:
                if is_project(queued[0]):
                    await recheck(*queued)
                await asyncio.sleep(0)
            finish()
        finally:
            self.drained()

    def drain_now(self, recheck: Callable[[Path, Path], None], finish: Callable[[], None]) -> None:
        """Without an event loop (unit use): re-check everything queued at once, then ``finish``."""
        self.drained()
        while (queued := self.next()) is not None:
            recheck(*queued)
        finish()
