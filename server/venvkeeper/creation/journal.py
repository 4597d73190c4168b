"""Swap a freshly built env into place so that a kill at any moment loses nothing, and recover after one.

One create is one *transaction*, kept entirely in a work dir next to the env (same file system, so every
rename is atomic; one level down, so discovery never sees a half-made env)::

    <parent>/.venvkeeper-tmp-XXXX/     the work dir (holds a ``.gitignore`` of ``*``)
        lock                           flock'ed by the builder for the whole create: held = builder alive
        journal.json                   phase, env name, builder pid, running tool's process group, and the
                                       identities (st_dev, st_ino) of the old and new env dirs
        <name>/                        the new env while it is built
        old/<name>/                    the old env moved aside (only where no atomic exchange exists)

Phases: ``building`` → ``swapping`` (written, with both identities, just before the first rename) →
``swapped``. The swap is one ``renameat2(RENAME_EXCHANGE)`` on Linux or ``renamex_np(RENAME_SWAP)`` on
macOS; where the file system or OS lacks it (ENOSYS, EINVAL, ENOTSUP) it is two renames. Renames keep a
dir's identity, so recovery decides from what is at the target, never from what the journal hoped:

* the target is the new env → the swap happened: remove the work dir (it holds the old env);
* the target is the old env, or there was none and still is none → roll back: remove the work dir;
* the target is missing and ``old/<name>`` is the old env → put it back, then remove the work dir.

Either the old env is back or the new one is complete; never neither. Recovery runs at the next start of
the daemon or of ``venvkeeper create``/``check``, for the dirs they look at, and never touches a work dir
whose lock is held (a live builder, in this process or another). Paths are never taken from the journal:
a hostile repository could commit one, so everything is derived from the work dir's own location and the
journal's ``name`` must be a plain file name.

Work dirs of older venvkeeper versions (no lock, no journal; and ``.venvkeeper-old-XXXX/<name>`` dirs
holding an env moved aside) are recovered once they are :data:`LEGACY_GRACE_S` old.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict

from venvkeeper import fsread
from venvkeeper.discovery.identify import is_complete_env_dir

TMP_MARK = ".venvkeeper-tmp-"
#: Older versions moved the old env aside into ``.venvkeeper-old-XXXX/<name>``.
OLD_MARK = ".venvkeeper-old-"
JOURNAL = "journal.json"
LOCK = "lock"
ASIDE = "old"
#: Set in every tool's environment to the work dir: recovery kills a dead create's leftover tools only
#: when they carry it, so a recycled process-group id is never killed.
BUILD_ENV_VAR = "VENVKEEPER_BUILD"
#: A lock-less work dir younger than this may belong to an older venvkeeper that is still building.
LEGACY_GRACE_S = 3600.0
#: How long recovery waits for a dead create's killed tools to be gone.
_KILL_WAIT_S = 2.0
#: At most this many leftovers are handled per dir and start (a hostile repo could hold thousands).
_MAX_PER_DIR = 64
_GITIGNORE = "# venvkeeper's temporary build dir\n*\n"

Identity = tuple[int, int]


class JournalData(TypedDict):
    version: int
    phase: str
    #: The env's file name (``.venv``); the target is ``<work dir's parent>/<name>``.
    name: str
    #: The target's absolute path, for people reading the file; recovery never uses it (see above).
    target: str
    pid: int
    #: Process group of the tool running now (the tools lead their own groups), if any.
    pgid: int | None
    started: float
    #: ``[st_dev, st_ino]`` of the env at the target before the swap (None: there was none).
    old: list[int] | None
    #: ``[st_dev, st_ino]`` of the new env.
    new: list[int] | None


# -- the rename primitives ---------------------------------------------------------------------------


class SwapOps(Protocol):
    """The file-system steps of a swap; tests inject one that stops after step k."""

    def rename(self, src: Path, dst: Path) -> None: ...

    def exchange(self, a: Path, b: Path) -> bool:
        """Atomically exchange two existing paths; False when the OS or file system cannot."""
        ...


_RENAME_EXCHANGE = 2  # linux/fs.h
_RENAME_SWAP = 2  # macOS sys/stdio.h
_AT_FDCWD = -100
#: What a kernel, libc or file system without an atomic exchange answers.
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


def _libc_exchange() -> Callable[[bytes, bytes], int] | None:
    """The platform's exchange call via ctypes (no stdlib binding exists), or None."""
    if not (sys.platform.startswith("linux") or sys.platform == "darwin"):
        return None
    import ctypes  # here: only a swap that replaces an env needs it (~3 ms to import)

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        fn = libc.renameat2
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        fn.restype = ctypes.c_int
        return lambda a, b: int(fn(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE))
    if sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        fn = libc.renamex_np
        fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        fn.restype = ctypes.c_int
        return lambda a, b: int(fn(a, b, _RENAME_SWAP))
    return None


