"""The re-check queue without a server: once per project, first trigger kept, one drain at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from venvkeeper.watch.recheck import (
    STORM_AFTER,
    STORM_CAP_S,
    STORM_QUIET_S,
    RecheckQueue,
    file_event_debouncer,
)


def test_a_project_is_queued_once_with_its_first_trigger_in_arrival_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    queue = RecheckQueue()
    assert queue.add({a: a / "requirements.txt"})  # nothing drains yet: start one
    assert not queue.add({b: b / "pyproject.toml", a: a / "setup.cfg"})  # a drain is under way
    assert queue.next() == (a, a / "requirements.txt")
    assert queue.next() == (b, b / "pyproject.toml")
    assert queue.next() is None


def test_a_gone_project_leaves_the_queue_and_a_finished_drain_lets_the_next_start(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    queue = RecheckQueue()
    assert queue.add({a: a, b: b})
    queue.drop(a)
    queue.drop(tmp_path / "never-queued")
    assert queue.next() == (b, b)
    queue.drained()
    assert not queue.add({})  # nothing queued: no drain
    assert queue.add({a: a})


def test_a_drain_rechecks_each_queued_project_that_still_exists_then_finishes_once(tmp_path: Path) -> None:
    a, b, gone = tmp_path / "a", tmp_path / "b", tmp_path / "gone"
    queue = RecheckQueue()
    assert queue.add({a: a / "requirements.txt", gone: gone, b: b})
    seen: list[tuple[Path, Path]] = []
    finished: list[bool] = []

    async def recheck(project: Path, trigger: Path) -> None:
        seen.append((project, trigger))
        if project == a:
            queue.add({b: b / "late", tmp_path / "c": tmp_path / "c"})  # queued meanwhile: same drain

    asyncio.run(queue.drain(recheck, lambda p: p != gone, lambda: finished.append(True)))
    assert seen == [(a, a / "requirements.txt"), (b, b), (tmp_path / "c", tmp_path / "c")]
    assert finished == [True]
    assert queue.add({a: a})  # the drain ended: the next add starts another


def test_a_failed_drain_still_lets_the_next_start_and_drain_now_needs_no_loop(tmp_path: Path) -> None:
    a = tmp_path / "a"
    queue = RecheckQueue()
    assert queue.add({a: a})

    async def fails(project: Path, trigger: Path) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        asyncio.run(queue.drain(fails, lambda p: True, lambda: None))
    assert queue.add({a: a})
    seen: list[Path] = []
    queue.drain_now(lambda project, trigger: seen.append(project), lambda: seen.append(tmp_path))
    assert seen == [a, tmp_path] and not queue.draining


def test_file_events_wait_out_a_storm_up_to_the_cap() -> None:
    loop = asyncio.new_event_loop()
    try:
        debouncer = file_event_debouncer(loop, lambda paths: None, 0.2)
        assert (debouncer.delay, debouncer.max_wait) == (0.2, STORM_CAP_S)
        assert (debouncer.storm_after, debouncer.storm_quiet) == (STORM_AFTER, STORM_QUIET_S)
    finally:
        loop.close()
