"""Tools never outlive venvkeeper: a tiny watcher kills their process groups the moment we die.

Each tool runs in its own session (so cancelling kills pip *and* the build backends it started). That
also means nothing kills them when venvkeeper itself is SIGKILLed: they used to run on for seconds.
``PR_SET_PDEATHSIG`` would only reach the direct child (pip), not the backend it starts, needs a
``preexec_fn`` (unsafe in a threaded daemon) and exists on Linux only. Instead, the first tool started
starts a watcher: a ``python -I -S`` of a dozen lines in its own session, reading ``+PGID``/``-PGID``
lines on a pipe only we hold. When we die, by any means, the pipe reaches end-of-file and the watcher
SIGKILLs every group still registered, then exits. It costs one idle process per venvkeeper process
that ever ran a tool. Recovery at the next start is the backstop (see journal.py).

POSIX only; on Windows tools are not watched (a Job object would be the equivalent; not done).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from typing import IO

_WATCHER = """\
import os, signal, sys
groups = set()
for line in sys.stdin:
    try:
        pgid = int(line[1:])
    except ValueError:
        continue
    if line[0] == '+':
        groups.add(pgid)
    else:
        groups.discard(pgid)
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""


class ToolReaper:
    """Registers the tools' process groups with a watcher process (started on first use)."""

    def __init__(self, python: str = sys.executable) -> None:
        self._python = python
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def supported(self) -> bool:
        return os.name != "nt"

    @property
    def watcher_pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _pipe(self) -> IO[bytes] | None:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc.stdin
        try:
            self._proc = subprocess.Popen(
                [self._python, "-I", "-S", "-c", _WATCHER],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a kill of our process group must not take the watcher along
                cwd="/",
            )
        except OSError:
            self._proc = None
            return None
        return self._proc.stdin

    def _send(self, line: str) -> None:
        if not self.supported:
            return
        with self._lock:
            pipe = self._pipe()
            if pipe is None:
                return
            with contextlib.suppress(OSError, ValueError):
                pipe.write(line.encode())
                pipe.flush()

    def watch(self, pgid: int) -> None:
        self._send(f"+{pgid}\n")

    def unwatch(self, pgid: int) -> None:
        self._send(f"-{pgid}\n")


_default: ToolReaper | None = None
_default_lock = threading.Lock()


def default_reaper() -> ToolReaper:
    """The process-wide reaper the production runner uses (one watcher per venvkeeper process)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ToolReaper()
        return _default
