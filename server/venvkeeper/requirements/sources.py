"""Which files are a project's requirement sources, and parsing all of them into one result.

A project's sources: its ``pyproject.toml`` (when it declares dependencies — or cannot be read, so
the syntax error is shown), ``requirements*.txt`` and ``*.in`` at the root, and ``requirements/*.txt``.
All requirement files share one parser, so a file that is both a source and ``-r``-included by
another is read once and its findings are not doubled.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from venvkeeper import fsread
from venvkeeper.host import Host
from venvkeeper.requirements import _toml
from venvkeeper.requirements.pyproject import declares_dependencies, parse_pyproject
from venvkeeper.requirements.records import (
    ParsedSources,
    RequirementRecord,
    RequiresPythonRecord,
    read_source_text,
)
from venvkeeper.requirements.reqfile import RequirementsFileParser
from venvkeeper.settings import Settings

__all__ = [
    "ParsedSources",
    "RequirementRecord",
    "RequiresPythonRecord",
    "parse_sources",
    "project_sources",
]


#: ``*.in`` files that are templates of other tools, not pip-tools requirement inputs.
_NOT_REQUIREMENT_INPUTS = {"manifest", "makefile", "configure", "doxyfile", "config", "setup", "version"}


def _is_requirements_input(path: Path) -> bool:
    # "requirements.in", "dev.in" — but not "MANIFEST.in" or "foo.cfg.in" (a template for foo.cfg).
    return path.suffix == ".in" and "." not in path.stem and path.stem.lower() not in _NOT_REQUIREMENT_INPUTS


def _is_env_dir(path: Path) -> bool:
    return fsread.exists(path / "pyvenv.cfg")


def _pyproject_counts(path: Path) -> bool:
    text, problem = read_source_text(path, fsread.PYPROJECT)
    if text is None:
        return problem is not None  # binary / huge / unreadable: say so on the file
    try:
        data = _toml.loads(text)
    except _toml.TOMLDecodeError:
        return True  # the syntax error is worth a diagnostic
    return declares_dependencies(data)


def project_sources(project: Path, settings: Settings | None = None, host: Host | None = None) -> list[Path]:
    """The project's requirement source files, pyproject first, then sorted by name."""
    del settings, host  # part of the signature so a future setting (extra file globs) needs no API change
    sources: list[Path] = []
    pyproject = project / "pyproject.toml"
    # Anything named pyproject.toml / requirements*.txt that is not a directory is a source: a FIFO or
    # a link to /dev/zero is refused by the reader, and the refusal is shown on that file.
    if fsread.lexists(pyproject) and not fsread.is_dir(pyproject) and _pyproject_counts(pyproject):
        sources.append(pyproject)
    try:
        # Filter by name first: a project root may hold thousands of files, only a few can match.
        with os.scandir(project) as it:
            names = sorted(e.name for e in it if e.name.endswith((".txt", ".in")) and not _is_dir_entry(e))
    except OSError:
        names = []
    root = [project / n for n in names]
    sources.extend(p for p in root if p.name.startswith("requirements") and p.suffix == ".txt")
    sources.extend(p for p in root if _is_requirements_input(p))
    subdir = project / "requirements"
    if fsread.is_dir(subdir) and not _is_env_dir(subdir):
        if fsread.access_problem(subdir) is not None:
            sources.append(subdir)  # unreadable: reading it yields the diagnostic that says so
        else:
            listed = fsread.list_dir(subdir)
            sources.extend(sorted(p for p in listed if p.suffix == ".txt" and not fsread.is_dir(p)))
    return sources


def _is_dir_entry(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def parse_sources(
    paths: Sequence[Path], settings: Settings, host: Host, project: Path | None = None
) -> ParsedSources:
    """Parse every source (and what the requirement files include) into one :class:`ParsedSources`."""
    result = ParsedSources()
    reqs = RequirementsFileParser(result, host.environ, project)
    for path in paths:
        if path.name == "pyproject.toml":
            parse_pyproject(path, result, settings.extras, settings.dependency_groups)
        else:
            reqs.parse(path)
    return result
