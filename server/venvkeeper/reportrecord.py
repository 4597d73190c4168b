"""The cold side of the report cache: run ``check`` while noting every input, then keep the report.

What the run looks at is noted as it happens, not predicted: a PEP 578 audit hook sees every file
opened (``open``, ``os.open``), every directory listed (``os.listdir``, ``os.scandir``, so
``Path.iterdir`` and ``glob`` too) and every path fsread is asked about (the ``venvkeeper.stat``
event of ``fsread.looked_at``, raised by fsread's own stats and by the identity-keyed memos, so a memo
hit in a process that already checked once still counts); the Host given to the run notes each
environment variable read and whether the clock was read. The import system's own reads are skipped
(the modules' files are noted once, at the end); so is everything while no recorder is active, and
the hook stays installed but idle afterwards (audit hooks cannot be removed).

The report is kept only when nothing casts a doubt (:meth:`Recorder.store` says why not, for tests):
an exit status other than 0/1, a write/rename/remove/spawn/chdir, a directory listed by descriptor, a
read under /proc, /dev or /sys (their stat does not follow their content), the clock read (a killed
create's leftovers are judged by age), an identity that changed during the run, or one that changed
within the racy window before the run started — a later write in the same timestamp tick as the
last one would leave the identity unchanged (git's "racy" index entries). The window is
:data:`RACY_WINDOW_FINE_S` for a file whose times have a sub-second part (the file system keeps
nanoseconds; its clock ticks every few ms) and :data:`RACY_WINDOW_S` for one with whole seconds (FAT,
HFS+, ext3, some network file systems), so "edit, check, check" replays on the second check.
"""

from __future__ import annotations

import os
import sys

# sysconfig probes the interpreter's own install when first imported (``Modules/Setup``, the resolved
# ``sys.executable``): what the Python running is, which the key already holds, not an input of the
# check. Imported here, before any recording, so that a check path importing it later (packaging.tags)
# does not record those probes — or miss them, depending on what the interpreter's start-up imported.
import sysconfig  # noqa: F401
import time
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Optional, TextIO, cast

from venvkeeper.fsread import STAT_EVENT
from venvkeeper.reportcache import ALL_ENV, FIXED_ENV, Plan, identity

RACY_WINDOW_S = 2.0  # whole-second times: FAT keeps mtimes to 2 s
RACY_WINDOW_FINE_S = 0.1  # nanosecond times from a clock that ticks every 1-10 ms, with a margin

#: Where the import system's own frames run: its directory scans and source reads are not inputs.
_IMPORT_SYSTEM = frozenset(
    {"<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>", "<frozen zipimport>"}
)
#: Audit events that change something or reach outside: a report made alongside one is not kept.
_SIDE_EFFECTS = frozenset(
    {
        "os.chdir",
        "os.chmod",
        "os.chown",
        "os.exec",
        "os.fork",
        "os.forkpty",
        "os.kill",
        "os.killpg",
        "os.link",
        "os.mkdir",
        "os.posix_spawn",
        "os.putenv",
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.spawn",
        "os.symlink",
        "os.system",
        "os.truncate",
        "os.unsetenv",
        "os.utime",
        "shutil.copyfile",
        "shutil.copymode",
        "shutil.copystat",
        "shutil.copytree",
        "shutil.move",
        "shutil.rmtree",
        "socket.connect",
        "subprocess.Popen",
    }
)
_NOTED = frozenset({"open", "os.listdir", "os.scandir", STAT_EVENT})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_VOLATILE_ROOTS = ("/proc", "/dev", "/sys")

_active: list[Recorder] = []
_hook_installed = False


class RecordingEnviron(Mapping[str, str]):
    """The process environment, noting each variable asked for (iterating notes them all)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = dict(environ)
        self.read: set[str] = set()
        self.all_read = False

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self._environ[name]

    def __iter__(self) -> Iterator[str]:
        self.all_read = True
        return iter(self._environ)

    def __len__(self) -> int:
        self.all_read = True
        return len(self._environ)


class _Tee:
    """A text stream that also keeps what was written to it (the report, the warnings)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.written: list[str] = []

    def write(self, text: str) -> int:
        n = self._stream.write(text)
        self.written.append(text)
        return n

    def __getattr__(self, name: str) -> Any:  # flush, fileno, closed, encoding…: the real stream's
        return getattr(self._stream, name)


