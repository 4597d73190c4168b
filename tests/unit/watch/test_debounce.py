"""watch/debounce.py with a hand-driven clock: storms end in one callback, editor saves in none."""

from __future__ import annotations

import heapq
from typing import Any, Callable

from venvkeeper.watch.debounce import Debouncer


class FakeLoop:
    """The three loop methods the debouncer uses, on a clock the test advances."""

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = 0

    def time(self) -> float:
        return self.now

    def call_soon_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        fn(*args)

    def call_at(self, when: float, fn: Callable[[], None]) -> Timer:
        timer = Timer(fn)
        self._seq += 1
        heapq.heappush(self._timers, (when, self._seq, timer))
        return timer

    def advance(self, seconds: float) -> None:
        target = self.now + seconds
        while self._timers and self._timers[0][0] <= target:
            when, _, timer = heapq.heappop(self._timers)
            self.now = when
            if not timer.cancelled:
                timer.fn()
        self.now = target


class Timer:
    def __init__(self, fn: Callable[[], None]) -> None:
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def make(**kw: Any) -> tuple[FakeLoop, Debouncer[int], list[set[int]]]:
    loop = FakeLoop()
    calls: list[set[int]] = []
    d: Debouncer[int] = Debouncer(loop, calls.append, **kw)  # type: ignore[arg-type]
    return loop, d, calls


def test_a_burst_is_one_call_after_the_quiet_window() -> None:
    loop, d, calls = make(delay=0.1, max_wait=1.0)
    for i in range(5):
        d.push(i)
        loop.advance(0.05)
    assert calls == []
    loop.advance(0.1)
    assert calls == [set(range(5))]


def test_a_long_storm_with_pauses_is_one_call() -> None:
    # 5,000 writes over 3.5 s in batches with 150 ms pauses: longer than the plain quiet window.
    loop, d, calls = make(delay=0.1, max_wait=30.0, storm_after=50, storm_quiet=0.5)
    item = 0
    for _ in range(24):
        for _ in range(200):
            d.push(item)
            item += 1
        loop.advance(0.15)
    loop.advance(1.0)
    assert len(calls) == 1 and len(calls[0]) == item


def test_the_cap_still_bounds_an_endless_storm() -> None:
    loop, d, calls = make(delay=0.1, max_wait=2.0, storm_after=10, storm_quiet=0.5)
    for i in range(100):
        d.push(i)
        loop.advance(0.05)
    assert len(calls) == 2  # flushed at the 2 s cap, twice in 5 s


def test_push_now_flushes_at_once_when_nothing_is_pending() -> None:
    _loop, d, calls = make(delay=0.1)
    d.push_now(7)
    assert calls == [{7}]


def test_push_now_takes_a_small_pending_burst_along() -> None:
    # The save's own file-system event usually arrives before the editor's didSave: no 100 ms wait.
    loop, d, calls = make(delay=0.1)
    d.push(1)
    d.push_now(2)
    assert calls == [{1, 2}]
    loop.advance(0.2)
    assert calls == [{1, 2}]  # the cancelled timer never fires


def test_push_now_joins_a_pending_storm() -> None:
    loop, d, calls = make(delay=0.1)
    d.storm_after, d.storm_quiet = 3, 0.5
    for i in range(3):
        d.push(i)
    d.push_now(9)
    assert calls == []
    loop.advance(1.0)
    assert calls == [{0, 1, 2, 9}]
