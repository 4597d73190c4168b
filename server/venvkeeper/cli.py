"""The ``venvkeeper`` command line: ``serve`` (the LSP daemon), ``which``, ``envs``, ``check``.

Every subcommand drives the same :class:`venvkeeper.app.App` the daemon uses, so the CLI and the
editor always agree.
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import os
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional

from venvkeeper import __version__, codes, fsread
from venvkeeper.creation.cli import add_create_command
from venvkeeper.discovery.projects import find_projects, nearest_project
from venvkeeper.host import Host
from venvkeeper.report import (
    FORMATS,
    THRESHOLDS,
    Diagnostic,
    OutputFormat,
    ProjectResult,
    Report,
    exit_code,
    render,
)
from venvkeeper.reportcache import discard_output
from venvkeeper.settings import parse_settings

# The App (discovery, the checks, packaging) is imported by the commands that use it, not here:
# `venvkeeper create` builds this parser too, and starts its tool without any of it.
if TYPE_CHECKING:
    from venvkeeper.app import App
    from venvkeeper.discovery.locators import LocateContext, Locator
    from venvkeeper.discovery.model import Candidate, Origin

#: Filesystem root: the CLI's "workspace" when asked about a single path, so the nearest project
#: above that path is found however deep it is.
_FS_ROOT = Path(Path.cwd().anchor or "/")


def _app_for(path: Path, host: Host) -> tuple[App, list[Path]]:
    """An App whose projects are those at or below ``path``, or else the one containing it."""
    from venvkeeper.app import App

    settings, problems = parse_settings({"virtualEnv": host.environ.get("VIRTUAL_ENV")})
    for problem in problems:
        print(f"venvkeeper: {problem}", file=sys.stderr)
    app = App(host=host, settings=settings, log=lambda m: logging.getLogger("venvkeeper").info(m))
    if fsread.is_dir(path):
        app.set_roots([path])
        projects = app.projects()
        if projects:
            return app, projects
    app.set_roots([_FS_ROOT], scan=False)  # never walk the whole file system
    project = app.project_for(path)
    return app, [project] if project is not None else []


def _rel(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base)) or "."
    except ValueError:
        return str(path)


# -- which ---------------------------------------------------------------------------------------
def cmd_which(args: argparse.Namespace, host: Host) -> int:
    from venvkeeper.app import App, normalize

    path = normalize(Path(args.path))
    app = App(host=host, settings=parse_settings({"virtualEnv": host.environ.get("VIRTUAL_ENV")})[0])
    app.set_roots([_FS_ROOT], scan=False)  # never walk the whole file system
    project = app.project_for(path)
    if project is None:
        print(
            f"venvkeeper: {path} is not inside a Python project (no pyproject.toml, requirements*.txt, "
            "setup.py, setup.cfg or Pipfile above it)",
            file=sys.stderr,
        )
        return 1
    disc = app.discovery(project)
    if disc.chosen is None:
        print(
            f"venvkeeper: project {project} has no virtual environment; create one with "
            f"'python3 -m venv {project / '.venv'}' or 'venvkeeper create {project}'",
            file=sys.stderr,
        )
        return 1
    env = disc.chosen.env
    print(env.python)
    if env.state != "ok":
        print(f"venvkeeper: warning: {env.path} is broken: {env.problem}", file=sys.stderr)
        return 1
    return 0


# -- envs ----------------------------------------------------------------------------------------
def cmd_envs(args: argparse.Namespace, host: Host) -> int:
    from venvkeeper.app import normalize
    from venvkeeper.wire import to_wire

    base = normalize(Path(args.path))
    app, projects = _app_for(base, host)
    data = [app.environments_for(p) for p in projects]
    if args.json:
        json.dump(to_wire(data), sys.stdout, indent=2)
        print()
        return 0
    if not projects:
        print(f"no Python project at or above {base}")
        return 1
    for entry in data:
        print(f"{entry.project_root}")
        if not entry.environments:
            print("  (no environment found)")
        for env in entry.environments:
            mark = "*" if env.chosen else " "
            version = env.version or "?"
            state = env.state if env.state == "ok" else f"broken: {env.problem}"
            print(f"  {mark} {env.env_path}  Python {version} ({env.kind}, {state})")
            print(f"      {env.source}" + (f"; not chosen: {env.rejected}" if env.rejected else ""))
    return 0


# -- check ---------------------------------------------------------------------------------------
class UsageError(Exception):
    """Bad input on the command line: one line on stderr, exit status 2."""


class OutputError(Exception):
    """The report could not be written (a closed pipe, a full disk): one line on stderr, exit 2."""


@dataclass  # not frozen: the Locator protocol declares ``origin`` as a plain attribute
class GivenEnvLocator:
    """The env the command line names.

    ``--env PATH`` (origin "selected"): the only locator — the env is checked *instead of* discovering
    one, for every project, even when it is broken (its problem is the report). ``VIRTUAL_ENV`` (origin
    "activated", ``only_inside``): consulted before the locators of discovery/locators.py, since in a
    shell or a CI job the activated env is the one that runs the code — but only for the project it
    lies in, and only when it is an env (else the ordinary activated locator lists it, broken, with its
    reason).
    """

    env_dir: Path
    origin: Origin
    source: str
    only_inside: bool = False

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        from venvkeeper.discovery.model import Candidate

        if self.only_inside and not (project == self.env_dir or project in self.env_dir.parents):
            return
        env = ctx.identify(self.env_dir)
        if env is None:
            return
        yield Candidate(env=env, origin=self.origin, source=self.source)


def user_virtual_env(environ: Mapping[str, str], own_prefix: Path) -> Optional[str]:
    """The VIRTUAL_ENV the user activated, or None.

    pre-commit (and tox, nox) run a tool with *the tool's own* env in VIRTUAL_ENV: that says nothing
    about the projects being checked, so the env venvkeeper itself runs from is not taken as the user's.
    """
    value = environ.get("VIRTUAL_ENV") or None
    if value is None:
        return None
    try:
        if os.path.samefile(value, own_prefix):
            return None
    except OSError:
        pass
    return value


def parse_codes(values: Optional[Sequence[str]], option: str, known: Collection[str]) -> frozenset[str]:
    """``--select a,b --select c`` → {a, b, c}; an unknown code is a usage error naming the nearest one."""
    chosen: set[str] = set()
    for value in values or ():
        for code in (c.strip() for c in value.split(",")):
            if not code:
                continue
            if code not in known:
                near = difflib.get_close_matches(code, sorted(known), n=1)
                hint = (
                    f"; did you mean '{near[0]}'?" if near else f"; known codes: {', '.join(sorted(known))}"
                )
                raise UsageError(f"unknown diagnostic code '{code}' in {option}{hint}")
            chosen.add(code)
    return frozenset(chosen)


def _projects_at(path: Path) -> list[Path]:
    """The projects at or below a directory, or else the one containing ``path``.

    Looks upwards with ``nearest_project`` instead of scanning from the filesystem root.
    """
    if fsread.is_dir(path):
        below = find_projects(path)
        if below:
            return below
    project = nearest_project(path, [_FS_ROOT])
    return [project] if project is not None else []


def _diagnostics(app: App, project: Path, keep: Callable[[str], bool]) -> list[Diagnostic]:
    out = []
    for f in app.findings(project):
        severity = app.settings.severity(f.code)
        if severity == "off" or not keep(f.code):
            continue
        out.append(
            Diagnostic(
                file=f.file,
                line=f.span.line + 1,
                column=f.span.start + 1,
                end_line=f.span.end_line + 1,
                end_column=f.span.end + 1,
                severity=severity,
                code=f.code,
                message=f.message,
                # a dependency conflict between transitive dists: who pulled it in
                chain=tuple(str(c) for c in f.data.get("chain", ())),
            )
        )
    return out


def cmd_check(args: argparse.Namespace, host: Host) -> int:
    from venvkeeper.app import App, env_dir_of, normalize
    from venvkeeper.discovery.locators import LOCATORS
    from venvkeeper.requirements.lockcheck import lock_files
    from venvkeeper.requirements.sources import main_source
    from venvkeeper.views import candidates_view

    known = set(codes.BY_NAME)
    select = parse_codes(args.select, "--select", known)
    ignore = parse_codes(args.ignore, "--ignore", known)
    paths = [normalize(Path(p)) for p in (args.paths or ["."])]
    for path in paths:
        if not os.path.lexists(path):
            raise UsageError(f"{path} does not exist")

    settings, problems = parse_settings({"virtualEnv": user_virtual_env(host.environ, Path(sys.prefix))})
    for problem in problems:
        print(f"venvkeeper: {problem}", file=sys.stderr)
    locators: tuple[Locator, ...] = LOCATORS
    if args.env:
        env_dir = env_dir_of(normalize(Path(args.env)))
        if env_dir is None:
            raise UsageError(
                f"--env {args.env} is not a virtual environment (no pyvenv.cfg in it, "
                "nor above it when it names an interpreter)"
            )
        locators = (GivenEnvLocator(env_dir, "selected", f"given on the command line (--env {env_dir})"),)
    elif settings.virtual_env:
        active = Path(os.path.normpath(settings.virtual_env))
        activated = GivenEnvLocator(active, "activated", f"activated (VIRTUAL_ENV={active})", True)
        locators = (activated, *LOCATORS)
    app = App(
        host=host,
        settings=settings,
        log=lambda m: logging.getLogger("venvkeeper").info(m),
        locators=locators,
    )

    projects: list[Path] = []
    for path in paths:
        projects.extend(p for p in _projects_at(path) if p not in projects)
    # Before anything looks at the envs: a killed create's half-done swap is finished or rolled back.
    leftovers = app.recover_leftovers(projects)

    def keep(code: str) -> bool:
        return (not select or code in select) and code not in ignore

    results = [
        ProjectResult(
            root=project,
            interpreter=app.interpreter(project),
            environments=candidates_view(app.discovery(project)),
            diagnostics=_diagnostics(app, project, keep),
            main_source=main_source(project),
            leftovers=[n for n in leftovers if n.path.parent == project],
            lock=next(iter(lock_files(project)), None),
        )
        for project in projects
    ]
    cwd = normalize(Path.cwd())
    fmt: OutputFormat = args.output_format
    # Text reads best relative to the folder asked about; CI formats name files as the CI sees them,
    # relative to the working directory (the checkout's root in a CI job).
    base = paths[0] if fmt == "text" and len(paths) == 1 and fsread.is_dir(paths[0]) else cwd
    report = Report(results, args.severity_threshold, codes.CODES, base, cwd)
    write_stdout(render(report, fmt))
    return exit_code(report)


def write_stdout(text: str) -> None:
    """Write and flush now, so a closed pipe or a full disk is reported here rather than at exit."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        discard_output(sys.stdout)
        raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None


