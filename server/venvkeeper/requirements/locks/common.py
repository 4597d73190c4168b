"""What the lock readers share: marker evaluation (cached), version checks, duplicate detection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Optional

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvkeeper.requirements.locks.model import LockedPackage, LockInvalid
from venvkeeper.requirements.markers import marker_applies


@lru_cache(maxsize=4096)
def _marker(text: str) -> Marker:
    return Marker(text)


def _parsed(marker: str, line: int, lock: str) -> Marker:
    """The marker, parsed; one that does not parse makes the lock invalid."""
    try:
        return _marker(marker)
    except InvalidMarker as exc:
        raise LockInvalid(f"{lock}: the marker {marker!r} does not parse: {exc}", line) from exc


def check_marker(marker: Any, line: int, lock: str) -> None:
    """Every marker in the lock must parse, also where no edge for this env leads: else it is corrupt."""
    if marker is None:
        return
    if not isinstance(marker, str):
        raise LockInvalid(f"{lock}: a marker is not a string", line)
    _parsed(marker, line, lock)


def applies(marker: Optional[str], environment: Mapping[str, str], line: int, lock: str) -> bool:
    """Whether a lock entry's marker holds for the env; a marker that does not parse invalidates the lock."""
    if not marker:
        return True
    parsed = _parsed(marker, line, lock)
    return marker_applies(parsed, environment)


def applies_in_lock_context(
    marker: Optional[str], environment: Mapping[str, str], groups: Iterable[str], line: int, lock: str
) -> bool:
    """PEP 751 markers may test ``extras``/``dependency_groups`` (packaging >= 25: context="lock_file")."""
    if not marker:
        return True
    parsed = _parsed(marker, line, lock)
    env: dict[str, Any] = {**environment, "extras": frozenset(), "dependency_groups": frozenset(groups)}
    try:
        return bool(parsed.evaluate(env, context="lock_file"))  # type: ignore[call-arg, unused-ignore]
    except TypeError:  # packaging < 25 has no lock-file context: markers on groups cannot be told
        return marker_applies(parsed, environment)
    except (UndefinedComparison, UndefinedEnvironmentName, ValueError):
        return True


def format_version(value: Any) -> Optional[Version]:
    """A lock's format version (``lock-version``, ``lock_version``); None when it is not a version."""
    try:
        return Version(str(value))
    except InvalidVersion:
        return None


def text(value: Any, what: str, line: int, lock: str) -> str:
    if not isinstance(value, str) or not value:
        raise LockInvalid(f"{lock}: {what} is missing or not a string", line)
    return value


def no_duplicates(packages: Iterable[LockedPackage], lock: str, key: Any = None) -> None:
    """The same package (name, version, source) twice is a corrupt lock (a bad merge), not a fork."""
    seen: dict[tuple[str, Optional[str], Optional[str]], int] = {}
    for p in packages:
        k = (p.name, p.version, p.location)
        if k in seen:
            raise LockInvalid(
                f"{lock} lists {p.name} {p.version or ''} twice (lines {seen[k] + 1} and {p.line + 1}); "
                "regenerate it with its tool",
                p.line,
            )
        seen[k] = p.line


@lru_cache(maxsize=8192)
def canonical(name: str) -> str:
    """``canonicalize_name``, memoised: a lock names each package once per edge pointing at it."""
    return canonicalize_name(name)


def file_hashes(files: Any) -> tuple[str, ...]:
    """``sha256:<hex>`` hashes of a Poetry/PDM entry's ``files = [{file, hash}]`` (pip's ``--hash``)."""
    if not isinstance(files, list):
        return ()
    out = [
        f["hash"]
        for f in files
        if isinstance(f, Mapping) and isinstance(f.get("hash"), str) and f["hash"].startswith("sha256:")
    ]
    return tuple(dict.fromkeys(out))
