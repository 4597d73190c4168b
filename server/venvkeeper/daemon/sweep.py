"""The initial sweep's order of work: what start-up does, in which order, and why.

The session (venvkeeper/daemon/session.py) injects how to resync the watches, how to check and publish one
project, and how to run a function on a worker thread; this module decides the order:

1. Watch the dirs near each root before the walk, so a project appearing meanwhile is reported; the
   sweep used to walk the whole workspace a second time, on the event loop, to catch those (issue 14,
   goal 5: it was 0.85 s of a 200-project sweep, and a stall).
2. Walk the roots for projects on a worker thread.
3. Finish or roll back what killed creates left next to the envs, before anything looks at the envs;
   on a worker thread, since removing a leftover env takes a while.
4. Watches first, so that nothing written after a result is published can go unnoticed: the project
   dirs before discovery (an env made meanwhile is reported, and re-checked), the env dirs after it.
5. Then check and publish project by project, discovering once (issue 14, goal 5), yielding to the
   event loop between projects so requests are answered meanwhile. One project's failure never stops
   the sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import Callable, Protocol, TypeVar

from venvkeeper.app import App
from venvkeeper.discovery.projects import find_projects

log = logging.getLogger("venvkeeper")

T = TypeVar("T")

#: Resync the watches: ``(catch_up, envs)`` — route each newly watched dir once; watch env dirs too.
SyncWatches = Callable[[bool, bool], None]
#: Check one project and publish its results.
CheckProject = Callable[[Path], Awaitable[None]]


class InWorker(Protocol):
    """Runs a function on a worker thread."""

    def __call__(self, fn: Callable[[], T], /) -> Awaitable[T]: ...


async def initial_sweep(
    app: App, sync_watches: SyncWatches, check: CheckProject, in_worker: InWorker
) -> None:
    """Find, recover, watch, discover, check and publish every project of ``app.roots`` (see above);
    ``check`` must not raise (it logs a project's failure)."""
    roots = list(app.roots)
    sync_watches(True, True)
    found = await in_worker(lambda: [p for r in roots for p in find_projects(r)])
    app.adopt(found)
    projects = app.projects()
    if await in_worker(lambda: app.recover_leftovers(projects)):
        app.invalidate(projects)
    sync_watches(False, False)
    for project in app.projects():
        try:
            app.discovery(project)
        except Exception:  # one project's failure never stops the sweep (nor the hooks after it)
            log.exception("discovery for %s failed", project)
        await asyncio.sleep(0)
    sync_watches(False, True)
    for project in app.projects():
        await check(project)
    sync_watches(True, True)
    log.info("initial sweep done: %d projects", len(app.projects()))
