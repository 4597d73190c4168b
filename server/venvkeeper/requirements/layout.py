"""Which file names make a directory a project, and which files are a project's requirement sources.

The one place for these rules: discovery (``discovery/projects.py``), the watchers, the checks
(``requirements/sources.py``) and the anchor of project-level findings all ask here. Pure name rules,
no I/O, so every caller agrees on them.

A project root holds one of :data:`PROJECT_FILES`, a root requirements file (see
:func:`is_root_requirements_name`) or a ``requirements/`` directory. Its requirement sources are:

* ``pyproject.toml``, ``setup.cfg``, ``setup.py`` (when they declare dependencies);
* at the root: ``requirements*.txt`` (``requirements-dev.txt``, ``requirements_test.txt``),
  ``*-requirements.txt`` / ``*_requirements.txt`` (``test-requirements.txt``), ``constraints*.txt``
  (read as ``-c`` files) and pip-tools inputs ``*.in``;
* ``requirements/**/*.txt`` and ``requirements/**/*.in`` at any depth (up to :data:`MAX_REQUIREMENTS_DEPTH`).

A requirements file in a sub-folder of ``requirements/`` belongs to the project: nothing at or below a
``requirements/`` directory is a project of its own.
"""

from __future__ import annotations

from pathlib import PurePath

#: Files whose presence makes a directory a Python project (environment.yml and pixi.toml too: a conda
#: or pixi project may have nothing else).
PROJECT_FILES = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "Pipfile",
    "environment.yml",
    "environment.yaml",
    "pixi.toml",
)
#: Project files that are not pip requirements files (read by their own parsers).
SETUPTOOLS_SOURCES = ("setup.cfg", "setup.py")
METADATA_SOURCES = ("pyproject.toml", *SETUPTOOLS_SOURCES)
#: Files that make a project "managed" by another tool: we never offer to create an env for those.
MANAGER_FILES = ("poetry.lock", "Pipfile", "Pipfile.lock", "pdm.lock", "environment.yml", "environment.yaml")
#: The conventional directory of requirement files (``requirements/base.txt``, ``requirements/ci/lint.in``).
REQUIREMENTS_DIR = "requirements"
#: How deep below ``requirements/`` files are still sources (requirements/a/b/c/x.txt is depth 3).
MAX_REQUIREMENTS_DEPTH = 4
#: How many files below ``requirements/`` are read at most (a vendored tree is not a requirements dir).
MAX_REQUIREMENTS_FILES = 200

#: ``*.in`` files that are templates of other tools, not pip-tools requirement inputs.
_NOT_REQUIREMENT_INPUTS = {"manifest", "makefile", "configure", "doxyfile", "config", "setup", "version"}


def is_root_requirements_name(name: str) -> bool:
    """A requirements file name that marks a project root: ``requirements*.txt`` (also ``-*``/``_*``),
    ``*-requirements.txt``, ``*_requirements.txt``, and pip-tools' ``requirements*.in``."""
    lower = name.lower()
    stem, dot, suffix = lower.rpartition(".")
    if not dot:
        return False
    if suffix == "txt":
        return stem.startswith("requirements") or stem.endswith(("-requirements", "_requirements"))
    return suffix == "in" and stem.startswith("requirements")


def is_constraints_name(name: str) -> bool:
    """``constraints.txt``, ``constraints-py312.txt``: pip ``-c`` files."""
    lower = name.lower()
    return lower.startswith("constraints") and lower.endswith(".txt")


def is_requirements_input(name: str) -> bool:
    """A pip-tools input at the root: ``requirements.in``, ``dev.in`` — not ``MANIFEST.in`` or
    ``foo.cfg.in`` (a template for ``foo.cfg``)."""
    stem, _, suffix = name.rpartition(".")
    return suffix == "in" and bool(stem) and "." not in stem and stem.lower() not in _NOT_REQUIREMENT_INPUTS


def is_root_source_name(name: str) -> bool:
    """A file at the project root that is a requirements (or constraints) source."""
    return is_root_requirements_name(name) or is_constraints_name(name) or is_requirements_input(name)


def is_requirements_dir_source_name(name: str) -> bool:
    """A file below ``requirements/`` that is a source: any ``*.txt`` or ``*.in``."""
    return name.endswith((".txt", ".in"))


def is_project_marker(name: str) -> bool:
    """A file name whose presence makes its directory a project root."""
    return name in PROJECT_FILES or is_root_requirements_name(name)


def is_structural_name(name: str) -> bool:
    """A name whose appearance or disappearance can change which projects exist or what they read."""
    return is_project_marker(name) or name == REQUIREMENTS_DIR or is_root_source_name(name)


def inside_requirements_dir(relative: PurePath) -> bool:
    """True for a path at or below a ``requirements/`` directory (given relative to a walk's root):
    such a directory belongs to the project above it and is never a project itself."""
    return REQUIREMENTS_DIR in relative.parts


#: Glob for client-side file watchers: every name that can create a project or change its sources.
CLIENT_WATCH_NAMES = (
    *PROJECT_FILES,
    "requirements*.txt",
    "requirements*.in",
    "*-requirements.txt",
    "*_requirements.txt",
    "constraints*.txt",
)
#: A second client watch glob: any file below a ``requirements/`` directory.
CLIENT_WATCH_REQUIREMENTS_DIR = "**/requirements/**"
#: Lock files: a project's lock (or a uv workspace's) changing re-checks it.
LOCK_WATCH_NAMES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "pylock*.toml")
#: The client watch glob of every file whose appearance anywhere can create a project or an env.
CLIENT_WATCH_GLOB = "**/{" + ",".join((*CLIENT_WATCH_NAMES, *LOCK_WATCH_NAMES, "pyvenv.cfg", ".venv")) + "}"


def is_requirement_source_path(path: PurePath) -> bool:
    """A requirement source by name alone (an editor buffer, saved or not): ``requirements*.txt``,
    ``*-requirements.txt``, ``constraints*.txt``, pip-tools ``*.in``, anything ``.txt``/``.in`` below a
    ``requirements/`` dir — not any .txt: a README.txt mentioning "foo==1.0" is not a requirement."""
    if is_root_source_name(path.name):
        return True
    return is_requirements_dir_source_name(path.name) and inside_requirements_dir(path.parent)
