"""watch/inotify.py on real directories: one thread for every watch, the right events, none for reads."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest

from venvkeeper.watch.inotify import InotifyDirWatcher, available

pytestmark = pytest.mark.skipif(not available(), reason="inotify is Linux-only")


def watcher(structure_only: set[Path] | None = None) -> tuple[InotifyDirWatcher, queue.Queue[Path]]:
    seen: queue.Queue[Path] = queue.Queue()
    w = InotifyDirWatcher(seen.put, lambda p: p in (structure_only or set()))
    w.start()
    return w, seen


def test_many_dirs_one_thread(tmp_path: Path) -> None:
    dirs = [tmp_path / f"d{i}" for i in range(50)]
    for d in dirs:
        d.mkdir()
    before = threading.active_count()
    w, seen = watcher()
    try:
        w.sync(dirs)
        assert w.watched == set(dirs)
        assert threading.active_count() == before + 1
        (dirs[7] / "requirements.txt").write_text("x\n")
        assert seen.get(timeout=10) == dirs[7] / "requirements.txt"
        w.sync(dirs[:10])
        assert w.watched == set(dirs[:10])
    finally:
        w.stop()
    assert threading.active_count() == before


def test_structure_only_dirs_report_creations_not_writes_or_reads(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    existing = site / "existing.pth"
    existing.write_text("")
    w, seen = watcher({site})
    try:
        w.sync([site])
        existing.read_text()
        existing.write_text("changed\n")
        (site / "foo-1.0.dist-info").mkdir()
        # Events arrive in order: had the read or the write been reported, it would come first.
        assert seen.get(timeout=10) == site / "foo-1.0.dist-info"
    finally:
        w.stop()


def test_a_removed_dir_is_reported_and_forgotten(tmp_path: Path) -> None:
    d = tmp_path / "env"
    d.mkdir()
    w, seen = watcher()
    try:
        w.sync([d])
        d.rmdir()
        assert seen.get(timeout=10) == d
        while d in w.watched:
            seen.get(timeout=10)
    finally:
        w.stop()
