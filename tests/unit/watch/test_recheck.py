"""The re-check queue without a server: once per project, first trigger kept, one drain at a time."""

from __future__ import annotations

from pathlib import Path

from venvkeeper.watch.recheck import RecheckQueue


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
