"""Collapse a burst of file-system events into one callback, on the asyncio loop.

Watchdog calls us from its threads; :meth:`Debouncer.push` hops onto the loop with
``call_soon_threadsafe``. The callback runs once the events have been quiet for ``delay`` seconds,
or at the latest ``max_wait`` seconds after the first event of the burst (so a long ``pip install``
still gives timely updates).

Storms (issue 14): once a burst holds ``storm_after`` items it is a `git checkout` or a branch switch,
not an editor save, and the quiet window grows to ``storm_quiet`` — so a checkout that writes for
several seconds with short pauses still ends in one callback (one re-check per project), as long as
it lasts less than ``max_wait``. :meth:`push_now` is for an editor's own save: it is decisive, so it
flushes at once together with whatever small burst is pending (the save's own file-system event
usually arrives first: waiting for its quiet window cost every save 100 ms) — only a storm in
progress makes it wait, and join the storm's one callback.
"""

from __future__ import annotations

import asyncio
from typing import Callable, Generic, Optional, TypeVar

T = TypeVar("T")


class Debouncer(Generic[T]):
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        callback: Callable[[set[T]], None],
        delay: float = 0.1,
        max_wait: float = 1.0,
        quiet_for: Optional[Callable[[T], float]] = None,
        ignore: Optional[Callable[[T], bool]] = None,
        storm_after: int = 0,
        storm_quiet: float = 0.0,
    ) -> None:
        self._loop = loop
        self._callback = callback
        self.delay = delay
        self.max_wait = max_wait
        #: How long to wait for quiet after this item (default: ``delay``); lets a caller settle
        #: quickly on a decisive event and wait longer on an ambiguous one.
        self._quiet_for = quiet_for
        #: Items that never start or extend a burst.
        self._ignore = ignore
        self.storm_after = storm_after
        self.storm_quiet = storm_quiet
        self._pending: set[T] = set()
        self._timer: Optional[asyncio.TimerHandle] = None
        self._first: Optional[float] = None

    def push(self, item: T) -> None:
        """Thread-safe: record ``item`` and (re)arm the timer."""
        try:
            self._loop.call_soon_threadsafe(self._add, item)
        except RuntimeError:
            pass  # loop closed during shutdown

    def _add(self, item: T) -> None:
        if self._ignore is not None and self._ignore(item):
            return
        now = self._loop.time()
        self._pending.add(item)
        if self._first is None:
            self._first = now
        if self._timer is not None:
            self._timer.cancel()
        quiet = self._quiet_for(item) if self._quiet_for is not None else self.delay
        if self.storm_after and len(self._pending) >= self.storm_after:
            quiet = max(quiet, self.storm_quiet)
        due = min(now + quiet, self._first + self.max_wait)
        self._timer = self._loop.call_at(due, self._flush)

    def push_now(self, item: T) -> None:
        """Thread-safe: ``item`` is decisive (an editor saved it) — flush it at once with what is
        pending, unless a storm is pending, in which case it joins the storm (one callback for all)."""
        try:
            self._loop.call_soon_threadsafe(self._add_now, item)
        except RuntimeError:
            pass

    def _add_now(self, item: T) -> None:
        if self.storm_after and len(self._pending) >= self.storm_after:
            self._add(item)
            return
        if self._timer is not None:
            self._timer.cancel()
        self._pending.add(item)
        self._flush()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def _flush(self) -> None:
        items, self._pending = self._pending, set()
        self._timer = None
        self._first = None
        if items:
            self._callback(items)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._pending.clear()
        self._first = None
