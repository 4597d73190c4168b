"""The ``check`` report cache: a hit says exactly what a fresh run says; every kind of input change misses.

Real projects, real venvs (pip installs from a local wheelhouse), a real cache dir in tmp_path. Each
run goes through :func:`venvkeeper.launch.run`, the process entry, which says how the report came:
"replayed" (a hit), "kept" (a miss, now cached), "not kept" (a miss the cache stayed out of) or
"uncached". The racy window is 0 here (inputs are written a moment before the run); its own tests
show the default one at work.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import platformdirs
import pytest

from support.envs import make_venv, pip_install
from support.wheelhouse import Dist, build_wheelhouse
from venvkeeper import launch, reportcache
from venvkeeper.host import Host

SECRET = "s3cr3t-t0ken-value"


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wh"), [Dist("alpha", "1.0"), Dist("beta", "1.0")])


@pytest.fixture(scope="module")
def base_env(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """A venv with alpha installed, copied into each test's project (a venv is cheap to copy)."""
    env = tmp_path_factory.mktemp("base") / ".venv"
    make_venv(env)
    pip_install(env, wheelhouse, ["alpha==1.0"])
    return env


class Runner:
    """``venvkeeper check PROJECT ...`` through the process entry, with its cache and state in tmp_path."""

    def __init__(self, tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.tmp = tmp
        self.capsys = capsys
        self.project = tmp / "ws" / "project"  # a parent of its own: the cache dir is not next to it
        self.cache = tmp / "cache"
        self.environ: dict[str, str] = {"PATH": "", "EXTRA_REQS": "extra-a.txt", "INDEX_TOKEN": SECRET}

    def host(self, environ: Mapping[str, str], clock: Callable[[], float]) -> Host:
        return Host(
            environ=environ,
            wall_clock=clock,
            state_dir=self.tmp / "state",
            cache_dir=self.tmp / "host-cache",
            home=self.tmp / "home",
        )

    def __call__(self, *argv: str, racy_window_s: float = 0.0) -> tuple[int, str, str, str]:
        """Exit status, how the report came, stdout, stderr."""
        status, how = launch.run(
            ["check", str(self.project), *argv],
            self.environ,
            cache_dir=str(self.cache),
            make_host=self.host,
            racy_window_s=racy_window_s,
        )
        out, err = self.capsys.readouterr()
        return status, how, out, err

    def entry(self, *argv: str) -> Path:
        plan = reportcache.plan(["check", str(self.project), *argv], self.environ, str(self.cache))
        assert plan is not None
        return Path(plan.path)


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], base_env: Path) -> Runner:
    runner = Runner(tmp_path, capsys)
    p = runner.project
    p.mkdir(parents=True)
    # alpha is installed, beta is not; the included file is chosen by ${EXTRA_REQS}
    (p / "requirements.txt").write_text(
        "-r base.txt\n-r ${EXTRA_REQS}\n"
        "gamma @ https://user:${INDEX_TOKEN}@example.invalid/gamma-1.0.tar.gz\n"
    )
    (p / "base.txt").write_text("alpha==1.0\n")
    (p / "extra-a.txt").write_text("alpha>=1\n")
    (p / "extra-b.txt").write_text("beta>=1\n")
    shutil.copytree(base_env, p / ".venv", symlinks=True)
    return runner


def fresh(run: Runner, *argv: str) -> tuple[int, str, str]:
    status, how, out, err = run("--no-cache", *argv)
    assert how == "uncached"
    return status, out, err


@pytest.mark.slow
@pytest.mark.parametrize("argv", [(), ("--output-format", "json"), ("--severity-threshold", "warning")])
def test_a_hit_says_exactly_what_a_fresh_run_says(run: Runner, argv: tuple[str, ...]) -> None:
    want = fresh(run, *argv)
    status, how, out, err = run(*argv)
    assert how == "kept" and (status, out, err) == want
    status, how, out, err = run(*argv)
    assert how == "replayed" and (status, out, err) == want
    if argv == ("--severity-threshold", "warning"):
        assert status == 1  # beta is missing: the exit status comes back too


def edit_requirements(run: Runner, wheelhouse: Path) -> None:
    # same size, so only the identity's times tell
    path = run.project / "requirements.txt"
    path.write_text(path.read_text().replace("-r base.txt", "-r base.tXt"))


def edit_included(run: Runner, wheelhouse: Path) -> None:
    (run.project / "base.txt").write_text("alpha==2.0\n")  # same size: alpha 1.0 is installed


def pip_install_beta(run: Runner, wheelhouse: Path) -> None:
    pip_install(run.project / ".venv", wheelhouse, ["beta==1.0"])


