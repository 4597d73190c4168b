"""The one way venvkeeper reads a file: regular files only, a size cap per kind, a bounded read.

Every file in a workspace (and in the envs and interpreters it names) is hostile until checked: a
FIFO blocks ``open()`` forever, ``/dev/zero`` never ends, a 2 GB sparse file costs 2 GB of memory,
an unreadable directory raises where nobody expected it. :func:`read_bytes` opens with
``O_NONBLOCK`` (so a FIFO cannot block the open), checks with ``fstat`` that it got a regular file,
refuses anything larger than the kind's cap, and reads at most cap + 1 bytes (a file that grows
while we read is refused too). Whatever goes wrong comes back as an :class:`Unreadable` with a
sentence for the user; no exception escapes.

The same goes for asking *whether* a file is there: ``Path.is_file()`` swallows only some errors
and ``Path.exists()`` raises PermissionError on Python < 3.12 under an unreadable directory, so
callers use :func:`is_file`, :func:`is_dir`, :func:`exists` and :func:`list_dir` from here.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Union

log = logging.getLogger("venvkeeper.fsread")

_KIB = 1024
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Kind:
    """A kind of file venvkeeper reads, and how much of it it will read."""

    label: str
    max_bytes: int


# One cap per kind of file. Real files are far below these; the caps only stop traps and mistakes.
REQUIREMENTS = Kind("requirements file", 5 * _MIB)  # also setup.cfg / setup.py / Pipfile sources
PYPROJECT = Kind("pyproject.toml", 5 * _MIB)
LOCK = Kind("lock file", 32 * _MIB)
METADATA = Kind("METADATA", 1 * _MIB)  # METADATA / PKG-INFO / requires.txt / .pth / INSTALLER
DIRECT_URL = Kind("direct_url.json", 64 * _KIB)
EGG_LINK = Kind("egg-link", 64 * _KIB)
RECORD = Kind("RECORD", 8 * _MIB)
PYVENV_CFG = Kind("pyvenv.cfg", 64 * _KIB)
POINTER = Kind(".venv file", 4 * _KIB)
PYTHON_VERSION = Kind(".python-version", 4 * _KIB)
EXTERNALLY_MANAGED = Kind("EXTERNALLY-MANAGED", 64 * _KIB)
SCRIPT = Kind("script", 1 * _MIB)  # activate scripts, console scripts (shebangs)
HEADER = Kind("header", 1 * _MIB)  # patchlevel.h
STATE = Kind("venvkeeper state", 16 * _MIB)
JOURNAL = Kind("create journal", 64 * _KIB)  # a few hundred bytes; anything bigger is not ours
PROC = Kind("/proc file", 1 * _MIB)  # /proc/<pid>/stat, environ: regular files of size 0 that end


@dataclass(frozen=True)
class Unreadable:
    """Why a file was not read, in words; ``missing`` when it simply is not there."""

    path: Path
    reason: str
    missing: bool = False

    @property
    def message(self) -> str:
        """``<name> <reason>`` — the file named, never its content."""
        return f"{self.path.name} {self.reason}"


ReadResult = Union[bytes, Unreadable]

_MISSING_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR})


def _kind_of_mode(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _os_reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied)"
    if exc.errno == errno.ELOOP:
        return "cannot be read (too many levels of symbolic links)"
    if exc.errno == errno.ENAMETOOLONG:
        return "cannot be read (path longer than the system allows)"
    return f"cannot be read ({exc.strerror or exc})"


def _size(n: int) -> str:
    if n >= _MIB:
        return f"{n // _MIB} MB" if n % _MIB == 0 else f"{n / _MIB:.1f} MB"
    return f"{n / _KIB:.0f} KiB" if n >= _KIB else f"{n} bytes"


def _too_big(path: Path, kind: Kind, size: int | None) -> Unreadable:
    what = f"is {size / _MIB:.1f} MB" if size is not None else "grew while it was read"
    return Unreadable(
        path, f"{what}; venvkeeper reads a {kind.label} up to {_size(kind.max_bytes)}, so it was not read"
    )


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens at once instead of waiting for a writer
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _read(path: Path | str, kind: Kind, head: int | None, nofollow: bool = False) -> ReadResult:
    """Open without blocking, insist on a regular file, read the whole (capped) file or its head."""
    p = Path(path)
    flags = _OPEN_FLAGS | (getattr(os, "O_NOFOLLOW", 0) if nofollow else 0)
    try:
        fd = os.open(p, flags)
    except OSError as exc:
        if exc.errno in _MISSING_ERRNOS:
            return Unreadable(p, "does not exist", missing=True)
        return Unreadable(p, _os_reason(exc))
    except (ValueError, UnicodeError) as exc:  # embedded NUL, unencodable name
        return Unreadable(p, f"cannot be opened ({exc})")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return Unreadable(p, f"is {_kind_of_mode(st.st_mode)}, not a regular file; it was not read")
        if head is None and st.st_size > kind.max_bytes:
            return _too_big(p, kind, st.st_size)
        want = min(head, kind.max_bytes) if head is not None else kind.max_bytes + 1
        chunks: list[bytes] = []
        while want > 0:
            chunk = os.read(fd, min(want, _MIB))
            if not chunk:
                break
            chunks.append(chunk)
            want -= len(chunk)
        if head is None and want <= 0:
            return _too_big(p, kind, None)  # it grew while we read it
        return b"".join(chunks)
    except OSError as exc:
        return Unreadable(p, _os_reason(exc))
    finally:
        os.close(fd)


def read_bytes(path: Path | str, kind: Kind, *, nofollow: bool = False) -> ReadResult:
    """The bytes of ``path`` when it is a regular file within ``kind``'s cap, else why not.

    ``nofollow``: a symlink at ``path`` itself is refused (venvkeeper's own files, e.g. a journal).
    """
    return _read(path, kind, None, nofollow)


def read_head(path: Path | str, limit: int, kind: Kind = SCRIPT) -> ReadResult:
    """At most ``limit`` leading bytes of a regular file (a shebang, a header); binary-safe.

    Unlike :func:`read_bytes` a large file is not refused: only its head is wanted.
    """
    return _read(path, kind, limit)


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM tolerated), undecodable bytes replaced: for files whose content only informs."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def text_head(path: Path | str, limit: int, kind: Kind = SCRIPT) -> str | None:
    """The leading ``limit`` bytes of a text file, decoded; None when it is absent, not a regular file,
    unreadable (the reason logged once) or binary (a NUL byte: a launcher .exe, not a script)."""
    data = read_head(path, limit, kind)
    if isinstance(data, Unreadable):
        note(data)
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def read_text(path: Path | str, kind: Kind) -> str | Unreadable:
    """:func:`read_bytes` decoded with :func:`decode_text`."""
    data = read_bytes(path, kind)
    return data if isinstance(data, Unreadable) else decode_text(data)


def text_or_none(path: Path | str, kind: Kind) -> str | None:
    """The text, or None (the reason logged once) — for files whose absence is an answer in itself."""
    result = read_text(path, kind)
    if isinstance(result, Unreadable):
        note(result)
        return None
    return result


_noted: dict[tuple[str, str], None] = {}
_NOTED_MAX = 512


def note(refusal: Unreadable) -> None:
    """Log why a file was not read, once per (file, reason); a missing file is not news."""
    if refusal.missing:
        return
    key = (os.fsdecode(refusal.path), refusal.reason)
    if key in _noted:
        return
    if len(_noted) >= _NOTED_MAX:
        _noted.pop(next(iter(_noted)))
    _noted[key] = None
    log.warning("%s: %s", os.fsdecode(refusal.path), refusal.reason)


# -- asking about a path without raising ----------------------------------------------------------


#: The audit event by which the report cache's recorder (reportrecord.py) learns that an answer
#: depends on a path it did not see opened or listed.
STAT_EVENT = "venvkeeper.stat"


def looked_at(path: Path | str) -> None:
    """Say that what follows depends on ``path``: for a ``stat`` made outside this module (a memo keyed
    by a file's identity answers without opening it). One C call when nothing records."""
    sys.audit(STAT_EVENT, path)


def _stat(path: Path | str, follow: bool = True) -> os.stat_result | None:
    looked_at(path)
    try:
        return os.stat(path, follow_symlinks=follow)
    except (OSError, ValueError):
        return None


def is_file(path: Path | str) -> bool:
    """``Path.is_file()`` that answers False (never raises) on EACCES, ELOOP, ENAMETOOLONG, NUL bytes."""
    st = _stat(path)
    return st is not None and stat.S_ISREG(st.st_mode)


def is_dir(path: Path | str) -> bool:
    st = _stat(path)
    return st is not None and stat.S_ISDIR(st.st_mode)


def exists(path: Path | str) -> bool:
    return _stat(path) is not None


def lexists(path: Path | str) -> bool:
    return _stat(path, follow=False) is not None


def is_symlink(path: Path | str) -> bool:
    st = _stat(path, follow=False)
    return st is not None and stat.S_ISLNK(st.st_mode)


def not_regular(path: Path | str) -> str | None:
    """What ``path`` is when it exists but is not a regular file ("a named pipe (FIFO)"), else None."""
    st = _stat(path)
    if st is None or stat.S_ISREG(st.st_mode):
        return None
    return _kind_of_mode(st.st_mode)


def access_problem(path: Path | str) -> str | None:
    """Why ``path`` cannot be looked at (permissions, ELOOP, name too long); None if it can or is absent."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except OSError as exc:
        return _os_reason(exc)
    except ValueError as exc:
        return f"cannot be opened ({exc})"
    if is_dir(path):
        try:
            with os.scandir(path) as it:
                next(it, None)
        except OSError as exc:
            return _os_reason(exc).replace("be read", "be listed")
    return None


def glob(path: Path, pattern: str) -> list[Path]:
    """``sorted(path.glob(pattern))`` that is empty (never raises) when ``path`` cannot be looked into."""
    if not is_dir(path):
        return []
    try:
        return sorted(path.glob(pattern))
    except (OSError, ValueError):
        return []


def list_dir(path: Path | str) -> Iterator[Path]:
    """The entries of a directory; nothing (and the reason logged) when it cannot be listed."""
    p = Path(path)
    try:
        with os.scandir(p) as it:
            entries = [Path(e.path) for e in it]
    except FileNotFoundError:
        return iter(())
    except (OSError, ValueError) as exc:
        reason = _os_reason(exc) if isinstance(exc, OSError) else f"cannot be listed ({exc})"
        note(Unreadable(p, str(reason).replace("be read", "be listed")))
        return iter(())
    return iter(entries)
