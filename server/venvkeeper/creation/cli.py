"""``venvkeeper create [PATH]``: the same creation as the editor's, with a progress bar on stderr.

Ctrl-C cancels: the tool's process group is killed and nothing half-made is left (exit code 130).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from venvkeeper.discovery.projects import nearest_project
from venvkeeper.host import Host
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore

if TYPE_CHECKING:
    from venvkeeper.creation.create import CreateResult, ProgressStep
    from venvkeeper.creation.plan import InstallPlan

BAR_WIDTH = 24


class ProgressBar:
    """``[#########...............]  38% installing 3 packages`` redrawn in place on a terminal; one line
    per step when stderr is a file or pipe (logs stay readable)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.percentage = 0
        self._drawn = False

    def __call__(self, step: ProgressStep) -> None:
        if step.percentage is not None:
            self.percentage = max(self.percentage, step.percentage)
        filled = BAR_WIDTH * self.percentage // 100
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.percentage:3d}% {step.message}"
        if self.tty:
            width = shutil.get_terminal_size((80, 20)).columns
            self.stream.write("\r" + line[: width - 1].ljust(width - 1))
            self._drawn = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def _plan(args: argparse.Namespace, project: Path, settings: Settings, host: Host) -> InstallPlan | None:
    """``-r FILE`` (a requirements file or pyproject.toml) or ``--extra``/``--group``: read as the check
    reads them; None = the default (every source of the project)."""
    from venvkeeper.creation.plan import requested_plan

    if args.requirement:
        return requested_plan(project, settings, host, [Path(f).resolve() for f in args.requirement])
    if args.extra or args.group:
        # Exactly what was named: "--group dev" alone installs no extras.
        return requested_plan(project, settings, host, extras=tuple(args.extra), groups=tuple(args.group))
    return None


def _index_options(args: argparse.Namespace) -> tuple[str, ...]:
    opts: list[str] = []
    if args.no_index:
        opts.append("--no-index")
    if args.index_url:
        opts += ["--index-url", args.index_url]
    for link in args.find_links:
        opts += ["--find-links", link]
    return tuple(opts)


def cmd_create(args: argparse.Namespace, host: Host) -> int:
    # Imported here, not at the top: every `venvkeeper` command builds this subcommand's parser, and
    # the creation machinery is ~40% of the CLI's import time (`venvkeeper check` in a pre-commit hook).
    from venvkeeper.creation.backends import BackendUnavailable
    from venvkeeper.creation.create import (
        CreateError,
        CreateRequest,
        create_env,
        default_env_path,
        recreate_env,
        sync_env_from_lock,
    )
    from venvkeeper.creation.interpreters import NoSuitablePython
    from venvkeeper.creation.journal import recover_leftovers
    from venvkeeper.creation.locksync import plan_lock_sync, usable
    from venvkeeper.creation.runner import Cancelled, CancelToken, CommandFailed

    path = Path(os.path.abspath(args.path))
    project = nearest_project(path, [Path(path.anchor or "/")]) if not args.here else path
    if project is None:
        print(
            f"venvkeeper: {path} is not inside a Python project (no pyproject.toml, requirements*.txt, "
            "setup.py, setup.cfg or Pipfile above it); use --here to create one anyway",
            file=sys.stderr,
        )
        return 2
    settings = Settings()
    plan = _plan(args, project, settings, host)
    # A project with a lock is made from it (its own tool, or pip from the pins) unless told otherwise.
    lock_sync = (
        plan_lock_sync(project, host, args.uv, [Path(sys.executable).parent])
        if plan is None and not args.recreate and not args.no_lock
        else None
    )
    if not args.sync:
        lock_sync = usable(lock_sync)  # a lock that does not parse: create from the sources
    if args.sync and lock_sync is None:
        print(f"venvkeeper: {project} has no lock file to sync with", file=sys.stderr)
        return 2
    request = CreateRequest(
        project,
        env_path=Path(args.env).resolve() if args.env else None,
        python=args.python,
        backend=args.backend,
        uv_path=args.uv,
        plan=plan,
        extras=settings.extras,
        groups=settings.dependency_groups,
        index_options=_index_options(args),
        lock_sync=lock_sync,
    )
    # What killed creates left next to the env is finished or rolled back first, and said once each.
    env_parent = (request.env_path or default_env_path(project)).parent
    for note in recover_leftovers([env_parent], now=host.wall_clock):
        print(f"venvkeeper: {note}", file=sys.stderr)
    bar = ProgressBar(sys.stderr)
    cancel = CancelToken()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            if args.recreate:
                outcome["result"] = recreate_env(request, host=host, progress=bar, cancel=cancel)
            elif args.sync and lock_sync is not None:
                outcome["result"] = sync_env_from_lock(
                    request,
                    lock_sync,
                    host=host,
                    progress=bar,
                    cancel=cancel,
                    state=StateStore(host.state_dir),
                )
            else:
                outcome["result"] = create_env(
                    request, host=host, progress=bar, cancel=cancel, state=StateStore(host.state_dir)
                )
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="venvkeeper-create")
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)  # wake up regularly so Ctrl-C is seen on the main thread
    except KeyboardInterrupt:
        cancel.cancel()
        worker.join()
    bar.finish()
    error = outcome.get("error")
    if isinstance(error, Cancelled) or (error is None and cancel.cancelled and "result" not in outcome):
        print("venvkeeper: cancelled; nothing was changed", file=sys.stderr)
        return 130
    if isinstance(error, (CommandFailed, CreateError, NoSuitablePython, BackendUnavailable, OSError)):
        print(f"venvkeeper: {error}", file=sys.stderr)
        return 1
    if error is not None:
        raise error
    result: CreateResult = outcome["result"]
    verb = "recreated" if result.replaced else "created"
    print(f"{verb} {result.env_path} with the {result.backend} backend; {result.choice.reason}")
    if not result.plan.empty:
        print(f"installed {result.plan.label}")
    return 0


def add_create_command(sub: Any) -> None:
    """Register ``create`` on the ``venvkeeper`` command line (see venvkeeper.cli.EXTRA_SUBCOMMANDS)."""
    p = sub.add_parser("create", help="create the project's env (atomic), then install its requirements")
    p.add_argument("path", nargs="?", default=".", help="a file or folder in the project (default: .)")
    p.add_argument("--python", help='base interpreter: a version ("3.12", "3.12.1", "3.13t") or a path')
    p.add_argument("--backend", choices=["auto", "venv", "uv"], default="auto")
    p.add_argument("--uv", metavar="PATH", help="the uv executable to use")
    p.add_argument("--env", metavar="DIR", help="where the env goes (default: the project's .venv)")
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE")
    p.add_argument("--extra", action="append", default=[], help="pyproject extra to install (repeatable)")
    p.add_argument("--group", action="append", default=[], help="dependency group to install (repeatable)")
    p.add_argument("--recreate", action="store_true", help="rebuild the existing env aside, then swap")
    p.add_argument(
        "--sync", action="store_true", help="sync the existing env with the project's lock (aside, then swap)"
    )
    p.add_argument(
        "--no-lock", action="store_true", help="ignore the project's lock file; install its sources"
    )
    p.add_argument("--here", action="store_true", help="use PATH as the project even without project files")
    p.add_argument("--index-url", metavar="URL")
    p.add_argument("--find-links", action="append", default=[], metavar="DIR")
    p.add_argument("--no-index", action="store_true")
    p.set_defaults(func=cmd_create)
