"""call_each: every hook runs; one's failure is logged and never stops the others."""

from __future__ import annotations

import logging

import pytest

from venvkeeper.daemon.hooks import call_each


def test_a_failing_hook_is_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []

    def fails(n: int) -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="venvkeeper"):
        call_each([seen.append, fails, lambda n: seen.append(n * 2)], "after-refresh", 3)
    assert seen == [3, 6]
    assert [r.getMessage() for r in caplog.records] == ["after-refresh hook failed"]
