"""A bounded set of non-recursive watchdog watches.

Why not one recursive watch per workspace root? On Linux a recursive watch is one inotify watch per
directory *including* ``.git``, ``node_modules`` and every env's ``lib/`` tree — thousands of watches
and the "unable to watch for file changes in this large workspace" failure users report. We instead
watch exactly the directories whose direct children matter (see watch/plan.py) and resync that set
after every refresh.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Callable, Union

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from venvkeeper import fsread
from venvkeeper.watch.inotify import InotifyDirWatcher
from venvkeeper.watch.inotify import available as inotify_available

log = logging.getLogger(__name__)

#: Event types that can change what we report. Opened/closed-without-writing events are noise.
_RELEVANT = frozenset({"created", "deleted", "modified", "moved", "closed"})

EventSink = Callable[[Path], None]


class _Handler(FileSystemEventHandler):
    def __init__(self, sink: EventSink) -> None:
        self._sink = sink

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _RELEVANT:
            return
        if event.is_directory and event.event_type in ("modified", "closed"):
            return  # "a child changed": the child's own event says which, and whether it matters
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
                self._sink(Path(path))


class DirWatcher:
    """Keeps watchdog watching exactly a given set of directories, each non-recursively."""

    def __init__(self, sink: EventSink, observer_factory: Callable[[], BaseObserver] = Observer) -> None:
        self._handler = _Handler(sink)
        self._observer = observer_factory()
        self._observer.daemon = True
        self._watches: dict[Path, ObservedWatch] = {}
        self._lock = threading.Lock()
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._observer.start()
            self._started = True

    def stop(self) -> None:
        if self._started:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._started = False

    @property
    def watched(self) -> set[Path]:
        with self._lock:
            return set(self._watches)

    def sync(self, wanted: Iterable[Path]) -> None:
        """Make the watched set equal to ``wanted`` (missing directories are skipped)."""
        wanted_set = set(wanted)
        with self._lock:
            for path in list(self._watches):
                if path not in wanted_set or not fsread.is_dir(path):
                    watch = self._watches.pop(path)
                    try:
                        self._observer.unschedule(watch)
                    except (KeyError, OSError, ValueError):
                        pass  # already gone with its directory
            for path in wanted_set - set(self._watches):
                try:
                    if not fsread.is_dir(path):
                        continue
                    self._watches[path] = self._observer.schedule(self._handler, str(path), recursive=False)
                except OSError as exc:  # vanished meanwhile, permission denied, inotify limit
                    log.warning("cannot watch %s: %s", path, exc)


#: Either watcher: both keep the same interface (start, stop, sync, watched).
AnyDirWatcher = Union[DirWatcher, InotifyDirWatcher]


def make_dir_watcher(
    sink: EventSink, structure_only: Callable[[Path], bool] = lambda _p: False
) -> AnyDirWatcher:
    """One inotify fd and thread for every dir on Linux (watch/inotify.py); watchdog elsewhere."""
    if inotify_available():
        return InotifyDirWatcher(sink, structure_only)
    return DirWatcher(sink)
