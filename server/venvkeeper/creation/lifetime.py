"""Tools never outlive venvkeeper: a tiny watcher kills their process groups the moment we die.

Each tool runs in its own session (so cancelling kills pip *and* the build backends it started). That
also means nothing kills them when venvkeeper itself is SIGKILLed: they used to run on for seconds.
``PR_SET_PDEATHSIG`` would only reach the direct child (pip), not the backend it starts, needs a
``preexec_fn`` (unsafe in a threaded daemon) and exists on Linux only. Instead, the first tool started
starts a watcher: a ``/bin/sh`` loop of a dozen lines in its own session, reading ``+PGID``/``-PGID``
lines on a pipe only we hold. When we die, by any means, the pipe reaches end-of-file and the watcher
SIGKILLs every group still registered, then exits. It costs one idle process per venvkeeper process
that ever ran a tool. Recovery at the next start is the backstop (see journal.py). A shell starts in
~1 ms; the ``python -I -S`` watcher it replaces cost ~10 ms of CPU beside every ``venvkeeper create``
(whose uv build takes ~0.1 s).

POSIX only; on Windows tools are not watched (a Job object would be the equivalent; not done).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from typing import IO

#: POSIX sh: ``groups`` holds the registered ids as " 12 34 "; a "-N" line cuts " N " out of it.
_WATCHER = """\
groups=' '
while IFS= read -r line; do
    n=${line#?}
    case $n in ''|*[!0-9]*) continue ;; esac
    case $line in
        +*) groups="$groups$n " ;;
        -*) case $groups in *" $n "*) groups="${groups%% $n *} ${groups#* $n }" ;; esac ;;
    esac
done
for g in $groups; do
    kill -s KILL -- "-$g" 2>/dev/null || :
done
"""


class ToolReaper:
    """Registers the tools' process groups with a watcher process (started on first use)."""

    def __init__(self, shell: str = "/bin/sh") -> None:
        self._shell = shell
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
                [self._shell, "-c", _WATCHER],
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
