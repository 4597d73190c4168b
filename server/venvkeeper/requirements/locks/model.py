"""What a lock file says, once read: the packages it pins for this env, and what it was locked from.

Readers (one per format, :mod:`venvkeeper.requirements.locks.readers`) produce a :class:`Lock`; the
lock check (:mod:`venvkeeper.requirements.lockcheck`) compares it with the env and the project's
declared dependencies. Lines are 0-based, like every position in venvkeeper.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

from venvkeeper.settings import Selection

Tool = Literal["uv", "poetry", "pdm", "pipenv", "pylock"]

#: Where a locked package comes from: an index, or a direct reference (VCS, URL, local path).
SourceKind = Literal["registry", "git", "url", "path", "directory", "editable", "virtual"]
#: The project itself / a workspace member / a local package: the env holds it as a local install.
LOCAL_SOURCES = frozenset({"path", "directory", "editable", "virtual"})


class LockInvalid(Exception):
    """The lock cannot be used: unparsable, of an unknown version, or inconsistent. One finding."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class LockedPackage:
    #: Canonical (PEP 503) name.
    name: str
    #: The pinned version; None when the lock pins none (a VCS/path entry of Pipfile.lock, a pylock
    #: entry without ``version``).
    version: Optional[str]
    #: 0-based line of the package's entry in the lock file.
    line: int
    source: SourceKind = "registry"
    #: The URL / path / repository for a direct reference (None for the registry).
    location: Optional[str] = None
    #: ``sha256:<hex>`` hashes of the artifacts the lock allows (pip's ``--hash`` form).
    hashes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LockInputs:
    """What the selection and the freshness check need besides the lock text (no I/O in readers)."""

    #: PEP 508 marker values for the env's interpreter (requirements/markers.py marker_environment).
    environment: Mapping[str, str]
    #: The project's pyproject.toml as tomllib reads it; None when absent or unreadable.
    pyproject: Optional[Mapping[str, Any]] = None
    #: The Pipfile as tomllib reads it; None when absent or unreadable.
    pipfile: Optional[Mapping[str, Any]] = None
    #: The ``extras`` setting: which of the project's own extras the env installs.
    extras: Selection = ()
    #: The lock file's directory relative to the project's ("" when the lock sits in the project).
    member: str = ""
    #: Read the artifacts' hashes too (installing from the lock); the check skips them (speed).
    hashes: bool = False


@dataclass
class Lock:
    path: Path
    tool: Tool
    #: Every package the lock pins for this env (markers, groups and the project's closure applied).
    packages: list[LockedPackage] = field(default_factory=list)
    #: Why the lock no longer matches the declared dependencies; None when it does (or cannot tell).
    outdated: Optional[str] = None
    #: Canonical names of declared dependencies the lock does not reflect (for line placement).
    changed: tuple[str, ...] = ()
    #: Canonical names of every entry in the lock, selected or not.
    names: frozenset[str] = frozenset()
