"""Project checks run on worker threads, so one slow project never makes another's answer wait.

A 1 MB ``pyproject.toml`` with 20k dependencies takes seconds to check; run on the event loop it
held every request (issue 9, item 12). :class:`CheckRunner` runs each check as an
:class:`~venvkeeper.app.CheckJob` in a thread pool, at most one at a time per project, and applies the
result on the loop, where the App lives. A result that an invalidation overtook is dropped and the
project checked again, so the newest state always wins.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import Optional

from venvkeeper.app import App

log = logging.getLogger("venvkeeper")

#: A check slower than this is logged with its duration (the log tells which project is slow).
_SLOW_CHECK_S = 0.5


class CheckRunner:
    def __init__(self, app: App, executor: Optional[Executor] = None) -> None:
        self.app = app
        #: None: the loop's default thread pool.
        self.executor = executor
        self._running: dict[Path, asyncio.Future[None]] = {}

    def running(self, project: Path) -> bool:
        return project in self._running

    async def ensure(self, projects: Iterable[Path]) -> None:
        """Return once every one of ``projects`` has findings for its current state."""
        await asyncio.gather(*(self._ensure_one(p) for p in dict.fromkeys(projects)))

    async def _ensure_one(self, project: Path) -> None:
        while self.app.needs_check(project):
            job = self._running.get(project)
            if job is None:
                job = asyncio.ensure_future(self._check(project))
                self._running[project] = job
            # Shielded: a cancelled waiter (a cancelled request) must not cancel a check others await.
            await asyncio.shield(job)

    async def _check(self, project: Path) -> None:
        try:
            job = self.app.check_job(project)
            log.debug("checking %s", project)
            started = time.perf_counter()
            loop = asyncio.get_running_loop()
            findings = await loop.run_in_executor(self.executor, job.run)
            elapsed = time.perf_counter() - started
            if elapsed > _SLOW_CHECK_S:
                log.info("checked %s in %.1f s (off the event loop)", project, elapsed)
            if not self.app.apply_check(job, findings):
                log.debug("dropped a stale check of %s: it changed meanwhile", project)
        finally:
            self._running.pop(project, None)
