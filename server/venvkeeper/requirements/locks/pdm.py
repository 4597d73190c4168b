"""pdm.lock: the packages ``pdm sync`` installs — the ``default`` group and every dev group.

Each ``[[package]]`` lists its ``groups`` and a ``marker``; packages locked with extras appear once
per extras set (same name and version), which is not a duplicate. Lock format 4.x (PDM 2.x).
Freshness: ``[metadata] content_hash`` against
:func:`~venvkeeper.requirements.locks.hashes.pdm_content_hash`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from packaging.utils import canonicalize_name

from venvkeeper.requirements.locks.common import (
    applies,
    check_marker,
    file_hashes,
    format_version,
    no_duplicates,
    text,
)
from venvkeeper.requirements.locks.hashes import pdm_content_hash
from venvkeeper.requirements.locks.model import Lock, LockedPackage, LockInputs, LockInvalid, SourceKind
from venvkeeper.requirements.locks.tomlread import line_of, load_entries


def dev_groups(pyproject: Optional[Mapping[str, Any]]) -> set[str]:
    data = pyproject or {}
    groups: set[str] = {canonicalize_name(g) for g in (data.get("dependency-groups") or {})}
    tool = data.get("tool", {})
    pdm = tool.get("pdm", {}) if isinstance(tool, dict) else {}
    if isinstance(pdm, dict):
        groups |= {canonicalize_name(g) for g in (pdm.get("dev-dependencies") or {})}
    return groups


class PdmReader:
    tool = "pdm"

    def matches(self, name: str) -> bool:
        return name == "pdm.lock"

    def read(self, lock_text: str, path: Path, inputs: LockInputs) -> Lock:
        data, entries = load_entries(
            lock_text, "pdm.lock", "package", frozenset() if inputs.hashes else frozenset({"files"})
        )
        meta = data.get("metadata", {})
        version = meta.get("lock_version") if isinstance(meta, dict) else None
        parsed = format_version(version)
        if parsed is None or parsed.major != 4:
            raise LockInvalid(
                f"pdm.lock has lock_version {version!r}; venvkeeper reads 4.x",
                line_of(lock_text, "lock_version"),
            )
        wanted = {"default"} | dev_groups(inputs.pyproject)
        seen: dict[tuple[str, Optional[str], tuple[str, ...]], int] = {}
        packages: dict[tuple[str, Optional[str]], LockedPackage] = {}
        for e in entries:
            line = e["_line"]
            name = canonicalize_name(text(e.get("name"), "a package's name", line, "pdm.lock"))
            extras = tuple(sorted(e.get("extras", []) or []))
            key = (name, e.get("version"), extras)
            if key in seen:
                no_duplicates(
                    [
                        LockedPackage(name, e.get("version"), seen[key]),
                        LockedPackage(name, e.get("version"), line),
                    ],
                    "pdm.lock",
                )
            seen[key] = line
            check_marker(e.get("marker"), line, "pdm.lock")
            groups = {canonicalize_name(g) for g in e.get("groups", ["default"]) or []}
            if not groups & wanted or not applies(e.get("marker"), inputs.environment, line, "pdm.lock"):
                continue
            kind: SourceKind = "registry"
            location = None
            for field, k in (("git", "git"), ("url", "url"), ("path", "path")):
                if field in e:
                    kind, location = k, str(e[field])  # type: ignore[assignment]
            if e.get("editable"):
                kind = "editable"
            packages.setdefault(
                (name, e.get("version")),
                LockedPackage(name, e.get("version"), line, kind, location, file_hashes(e.get("files"))),
            )
        lock = Lock(
            path=path, tool="pdm", packages=list(packages.values()), names=frozenset(k[0] for k in seen)
        )
        recorded = meta.get("content_hash") if isinstance(meta, dict) else None
        if inputs.pyproject is not None and isinstance(recorded, str) and ":" in recorded:
            algo, value = recorded.split(":", 1)
            if algo == "sha256" and pdm_content_hash(inputs.pyproject) != value:
                lock.outdated = "pyproject.toml changed since pdm.lock was written (content_hash differs)"
        return lock
