"""One slow project never makes another's answer wait (issue 9, item 12).

A valid 1 MB ``pyproject.toml`` with 20k dependencies takes seconds to check. Checks run on worker
threads, so a query about another project is answered while that check is still going on. The test
asserts the order of the answers, never a duration: the big project's re-check is started by a
``venvkeeper/select`` on it (its answer comes only once its check is done), the control project's
interpreter query is sent right after, and must be answered first, while the select is still pending.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from support.envs import make_venv

pytestmark = pytest.mark.asyncio

#: Big enough that its check takes seconds; every entry is satisfied (its marker is false), so the
#: check is all parsing and the diagnostics stay small.
BIG_DEPENDENCIES = 20_000


def big_pyproject(path: Path) -> None:
    deps = "".join(
        f"  \"package-{i}>=1.{i % 97},<{i % 89 + 2} ; python_version < '3'\",\n"
        for i in range(BIG_DEPENDENCIES)
    )
    path.write_text(f'[project]\nname = "big"\nversion = "1.0"\ndependencies = [\n{deps}]\n')
    assert path.stat().st_size > 1_000_000


async def test_a_slow_check_does_not_delay_another_projects_answer(tmp_path, start_server):
    ws = tmp_path / "ws"
    big = ws / "big"
    control = ws / "control"
    big.mkdir(parents=True)
    control.mkdir()
    big_pyproject(big / "pyproject.toml")
    make_venv(big / ".venv")
    (control / "requirements.txt").write_text("")
    make_venv(control / ".venv")
    s = await start_server([ws])
    # Both answered once: the initial sweep has checked both projects.
    assert (await s.request("venvkeeper/interpreter", {"uri": big.as_uri()}))["state"] == "ok"
    assert (await s.request("venvkeeper/interpreter", {"uri": control.as_uri()}))["state"] == "ok"

    # Re-selecting the big project's env invalidates it: its answer waits for a fresh check.
    select = asyncio.ensure_future(
        s.request("venvkeeper/select", {"uri": big.as_uri(), "envPath": str(big / ".venv")})
    )
    control_answer = await s.request("venvkeeper/interpreter", {"uri": (control / "main.py").as_uri()})
    assert control_answer["projectRoot"] == str(control) and control_answer["state"] == "ok"
    assert not select.done(), "the big project's check finished before the control project was answered"

    big_answer = await asyncio.wait_for(select, 120)
    assert big_answer["projectRoot"] == str(big) and big_answer["state"] == "ok"
    # After the check, both answer as before (the cache is consistent).
    assert (await s.request("venvkeeper/interpreter", {"uri": big.as_uri()}))["envPath"] == str(big / ".venv")
