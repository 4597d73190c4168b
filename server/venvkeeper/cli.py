"""The ``venvkeeper`` command line: ``serve`` (the LSP daemon), ``which``, ``envs``, ``check``.

Every subcommand drives the same :class:`venvkeeper.app.App` the daemon uses, so the CLI and the
editor always agree.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from venvkeeper import __version__, fsread
from venvkeeper.app import App, normalize
from venvkeeper.creation.cli import add_create_command
from venvkeeper.host import Host
from venvkeeper.requirements.lockcheck import lock_files
from venvkeeper.requirements.sources import main_source
from venvkeeper.settings import parse_settings

#: Filesystem root: the CLI's "workspace" when asked about a single path, so the nearest project
#: above that path is found however deep it is.
_FS_ROOT = Path(Path.cwd().anchor or "/")


def _app_for(path: Path, host: Host) -> tuple[App, list[Path]]:
    """An App whose projects are those at or below ``path``, or else the one containing it."""
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
    base = normalize(Path(args.path))
    app, projects = _app_for(base, host)
    data = [app.environments_for(p) for p in projects]
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        print()
        return 0
    if not projects:
        print(f"no Python project at or above {base}")
        return 1
    for entry in data:
        print(f"{entry['projectRoot']}")
        if not entry["environments"]:
            print("  (no environment found)")
        for env in entry["environments"]:
            mark = "*" if env["chosen"] else " "
            version = env["version"] or "?"
            state = env["state"] if env["state"] == "ok" else f"broken: {env['problem']}"
            print(f"  {mark} {env['envPath']}  Python {version} ({env['kind']}, {state})")
            print(f"      {env['source']}" + (f"; not chosen: {env['rejected']}" if env["rejected"] else ""))
    return 0


# -- check ---------------------------------------------------------------------------------------
def _finding_rows(app: App, project: Path) -> list[dict[str, Any]]:
    rows = []
    for f in app.findings(project):
        rows.append(
            {
                "file": str(f.file),
                "line": f.span.line + 1,
                "column": f.span.start + 1,
                "endLine": f.span.end_line + 1,
                "endColumn": f.span.end + 1,
                "severity": app.settings.severity(f.code),
                "code": f.code,
                "message": f.message,
            }
        )
        if "chain" in f.data:  # a dependency conflict between transitive dists: who pulled it in
            rows[-1]["chain"] = list(f.data["chain"])
    return rows


def cmd_check(args: argparse.Namespace, host: Host) -> int:
    base = normalize(Path(args.path))
    app, projects = _app_for(base, host)
    # Before anything looks at the envs: a killed create's half-done swap is finished or rolled back.
    leftovers = app.recover_leftovers(projects)
    report = []
    errors = 0
    for project in projects:
        rows = _finding_rows(app, project)
        errors += sum(r["severity"] == "error" for r in rows)
        report.append(
            {
                "projectRoot": str(project),
                "interpreter": app.interpreter(project),
                "environments": app.environments_for(project)["environments"],
                "diagnostics": rows,
                "lock": next((str(lock) for lock in lock_files(project)), None),
                "leftovers": [
                    {"path": str(n.path), "message": n.message, "removed": n.resolved}
                    for n in leftovers
                    if n.path.parent == project
                ],
            }
        )
    if args.json:
        json.dump({"projects": report, "errors": errors}, sys.stdout, indent=2)
        print()
        return 1 if errors else 0
    if not projects:
        print(f"no Python project at or above {base}")
        return 0
    for entry in report:
        _print_project(entry, base)
    noun = "error" if errors == 1 else "errors"
    print(f"{len(report)} project(s), {errors} {noun}")
    return 1 if errors else 0


def _print_project(entry: dict[str, Any], base: Path) -> None:
    project = Path(entry["projectRoot"])
    print(f"{_rel(project, base)}/")
    interp = entry["interpreter"]
    if interp is None:
        print(
            "  environment: none — create one with 'venvkeeper create "
            f"{_rel(project, Path.cwd())}' (or python3 -m venv .venv)"
        )
        print(f"  requirements: {_rel(main_source(project), project)}")
    else:
        state = interp["status"] if interp["state"] == "ok" else "broken"
        if state == "broken" and interp.get("problem"):
            state = f"broken: {interp['problem']}"
        print(
            f"  environment: {_rel(Path(interp['envPath']), project)}  Python {interp['version'] or '?'} "
            f"({interp['kind']}, {state})"
        )
        print(f"  interpreter: {interp['python']}")
        print(f"  why: {interp['source']}")
    if entry.get("lock"):
        detail = (interp or {}).get("statusDetail")
        print(f"  lock: {_rel(Path(entry['lock']), project)}" + (f" — {detail}" if detail else ""))
    for env in entry["environments"]:
        if env["rejected"]:
            print(f"  not chosen: {_rel(Path(env['envPath']), project)} — {env['rejected']}")
    for left in entry["leftovers"]:
        verb = "recovered" if left["removed"] else "leftover not removed"
        print(f"  {verb}: {_rel(Path(left['path']), project)} — {left['message']}")
    for row in entry["diagnostics"]:
        loc = f"{_rel(Path(row['file']), base)}:{row['line']}:{row['column']}"
        print(f"  {loc}: {row['severity']} [{row['code']}] {row['message']}")


# -- serve ---------------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace, host: Host) -> int:
    from venvkeeper.lsp.logging import setup_logging
    from venvkeeper.lsp.server import build_server

    setup_logging(getattr(logging, args.log_level.upper(), logging.INFO))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="venvkeeper", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--version", action="version", version=f"venvkeeper {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the language server (stdio by default)")
    p.add_argument("--stdio", action="store_true", help="speak LSP over stdin/stdout (the default)")
    p.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead of stdio")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("which", help="print the interpreter a file or folder uses")
    p.add_argument("path", nargs="?", default=".")
    p.set_defaults(func=cmd_which)

    p = sub.add_parser("envs", help="list each project's candidate environments and why")
    p.add_argument("path", nargs="?", default=".")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_envs)

    p = sub.add_parser("check", help="report projects, chosen envs, reasons and problems (exit 1 on errors)")
    p.add_argument("path", nargs="?", default=".")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_check)

    for add in EXTRA_SUBCOMMANDS:
        add(sub)
    return parser


#: Subcommands contributed by other modules: each gets the subparsers object and sets ``func``.
EXTRA_SUBCOMMANDS: list[Callable[[Any], None]] = [add_create_command]


def main(argv: Optional[Sequence[str]] = None, host: Optional[Host] = None) -> int:
    args = build_parser().parse_args(argv)
    func: Command = args.func
    try:
        return func(args, host or Host.from_process())
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
