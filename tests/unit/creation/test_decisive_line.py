"""The one line of a failed pip/uv run that says why (runner.decisive_line), on real tool output.

The fixtures are what pip 23.2, pip 26.3 and uv 0.13 printed (paths shortened) for three failures made
from a local wheelhouse: ``failpkg`` (an sdist whose in-tree backend raises while building), ``buildfail``
(metadata fine, ``build_wheel`` fails like a missing ``Python.h``) and ``nopkg`` (not in the index); and
what the project's tools printed when a lock sync failed (``pdm-``, ``pipenv-``, ``poetry-``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from venvkeeper.creation.runner import CommandFailed, decisive_line, run_subprocess

FIXTURES = Path(__file__).parent / "fixtures" / "tool_failures"

EXPECTED = {
    "pip23-failpkg": "failpkg-1.0 failed to build: RuntimeError: failpkg needs a C compiler for Python 3.13",
    "pip26-failpkg": "failpkg-1.0 failed to build: RuntimeError: failpkg needs a C compiler for Python 3.13",
    "uv-failpkg": "failpkg==1.0 failed to build: RuntimeError: failpkg needs a C compiler for Python 3.13",
    "pip23-buildfail": "buildfail failed to build: _buildfail.c:1:10: fatal error: Python.h: No such file or directory",
    "pip26-buildfail": "buildfail failed to build: _buildfail.c:1:10: fatal error: Python.h: No such file or directory",
    "uv-buildfail": "buildfail==1.0 failed to build: _buildfail.c:1:10: fatal error: Python.h: No such file or directory",
    "pip23-nopkg": "No matching distribution found for nopkg==1.0",
    "pip26-nopkg": "No matching distribution found for nopkg==1.0",
    "uv-nopkg": "No solution found when resolving dependencies: Because nopkg was not found in the provided "
    "package locations and you require nopkg==1.0, we can conclude that your requirements are unsatisfiable.",
    # The project's own tools syncing a lock (creation/locksync.py): PDM 2.29.4 and Pipenv 2026.10.3 with
    # a lock pinning a version the index lacks, Poetry 2.5.1 with a lock older than pyproject.toml.
    "pdm-nopkg": "Some package operations failed.",
    "pipenv-nopkg": "Couldn't install package(s): alpha==9.9",
    "poetry-outdated": "pyproject.toml changed significantly since poetry.lock was last generated. Run `poetry "
    "lock` to fix the lock file.",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_decisive_line_of_real_failures(name: str) -> None:
    lines = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    assert decisive_line(lines) == EXPECTED[name]


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.txt")) == sorted(EXPECTED)


def test_no_output_and_unknown_output() -> None:
    assert decisive_line([]) == "no output"
    assert decisive_line(["something odd", "  last words  "]) == "last words"
    assert decisive_line(["ERROR: " + "x" * 500]).endswith("…")
    assert len(decisive_line(["ERROR: " + "x" * 500])) == 300


def test_command_failed_keeps_the_whole_output_and_says_one_line() -> None:
    code = "import sys\nfor i in range(30): print('line', i)\nprint('ERROR: the real reason')\nsys.exit(3)"
    result = run_subprocess([sys.executable, "-c", code])
    assert len(result.output) == 31 and len(result.tail) == 20
    exc = CommandFailed("pip install", result.returncode, result.tail, result.output)
    assert exc.decisive == "the real reason"
    assert str(exc) == "pip install failed (exit code 3): the real reason"
    assert exc.output[0] == "line 0"