class Recorder:
    """Use as ``with Recorder(plan) as rec:`` around the run, then :meth:`store` its exit status."""

    def __init__(self, plan: Plan, racy_window_s: Optional[float] = None) -> None:
        """``racy_window_s``: one window for every input instead of the one its times call for."""
        self.plan = plan
        self.racy_window_s = racy_window_s
        self.environ = RecordingEnviron(plan.environ)
        self.seen: dict[str, list[int]] = {}
        self.doubts: list[str] = []
        self._start_ns = 0
        self._streams: Optional[tuple[TextIO, TextIO]] = None
        self._out: Optional[_Tee] = None
        self._err: Optional[_Tee] = None

    def wall_clock(self) -> float:
        """Host.wall_clock for the run: a report that depends on the time is not kept."""
        self.doubt("the clock was read")
        return time.time()

    def doubt(self, why: str) -> None:
        if len(self.doubts) < 20:
            self.doubts.append(why)

    def __enter__(self) -> Recorder:
        _install_hook()
        self._start_ns = time.time_ns()
        self._streams = (sys.stdout, sys.stderr)
        self._out, self._err = _Tee(sys.stdout), _Tee(sys.stderr)
        sys.stdout, sys.stderr = cast(TextIO, self._out), cast(TextIO, self._err)
        _active.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _active.remove(self)
        if self._streams is not None:
            sys.stdout, sys.stderr = self._streams
        if exc[0] is not None:
            self.doubt("the run raised")

    # -- what the hook sees --------------------------------------------------------------------
    def note(self, path: Any, listing: bool = False) -> None:
        if isinstance(path, int) or path is None:
            if listing and path is None:
                path = "."
            elif listing:
                self.doubt("a directory was listed by descriptor")
                return
            else:
                return  # open(fd): the file was opened (and noted) by path before
        p = os.path.abspath(os.fsdecode(os.fspath(path)))
        if any(p == root or p.startswith(root + os.sep) for root in _VOLATILE_ROOTS):
            self.doubt(f"{p} was read")
        for q in (p, os.path.dirname(p)):
            if q not in self.seen:
                self.seen[q] = identity(q)

    def on_event(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & _WRITE_FLAGS:
                self.doubt(f"a file was opened for writing ({path!r})")
            self.note(path)
        elif event in ("os.listdir", "os.scandir"):
            self.note(args[0], listing=True)
        elif event == STAT_EVENT:
            self.note(args[0])
        elif event in _SIDE_EFFECTS:
            self.doubt(f"side effect: {event}")

    # -- keeping the report -------------------------------------------------------------------
    def store(self, status: int) -> bool:
        """Keep the report unless in doubt; the reasons for not keeping it are left in :attr:`doubts`."""
        if status not in (0, 1):
            self.doubt(f"exit status {status}")
        self._note_sources()
        for path, ident in self.seen.items():
            if identity(path) != ident:
                self.doubt(f"{path} changed during the run")
            elif is_racy(ident, self._start_ns, self.racy_window_s):
                self.doubt(f"{path} changed too shortly before the run (racy)")
        if self.doubts or self._out is None or self._err is None:
            return False
        env = self.environ
        names = [ALL_ENV] if env.all_read else sorted(env.read | set(FIXED_ENV))
        stored = self.plan.store(
            env_names=names,
            inputs=sorted(self.seen.items()),
            stdout="".join(self._out.written),
            stderr="".join(self._err.written),
            status=status,
        )
        if not stored:
            self.doubt("the cache could not be written")
        return stored

    def _note_sources(self) -> None:
        """venvkeeper's own modules and its non-stdlib imports: an edited or upgraded one is a miss."""
        stdlib = os.path.dirname(os.__file__) + os.sep
        for module in list(sys.modules.values()):
            file = getattr(module, "__file__", None)
            if not isinstance(file, str):
                continue
            inside = file.startswith(stdlib)
            if inside and "site-packages" not in file and "dist-packages" not in file:
                continue
            path = os.path.abspath(file)
            if path not in self.seen:
                self.seen[path] = identity(path)


def is_racy(ident: list[int], start_ns: int, window_s: Optional[float] = None) -> bool:
    """Whether a file with this identity changed too shortly before ``start_ns`` to be trusted.

    ``window_s`` None: the window its times call for (whole seconds or not, see the module's doc).
    """
    if len(ident) != 6:
        return False  # not there, or not stat-able: nothing to be racy about
    mtime, ctime = ident[4], ident[5]
    if window_s is None:
        whole_seconds = mtime % 1_000_000_000 == 0 and ctime % 1_000_000_000 == 0
        window_s = RACY_WINDOW_S if whole_seconds else RACY_WINDOW_FINE_S
    return max(mtime, ctime) >= start_ns - int(window_s * 1e9)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _active or (event not in _NOTED and event not in _SIDE_EFFECTS):
        return  # first: sys._getframe below is itself an audit event
    try:
        if sys._getframe(1).f_code.co_filename in _IMPORT_SYSTEM:
            return
        for recorder in _active:
            recorder.on_event(event, args)
    except Exception as exc:  # a hook that raises would fail the audited call itself
        for recorder in _active:
            recorder.doubt(f"audit hook: {type(exc).__name__}")


def _install_hook() -> None:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_hook)
        _hook_installed = True


def run_recorded(
    plan: Plan,
    run: Callable[[Mapping[str, str], Callable[[], float]], int],
    racy_window_s: Optional[float] = None,
) -> tuple[int, Recorder]:
    """Run ``run(environ, wall_clock)`` under a recorder and keep its report when nothing casts a doubt."""
    with Recorder(plan, racy_window_s) as recorder:
        status = run(recorder.environ, recorder.wall_clock)
    recorder.store(status)
    return status, recorder