def remove_venv(run: Runner, wheelhouse: Path) -> None:
    shutil.rmtree(run.project / ".venv")


def another_venv(run: Runner, wheelhouse: Path) -> None:
    """The .venv goes and a `venv` appears: discovery now chooses another env."""
    (run.project / ".venv").rename(run.project / "venv")


def change_included_by_var(run: Runner, wheelhouse: Path) -> None:
    run.environ["EXTRA_REQS"] = "extra-b.txt"


def change_unexpanded_secret(run: Runner, wheelhouse: Path) -> None:
    run.environ["INDEX_TOKEN"] = SECRET + "2"


def select_venv_by_activating(run: Runner, wheelhouse: Path) -> None:
    make_venv(run.project / "other-env")
    run.environ["VIRTUAL_ENV"] = str(run.project / "other-env")


CHANGES: dict[str, Callable[[Runner, Path], None]] = {
    "edit a requirements file": edit_requirements,
    "edit an included file": edit_included,
    "pip install into the env": pip_install_beta,
    "remove .venv": remove_venv,
    "a new env appears": another_venv,
    "change the variable naming an include": change_included_by_var,
    "change a variable expanded in a URL": change_unexpanded_secret,
    "activate another env (VIRTUAL_ENV)": select_venv_by_activating,
}


@pytest.mark.slow
@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_every_kind_of_input_change_misses(run: Runner, change: str, wheelhouse: Path) -> None:
    for argv in ((), ("--output-format", "json")):
        assert run(*argv)[1] == "kept"
        assert run(*argv)[1] == "replayed"
    CHANGES[change](run, wheelhouse)
    for argv in ((), ("--output-format", "json")):
        want = fresh(run, *argv)
        status, how, out, err = run(*argv)
        assert how == "kept", f"{change}: the kept report was replayed"
        assert (status, out, err) == want


@pytest.mark.slow
def test_a_new_env_where_there_was_none_misses(run: Runner) -> None:
    shutil.rmtree(run.project / ".venv")
    assert run()[1] == "kept"
    _, how, out, _ = run()
    assert how == "replayed" and "environment: none" in out
    make_venv(run.project / ".venv")
    _, how, out, _ = run()
    assert how == "kept" and "environment: none" not in out


@pytest.mark.slow
def test_a_variable_the_run_never_read_does_not_matter(run: Runner) -> None:
    assert run()[1] == "kept"
    run.environ["UNRELATED"] = "1"
    assert run()[1] == "replayed"


@pytest.mark.slow
def test_another_output_format_or_option_is_another_entry(run: Runner) -> None:
    assert run()[1] == "kept"
    assert run("--output-format", "json")[1] == "kept"
    assert run("--select", "not-installed")[1] == "kept"
    assert run()[1] == run("--output-format", "json")[1] == "replayed"


@pytest.mark.slow
def test_no_variable_value_is_kept_in_clear(run: Runner) -> None:
    assert run()[1] == "kept"
    for path in run.cache.iterdir():
        assert SECRET.encode() not in path.read_bytes()
    assert SECRET not in run()[2]  # nor does the report show it


@pytest.mark.slow
def test_turned_off_by_variable_or_flag(run: Runner) -> None:
    run.environ["VENVKEEPER_NO_CACHE"] = "1"
    assert run()[1] == "uncached"
    del run.environ["VENVKEEPER_NO_CACHE"]
    assert run("--no-cache")[1] == "uncached"
    assert not run.cache.exists()


@pytest.mark.slow
def test_inputs_written_just_before_the_run_are_not_trusted(run: Runner) -> None:
    """A write in the same timestamp tick as our read would leave the identity unchanged."""
    assert run(racy_window_s=3600.0)[1] == "not kept"
    assert run()[1] == "kept"


def test_the_racy_window_follows_the_file_systems_timestamps() -> None:
    from venvkeeper.reportrecord import is_racy

    start = 1_800_000_000 * 10**9
    mode, dev, ino, size = 0o100644, 1, 2, 3
    fine = [mode, dev, ino, size, start - 50_000_000 + 7, start - 50_000_000 + 7]  # 50 ms before
    assert is_racy(fine, start)
    older = [mode, dev, ino, size, start - 500_000_000 + 7, start - 500_000_000 + 7]  # 0.5 s before
    assert not is_racy(older, start)
    whole = [mode, dev, ino, size, start - 10**9, start - 10**9]  # whole seconds: FAT, HFS+, ext3
    assert is_racy(whole, start)
    assert not is_racy([mode, dev, ino, size, start - 3 * 10**9, start - 3 * 10**9], start)
    assert not is_racy([-1, 2], start)  # a missing file
    assert is_racy(older, start, window_s=3600.0) and not is_racy(fine, start, window_s=0.0)


