"""Reading a lock file the guarded way: regular files only, bounded size, never a blocking open.

A lock file is hostile until checked: a FIFO would block ``open()`` forever, ``/dev/zero`` never
ends, a 2 GB file would cost 2 GB. ``O_NONBLOCK`` keeps the open from blocking on a FIFO; ``fstat``
on the opened descriptor (not the path, which could be swapped) must say "regular file"; at most
:data:`MAX_LOCK_BYTES` + 1 bytes are read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Union

#: uv's own uv.lock (~400 packages, every wheel listed) is well under 2 MB; 32 MB only stops traps.
MAX_LOCK_BYTES = 32 * 1024 * 1024


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_lock_text(path: Path, limit: int = MAX_LOCK_BYTES) -> Union[str, tuple[str]]:
    """The lock's text, or ``(reason,)``: a sentence naming the file (never its content)."""
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return (f"{path.name} cannot be read: {exc.strerror or exc}",)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return (f"{path.name} is {_kind(st.st_mode)}, not a lock file",)
        if st.st_size > limit:
            return (
                f"{path.name} is {st.st_size / 1024 / 1024:.1f} MB; venvkeeper reads lock files up to "
                f"{limit // 1024 // 1024} MB, so it was not checked",
            )
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            return (f"{path.name} grew past {limit // 1024 // 1024} MB while being read; it was not checked",)
    except OSError as exc:
        return (f"{path.name} cannot be read: {exc.strerror or exc}",)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\0" in data:
        return (f"{path.name} is a binary file, not a lock file",)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"{path.name} is not UTF-8 text (byte {exc.start})",)
