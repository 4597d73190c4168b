"""install_bursts: one callback per pip run, waiting for the dist-info pip writes last."""

from __future__ import annotations

import asyncio
from pathlib import Path

from venvkeeper.guards.global_watch import install_bursts


async def test_one_callback_for_a_burst_that_ends_with_a_dist_info() -> None:
    loop = asyncio.get_running_loop()
    site = Path("/site")
    bursts: list[set[Path]] = []
    done = asyncio.Event()

    def on_burst(paths: set[Path]) -> None:
        bursts.append(paths)
        done.set()

    collector = install_bursts(loop, on_burst, lambda: {site})
    for name in ("asgiref", "asgiref-3.7.2.dist-info", "django", "django-4.2.7.dist-info"):
        collector.push(site / name)
        collector.push(site)  # the watched dir's own "modified" event is ignored
    await asyncio.wait_for(done.wait(), 5)
    assert bursts == [
        {site / n for n in ("asgiref", "asgiref-3.7.2.dist-info", "django", "django-4.2.7.dist-info")}
    ]
