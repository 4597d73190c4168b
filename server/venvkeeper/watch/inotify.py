"""One inotify instance and one reader thread for every watched directory (Linux).

Why not watchdog here (habit 11)? watchdog's inotify observer runs one emitter thread — and one inotify
instance — per watch: 500+ threads for a 200-project monorepo with envs (issue 14). Its per-watch event
filter also cannot drop IN_OPEN at the kernel, so every Python start that reads a watched
site-packages wakes us. This class keeps :class:`~venvkeeper.watch.observer.DirWatcher`'s interface
(start, stop, sync, watched) with one fd, one thread and a mask of the events that can change an
answer: creations, deletions, moves and completed writes — never opens or reads.
``structure_only`` dirs (the base interpreter's site-packages) get creations, deletions and moves only.
Elsewhere (macOS, Windows) watch/observer.py's watchdog-based DirWatcher is used.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import select
import struct
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Callable, Optional

log = logging.getLogger(__name__)

IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_CLOSE_WRITE = 0x008
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x01000000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000

STRUCTURE = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR
CONTENT = STRUCTURE | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB
_HEADER = struct.Struct("iIII")

EventSink = Callable[[Path], None]


def available() -> bool:
    return sys.platform.startswith("linux") and _libc() is not None


def _libc() -> Optional[ctypes.CDLL]:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6", use_errno=True)
        libc.inotify_init1  # noqa: B018  (raises AttributeError when missing)
    except (OSError, AttributeError):
        return None
    return libc


class InotifyDirWatcher:
    """Watches exactly a given set of directories, each non-recursively, on one inotify fd."""

    def __init__(self, sink: EventSink, structure_only: Callable[[Path], bool] = lambda _p: False) -> None:
        self._sink = sink
        self._structure_only = structure_only
        libc = _libc()
        if libc is None:
            raise OSError("inotify is not available")
        self._libc = libc
        self._fd = -1
        self._wake_r, self._wake_w = -1, -1
        self._by_wd: dict[int, Path] = {}
        self._by_path: dict[Path, int] = {}
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        if self._thread is not None:
            return
        fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        self._fd = fd
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="venvkeeper-inotify", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=2)
        self._thread = None
        for fd in (self._fd, self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        with self._lock:
            self._by_wd.clear()
            self._by_path.clear()

    @property
    def watched(self) -> set[Path]:
        with self._lock:
            return set(self._by_path)

    def sync(self, wanted: Iterable[Path]) -> None:
        """Make the watched set equal to ``wanted`` (missing directories are skipped)."""
        wanted_set = set(wanted)
        with self._lock:
            for path in list(self._by_path):
                if path not in wanted_set:
                    wd = self._by_path.pop(path)
                    self._by_wd.pop(wd, None)
                    self._libc.inotify_rm_watch(self._fd, wd)
            for path in wanted_set - set(self._by_path):
                mask = STRUCTURE if self._structure_only(path) else CONTENT
                wd = self._libc.inotify_add_watch(self._fd, os.fsencode(str(path)), mask)
                if wd < 0:
                    err = ctypes.get_errno()
                    if err not in (errno.ENOENT, errno.ENOTDIR):
                        log.warning("cannot watch %s: %s", path, os.strerror(err))
                    continue
                # Two paths can share a wd (a symlinked dir): the last one named wins.
                self._by_wd[wd] = path
                self._by_path[path] = wd

    def _run(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self._fd, self._wake_r], [], [])
            except (OSError, ValueError):
                return
            if self._wake_r in ready:
                return
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                continue
            except OSError:
                return
            self._dispatch(data)

    def _dispatch(self, data: bytes) -> None:
        offset = 0
        out: list[Path] = []
        with self._lock:
            while offset + _HEADER.size <= len(data):
                wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
                raw = data[offset + _HEADER.size : offset + _HEADER.size + length].rstrip(b"\0")
                offset += _HEADER.size + length
                if mask & IN_Q_OVERFLOW:
                    out.extend(self._by_path)  # events were lost: every dir is suspect
                    continue
                directory = self._by_wd.get(wd)
                if directory is None:
                    continue
                if mask & IN_IGNORED:  # the dir itself is gone (or was unwatched)
                    if self._by_path.get(directory) == wd:
                        del self._by_path[directory]
                    self._by_wd.pop(wd, None)
                    out.append(directory)
                    continue
                out.append(directory / os.fsdecode(raw) if raw else directory)
        for path in out:
            try:
                self._sink(path)
            except Exception:
                log.exception("file event handler failed")
