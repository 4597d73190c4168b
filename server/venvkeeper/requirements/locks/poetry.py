"""poetry.lock: the packages ``poetry sync`` installs — main and every non-optional group, no extras.

Lock 2.1 (Poetry >= 1.5 … 2.x) records each package's ``groups`` and ``markers`` (a string, or one
per group); older locks (1.x, 2.0) have neither and every non-optional package counts. Freshness is
``[metadata] content-hash`` against :func:`~venvkeeper.requirements.locks.hashes.poetry_content_hash`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvkeeper.requirements.locks.common import (
    applies,
    check_marker,
    file_hashes,
    format_version,
    no_duplicates,
    text,
)
from venvkeeper.requirements.locks.hashes import poetry_content_hash
from venvkeeper.requirements.locks.model import Lock, LockedPackage, LockInputs, LockInvalid, SourceKind
from venvkeeper.requirements.locks.tomlread import line_of, load_entries

_SOURCES: dict[str, SourceKind] = {"git": "git", "url": "url", "file": "path", "directory": "directory"}
_GENERATED_BY = re.compile(r"Poetry ([^ ]+)")


def selected_groups(pyproject: Optional[Mapping[str, Any]]) -> set[str]:
    """``main`` plus the groups ``poetry sync`` installs without ``--with``: every non-optional one."""
    groups = {"main"}
    data = pyproject or {}
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict):
        if "dev-dependencies" in poetry:
            groups.add("dev")
        for name, group in (poetry.get("group") or {}).items():
            if isinstance(group, dict) and not group.get("optional", False):
                groups.add(name)
    for name in data.get("dependency-groups") or {}:
        groups.add(name)
    return groups


class PoetryReader:
    tool = "poetry"

    def matches(self, name: str) -> bool:
        return name == "poetry.lock"

    def read(self, lock_text: str, path: Path, inputs: LockInputs) -> Lock:
        data, entries = load_entries(
            lock_text, "poetry.lock", "package", frozenset() if inputs.hashes else frozenset({"files"})
        )
        meta = data.get("metadata", {})
        version = meta.get("lock-version") if isinstance(meta, dict) else None
        lock_version = format_version(version)
        if lock_version is None or not (1 <= lock_version.major < 3):
            raise LockInvalid(
                f"poetry.lock has lock-version {version!r}; venvkeeper reads 1.x and 2.x",
                line_of(lock_text, "lock-version"),
            )
        groups = selected_groups(inputs.pyproject)
        packages: list[LockedPackage] = []
        for e in entries:
            line = e["_line"]
            name = canonicalize_name(text(e.get("name"), "a package's name", line, "poetry.lock"))
            markers = e.get("markers")
            for marker in markers.values() if isinstance(markers, dict) else [markers]:
                check_marker(marker, line, "poetry.lock")
            if e.get("optional", False):
                continue  # only an extra pulls it in; `poetry sync` without -E does not
            if not self._applies(e, groups, inputs, line):
                continue
            kind, location = "registry", None
            src = e.get("source")
            if isinstance(src, dict) and src.get("type") in _SOURCES:
                kind, location = _SOURCES[src["type"]], str(src.get("url", ""))
            packages.append(
                LockedPackage(name, e.get("version"), line, kind, location, file_hashes(e.get("files")))  # type: ignore[arg-type]
            )
        no_duplicates(packages, "poetry.lock")
        names = frozenset(canonicalize_name(str(e.get("name"))) for e in entries)
        lock = Lock(path=path, tool="poetry", packages=packages, names=names)
        recorded = meta.get("content-hash") if isinstance(meta, dict) else None
        if inputs.pyproject is not None and isinstance(recorded, str):
            fresh = poetry_content_hash(inputs.pyproject) == recorded
            first = lock_text.split("\n", 1)[0]
            m = _GENERATED_BY.search(first)
            if not fresh and m and _older_than(m.group(1), "2.3.0"):
                # Poetry < 2.3 did not hash [dependency-groups]; Poetry itself accepts that hash.
                fresh = poetry_content_hash(inputs.pyproject, with_dependency_groups=False) == recorded
            if not fresh:
                lock.outdated = "pyproject.toml changed since poetry.lock was written (content-hash differs)"
        return lock

    @staticmethod
    def _applies(entry: dict[str, Any], groups: set[str], inputs: LockInputs, line: int) -> bool:
        entry_groups = entry.get("groups")
        markers = entry.get("markers")
        if entry_groups is None:  # lock < 2.1: no group or marker information
            return True
        chosen = [g for g in entry_groups if g in groups]
        if not chosen:
            return False
        if isinstance(markers, dict):
            return any(
                g not in markers or applies(markers[g], inputs.environment, line, "poetry.lock")
                for g in chosen
            )
        return applies(markers if isinstance(markers, str) else None, inputs.environment, line, "poetry.lock")


def _older_than(version: str, than: str) -> bool:
    try:
        return Version(version) < Version(than)
    except InvalidVersion:
        return False