def hostile_entries(entry: Path) -> dict[str, Callable[[], None]]:
    def corrupt() -> None:
        entry.write_text('{"format": 1, "key": "')

    def foreign() -> None:
        data = json.loads(entry.read_text())
        data["status"] = "0"
        entry.write_text(json.dumps(data))

    def huge() -> None:
        with entry.open("r+b") as fh:
            fh.truncate(reportcache.MAX_ENTRY_BYTES + 1)

    def fifo() -> None:
        entry.unlink()
        os.mkfifo(entry)

    def endless() -> None:
        entry.unlink()
        entry.symlink_to("/dev/zero")

    return {"corrupt": corrupt, "foreign": foreign, "huge": huge, "fifo": fifo, "endless": endless}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["corrupt", "foreign", "huge", "fifo", "endless"])
def test_a_hostile_entry_is_a_miss_never_a_stall(run: Runner, kind: str) -> None:
    if kind == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    want = fresh(run)
    assert run()[1] == "kept"
    hostile_entries(run.entry())[kind]()
    result: list[tuple[int, str, str, str]] = []
    worker = threading.Thread(target=lambda: result.append(run()), daemon=True)
    worker.start()
    worker.join(timeout=120)  # a safety net only: a FIFO would block forever without O_NONBLOCK
    assert result, "the run stalled on a hostile cache entry"
    status, how, out, err = result[0]
    assert how == "kept" and (status, out, err) == want
    assert run()[1] == "replayed"  # the hostile entry was replaced by a good one


@pytest.mark.slow
def test_a_bad_salt_is_a_miss(run: Runner) -> None:
    assert run()[1] == "kept"
    (run.cache / reportcache.SALT_FILE).write_bytes(b"short")
    assert run()[1] == "kept"
    assert run()[1] == "replayed"


