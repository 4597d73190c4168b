"""The operation runner without a server: progress begun and always ended, cancel from the editor's
progress, a failure as its decisive line, one operation per project."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from tests.support.recording_client import RecordingClient
from venvkeeper.creation.commands import Operation
from venvkeeper.creation.create import ProgressStep
from venvkeeper.creation.runner import CancelToken, CommandFailed
from venvkeeper.daemon.operations import OperationCancelled, OperationFailed, Operations
from venvkeeper.errors import Refused


def test_success_reports_steps_and_ends_with_the_summary(tmp_path: Path) -> None:
    client = RecordingClient()
    ops = Operations(client, iter([0.0, 2.0]).__next__)

    def work(progress: object, cancel: object) -> str:
        assert callable(progress)
        progress(ProgressStep("installing", 50))
        return "done-result"

    op = Operation("Creating", work, lambda result, seconds: f"{result} in {seconds:.0f} s")

    async def run() -> str:
        result = await ops.run(tmp_path, op)
        await asyncio.sleep(0)  # the step was handed to the loop from the worker thread
        return result

    assert asyncio.run(run()) == "done-result"
    [shown] = client.progress
    assert (shown.title, shown.steps, shown.ended) == ("Creating", ["installing"], ["done-result in 2 s"])
    assert ops.running == {}


def test_cancelling_the_progress_cancels_the_work_and_ends_it_once(tmp_path: Path) -> None:
    client = RecordingClient()
    ops = Operations(client, lambda: 0.0)
    started = threading.Event()

    def work(progress: object, cancel: object) -> None:
        started.set()
        assert isinstance(cancel, CancelToken)
        assert cancel.wait(60), "the cancel never reached the worker"
        cancel.raise_if_cancelled()

    async def run() -> None:
        task = asyncio.ensure_future(ops.run(tmp_path, Operation("Syncing", work)))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 60)
        client.progress[0].cancel()  # the user pressed Cancel on the editor's progress
        with pytest.raises(OperationCancelled, match="Syncing was cancelled; nothing was changed"):
            await task

    asyncio.run(run())
    assert client.progress[0].ended == ["cancelled; nothing was changed"]


def test_a_failed_tool_is_its_decisive_line_and_may_be_retried(tmp_path: Path) -> None:
    client = RecordingClient()
    ops = Operations(client, lambda: 0.0)

    def work(progress: object, cancel: object) -> None:
        raise CommandFailed(
            "pip install", 1, ["Collecting nope", "ERROR: No matching distribution found for nope"]
        )

    with pytest.raises(OperationFailed) as failed:
        asyncio.run(ops.run(tmp_path, Operation("Installing", work)))
    assert "No matching distribution found for nope" in failed.value.message
    assert failed.value.error.retry
    assert client.progress[0].ended == [None]


def test_one_operation_per_project(tmp_path: Path) -> None:
    client = RecordingClient()
    ops = Operations(client, lambda: 0.0)
    release = threading.Event()

    async def run() -> None:
        first = asyncio.ensure_future(ops.run(tmp_path, Operation("A", lambda p, c: release.wait(60))))
        while not client.progress:
            await asyncio.sleep(0)
        with pytest.raises(Refused, match="already running"):
            await ops.run(tmp_path, Operation("B", lambda p, c: None))
        release.set()
        await first

    asyncio.run(run())
    assert [p.title for p in client.progress] == ["A"]
