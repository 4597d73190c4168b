"""A project's requirement sources, and parsing all of them into one result.

Which files are sources is decided by :mod:`venvkeeper.requirements.layout` (names) and here (content:
a ``pyproject.toml`` counts when it declares dependencies — or cannot be read, so the problem is shown;
``setup.cfg``/``setup.py`` when they mention ``install_requires``/``extras_require``). Checking and
installing both start from :func:`project_sources` and :func:`parse_sources`, so what ``create``/``sync``
install is exactly what the check expects, and a project "declares dependencies" (is offered an env)
exactly when that install plan is not empty (``creation/plan.py``).

All requirement files share one parser, so a file that is both a source and ``-r``-included by
another is read once and its findings are not doubled.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from venvkeeper import fsread
from venvkeeper.discovery.identify import is_env_dir
from venvkeeper.discovery.projects import walk_dirs
from venvkeeper.host import Host
from venvkeeper.requirements import _toml
from venvkeeper.requirements.layout import (
    MAX_REQUIREMENTS_DEPTH,
    MAX_REQUIREMENTS_FILES,
    METADATA_SOURCES,
    PROJECT_FILES,
    REQUIREMENTS_DIR,
    SETUPTOOLS_SOURCES,
    is_constraints_name,
    is_requirements_dir_source_name,
    is_root_source_name,
)
from venvkeeper.requirements.pyproject import declares_dependencies, parse_pyproject
from venvkeeper.requirements.records import (
    ParsedSources,
    RequirementRecord,
    RequiresPythonRecord,
    read_source_text,
)
from venvkeeper.requirements.reqfile import RequirementsFileParser
from venvkeeper.requirements.setuptools import may_declare_dependencies, parse_setup_cfg, parse_setup_py
from venvkeeper.settings import Selection, Settings

__all__ = [
    "ParsedSources",
    "RequirementRecord",
    "RequiresPythonRecord",
    "main_source",
    "parse_sources",
    "project_sources",
]


def _pyproject_counts(path: Path) -> bool:
    text, problem = read_source_text(path, fsread.PYPROJECT)
    if text is None:
        return problem is not None  # binary / huge / unreadable: say so on the file
    try:
        data = _toml.loads(text)
    except (_toml.TOMLDecodeError, RecursionError):
        return True  # the syntax error is worth a diagnostic
    return declares_dependencies(data)


def _setuptools_counts(path: Path) -> bool:
    text, problem = read_source_text(path)
    return may_declare_dependencies(text) if text is not None else problem is not None


def _requirements_dir_files(directory: Path) -> list[Path]:
    """``requirements/**/*.txt`` and ``**/*.in``: bounded depth and count, no envs, no symlink loops."""
    found: list[Path] = []
    for _current, entries in walk_dirs(directory, MAX_REQUIREMENTS_DEPTH):
        for entry in entries:
            try:
                # Not only regular files: a FIFO there is refused by the reader, and the refusal shown.
                if is_requirements_dir_source_name(entry.name) and not _is_dir_entry(entry):
                    found.append(Path(entry.path))
            except OSError:
                continue
        if len(found) >= MAX_REQUIREMENTS_FILES:
            break
    return sorted(found)[:MAX_REQUIREMENTS_FILES]


def project_sources(project: Path, settings: Settings | None = None, host: Host | None = None) -> list[Path]:
    """The project's requirement source files: pyproject, setup.cfg, setup.py, then root requirement
    files sorted by name, then ``requirements/**`` sorted by path."""
    del settings, host  # part of the signature so a future setting (extra file globs) needs no API change
    sources: list[Path] = []
    pyproject = project / "pyproject.toml"
    # Anything named pyproject.toml / requirements*.txt that is not a directory is a source: a FIFO or
    # a link to /dev/zero is refused by the reader, and the refusal is shown on that file.
    if fsread.lexists(pyproject) and not fsread.is_dir(pyproject) and _pyproject_counts(pyproject):
        sources.append(pyproject)
    for name in SETUPTOOLS_SOURCES:
        if fsread.is_file(project / name) and _setuptools_counts(project / name):
            sources.append(project / name)
    try:
        # Filter by name first: a project root may hold thousands of files, only a few can match.
        with os.scandir(project) as it:
            names = sorted(e.name for e in it if is_root_source_name(e.name) and not _is_dir_entry(e))
    except OSError:
        names = []
    # Requirement files first, then constraints files, then pip-tools inputs; by name within each.
    names.sort(key=lambda n: (n.endswith(".in"), is_constraints_name(n), n))
    sources.extend(project / n for n in names)
    subdir = project / REQUIREMENTS_DIR
    if fsread.is_dir(subdir) and not is_env_dir(subdir):
        if fsread.access_problem(subdir) is not None:
            sources.append(subdir)  # unreadable: reading it yields the diagnostic that says so
        else:
            sources.extend(_requirements_dir_files(subdir))
    return sources


def _is_dir_entry(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def is_constraints_source(path: Path) -> bool:
    """A top-level source read as a ``-c`` file: it constrains every other source of the project."""
    return is_constraints_name(path.name)


def parse_sources(
    paths: Sequence[Path],
    settings: Settings,
    host: Host,
    project: Path | None = None,
    *,
    extras: Selection | None = None,
    groups: Selection | None = None,
) -> ParsedSources:
    """Parse every source (and what the requirement files include) into one :class:`ParsedSources`.

    ``extras``/``groups`` override the settings' selection (an explicit create with ``--extra``).
    """
    extras = settings.extras if extras is None else extras
    groups = settings.dependency_groups if groups is None else groups
    result = ParsedSources()
    reqs = RequirementsFileParser(result, host.environ, project)
    for path in paths:
        if path.name == "pyproject.toml":
            parse_pyproject(path, result, extras, groups)
        elif path.name == "setup.cfg":
            parse_setup_cfg(path, result, extras, reqs.parse)
        elif path.name == "setup.py":
            parse_setup_py(path, result, extras)
        else:
            reqs.parse(path, constraint=is_constraints_source(path))
            continue
        result.roots.append(path)
    return result


def main_source(project: Path, sources: Sequence[Path] | None = None) -> Path:
    """The file project-level findings sit on: the first metadata source that declares dependencies,
    else ``requirements.txt``, else the first requirement source, else any project marker file."""
    found = list(project_sources(project) if sources is None else sources)
    for path in found:
        if path.name in METADATA_SOURCES:
            return path
    plain = [p for p in found if p == project / "requirements.txt"]
    if plain or found:
        return (plain or found)[0]
    for name in PROJECT_FILES:
        if fsread.is_file(project / name):
            return project / name
    return project / "pyproject.toml"