def test_the_cache_stays_bounded(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    for i in range(reportcache.MAX_ENTRIES + 10):
        (cache / f"{reportcache.ENTRY_PREFIX}{i:04d}.json").write_text("{}")
        os.utime(cache / f"{reportcache.ENTRY_PREFIX}{i:04d}.json", ns=(i * 10**9, i * 10**9))
    stale = cache / f"{reportcache.TEMP_PREFIX}crashed"
    stale.write_text("half")
    os.utime(stale, (0, 0))
    keep = str(cache / f"{reportcache.ENTRY_PREFIX}0000.json")
    reportcache.prune(str(cache), keep=keep)
    names = sorted(p.name for p in cache.iterdir())
    assert len(names) == reportcache.MAX_ENTRIES
    assert os.path.basename(keep) in names  # the one just written stays, however old it looks
    assert f"{reportcache.ENTRY_PREFIX}{reportcache.MAX_ENTRIES + 9:04d}.json" in names  # newest stay
    assert stale.name not in names


def test_the_default_cache_dir_is_platformdirs_one() -> None:
    assert reportcache.default_cache_dir(os.environ) == platformdirs.user_cache_dir(
        "venvkeeper", appauthor=False
    )


def test_a_run_with_side_effects_is_not_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from venvkeeper import reportrecord

    plan = reportcache.plan(["check", str(tmp_path)], {}, str(tmp_path / "cache"))
    assert plan is not None

    def writes(environ: Mapping[str, str], clock: Callable[[], float]) -> int:
        (tmp_path / "written").write_text("x")
        return 0

    def reads_the_clock(environ: Mapping[str, str], clock: Callable[[], float]) -> int:
        clock()
        return 0

    for fn, why in ((writes, "opened for writing"), (reads_the_clock, "clock")):
        status, recorder = reportrecord.run_recorded(plan, fn, 0.0)
        assert status == 0 and any(why in d for d in recorder.doubts), recorder.doubts
    assert not (tmp_path / "cache").exists()


@pytest.mark.slow
def test_a_hit_imports_nothing_but_the_replay(run: Runner, tmp_path: Path) -> None:
    """The warm path decides with the standard library: no packaging, no checks, no discovery."""
    env = {**run.environ, "PYTHONPATH": os.pathsep.join(sys.path), "VENVKEEPER_CACHE_DIR": str(run.cache)}
    code = (
        "import sys; from venvkeeper import launch; st = launch.main(sys.argv[1:]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('venvkeeper', 'packaging')), "
        "file=sys.stderr); sys.exit(st)"
    )
    prime = (
        "import os, sys; from venvkeeper import launch; launch.run(sys.argv[1:], os.environ, racy_window_s=0)"
    )
    argv = ["check", str(run.project), "--output-format", "json"]
    subprocess.run(
        [sys.executable, "-c", prime, *argv], env=env, capture_output=True, check=True, timeout=300
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.stderr.strip() == str(["venvkeeper", "venvkeeper.launch", "venvkeeper.reportcache"])
    assert json.loads(done.stdout)["projects"]


STRACED_RUN = """
import json, os, sys
from venvkeeper import launch, reportrecord
from venvkeeper import cli, host  # imported before the marker: the import system's reads are not inputs
plan = launch.reportcache.plan(sys.argv[1:], os.environ)
os.path.exists("/venvkeeper-oracle-start")
status, recorder = reportrecord.run_recorded(
    plan, lambda env, clock: cli.main(sys.argv[1:], host.Host(environ=env, wall_clock=clock)), 0.0
)
os.path.exists("/venvkeeper-oracle-end")
print(json.dumps({"doubts": recorder.doubts, "inputs": sorted(recorder.seen)}), file=sys.stderr)
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is the oracle; not installed")
def test_every_path_the_run_touched_is_an_input(run: Runner, tmp_path: Path) -> None:
    """strace is the oracle: each path a syscall of the cold run named is an input, the parent dir of
    one (a file appearing or vanishing there changes the parent's mtime), or an ancestor of one
    (``realpath``'s walk; replacing an ancestor replaces the identity of everything below it)."""
    trace = tmp_path / "trace"
    env = {**run.environ, "PYTHONPATH": os.pathsep.join(sys.path), "HOME": str(tmp_path / "home")}
    env["VENVKEEPER_CACHE_DIR"] = str(run.cache)
    argv = ["check", str(run.project), "--output-format", "json"]
    done = subprocess.run(
        [
            str(shutil.which("strace")),
            "-f",
            "-qq",
            "-e",
            "trace=%file",
            "-o",
            str(trace),
            sys.executable,
            "-c",
            STRACED_RUN,
            *argv,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0 and "ptrace" in done.stderr:
        pytest.skip(f"strace cannot trace here: {done.stderr.strip()[:200]}")
    recorded = json.loads(done.stderr.strip().splitlines()[-1])
    assert recorded["doubts"] == []
    inputs = set(recorded["inputs"])
    ancestors = {str(a) for p in inputs for a in Path(p).parents}
    text = trace.read_text()
    during = text[text.index("/venvkeeper-oracle-start") : text.index("/venvkeeper-oracle-end")]
    touched = set(re.findall(r'^\d+\s+\w+\((?:AT_FDCWD, )?"(/[^"]*)"', during, re.MULTILINE))
    # the import system's reads (modules are noted by file at the end) and the cache's own writes
    imports = re.compile(r"\.(py|pyc|so|pth)$|__pycache__")
    touched = {p for p in touched if p not in sys.path and not p.startswith(str(run.cache))}
    missed = sorted(
        p
        for p in touched
        if not imports.search(p)
        and p not in inputs
        and os.path.dirname(p) not in inputs
        and p not in ancestors
    )
    assert missed == [], f"paths the run looked at that the recorder did not note: {missed}"


@pytest.mark.slow
def test_a_replay_into_a_closed_pipe_fails_as_the_fresh_run_does(run: Runner) -> None:
    """Exit 2 and one line on stderr, never a traceback — whether the report is fresh or replayed."""
    env = {**run.environ, "PYTHONPATH": os.pathsep.join(sys.path), "VENVKEEPER_CACHE_DIR": str(run.cache)}
    how = run.tmp / "how"
    code = (
        "import os, sys; from venvkeeper import launch; st, how = launch.run(sys.argv[1:], os.environ); "
        f"open({str(how)!r}, 'w').write(how); sys.exit(st)"
    )
    prime = (
        "import os, sys; from venvkeeper import launch; launch.run(sys.argv[1:], os.environ, racy_window_s=0)"
    )
    argv = ["check", str(run.project)]
    subprocess.run(
        [sys.executable, "-c", prime, *argv], env=env, capture_output=True, check=True, timeout=300
    )

    def into_closed_pipe(*extra: str) -> tuple[int, str]:
        read_end, write_end = os.pipe()
        os.close(read_end)  # before the child starts: its write meets EPIPE whatever the timing
        try:
            done = subprocess.run(
                [sys.executable, "-c", code, *argv, *extra],
                env=env,
                stdout=write_end,
                stderr=subprocess.PIPE,
                text=True,
                timeout=300,
            )
        finally:
            os.close(write_end)
        return done.returncode, done.stderr

    replayed = into_closed_pipe()
    assert how.read_text() == "replayed"
    fresh_run = into_closed_pipe("--no-cache")
    assert replayed == fresh_run
    assert replayed[0] == 2 and replayed[1].count("\n") == 1 and "Broken pipe" in replayed[1]
