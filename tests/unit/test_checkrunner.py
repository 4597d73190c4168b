"""Checks off the event loop: a result an invalidation overtook is dropped, one check per project at a time."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from support.envs import make_venv
from venvkeeper.app import App
from venvkeeper.daemon.checkrunner import CheckRunner
from venvkeeper.host import Host
from venvkeeper.settings import Settings

T = TypeVar("T")


class GatedExecutor(ThreadPoolExecutor):
    """Runs jobs on real threads, each only once the test opens the gate (a check "in progress")."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.gate = threading.Event()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        def gated() -> T:
            self.gate.wait(60)
            return fn(*args, **kwargs)

        return super().submit(gated)


def _app(tmp_path: Path) -> tuple[App, Path]:
    host = Host(environ={}, state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", home=tmp_path)
    project = tmp_path / "ws" / "app"
    project.mkdir(parents=True)
    (project / "requirements.txt").write_text("alpha\n")
    make_venv(project / ".venv")
    app = App(host=host, settings=Settings())
    app.set_roots([tmp_path / "ws"])
    return app, project


def test_a_check_overtaken_by_an_invalidation_is_dropped(tmp_path: Path) -> None:
    app, project = _app(tmp_path)
    stale = app.check_job(project)
    app.invalidate([project])  # e.g. requirements.txt saved while the check ran
    (project / "requirements.txt").write_text("alpha\nbeta\n")
    assert app.apply_check(stale, stale.run()) is False
    assert app.needs_check(project)
    fresh = app.check_job(project)
    assert app.apply_check(fresh, fresh.run()) is True
    assert not app.needs_check(project)
    missing = [f for f in app.findings(project) if f.code == "not-installed"]
    assert [f.span.line for f in missing] == [0, 1]  # beta, added after the stale check began, is there


def test_runner_checks_each_project_once_and_applies_on_the_loop(tmp_path: Path) -> None:
    app, project = _app(tmp_path)
    runs: list[Path] = []
    check_job = app.check_job

    def counting_job(p: Path):  # type: ignore[no-untyped-def]
        runs.append(p)
        return check_job(p)

    app.check_job = counting_job  # type: ignore[method-assign]

    async def scenario() -> None:
        executor = GatedExecutor()
        runner = CheckRunner(app, executor)
        # Five waiters for the same project share one check.
        waiters = asyncio.gather(*(runner.ensure([project]) for _ in range(5)))
        while not runs:
            await asyncio.sleep(0)
        executor.gate.set()
        await waiters
        assert runs == [project] and not app.needs_check(project)
        assert not runner.running(project)
        # Invalidated while its check runs: the waiter gets the findings of the newer state.
        executor.gate.clear()
        app.invalidate([project])
        waiter = asyncio.ensure_future(runner.ensure([project]))
        while len(runs) < 2:  # its job is taken (state snapshot), and held at the gate
            await asyncio.sleep(0)
        app.invalidate([project])
        assert app.needs_check(project)
        executor.gate.set()
        await waiter
        assert runs == [project, project, project] and not app.needs_check(project)
        executor.shutdown()

    asyncio.run(scenario())
