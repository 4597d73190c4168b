"""The ``venvkeeper`` process entry: a kept ``check`` report is replayed before anything heavy is imported.

``main`` decides with the standard library only (:mod:`venvkeeper.reportcache`) whether the report this
command line made last time still holds; only on a miss does it import the CLI (``packaging``, the
checks, discovery) and run it, under a recorder that keeps the fresh report
(:mod:`venvkeeper.reportrecord`). Every other subcommand goes straight to :func:`venvkeeper.cli.main`.
"""

from __future__ import annotations

import os
import sys

from venvkeeper import reportcache

#: ``typing`` costs ~6 ms to import; type checkers read this name as ``typing.TYPE_CHECKING``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Callable, Optional

    from venvkeeper.host import Host

    HostFactory = Callable[[Mapping[str, str], Callable[[], float]], Host]


def main(argv: Optional[Sequence[str]] = None) -> int:
    return run(list(sys.argv[1:] if argv is None else argv), os.environ)[0]


def run(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    cache_dir: Optional[str] = None,
    make_host: Optional[HostFactory] = None,
    racy_window_s: Optional[float] = None,
) -> tuple[int, str]:
    """Exit status and how the report came: "replayed", "kept", "not kept" (a miss) or "uncached".

    ``make_host(environ, wall_clock)`` builds the Host of a cold run (tests put its state dir in a
    tmp dir); by default the process's own, reading ``environ``.
    """
    plan = reportcache.plan(argv, environ, cache_dir)
    if plan is not None:
        status = plan.replay(sys.stdout, sys.stderr)
        if status is not None:
            return status, "replayed"
    import time

    from venvkeeper import cli
    from venvkeeper.host import Host

    if plan is None:
        return cli.main(argv, make_host(environ, time.time) if make_host else None), "uncached"
    from venvkeeper import reportrecord

    def cold(env: Mapping[str, str], clock: Callable[[], float]) -> int:
        host = make_host(env, clock) if make_host else Host(environ=env, wall_clock=clock)
        return cli.main(argv, host)

    status, recorder = reportrecord.run_recorded(plan, cold, racy_window_s)
    return status, "not kept" if recorder.doubts else "kept"
