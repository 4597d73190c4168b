"""Each trap alone, checked in-process: an answer (never a stall, never an exception) that says why.

Issue 9 items 5 (FIFOs), 6 (unbounded reads), 7 (non-UTF-8 names) and 11 (bin/python, pyvenv.cfg).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from support import hostile
from support.hostile import MISSING, within_safety_net
from venvkeeper.cli import main
from venvkeeper.creation.offer import should_offer_create
from venvkeeper.creation.plan import default_plan, python_version_file, requires_python
from venvkeeper.host import Host
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore


def check(project: Path, host: Host, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    """``venvkeeper check --json <project>`` in-process, under the safety net."""
    code = within_safety_net(lambda: main(["check", "--json", str(project)], host))
    reports = json.loads(capsys.readouterr().out)["projects"]
    (report,) = [r for r in reports if r["projectRoot"] == str(project)]
    return code, report


def messages(report: dict[str, Any]) -> list[str]:
    return [d["message"] for d in report["diagnostics"]]


def missing_reported(report: dict[str, Any]) -> bool:
    return any(m.startswith(f"{MISSING} is not installed") for m in messages(report))


#: Trap -> what the report must say about it (a diagnostic message fragment).
SOURCE_TRAPS = {
    hostile.requirements_fifo: "requirements.txt is a named pipe (FIFO), not a regular file; it was not read",
    hostile.requirements_zero: "requirements.txt is a character device, not a regular file; it was not read",
    hostile.requirements_sparse: "requirements.txt is 2048.0 MB; venvkeeper reads a requirements file up to 5 MB",
    hostile.pyproject_fifo: "pyproject.toml is a named pipe (FIFO), not a regular file; it was not read",
}


@pytest.mark.parametrize("build", list(SOURCE_TRAPS), ids=lambda b: b.__name__)
def test_a_source_that_is_a_trap_is_a_diagnostic_on_it(build, ws: Path, host: Host, capsys) -> None:  # type: ignore[no-untyped-def]
    project = build(ws)
    _code, report = check(project, host, capsys)
    assert any(SOURCE_TRAPS[build] in m for m in messages(report)), messages(report)


#: Traps inside the env's files: the check still runs to the end (the missing package is reported).
ENV_TRAPS = {
    hostile.activate_fifo: None,
    hostile.direct_url_fifo: None,
    hostile.direct_url_zero: None,
    hostile.metadata_fifo: "odd is not installed",  # its METADATA cannot be read: not a usable dist
    hostile.egg_link_fifo: "legacy is not installed",
    hostile.editable_setup_cfg_sparse: None,
    hostile.externally_managed_fifo: "is externally managed (PEP 668)",  # the marker's presence counts
}


@pytest.mark.parametrize("build", list(ENV_TRAPS), ids=lambda b: b.__name__)
def test_a_trap_in_the_env_does_not_stop_the_check(build, ws: Path, host: Host, capsys) -> None:  # type: ignore[no-untyped-def]
    project = build(ws)
    _code, report = check(project, host, capsys)
    assert report["interpreter"]["state"] == "ok"
    assert missing_reported(report), messages(report)
    expected = ENV_TRAPS[build]
    if expected is not None:
        assert any(expected in m for m in messages(report)), messages(report)


#: Item 11: not an interpreter / not a pyvenv.cfg: the env is broken and says why.
BROKEN_ENV_TRAPS = {
    hostile.python_fifo: "bin/python is a named pipe (FIFO), not an interpreter",
    hostile.python_zero: "bin/python is a character device, not an interpreter",
    hostile.pyvenv_fifo: "pyvenv.cfg is a named pipe (FIFO), not a regular file",
    hostile.pyvenv_zero: "pyvenv.cfg is a character device, not a regular file",
}


@pytest.mark.parametrize("build", list(BROKEN_ENV_TRAPS), ids=lambda b: b.__name__)
def test_an_env_that_is_a_trap_is_broken_with_the_reason(build, ws: Path, host: Host, capsys) -> None:  # type: ignore[no-untyped-def]
    project = build(ws)
    code, report = check(project, host, capsys)
    reason = BROKEN_ENV_TRAPS[build]
    assert code == 1
    assert report["interpreter"]["state"] == "broken" and reason in report["interpreter"]["problem"]
    assert any(m.startswith("The environment") and reason in m for m in messages(report))
    assert within_safety_net(lambda: main(["which", str(project)], host)) == 1
    assert reason in capsys.readouterr().err


@pytest.mark.parametrize(
    "build", [hostile.python_version_fifo, hostile.python_version_zero], ids=lambda b: b.__name__
)
def test_the_create_offer_path_reads_nothing_hostile(build, ws: Path, host: Host) -> None:  # type: ignore[no-untyped-def]
    project = build(ws)
    hostile.zero(project / "pyproject.toml")  # requires-python is read on the same path
    assert within_safety_net(lambda: python_version_file(project)) is None
    assert within_safety_net(lambda: requires_python(project)) is None
    offer = within_safety_net(
        lambda: should_offer_create(project, None, Settings(), StateStore(host.state_dir), set())
    )
    assert offer is not None and offer.plan.label == "requirements.txt"
    # requirements.txt itself a trap: nothing to install, no offer, no stall.
    hostile.fifo(project / "requirements.txt")
    assert within_safety_net(lambda: default_plan(project, Settings(), host)).empty


def test_a_non_utf8_file_name_with_a_finding(ws: Path, host: Host, capsys) -> None:  # type: ignore[no-untyped-def]
    project = hostile.non_utf8_name(ws)
    _code, report = check(project, host, capsys)
    odd = os.fsdecode(project / os.fsdecode(b"requirements-\xff.txt"))
    assert [d["code"] for d in report["diagnostics"] if d["file"] == odd] == ["not-installed"]


def test_a_path_longer_than_the_os_allows(ws: Path, host: Host, capsys) -> None:  # type: ignore[no-untyped-def]
    project = hostile.long_name(ws)
    _code, report = check(project, host, capsys)
    assert any("cannot be read (path longer than the system allows)" in m for m in messages(report))
