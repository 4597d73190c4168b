"""The initial sweep's order of work without a server: watch, walk, recover, watch, discover, check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Callable, TypeVar

from venvkeeper.app import App
from venvkeeper.daemon.sweep import initial_sweep
from venvkeeper.host import Host
from venvkeeper.settings import Settings

T = TypeVar("T")


def test_watches_come_before_the_walk_and_the_checks_one_project_at_a_time(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    for name in ("api", "web"):
        (ws / name).mkdir(parents=True)
        (ws / name / "requirements.txt").write_text("alpha\n")
    host = Host(environ={}, state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", home=tmp_path)
    app = App(host=host, settings=Settings())
    app.set_roots([ws], scan=False)
    events: list[tuple[object, ...]] = []

    def sync_watches(catch_up: bool, envs: bool) -> None:
        events.append(("watch", catch_up, envs, len(app.projects())))

    async def check(project: Path) -> None:
        events.append(("check", project.name))

    async def run() -> None:
        loop = asyncio.get_running_loop()

        def in_worker(fn: Callable[[], T]) -> Awaitable[T]:
            events.append(("worker",))
            return loop.run_in_executor(None, fn)

        await initial_sweep(app, sync_watches, check, in_worker)

    asyncio.run(run())
    assert events == [
        ("watch", True, True, 0),  # the roots' dirs, before the walk
        ("worker",),  # the walk
        ("worker",),  # leftovers of killed creates
        ("watch", False, False, 2),  # project dirs, before discovery
        ("watch", False, True, 2),  # env dirs, after it
        ("check", "api"),
        ("check", "web"),
        ("watch", True, True, 2),
    ]
