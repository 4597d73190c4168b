"""Run installer tools (venv, pip, uv) as cancellable subprocesses that stream their output.

Each tool runs in its own process group (session on POSIX), so cancelling kills pip *and* the build
backends or compilers it started, not just the top process. Output (stdout and stderr merged) is passed
line by line to a callback for progress, and the last :data:`TAIL_LINES` lines are kept so errors can
quote what the tool said. While a tool runs, its group is registered with a
:class:`~venvkeeper.creation.lifetime.ToolReaper`, which kills it if venvkeeper dies meanwhile, and
``on_start`` is told its process-group id (create.py records it in the journal).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from venvkeeper.creation.lifetime import ToolReaper, default_reaper

#: How many trailing output lines an error message quotes.
TAIL_LINES = 20
#: How many output lines a failure keeps for the log (the full output of any real pip/uv run; bounded
#: so a tool that prints without end cannot grow the daemon).
OUTPUT_LINES = 5000
#: The longest decisive line shown to the user.
DECISIVE_MAX = 300
#: How long a cancelled tool gets to exit after SIGTERM before SIGKILL.
TERMINATE_GRACE_S = 3.0


def python_module_argv(python: Path | str, module: str, *args: str) -> list[str]:
    """``python -I -m module args…``: how every Python tool (venv, pip, compileall) is started.

    Isolated mode keeps the working directory (the project: pip resolves relative paths in
    requirement files against it) off ``sys.path``, so a project's ``venv.py`` or ``pip.py`` is never
    imported in place of the real module; it also ignores ``PYTHON*`` variables and the user site.
    """
    return [str(python), "-I", "-m", module, *args]


class Cancelled(Exception):
    """The user cancelled the operation."""


class CancelToken:
    """Thread-safe cancellation flag with callbacks (the LSP layer sets it from its event loop)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks = list(self._callbacks)
        for cb in callbacks:
            cb()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` on cancel (at once if already cancelled); returns an unregister function."""
        with self._lock:
            already = self._event.is_set()
            if not already:
                self._callbacks.append(callback)
        if already:
            callback()

        def unregister() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unregister

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)


class CommandFailed(Exception):
    """A tool exited non-zero. ``decisive`` is the one line that says why (:func:`decisive_line`);
    ``output`` the tool's whole output (for the log); the message is the decisive line."""

    def __init__(
        self, what: str, returncode: int, tail: Sequence[str], output: Sequence[str] | None = None
    ) -> None:
        self.what = what
        self.returncode = returncode
        self.tail = list(tail)
        self.output = list(output) if output else list(tail)
        self.decisive = decisive_line(self.output)
        super().__init__(f"{what} failed (exit code {returncode}): {self.decisive}")


@dataclass(frozen=True)
class RunResult:
    returncode: int
    tail: list[str]
    #: Every output line (at most :data:`OUTPUT_LINES`, the last ones); empty from runners that keep none.
    output: list[str] = field(default_factory=list)


# -- the decisive line of a failed pip/uv run ---------------------------------------------------------
# Fitted to real output of pip 23.2 and 26.3, uv 0.13, Poetry 2.5, PDM 2.29 and Pipenv 2026.10
# (tests/unit/creation/fixtures/tool_failures).

_PIP_ERROR = re.compile(r"^\s*ERROR:\s*(.+)$")
_UV_ERROR = re.compile(r"^error:\s*(.+)$")
#: PDM 2.29 ends a failure with "[CandidateNotFound]: <why>" and then a "WARNING: Add '-v' …" hint.
_PDM_ERROR = re.compile(r"^\[[A-Za-z]+\]:\s*(.+)$")
_UV_CAUSE = re.compile(r"^\s*(?:cause|Caused by):\s*(.+)$")
_BLOCK_END = re.compile(r"^\s*\[end of output\]\s*$")
_UV_BLOCK = re.compile(r"^\s*\[(?:stderr|stdout)\]\s*$")
_GENERIC_COMPILER = re.compile(r"^error: command .* failed with exit code")
_ERRORISH = re.compile(r"error|Error|ERROR")
_BUILT_NAME = (
    re.compile(r"Failed to build `([^`]+)`"),
    re.compile(r"Failed building wheel for (\S+)"),
    re.compile(r"Building wheel for (\S+)"),
    re.compile(r"^\s*(?:Processing|Collecting)\s+(\S+)"),
)
_ARCHIVE = re.compile(r"\.(?:tar\.gz|tar\.bz2|zip|whl)$")


def _last_of_block(lines: Sequence[str]) -> str | None:
    """The line that ends a build backend's quoted output (pip's ``[end of output]``, uv's ``[stderr]``)."""
    block: list[str] = []
    for i in range(len(lines) - 1, -1, -1):
        if _BLOCK_END.match(lines[i]):
            block = [ln.strip() for ln in lines[max(0, i - 50) : i] if ln.strip()]
            break
        if _UV_BLOCK.match(lines[i]):
            indent = len(lines[i]) - len(lines[i].lstrip())
            for ln in lines[i + 1 :]:
                if ln.strip() and len(ln) - len(ln.lstrip()) < indent:
                    break
                if ln.strip():
                    block.append(ln.strip())
            break
    if not block:
        return None
    last = block[-1]
    if _GENERIC_COMPILER.match(last):
        # "command gcc failed" says less than the compiler's own error just above it.
        earlier = [ln for ln in block[:-1] if _ERRORISH.search(ln)]
        if earlier:
            return earlier[-1]
    return last


def _built_name(lines: Sequence[str]) -> str | None:
    for pattern in _BUILT_NAME:
        for line in reversed(lines):
            m = pattern.search(line)
            if m:
                return _ARCHIVE.sub("", m.group(1).rsplit("/", 1)[-1])
    return None


def decisive_line(lines: Sequence[str]) -> str:
    """The one line of a failed pip/uv run that says why: a build failure names the package and the
    backend's last error; otherwise pip's last ``ERROR:`` or uv's ``error:`` with its last cause (also
    for the project's tools: Pipenv prints pip's lines, PDM its ``[Error]: why``, Poetry its reason last)."""
    text = [ln.rstrip() for ln in lines if ln.strip()]
    if not text:
        return "no output"
    detail = _last_of_block(text)
    if detail is not None:
        name = _built_name(text)
        line = f"{name} failed to build: {detail}" if name else detail
    else:
        uv = [i for i, ln in enumerate(text) if _UV_ERROR.match(ln)]
        pip = [m.group(1) for ln in text if (m := _PIP_ERROR.match(ln))]
        pdm = [m.group(1) for ln in text if (m := _PDM_ERROR.match(ln))]
        if uv:
            first = uv[-1]
            headline = _UV_ERROR.match(text[first]).group(1)  # type: ignore[union-attr]
            causes = [m.group(1) for ln in text[first + 1 :] if (m := _UV_CAUSE.match(ln))]
            line = f"{headline}: {causes[-1]}" if causes else headline
        elif pip:
            line = pip[-1]
        elif pdm:
            line = pdm[-1]
        else:
            line = text[-1].strip()
    line = line.strip()
    return line if len(line) <= DECISIVE_MAX else line[: DECISIVE_MAX - 1] + "…"


class Runner(Protocol):
    def __call__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        on_line: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> RunResult: ...


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    """Wait until no process of the group is left (grandchildren are not ours to ``wait`` for)."""
    deadline = time.monotonic() + timeout
    while _group_alive(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _signal_cancel(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the group now and SIGKILL it after the grace period, without blocking the caller."""
    if os.name == "nt":
        threading.Thread(target=_kill_group, args=(proc,), daemon=True).start()
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)

    def escalate() -> None:
        if _group_alive(proc.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(TERMINATE_GRACE_S, escalate)
    timer.daemon = True
    timer.start()


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the whole group, then SIGKILL what is left after a grace period; return once it is gone."""
    if os.name == "nt":
        if proc.poll() is None:
            # taskkill /T kills the tree; CTRL_BREAK reaches the group but may be ignored by pip.
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
        return
    pgid = proc.pid  # start_new_session: the tool leads its own group
    if not _group_alive(pgid):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(TERMINATE_GRACE_S)
    if not _wait_group_gone(pgid, TERMINATE_GRACE_S):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        # Killed processes are reaped by their new parent; a zombie left by a non-reaping init is harmless.
        _wait_group_gone(pgid, TERMINATE_GRACE_S)


def run_subprocess(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
    cancel: CancelToken | None = None,
    on_start: Callable[[int], None] | None = None,
    reaper: ToolReaper | None = None,
) -> RunResult:
    """The production :class:`Runner`. Raises :class:`Cancelled` when ``cancel`` fired.

    ``on_start`` gets the tool's process-group id (its pid: it leads its own session); ``reaper``
    (default: the process-wide one) kills that group if this process dies while the tool runs.
    """
    if cancel is not None:
        cancel.raise_if_cancelled()
    kwargs: dict[str, object] = {}
    if os.name == "nt":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
    proc = subprocess.Popen(
        list(argv),
        cwd=str(cwd) if cwd else None,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        **kwargs,  # type: ignore[call-overload]
    )
    reaper = reaper or default_reaper()
    reaper.watch(proc.pid)
    try:
        return _follow(proc, on_line, cancel, on_start)
    finally:
        reaper.unwatch(proc.pid)


def _follow(
    proc: subprocess.Popen[str],
    on_line: Callable[[str], None] | None,
    cancel: CancelToken | None,
    on_start: Callable[[int], None] | None,
) -> RunResult:
    """Stream the tool's output until it exits; kill its group on cancel or on any error here."""
    output: deque[str] = deque(maxlen=OUTPUT_LINES)
    # The cancel callback runs on the canceller's thread (the LSP event loop): it only signals, never waits.
    unregister = cancel.on_cancel(lambda: _signal_cancel(proc)) if cancel is not None else None
    try:
        if on_start is not None:
            on_start(proc.pid)
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            output.append(line)
            if on_line is not None:
                on_line(line)
        returncode = proc.wait()
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    finally:
        if unregister is not None:
            unregister()
        if proc.stdout is not None:
            proc.stdout.close()
    if cancel is not None and cancel.cancelled:
        _kill_group(proc)  # on this (worker) thread: make sure nothing of the tool is left running
        raise Cancelled("cancelled")
    kept = list(output)
    return RunResult(returncode, kept[-TAIL_LINES:], kept)


# -- progress parsing ---------------------------------------------------------------------------------

_PIP_COLLECTING = re.compile(r"^\s*(?:Collecting|Processing|Obtaining)\s+(\S+)")
_PIP_INSTALLING = re.compile(r"^\s*Installing collected packages:\s*(.+)$")
_PIP_SUCCESS = re.compile(r"^\s*Successfully installed\s+(.+)$")
_UV_RESOLVED = re.compile(r"^\s*Resolved (\d+) packages?")
_UV_PREPARED = re.compile(r"^\s*(?:Prepared|Downloaded) (\d+) packages?")
_UV_INSTALLED = re.compile(r"^\s*Installed (\d+) packages?")
_UV_PLUS = re.compile(r"^\s*\+\s+(\S+)")


class InstallProgress:
    """Turn pip/uv output lines into "installing n/m packages" messages (``report(message, percent)``)."""

    def __init__(self, report: Callable[[str, int | None], None]) -> None:
        self._report = report
        self.collected = 0
        self.total: int | None = None
        self.installed = 0

    def feed(self, line: str) -> None:
        m = _PIP_COLLECTING.match(line)
        if m:
            self.collected += 1
            self._report(f"resolving: {self.collected} collected ({os.path.basename(m.group(1))})", None)
            return
        m = _PIP_INSTALLING.match(line)
        if m:
            self.total = len([p for p in m.group(1).split(",") if p.strip()])
            self._report(f"installing {self.total} packages", 50)
            return
        m = _PIP_SUCCESS.match(line)
        if m:
            n = len(m.group(1).split())
            self._report(f"installed {n}/{self.total or n} packages", 100)
            return
        m = _UV_RESOLVED.match(line)
        if m:
            self.total = int(m.group(1))
            self._report(f"resolved {self.total} packages", 20)
            return
        m = _UV_PREPARED.match(line)
        if m:
            self._report(f"prepared {m.group(1)} packages", 50)
            return
        m = _UV_INSTALLED.match(line)
        if m:
            self._report(f"installing {m.group(1)} packages", 80)
            return
        m = _UV_PLUS.match(line)
        if m:
            self.installed += 1
            total = max(self.total or 0, self.installed)
            self._report(f"installed {self.installed}/{total} packages", 80 + 20 * self.installed // total)
