"""Bad lock files: one ``lock-invalid`` each, nothing compared, nothing raised (issue 12, "Bad input")."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from venvkeeper.checks import run_checks
from venvkeeper.requirements.lockcheck import lock_findings

from ..conftest import MakeCtx, fake_env

FIXTURES = Path(__file__).parent / "fixtures"


def _uv_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "uv-httpclient", project)
    return project


def _replace(old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def edit(lock: Path) -> None:
        text = lock.read_text()
        assert old in text
        lock.write_text(text.replace(old, new, count))

    return edit


def _fifo(lock: Path) -> None:
    lock.unlink()
    os.mkfifo(lock)


def _dev_zero(lock: Path) -> None:
    lock.unlink()
    lock.symlink_to("/dev/zero")


def _huge(lock: Path) -> None:
    with lock.open("r+b") as fh:  # sparse: 50 MB on paper, nothing on disk
        fh.truncate(50 * 1024 * 1024)


def _duplicate(lock: Path) -> None:
    text = lock.read_text()
    start = text.index('[[package]]\nname = "idna"')
    end = text.index("[[package]]", start + 1)
    lock.write_text(text + "\n" + text[start:end])


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (_fifo, "uv.lock is a named pipe (FIFO)"),
    "dev-zero symlink": (_dev_zero, "uv.lock is a character device"),
    "50 MB": (_huge, "uv.lock is 50.0 MB; venvkeeper reads a lock file up to 32 MB"),
    "duplicate entries": (_duplicate, "uv.lock lists idna 3.20 twice"),
    "unknown version": (_replace("version = 1\n", "version = 7\n"), "uv.lock has version 7"),
    "marker that does not parse": (
        _replace("marker = \"sys_platform == 'win32'\"", 'marker = "sys_platform ==="'),
        "the marker 'sys_platform ===' does not parse",
    ),
    "not TOML": (_replace("[[package]]", "[[package]"), "uv.lock is not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_uv_lock_is_one_lock_invalid(case: str, tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = _uv_project(tmp_path)
    env = fake_env(project / ".venv", "3.11.7")
    edit, expected = CASES[case]
    edit(project / "uv.lock")
    findings = lock_findings(make_ctx(project, env))
    assert [f.code for f in findings] == ["lock-invalid"], findings
    assert expected in findings[0].message
    # The rest of the checks still run.
    assert any(f.code == "not-installed" for f in run_checks(make_ctx(project, env)))


def test_a_pipfile_lock_that_is_not_json(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "pipenv-httpclient", project)
    (project / "Pipfile.lock").write_text("<<<<<<< HEAD\n{}\n")
    findings = lock_findings(make_ctx(project, None))
    assert [(f.code, f.span.line) for f in findings] == [("lock-invalid", 0)]
    assert "Pipfile.lock is not valid JSON" in findings[0].message


def test_an_unknown_poetry_lock_version(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "poetry-local", project)
    lock = project / "poetry.lock"
    lock.write_text(lock.read_text().replace('lock-version = "2.1"', 'lock-version = "3.0"'))
    findings = lock_findings(make_ctx(project, None))
    assert [f.code for f in findings] == ["lock-invalid"]
    assert findings[0].span.line == lock.read_text().splitlines().index('lock-version = "3.0"')