class OsSwapOps:
    """The real primitives: ``os.replace`` and the OS's atomic exchange where it has one."""

    def __init__(self) -> None:
        self._exchange: Callable[[bytes, bytes], int] | None = None
        self._looked_up = False

    def rename(self, src: Path, dst: Path) -> None:
        os.replace(src, dst)  # = rename on POSIX; on Windows it also replaces the journal file

    def exchange(self, a: Path, b: Path) -> bool:
        if not self._looked_up:
            self._exchange, self._looked_up = _libc_exchange(), True
        if self._exchange is None:
            return False
        if self._exchange(os.fsencode(a), os.fsencode(b)) == 0:
            return True
        import ctypes

        err = ctypes.get_errno()
        if err in _UNSUPPORTED:
            return False
        raise OSError(err, os.strerror(err), str(a), None, str(b))


def identity(path: Path) -> Identity | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _lock_nonblocking(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; True when taken. The OS drops it when the
    holder dies, however it dies."""
    if sys.platform == "win32":  # untested here: msvcrt's byte-range lock plays flock's part
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _open_regular(path: Path, flags: int) -> int | None:
    """Open ``path`` only if it is a regular file (never a FIFO, device or symlink); None otherwise."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    nonblock = getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | nofollow | nonblock)
    except OSError:
        return None
    try:
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
    except OSError:
        os.close(fd)
        return None
    return fd


def read_journal(work: Path) -> JournalData | None:
    """The journal of ``work`` if it is a well-formed one (bounded read, regular file only)."""
    raw = fsread.read_bytes(work / JOURNAL, fsread.JOURNAL, nofollow=True)
    if isinstance(raw, fsread.Unreadable):
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    name, phase, pid = data.get("name"), data.get("phase"), data.get("pid")
    if not (isinstance(name, str) and _plain_name(name) and isinstance(phase, str) and isinstance(pid, int)):
        return None
    pgid = data.get("pgid")
    return JournalData(
        version=int(data.get("version", 1)) if isinstance(data.get("version", 1), int) else 1,
        phase=phase,
        name=name,
        target=str(work.parent / name),
        pid=pid,
        pgid=pgid if isinstance(pgid, int) and pgid > 1 else None,
        started=float(data["started"]) if isinstance(data.get("started"), (int, float)) else 0.0,
        old=_ident_field(data.get("old")),
        new=_ident_field(data.get("new")),
    )


def _ident_field(value: object) -> list[int] | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return [int(value[0]), int(value[1])]
    return None


def _plain_name(name: str) -> bool:
    return name not in ("", ".", "..") and not any(c in name for c in "/\\\0")


# -- the builder's side ------------------------------------------------------------------------------


class Transaction:
    """One create's work dir, lock and journal; see the module docstring."""

    def __init__(self, work: Path, name: str, lock_fd: int | None, ops: SwapOps, clock: Callable[[], float]):
        self.work = work
        self.name = name
        self._lock_fd = lock_fd
        self._ops = ops
        self._data = JournalData(
            version=1,
            phase="building",
            name=name,
            target=str(work.parent / name),
            pid=os.getpid(),
            pgid=None,
            started=clock(),
            old=None,
            new=None,
        )

    @classmethod
    def begin(
        cls,
        parent: Path,
        name: str,
        *,
        ops: SwapOps | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Transaction:
        """Make the work dir, lock it and write the ``building`` journal."""
        work = Path(tempfile.mkdtemp(prefix=TMP_MARK, dir=str(parent)))
        lock_fd: int | None = None
        try:
            # Locked before anything else is written: a dir with a lock file is either held or dead.
            lock_fd = os.open(work / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
            _lock_nonblocking(lock_fd)
            (work / ".gitignore").write_text(_GITIGNORE, encoding="utf-8")
            txn = cls(work, name, lock_fd, ops or OsSwapOps(), clock)
            txn._write()
        except BaseException:
            if lock_fd is not None:
                os.close(lock_fd)
            shutil.rmtree(work, ignore_errors=True)
            raise
        return txn

    @property
    def build_dir(self) -> Path:
        return self.work / self.name

    @property
    def phase(self) -> str:
        return self._data["phase"]

    def _write(self, *, durable: bool = True) -> None:
        """Write the journal atomically: temp file, rename (through the injected ops); ``durable`` adds
        an fsync of the file before the rename and of the dir after it.

        Atomicity is all a kill needs (the page cache outlives the process); durability matters only
        after a power loss, and only for what recovery then reads: the ``building`` journal and the
        identities written before the swap's first rename. The tool's process group (no process outlives
        a power loss) and the ``swapped`` phase (recovery decides from the target) are written without:
        on ext4 an fsync commits the whole file system's journal, stalling the tool writing the env.
        """
        tmp = self.work / (JOURNAL + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(self._data, sort_keys=True).encode())
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        self._ops.rename(tmp, self.work / JOURNAL)
        if durable:
            _fsync_dir(self.work)

    def tool_started(self, pgid: int) -> None:
        """Record the process group of the tool that just started (killed by recovery if we die)."""
        self._data["pgid"] = pgid
        self._write(durable=False)

    def swap(self, target: Path) -> bool:
        """Move the built env to ``target``, exchanging it with the env there if any; True if replaced.

        The caller checked that ``target`` is absent or an env it may replace.
        """
        build = self.build_dir
        old_id = identity(target)
        new_id = identity(build)
        self._data["phase"] = "swapping"
        self._data["old"] = list(old_id) if old_id else None
        self._data["new"] = list(new_id) if new_id else None
        self._write()
        if old_id is None:
            self._ops.rename(build, target)
        elif not self._ops.exchange(target, build):
            aside = self.work / ASIDE
            aside.mkdir(exist_ok=True)
            self._ops.rename(target, aside / self.name)
            try:
                self._ops.rename(build, target)
            except OSError:
                self._ops.rename(aside / self.name, target)  # never leave the project without its env
                raise
        self._data["phase"] = "swapped"
        with contextlib.suppress(OSError):  # best effort: recovery decides by the identity at the target
            self._write(durable=False)
        return old_id is not None

    def close(self) -> None:
        """Remove the work dir (the failed build, or the old env after a swap) and release the lock.

        The envs go first and the lock file last, so a kill half-way leaves a dir recovery can still
        read (journal) or tell dead (unheld lock). A swap that failed half-way, and failed to put the old
        env back, is settled as recovery would settle it, or left for the next start: never deleted.
        """
        if self._data["phase"] == "swapping":
            with contextlib.suppress(OSError, _KeepIt):
                _recover_journaled(self.work, self._data)
            self.release()
            return
        for entry in (self.work / self.name, self.work / ASIDE):
            remove_tree(entry)
        for leaf in (JOURNAL, JOURNAL + ".new", ".gitignore"):
            with contextlib.suppress(OSError):
                (self.work / leaf).unlink()
        remove_tree(self.work)
        self.release()

    def release(self) -> None:
        """Drop the lock without cleaning up (what a dying builder does; tests use it to simulate one)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def remove_tree(path: Path) -> None:
    if fsread.is_symlink(path) or fsread.is_file(path):
        path.unlink(missing_ok=True)
    elif fsread.exists(path):
        shutil.rmtree(path, ignore_errors=True)


# -- recovery at the next start ----------------------------------------------------------------------


@dataclass(frozen=True)
class Leftover:
    """What recovery did with one leftover work dir (or why it left it alone)."""

    path: Path
    message: str
    #: False when the dir is still there (a live builder, too young to judge, or an error).
    resolved: bool

    def __str__(self) -> str:
        """The one line logged or printed for it."""
        return f"{'recovered' if self.resolved else 'could not recover'} {self.path}: {self.message}"


ProcRoot = Path("/proc")


def _group_members(pgid: int, proc: Path) -> list[int]:
    """Live (non-zombie) pids of process group ``pgid`` from ``/proc``."""
    members: list[int] = []
    try:
        entries = list(os.scandir(proc))
    except OSError:
        return members
    for entry in entries:
        if not entry.name.isdigit():
            continue
        stat = fsread.read_bytes(proc / entry.name / "stat", fsread.PROC)
        if isinstance(stat, fsread.Unreadable):
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) >= 3 and fields[0] != b"Z" and fields[2] == str(pgid).encode():
            members.append(int(entry.name))
    return members


def _carries_marker(pid: int, marker: bytes, proc: Path) -> bool:
    environ = fsread.read_bytes(proc / str(pid) / "environ", fsread.PROC)
    if isinstance(environ, fsread.Unreadable):
        return False
    return marker in environ.split(b"\0")


def kill_dead_builders_tools(work: Path, pgid: int, proc: Path = ProcRoot) -> bool:
    """SIGKILL process group ``pgid`` if one of its live members is a tool of the create in ``work``.

    Only where ``/proc`` shows environments (Linux); elsewhere the tool reaper of the dead process
    already did it (:mod:`venvkeeper.creation.lifetime`).
    """
    marker = os.fsencode(f"{BUILD_ENV_VAR}={work}")
    members = _group_members(pgid, proc)
    if not any(_carries_marker(pid, marker, proc) for pid in members):
        return False
    with contextlib.suppress(OSError):
        os.killpg(pgid, signal.SIGKILL)
    # Let them go before their work dir is deleted under them (bounded: a kill takes milliseconds).
    deadline = time.monotonic() + _KILL_WAIT_S
    while _group_members(pgid, proc) and time.monotonic() < deadline:
        time.sleep(0.01)
    return True


def _holds_env(path: Path) -> bool:
    """A complete env that is not a link (a link's target is not ours to move back)."""
    return is_complete_env_dir(path) and not fsread.is_symlink(path)


def _recover_journaled(work: Path, journal: JournalData) -> str:
    """Finish or roll back the dead create in ``work`` (its lock is ours now); return what was done."""
    target = work.parent / journal["name"]
    by = f"a killed create (pid {journal['pid']})"
    if journal["phase"] not in ("swapping", "swapped"):
        remove_tree(work)
        return f"removed the unfinished build of {journal['name']} left by {by}"
    at_target = identity(target)
    old = tuple(journal["old"]) if journal["old"] else None
    new = tuple(journal["new"]) if journal["new"] else None
    aside = work / ASIDE / journal["name"]
    if new is not None and at_target == new:
        remove_tree(work)
        return f"finished the replacement of {journal['name']} interrupted by {by}: the new env is in place"
    if at_target is None and old is not None and identity(aside) == old:
        os.rename(aside, target)
        remove_tree(work)
        return f"restored the old {journal['name']} that {by} had moved aside"
    if at_target is None and old is None:
        remove_tree(work)
        return f"removed the new {journal['name']} that {by} had not moved into place yet"
    if at_target == old:
        remove_tree(work)
        return f"rolled back the replacement of {journal['name']} interrupted by {by}: the old env stays"
    # Something else is at the target now: it is not ours to judge; keep whatever env the work dir holds.
    if _holds_env(aside) or _holds_env(work / journal["name"]):
        raise _KeepIt(f"{target} changed after {by}; left the work dir (it holds an env) for you to check")
    remove_tree(work)
    return f"removed what {by} left"


class _KeepIt(Exception):
    pass


def _recover_lockless(work: Path, now: float, legacy_old: bool) -> str:
    """A work dir without lock file: an older venvkeeper's, or one this version was removing."""
    try:
        names = {e.name for e in os.scandir(work)}
    except OSError as exc:
        raise _KeepIt(f"cannot read it ({exc.strerror})") from None
    try:
        age = now - work.stat().st_mtime
    except OSError:
        age = 0.0
    if age < LEGACY_GRACE_S:
        raise _KeepIt(f"left alone: unlocked but written {int(age)} s ago (an older venvkeeper may use it)")
    if legacy_old:
        for name in sorted(names):
            env = work / name
            target = work.parent / name
            if _plain_name(name) and _holds_env(env) and identity(target) is None:
                os.rename(env, target)
                remove_tree(work)
                return f"restored the old {name} that a killed create had moved aside"
    remove_tree(work)
    return "removed what a killed create left"


def _recover_one(work: Path, now: float, proc: Path) -> Leftover:
    legacy_old = work.name.startswith(OLD_MARK)
    lock_fd = None if legacy_old else _open_regular(work / LOCK, os.O_RDWR)
    try:
        if lock_fd is None:
            return Leftover(work, _recover_lockless(work, now, legacy_old), True)
        if not _lock_nonblocking(lock_fd):
            journal = read_journal(work)
            who = f" (pid {journal['pid']})" if journal else ""
            return Leftover(work, f"left alone: a create{who} is still using it", False)
        journal = read_journal(work)
        notes = []
        if (
            journal is not None
            and journal["pgid"] is not None
            and kill_dead_builders_tools(work, journal["pgid"], proc)
        ):
            notes.append(f"killed the leftover tools (process group {journal['pgid']}); ")
        if journal is None:
            remove_tree(work)
            return Leftover(work, "removed what a killed create left (no journal written yet)", True)
        return Leftover(work, "".join(notes) + _recover_journaled(work, journal), True)
    except _KeepIt as exc:
        return Leftover(work, str(exc), False)
    except OSError as exc:
        return Leftover(work, f"could not recover it: {exc}", False)
    finally:
        if lock_fd is not None:
            os.close(lock_fd)


def find_leftovers(parent: Path) -> list[Path]:
    """Work dirs (``.venvkeeper-tmp-*``, legacy ``.venvkeeper-old-*``) directly in ``parent``: one scandir."""
    found: list[Path] = []
    try:
        with os.scandir(parent) as it:
            for entry in it:
                if entry.name.startswith((TMP_MARK, OLD_MARK)) and entry.is_dir(follow_symlinks=False):
                    found.append(Path(entry.path))
                    if len(found) >= _MAX_PER_DIR:
                        break
    except OSError:
        pass
    return sorted(found)


def recover_leftovers(
    parents: Iterable[Path], *, now: Callable[[], float] = time.time, proc: Path = ProcRoot
) -> list[Leftover]:
    """Recover or remove every leftover work dir in ``parents``; say what was done with each."""
    notes: list[Leftover] = []
    seen: set[Path] = set()
    for parent in parents:
        if parent in seen:
            continue
        seen.add(parent)
        for work in find_leftovers(parent):
            notes.append(_recover_one(work, now(), proc))
    return notes
