"""pylock.toml / pylock.<name>.toml (PEP 751): ``[[packages]]`` selected by their markers.

Markers are evaluated in the lock-file context (packaging >= 25), with no extras and the lock's
``default-groups``. A lock whose ``environments`` all fail for the env selects nothing (it was not
made for this env). ``lock-version`` 1.x is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from venvkeeper.requirements.locks.common import (
    applies,
    applies_in_lock_context,
    check_marker,
    format_version,
    no_duplicates,
    text,
)
from venvkeeper.requirements.locks.model import Lock, LockedPackage, LockInputs, LockInvalid, SourceKind
from venvkeeper.requirements.locks.tomlread import line_of, load_entries


def is_pylock_name(name: str) -> bool:
    # PEP 751: pylock.toml or pylock.<name>.toml, <name> without dots.
    if name == "pylock.toml":
        return True
    return name.startswith("pylock.") and name.endswith(".toml") and "." not in name[7:-5] and len(name) > 12


class PylockReader:
    tool = "pylock"

    def matches(self, name: str) -> bool:
        return is_pylock_name(name)

    def read(self, lock_text: str, path: Path, inputs: LockInputs) -> Lock:
        label = path.name
        data, entries = load_entries(lock_text, label, "packages", frozenset())
        version = data.get("lock-version")
        parsed = format_version(version)
        if parsed is None or parsed.major != 1:
            raise LockInvalid(
                f"{label} has lock-version {version!r}; venvkeeper reads 1.x",
                line_of(lock_text, "lock-version"),
            )
        lock = Lock(path=path, tool="pylock")
        env = inputs.environment
        environments = data.get("environments")
        if isinstance(environments, list) and environments:
            line = line_of(lock_text, "environments")
            if not any(applies(m, env, line, label) for m in environments if isinstance(m, str)):
                return lock
        groups = [g for g in data.get("default-groups", []) or [] if isinstance(g, str)]
        packages: list[LockedPackage] = []
        for e in entries:
            line = e["_line"]
            name = canonicalize_name(text(e.get("name"), "a package's name", line, label))
            check_marker(e.get("marker"), line, label)
            if not applies_in_lock_context(e.get("marker"), env, groups, line, label):
                continue
            kind, location = _source(e)
            packages.append(LockedPackage(name, e.get("version"), line, kind, location, _hashes(e)))
        no_duplicates(packages, label)
        lock.packages = packages
        return lock


def _source(entry: dict[str, Any]) -> tuple[SourceKind, Any]:
    vcs, directory, archive = entry.get("vcs"), entry.get("directory"), entry.get("archive")
    if isinstance(vcs, dict):
        return "git", vcs.get("url") or vcs.get("path")
    if isinstance(directory, dict):
        return ("editable" if directory.get("editable") else "directory"), directory.get("path")
    if isinstance(archive, dict):
        return "url", archive.get("url") or archive.get("path")
    return "registry", None


def _hashes(entry: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for artifact in [entry.get("sdist"), *(entry.get("wheels") or [])]:
        if isinstance(artifact, dict) and isinstance(artifact.get("hashes"), dict):
            out.extend(f"{algo}:{value}" for algo, value in artifact["hashes"].items())
    return tuple(out)
