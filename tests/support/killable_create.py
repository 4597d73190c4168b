"""Run one real create in this process and stop forever before step k of its swap, so a test can SIGKILL
it exactly there: ``python killable_create.py CONFIG.json``.

CONFIG holds ``project``, ``python`` (the base), ``requirements``, ``index_options``, ``tool_env``,
``state_dir``, ``cache_dir``, ``step`` (which swap step to stop before; counted from the write of the
``swapping`` journal), ``exchange`` (false: act as a file system without an atomic exchange) and
``marker`` (written when stopped: the test waits for it, then kills).
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from venvkeeper.creation.create import CreateRequest, create_env
from venvkeeper.creation.interpreters import identify
from venvkeeper.creation.journal import JOURNAL, OsSwapOps
from venvkeeper.creation.plan import InstallPlan
from venvkeeper.host import Host


class StopBefore:
    def __init__(self, step: int, exchange: bool, marker: Path) -> None:
        self.real = OsSwapOps()
        self.step = step
        self.can_exchange = exchange
        self.marker = marker
        self.count: int | None = None

    def _step(self, what: str) -> None:
        if self.count is None:
            return
        if self.count == self.step:
            self.marker.write_text(what)
            while True:
                signal.pause()  # until the test's SIGKILL
        self.count += 1

    def rename(self, src: Path, dst: Path) -> None:
        if dst.name == JOURNAL and json.loads(src.read_text())["phase"] == "swapping":
            self.count = 0  # the swap starts with this journal write
        self._step(f"rename {src} {dst}")
        self.real.rename(src, dst)

    def exchange(self, a: Path, b: Path) -> bool:
        if not self.can_exchange:
            return False
        self._step(f"exchange {a} {b}")
        return self.real.exchange(a, b)


def main() -> None:
    cfg = json.loads(Path(sys.argv[1]).read_text())
    base = identify(Path(cfg["python"]), "test")
    assert base is not None
    host = Host(state_dir=Path(cfg["state_dir"]), cache_dir=Path(cfg["cache_dir"]))
    create_env(
        CreateRequest(
            Path(cfg["project"]),
            backend="venv",
            replace=True,
            plan=InstallPlan(requirements=tuple(cfg["requirements"])),
            index_options=tuple(cfg["index_options"]),
            tool_env=cfg["tool_env"],
        ),
        host=host,
        interpreters=[base],
        swap_ops=StopBefore(cfg["step"], cfg["exchange"], Path(cfg["marker"])),
    )


if __name__ == "__main__":
    main()
