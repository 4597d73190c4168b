"""The journaled swap and recovery, with injected rename primitives that stop after step k (a simulated
kill: the step raises, nothing cleans up, the lock is dropped as a dying process drops it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from venvkeeper.cli import main
from venvkeeper.creation.journal import (
    BUILD_ENV_VAR,
    JOURNAL,
    LEGACY_GRACE_S,
    OsSwapOps,
    Transaction,
    recover_leftovers,
)
from venvkeeper.host import Host


class Killed(BaseException):
    """Raised by :class:`StopAfter` in place of the step it stops at."""


class StopAfter:
    """The real primitives, but the process "dies" before step ``k`` (counted once armed)."""

    def __init__(self, *, exchange: bool) -> None:
        self.real = OsSwapOps()
        self.can_exchange = exchange
        self.left: int | None = None
        self.steps: list[str] = []

    def _step(self, what: str) -> None:
        if self.left is not None:
            if self.left == 0:
                raise Killed(what)
            self.left -= 1
        self.steps.append(what)

    def rename(self, src: Path, dst: Path) -> None:
        self._step(f"rename {src.name} -> {dst.name}")
        self.real.rename(src, dst)

    def exchange(self, a: Path, b: Path) -> bool:
        if not self.can_exchange:
            return False
        self._step(f"exchange {a.name} <-> {b.name}")
        return self.real.exchange(a, b)


def fake_env(path: Path, label: str) -> None:
    """Enough of an env for the swap (which only renames dirs): a pyvenv.cfg and a marker dist."""
    site = path / "lib" / "python3.12" / "site-packages" / f"{label}-1.0.dist-info"
    site.mkdir(parents=True)
    (site / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {label}\nVersion: 1.0\n")
    (path / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = 3.12.1\nprompt = {label}\n")


def env_label(path: Path) -> str | None:
    cfg = path / "pyvenv.cfg"
    if not cfg.is_file():
        return None
    label = cfg.read_text().rsplit("prompt = ", 1)[1].strip()
    assert (path / "lib" / "python3.12" / "site-packages" / f"{label}-1.0.dist-info" / "METADATA").is_file()
    return label


def leftovers_in(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".venvkeeper-"))


# (exchange available, old env present) -> the swap's steps, and the first step after which the new
# env is the one at the target.
SCENARIOS = {
    "exchange": (True, True, 3, 2),  # journal(swapping), exchange, journal(swapped)
    "two-renames": (False, True, 4, 3),  # journal, old aside, new in, journal
    "fresh": (True, False, 3, 2),  # journal, new in, journal
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_kill_at_every_step_of_the_swap_leaves_the_old_env_or_the_complete_new_one(
    tmp_path: Path, scenario: str
) -> None:
    can_exchange, has_old, steps, new_from = SCENARIOS[scenario]
    outcomes = []
    for k in range(steps + 1):
        parent = tmp_path / f"{scenario}-{k}"
        parent.mkdir()
        target = parent / ".venv"
        if has_old:
            fake_env(target, "old")
        ops = StopAfter(exchange=can_exchange)
        txn = Transaction.begin(parent, ".venv", ops=ops)
        fake_env(txn.build_dir, "new")
        txn.tool_started(os.getpid())  # a group that is alive but carries no build marker: never killed
        ops.left = k
        try:
            txn.swap(target)
        except Killed:
            pass
        else:
            assert k == steps  # every step ran
        txn.release()  # the process died holding nothing

        notes = recover_leftovers([parent])
        assert [n.resolved for n in notes] == [True], notes
        expected = "new" if k >= new_from else ("old" if has_old else None)
        assert env_label(target) == expected, (k, ops.steps, notes)
        assert leftovers_in(parent) == []
        outcomes.append((k, expected, notes[0].message))
    # The recovery message says what happened, once.
    assert any("new env is in place" in m for _, _, m in outcomes)
    if has_old:
        assert any("old" in m for _, e, m in outcomes if e == "old")


def test_the_two_rename_fallback_restores_the_env_moved_aside(tmp_path: Path) -> None:
    target = tmp_path / ".venv"
    fake_env(target, "old")
    ops = StopAfter(exchange=False)
    txn = Transaction.begin(tmp_path, ".venv", ops=ops)
    fake_env(txn.build_dir, "new")
    ops.left = 2  # journal written, old env moved aside, killed before the new one moves in
    with pytest.raises(Killed):
        txn.swap(target)
    txn.release()
    assert not target.exists()  # the state the issue found: no .venv at all
    assert json.loads((txn.work / JOURNAL).read_text())["phase"] == "swapping"
    (note,) = recover_leftovers([tmp_path])
    assert "restored the old .venv" in note.message
    assert env_label(target) == "old"


def test_a_completed_swap_and_close_leave_nothing(tmp_path: Path) -> None:
    target = tmp_path / "venv"
    fake_env(target, "old")
    txn = Transaction.begin(tmp_path, "venv")
    fake_env(txn.build_dir, "new")
    assert txn.swap(target) is True
    txn.close()
    assert env_label(target) == "new"
    assert leftovers_in(tmp_path) == []
    assert recover_leftovers([tmp_path]) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_the_exchange_is_atomic_on_linux(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "from-a").touch()
    (tmp_path / "b").mkdir()
    assert OsSwapOps().exchange(tmp_path / "a", tmp_path / "b") is True
    assert (tmp_path / "b" / "from-a").exists() and not (tmp_path / "a" / "from-a").exists()
    with pytest.raises(FileNotFoundError):  # a real error is raised, not taken for "unsupported"
        OsSwapOps().exchange(tmp_path / "a", tmp_path / "missing")


def test_a_live_builders_work_dir_is_never_touched(tmp_path: Path) -> None:
    txn = Transaction.begin(tmp_path, ".venv")
    fake_env(txn.build_dir, "new")
    (note,) = recover_leftovers([tmp_path])
    assert not note.resolved and f"pid {os.getpid()}" in note.message and "still using it" in note.message
    assert env_label(txn.build_dir) == "new"
    txn.release()
    (note,) = recover_leftovers([tmp_path])
    assert note.resolved and "removed the unfinished build of .venv" in note.message
    assert str(note).startswith("recovered ")
    assert leftovers_in(tmp_path) == []


def test_legacy_leftovers_are_recovered_once_old_enough(tmp_path: Path) -> None:
    # What older versions left: the old env stranded aside with no .venv, and a half-built env.
    aside = tmp_path / ".venvkeeper-old-abcd"
    fake_env(aside / ".venv", "old")
    half = tmp_path / ".venvkeeper-tmp-efgh"
    (half / ".venv").mkdir(parents=True)
    now = time.time()
    notes = recover_leftovers([tmp_path], now=lambda: now)
    assert [n.resolved for n in notes] == [False, False]  # too young: an older daemon may be at work
    assert all("left alone" in n.message for n in notes)
    later = now + LEGACY_GRACE_S + 1
    notes = recover_leftovers([tmp_path], now=lambda: later)
    assert sorted(n.message for n in notes) == [
        "removed what a killed create left",
        "restored the old .venv that a killed create had moved aside",
    ]
    assert env_label(tmp_path / ".venv") == "old"
    assert leftovers_in(tmp_path) == []


def test_hostile_journals_move_and_kill_nothing(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    fake_env(outside, "precious")
    project = tmp_path / "proj"
    project.mkdir()
    # A committed journal naming a path outside, with an unheld lock, and pid 1's group.
    work = project / ".venvkeeper-tmp-evil"
    work.mkdir()
    (work / "lock").touch()
    (work / JOURNAL).write_text(
        json.dumps({"phase": "swapping", "name": "../outside", "pid": 1, "pgid": 1, "old": None, "new": None})
    )
    # A FIFO journal and a FIFO lock: never opened for reading in a way that blocks.
    fifo = project / ".venvkeeper-tmp-fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "lock")
    os.mkfifo(fifo / JOURNAL)
    notes = recover_leftovers([project])
    assert len(notes) == 2
    assert env_label(outside) == "precious"


def _sleeper(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)"], env=env, start_new_session=True
    )


def _alive(proc: subprocess.Popen[bytes], deadline_s: float = 0.0) -> bool:
    deadline = time.monotonic() + deadline_s
    while proc.poll() is None:
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.02)
    return False


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads tools' environments in /proc")
def test_recovery_kills_a_dead_creates_tools_but_never_a_recycled_group(tmp_path: Path) -> None:
    dirs = [tmp_path / "a", tmp_path / "b"]
    for d in dirs:
        d.mkdir()
    recycled, ours = (Transaction.begin(d, ".venv") for d in dirs)
    stranger = _sleeper(dict(os.environ))  # took over a pgid a dead create recorded
    tool = _sleeper({**os.environ, BUILD_ENV_VAR: str(ours.work)})
    try:
        recycled.tool_started(stranger.pid)
        ours.tool_started(tool.pid)
        recycled.release()
        ours.release()
        notes = recover_leftovers(dirs)
        assert [n.resolved for n in notes] == [True, True]
        assert "killed the leftover tools" not in notes[0].message
        assert f"killed the leftover tools (process group {tool.pid})" in notes[1].message
        assert not _alive(tool, deadline_s=10)
        assert _alive(stranger)
    finally:
        for proc in (stranger, tool):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_check_says_what_it_recovered_and_what_it_could_not_remove(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("beta\n")
    dead = Transaction.begin(project, ".venv")
    fake_env(dead.build_dir, "new")
    dead.release()
    live = Transaction.begin(project, ".venv")  # held by this process: a create still running
    try:
        host = Host(environ={}, state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", home=tmp_path)
        main(["check", str(project)], host)
        lines = [
            line.strip()
            for line in capsys.readouterr().out.splitlines()
            if line.strip().startswith(("leftover", "recovered"))
        ]
        assert sorted(lines) == sorted(
            [
                f"recovered: {dead.work.name} — removed the unfinished build of .venv left by a killed create "
                f"(pid {os.getpid()})",
                f"leftover not removed: {live.work.name} — left alone: a create (pid {os.getpid()}) is still using it",
            ]
        )
        main(["check", "--json", str(project)], host)
        (entry,) = json.loads(capsys.readouterr().out)["projects"]
        assert entry["leftovers"] == [
            {
                "path": str(live.work),
                "message": f"left alone: a create (pid {os.getpid()}) is still using it",
                "removed": False,
            }
        ]
    finally:
        live.close()
    assert leftovers_in(project) == []


class FailingRenames:
    """A file system whose renames start failing after the old env was moved aside (EIO)."""

    def __init__(self) -> None:
        self.real = OsSwapOps()
        self.ok = 0

    def rename(self, src: Path, dst: Path) -> None:
        if self.ok == 0:
            raise OSError(5, "Input/output error")
        self.ok -= 1
        self.real.rename(src, dst)

    def exchange(self, a: Path, b: Path) -> bool:
        return False


def test_a_failed_swap_whose_undo_fails_too_never_deletes_the_old_env(tmp_path: Path) -> None:
    target = tmp_path / ".venv"
    fake_env(target, "old")
    ops = FailingRenames()
    ops.ok = 1  # the journal
    txn = Transaction.begin(tmp_path, ".venv", ops=ops)
    fake_env(txn.build_dir, "new")
    ops.ok = 2  # the journal, the old env aside; then the new env's rename and the undo fail
    with pytest.raises(OSError, match="Input/output error"):
        txn.swap(target)
    assert not target.exists()
    txn.close()  # what create_env does on any failure
    assert env_label(target) == "old"
    assert leftovers_in(tmp_path) == []
