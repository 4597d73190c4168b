"""Inputs that made a parser super-linear (issue 9), built at sizes only a linear parser gets through.

Each shape is a megabyte or the reader's own cap: a quadratic parser needs hours on it, a linear one
well under a second. ``python -m support.pathological DIR`` runs every shape through the real parser
entry points, printing ``start NAME`` / ``done NAME`` so a caller that has to kill it (its time limit is
only a safety net) can tell which shape hung. ``--only NAME`` runs one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from venvkeeper.discovery.conda import yaml_scalar
from venvkeeper.discovery.identify import identify_env
from venvkeeper.discovery.pyvenv import MAX_BYTES as PYVENV_MAX_BYTES
from venvkeeper.discovery.pyvenv import PyvenvError, parse_pyvenv_cfg
from venvkeeper.guards.health import recorded_paths
from venvkeeper.guards.pep668 import read_marker
from venvkeeper.requirements.installed import InstalledDist, read_installed
from venvkeeper.requirements.localproject import local_project_name
from venvkeeper.requirements.poetry import PoetrySyntaxError, translate_text
from venvkeeper.requirements.pyproject import parse_pyproject
from venvkeeper.requirements.records import ParsedSources
from venvkeeper.requirements.reqfile import parse_requirements_file

#: One megabyte of blanks: 1M²/2 regex steps (hours) for a quadratic pattern.
MB = 1024 * 1024
#: activate scripts, pyvenv.cfg and EXTERNALLY-MANAGED are read up to 64 KiB.
CAP = 64 * 1024


def _requirements(text: str) -> Callable[[Path], object]:
    def run(tmp: Path) -> object:
        path = tmp / "requirements.txt"
        path.write_text(text, encoding="utf-8")
        return parse_requirements_file(path, {}, tmp)

    return run


def _pyproject(text: str) -> Callable[[Path], object]:
    def run(tmp: Path) -> object:
        path = tmp / "pyproject.toml"
        path.write_text(text, encoding="utf-8")
        result = ParsedSources()
        parse_pyproject(path, result, "all", "all")
        return result

    return run


def _poetry(constraint: str) -> Callable[[Path], object]:
    def run(tmp: Path) -> object:
        try:
            return translate_text(constraint)
        except PoetrySyntaxError as exc:
            return exc

    return run


def _activate(text: str) -> Callable[[Path], object]:
    def run(tmp: Path) -> object:
        env = tmp / "env"
        (env / "bin").mkdir(parents=True, exist_ok=True)
        (env / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n", encoding="utf-8")
        if not (env / "bin" / "python").exists():
            os.symlink(sys.executable, env / "bin" / "python")
        for name in ("activate", "activate.fish", "activate.csh", "activate.bat"):
            (env / "bin" / name).write_text(text, encoding="utf-8")
        found = identify_env(env, "posix")
        assert found is not None
        return recorded_paths(found)

    return run


def _metadata(text: str) -> Callable[[Path], object]:
    def run(tmp: Path) -> object:
        dist = tmp / "odd-1.0.dist-info"
        dist.mkdir(exist_ok=True)
        (dist / "METADATA").write_text(text, encoding="utf-8")
        return InstalledDist("odd", "1.0", dist, tmp).headers()

    return run


def _direct_url(text: str) -> Callable[[Path], object]:
    def run(tmp: Path) -> object:
        site = tmp / "site"
        dist = site / "odd-1.0.dist-info"
        dist.mkdir(parents=True, exist_ok=True)
        (dist / "METADATA").write_text("Name: odd\nVersion: 1.0\n", encoding="utf-8")
        (dist / "direct_url.json").write_text(text, encoding="utf-8")
        return read_installed([site])

    return run


def _environment_yml(text: str) -> Callable[[Path], object]:
    def run(tmp: Path) -> object:
        return yaml_scalar(text, "name")

    return run


def _pyvenv(text: str) -> Callable[[Path], object]:
    def run(tmp: Path) -> object:
        try:
            return parse_pyvenv_cfg(text)
        except PyvenvError as exc:
            return exc

    return run


def _externally_managed(text: str) -> Callable[[Path], object]:
    def run(tmp: Path) -> object:
        stdlib = tmp / "stdlib"
        stdlib.mkdir(exist_ok=True)
        (stdlib / "EXTERNALLY-MANAGED").write_text(text, encoding="utf-8")
        return read_marker(stdlib)

    return run


def _setup_cfg(text: str) -> Callable[[Path], object]:
    def run(tmp: Path) -> object:
        project = tmp / "local"
        project.mkdir(exist_ok=True)
        (project / "setup.cfg").write_text(text, encoding="utf-8")
        return local_project_name(project)

    return run


BLANKS = " " * MB
SHAPES: dict[str, Callable[[Path], object]] = {
    # requirement lines (issue 9: 50k blanks took 6.8 s per re-check)
    "requirement, blanks inside": _requirements(f"requests{BLANKS}x\n"),
    "requirement, blanks after": _requirements(f"requests{BLANKS}\n"),
    "requirement, blanks before": _requirements(f"{BLANKS}requests\n"),
    "path requirement, blanks then no marker": _requirements(f"./pkg{BLANKS}x\n"),
    "url requirement, blanks then no marker": _requirements(f"https://example.invalid/p-1.0.whl{BLANKS}x\n"),
    "option, blanks": _requirements(f"-r{BLANKS}x\n"),
    "blanks and tabs before a late comment": _requirements("requests" + " \t" * (MB // 2) + "x  # c\n"),
    "continuation lines": _requirements("a\\\n" * (MB // 3) + "b\n"),
    "editables on one continued line": _requirements("-e ./a \\\n" * 10_000 + "\n"),
    "path full of [": _requirements("./p" + "[" * MB + "]\n"),
    "many short lines": _requirements("alpha>=1 ; python_version >= '3'  # c\n" * (MB // 40)),
    # pyproject.toml (issue 9: 10k nested tables raised RecursionError)
    "toml nested arrays": _pyproject("x = " + "[" * MB + "]" * MB + "\n"),
    "toml nested inline tables": _pyproject("x = " + "{a = " * (MB // 5) + "1" + "}" * (MB // 5) + "\n"),
    "toml dotted key": _pyproject(".".join(["a"] * (MB // 2)) + " = 1\n"),
    "toml dotted header": _pyproject("[" + ".".join(["a"] * (MB // 2)) + "]\n"),
    "toml 20k dependencies": _pyproject(
        '[project]\nname = "big"\ndependencies = [\n'
        + "".join(f"  \"pkg{i}>=1.{i}, <{i + 2} ; python_version >= '3.8'\",\n" for i in range(20_000))
        + "]\n"
    ),
    "toml dependency-group chain": _pyproject(
        "[dependency-groups]\n"
        + "".join(f'g{i} = ["a{i}", {{include-group = "g{i + 1}"}}]\n' for i in range(5_000))
        + 'g5000 = ["last"]\n'
    ),
    "poetry constraint, blanks": _poetry(f">=1{BLANKS}x"),
    "poetry constraint, newline": _poetry(f"^{BLANKS}1\nx"),
    # env files
    "activate, newlines only": _activate("\n" * CAP),
    "activate, cmd value of blanks": _activate(f'set VIRTUAL_ENV=a{" " * (CAP - 40)}b"x\n'),
    "METADATA, continuation lines": _metadata("Name: odd\nSummary: x\n" + " y\n" * (MB // 3)),
    "direct_url.json nested 1M deep": _direct_url("[" * MB),
    "environment.yml, blanks in a value": _environment_yml(f"name: a{' ' * MB}b'c\n"),
    "pyvenv.cfg, blanks": _pyvenv(f"home = /usr{' ' * PYVENV_MAX_BYTES}x\n"),
    "EXTERNALLY-MANAGED, blanks": _externally_managed(f"[externally-managed]\nError = a\n b{' ' * CAP}c\n"),
    "setup.cfg, blanks": _setup_cfg(f"[metadata]\nname = x\nlong = a\n\nz{' ' * CAP}y\n"),
}


def main(argv: list[str]) -> int:
    tmp = Path(argv[0])
    only = argv[2] if len(argv) > 2 and argv[1] == "--only" else None
    for name, run in SHAPES.items():
        if only is not None and name != only:
            continue
        print(f"start {name}", flush=True)
        run(tmp)
        print(f"done {name}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