# -- serve ---------------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace, host: Host) -> int:
    level = getattr(logging, args.log_level.upper(), logging.INFO)
    if not args.tcp and os.environ.get("VENVKEEPER_FRONT", "1") != "0":
        # Answer initialize and the first interpreter queries while pygls imports (lsp/front.py);
        # VENVKEEPER_FRONT=0 keeps the plain path (tests compare the two).
        from venvkeeper.lsp.front import serve_stdio

        serve_stdio(host, level)
        return 0
    from venvkeeper.lsp.features import build_server
    from venvkeeper.lsp.logging import setup_logging

    setup_logging(level)
    server = build_server(host)
    if args.tcp:
        hostname, _, port = args.tcp.rpartition(":")
        if not hostname or not port.isdigit():
            print("venvkeeper: --tcp expects HOST:PORT, e.g. 127.0.0.1:2087", file=sys.stderr)
            return 2
        server.start_tcp(hostname, int(port))
    else:
        server.start_io()
    return 0


Command = Callable[[argparse.Namespace, Host], int]


CHECK_DESCRIPTION = """\
Report each project's chosen env, why it was chosen, and what it no longer satisfies.

The env: --env PATH if given; else the activated one (VIRTUAL_ENV) for the project it lies in;
else the one discovery chooses (venvkeeper envs shows all candidates).

exit status:
  0  no finding at or above --severity-threshold
  1  findings at or above --severity-threshold
  2  usage error (unknown code, --env not an env, missing path), unwritable output, or internal error
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and still exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="venvkeeper", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"venvkeeper {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the language server (stdio by default)")
    p.add_argument("--stdio", action="store_true", help="speak LSP over stdin/stdout (the default)")
    p.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead of stdio")
    p.add_argument(
        "--log-level",
        # The environment variable lets a client that cannot pass arguments (or a test) ask for the
        # debug audit of re-check passes.
        default=os.environ.get("VENVKEEPER_LOG_LEVEL", "info").lower(),
        choices=["debug", "info", "warning", "error"],
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("which", help="print the interpreter a file or folder uses")
    p.add_argument("path", nargs="?", default=".")
    p.set_defaults(func=cmd_which)

    p = sub.add_parser("envs", help="list each project's candidate environments and why")
    p.add_argument("path", nargs="?", default=".")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_envs)

    p = sub.add_parser(
        "check",
        help="report projects, chosen envs, reasons and problems",
        description=CHECK_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="folders (every project at or below) or files (the project containing them); default: .",
    )
    p.add_argument("--output-format", choices=FORMATS, default="text", help="default: text")
    p.add_argument(
        "--json", dest="output_format", action="store_const", const="json", help="= --output-format json"
    )
    p.add_argument("--select", action="append", metavar="CODE,...", help="report only these codes")
    p.add_argument("--ignore", action="append", metavar="CODE,...", help="never report these codes")
    p.add_argument(
        "--severity-threshold",
        choices=THRESHOLDS,
        default="error",
        help="exit 1 when a finding is at or above this severity (default: error)",
    )
    p.add_argument(
        "--env",
        metavar="PATH",
        help="check this env (its dir or its python) for every project instead of discovering one",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="neither replay nor keep a cached report (also VENVKEEPER_NO_CACHE=1; see reportcache.py)",
    )
    p.set_defaults(func=cmd_check)

    for add in EXTRA_SUBCOMMANDS:
        add(sub)
    return parser


#: Subcommands contributed by other modules: each gets the subparsers object and sets ``func``.
EXTRA_SUBCOMMANDS: list[Callable[[Any], None]] = [add_create_command]


def main(argv: Optional[Sequence[str]] = None, host: Optional[Host] = None) -> int:
    """Exit status: 0 fine, 1 findings/not found (per command), 2 usage, output or internal error, 130 ^C."""
    args = build_parser().parse_args(argv)
    func: Command = args.func
    try:
        status = func(args, host or Host.from_process())
        if not sys.stdout.closed:  # `serve` over stdio: pygls closes stdout when the client says exit
            sys.stdout.flush()
        return status
    except KeyboardInterrupt:
        return 130
    except UsageError as exc:
        print(f"venvkeeper {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OutputError as exc:
        print(f"venvkeeper {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        discard_output(sys.stdout)
        print(
            f"venvkeeper {args.command}: error: cannot write to standard output: Broken pipe", file=sys.stderr
        )
        return 2
    except Exception as exc:  # never a traceback: one line, and how to get the details
        print(
            f"venvkeeper {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(a bug: please report it with the output of 'venvkeeper --version')",
            file=sys.stderr,
        )
        return 2
