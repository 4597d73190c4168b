"""Lock files read as data (never by running their tool): one reader per format behind one interface.

The order below is the order a project's lock is looked for; the first one present is the project's
lock (a project managed by one tool has that tool's lock; a ``pylock.toml`` next to it is usually an
export of it, so the tools' own locks come first):

1. ``uv.lock``      — :class:`~.uv.UvReader`
2. ``poetry.lock``  — :class:`~.poetry.PoetryReader`
3. ``pdm.lock``     — :class:`~.pdm.PdmReader`
4. ``Pipfile.lock`` — :class:`~.pipfile.PipfileReader`
5. ``pylock.toml``, then ``pylock.<name>.toml`` by name — :class:`~.pylock.PylockReader` (PEP 751)

Every reader is pure: text + :class:`~.model.LockInputs` in, :class:`~.model.Lock` out, or
:class:`~.model.LockInvalid` with a line. Reading the file itself goes through
:func:`~.fileio.read_lock_text` (regular files only, bounded size).
"""

from __future__ import annotations

import json
import os
import stat
from collections import OrderedDict
from pathlib import Path
from typing import Any, Optional, Protocol, Union

from venvkeeper import fsread
from venvkeeper.requirements.locks.fileio import read_lock_text
from venvkeeper.requirements.locks.model import Lock, LockedPackage, LockInputs, LockInvalid
from venvkeeper.requirements.locks.pdm import PdmReader
from venvkeeper.requirements.locks.pipfile import PipfileReader
from venvkeeper.requirements.locks.poetry import PoetryReader
from venvkeeper.requirements.locks.pylock import PylockReader, is_pylock_name
from venvkeeper.requirements.locks.uv import UvReader

__all__ = [
    "READERS",
    "Lock",
    "LockInputs",
    "LockInvalid",
    "LockReader",
    "LockedPackage",
    "clear_cache",
    "find_lock",
    "lock_member",
    "read_lock",
    "read_lock_text",
    "reader_for",
]


class LockReader(Protocol):
    tool: str

    def matches(self, name: str) -> bool: ...

    def read(self, lock_text: str, path: Path, inputs: LockInputs) -> Lock: ...


READERS: tuple[LockReader, ...] = (UvReader(), PoetryReader(), PdmReader(), PipfileReader(), PylockReader())
_FIXED_NAMES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "pylock.toml")


#: How far above a project a uv workspace root (holding the workspace's one uv.lock) is looked for.
MAX_WORKSPACE_DEPTH = 6


def find_lock(project: Path) -> Optional[Path]:
    """The project's lock file (see the order above), or None. One ``scandir`` of the project dir.

    A uv workspace member has no lock of its own: the workspace root's uv.lock holds it (the root's
    pyproject.toml has ``[tool.uv.workspace]``); up to :data:`MAX_WORKSPACE_DEPTH` parents are tried.
    """
    try:
        with os.scandir(project) as it:
            names = {e.name for e in it if e.name in _FIXED_NAMES or is_pylock_name(e.name)}
    except OSError:
        return None
    for name in _FIXED_NAMES:
        if name in names:
            return project / name
    named = sorted(n for n in names if is_pylock_name(n))
    if named:
        return project / named[0]
    return _workspace_lock(project)


def _workspace_lock(project: Path) -> Optional[Path]:
    if not (project / "pyproject.toml").is_file():
        return None
    for depth, parent in enumerate(project.parents):
        if depth >= MAX_WORKSPACE_DEPTH:
            break
        lock = parent / "uv.lock"
        if lock.is_file() and _is_uv_workspace_root(parent / "pyproject.toml"):
            return lock
    return None


def _is_uv_workspace_root(pyproject: Path) -> bool:
    from venvkeeper.requirements import _toml
    from venvkeeper.requirements.records import read_source_text

    if not pyproject.is_file():
        return False
    text, _ = read_source_text(pyproject)
    if text is None or "workspace" not in text:
        return False
    try:
        data = _toml.loads(text)
    except _toml.TOMLDecodeError:
        return False
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    return isinstance(uv, dict) and isinstance(uv.get("workspace"), dict)


def lock_member(project: Path, lock: Path) -> str:
    """The project's path inside the lock's workspace ("" for the lock's own project), POSIX style."""
    if lock.parent == project:
        return ""
    try:
        return project.relative_to(lock.parent).as_posix()
    except ValueError:
        return ""


def reader_for(path: Path) -> Optional[LockReader]:
    return next((r for r in READERS if r.matches(path.name)), None)


#: Recent results, keyed by the file's identity (inode, size, mtime) and the inputs: the daemon
#: re-checks on every save anywhere in the project, the lock rarely changes in between.
_CACHE: OrderedDict[tuple[Any, ...], Union[Lock, LockInvalid]] = OrderedDict()
_CACHE_SIZE = 16


def _cache_key(path: Path, inputs: LockInputs) -> Optional[tuple[Any, ...]]:
    fsread.looked_at(path)  # a hit in _CACHE skips the read the report cache would have seen
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    try:
        digest = json.dumps(
            [inputs.pyproject, inputs.pipfile, inputs.extras, inputs.member, inputs.hashes],
            sort_keys=True,
            default=str,
        )
    except (TypeError, ValueError):
        return None
    env = tuple(sorted(inputs.environment.items()))
    return (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, env, digest)


def clear_cache() -> None:
    _CACHE.clear()


def read_lock(path: Path, inputs: LockInputs) -> Lock:
    """Read and select ``path``; :class:`LockInvalid` (one sentence, one line) when it cannot be used.

    Results are cached per file identity and inputs; callers must not modify the returned Lock.
    """
    key = _cache_key(path, inputs)
    if key is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        hit = _CACHE[key]
        if isinstance(hit, LockInvalid):
            raise hit
        return hit
    try:
        result: Union[Lock, LockInvalid] = _read_lock(path, inputs)
    except LockInvalid as exc:
        result = exc
    if key is not None:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    if isinstance(result, LockInvalid):
        raise result
    return result


def _read_lock(path: Path, inputs: LockInputs) -> Lock:
    reader = reader_for(path)
    if reader is None:
        raise LockInvalid(f"{path.name} is not a lock file venvkeeper knows")
    text = read_lock_text(path)
    if isinstance(text, tuple):
        raise LockInvalid(text[0])
    if not text.strip():
        raise LockInvalid(f"{path.name} is empty")
    try:
        return reader.read(text, path, inputs)
    except LockInvalid:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # A structure the reader did not expect (a string where a table belongs, …): the lock is
        # unusable, and the daemon must not fall over it.
        raise LockInvalid(f"{path.name} has an unexpected structure ({type(exc).__name__}: {exc})") from exc
