"""Run ``venvkeeper serve`` with one bench-only probe: each project re-checked by ``App.refresh`` is
written to stderr as ``VKPROBE refresh <monotonic> <project>``.

Used by bench_scale.py for the server under test *and* for the baseline revision, so both are counted
the same way (the baseline predates the daemon's own debug log of re-check passes).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional

from venvkeeper import app as app_module
from venvkeeper.cli import main

_original = app_module.App.refresh


def _probed(self: Any, projects: Optional[Iterable[Path]] = None) -> Any:
    targets = list(projects) if projects is not None else list(self.projects())
    now = time.monotonic()
    for project in targets:
        sys.stderr.write(f"VKPROBE refresh {now:.6f} {project}\n")
    sys.stderr.flush()
    return _original(self, targets)


app_module.App.refresh = _probed  # type: ignore[method-assign]

if __name__ == "__main__":
    raise SystemExit(main(["serve", *sys.argv[1:]]))
