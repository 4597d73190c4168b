"""Reading a lock file through venvkeeper's one guarded reader (:mod:`venvkeeper.fsread`).

A lock file is hostile until checked: ``fsread`` opens without blocking (a FIFO), insists on a regular
file (``/dev/zero`` behind a symlink), and refuses anything above :data:`venvkeeper.fsread.LOCK`'s cap.
On top of that a lock must be UTF-8 text without NUL bytes (TOML and JSON both are).
"""

from __future__ import annotations

from pathlib import Path
from typing import Union

from venvkeeper import fsread

MAX_LOCK_BYTES = fsread.LOCK.max_bytes


def read_lock_text(path: Path) -> Union[str, tuple[str]]:
    """The lock's text, or ``(reason,)``: a sentence naming the file (never its content)."""
    data = fsread.read_bytes(path, fsread.LOCK)
    if isinstance(data, fsread.Unreadable):
        return (data.message,)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\0" in data:
        return (f"{path.name} is a binary file, not a lock file",)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"{path.name} is not UTF-8 text (byte {exc.start})",)
