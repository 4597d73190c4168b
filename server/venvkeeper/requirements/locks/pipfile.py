"""Pipfile.lock (JSON): ``default`` and ``develop``, as ``pipenv sync --dev`` installs them.

Positions come from one pass over the text: pipenv writes 4-space-indented JSON, so a package entry
is a line ``        "name": {`` inside the ``"default"``/``"develop"`` object. Freshness:
``_meta.hash.sha256`` against :func:`~venvkeeper.requirements.locks.hashes.pipfile_hashes`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from venvkeeper.requirements.locks.common import applies, check_marker, no_duplicates
from venvkeeper.requirements.locks.hashes import pipfile_hashes
from venvkeeper.requirements.locks.model import Lock, LockedPackage, LockInputs, LockInvalid, SourceKind

KNOWN_SPECS = frozenset({6})
_SECTION = re.compile(r'^ {4}"(default|develop|_meta|[^"]*)"\s*:', re.M)
_ENTRY = re.compile(r'^ {8}"((?:[^"\\]|\\.)*)"\s*:\s*\{', re.M)


def _positions(lock_text: str) -> dict[tuple[str, str], int]:
    """(section, name as written) -> 0-based line, in one pass."""
    marks = sorted(
        [(m.start(), "section", m.group(1)) for m in _SECTION.finditer(lock_text)]
        + [(m.start(), "entry", m.group(1)) for m in _ENTRY.finditer(lock_text)]
    )
    out: dict[tuple[str, str], int] = {}
    section = ""
    line = 0
    last = 0
    for offset, kind, name in marks:
        line += lock_text.count("\n", last, offset)
        last = offset
        if kind == "section":
            section = name
        else:
            out.setdefault((section, name), line)
    return out


def _duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise LockInvalid(
                f"Pipfile.lock lists {key!r} twice in one section; regenerate it with `pipenv lock`"
            )
        seen[key] = value
    return seen


class PipfileReader:
    tool = "pipenv"

    def matches(self, name: str) -> bool:
        return name == "Pipfile.lock"

    def read(self, lock_text: str, path: Path, inputs: LockInputs) -> Lock:
        try:
            data = json.loads(lock_text, object_pairs_hook=_duplicate_keys)
        except json.JSONDecodeError as exc:
            raise LockInvalid(
                f"Pipfile.lock is not valid JSON: {exc.msg} (line {exc.lineno})", exc.lineno - 1
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("_meta"), dict):
            raise LockInvalid("Pipfile.lock has no `_meta` object")
        meta = data["_meta"]
        spec = meta.get("pipfile-spec")
        if spec not in KNOWN_SPECS:
            raise LockInvalid(f"Pipfile.lock has pipfile-spec {spec!r}; venvkeeper reads 6")
        lines = _positions(lock_text)
        packages: list[LockedPackage] = []
        names: set[str] = set()
        for section in ("default", "develop"):
            entries = data.get(section, {})
            if not isinstance(entries, dict):
                raise LockInvalid(f"Pipfile.lock: `{section}` is not an object")
            for written, entry in entries.items():
                line = lines.get((section, written), 0)
                if not isinstance(entry, dict):
                    raise LockInvalid(f"Pipfile.lock: the entry for {written!r} is not an object", line)
                name = canonicalize_name(written)
                check_marker(entry.get("markers"), line, "Pipfile.lock")
                if name in names or not applies(
                    entry.get("markers"), inputs.environment, line, "Pipfile.lock"
                ):
                    continue  # in both sections: pipenv installs the default pin once
                names.add(name)
                version = entry.get("version")
                pinned = version[2:] if isinstance(version, str) and version.startswith("==") else None
                kind: SourceKind = "registry"
                location = None
                for field, k in (("git", "git"), ("file", "url"), ("path", "path")):
                    if field in entry:
                        kind, location = k, str(entry[field])  # type: ignore[assignment]
                if entry.get("editable"):
                    kind = "editable"
                hashes = tuple(h for h in entry.get("hashes", []) if isinstance(h, str))
                packages.append(LockedPackage(name, pinned, line, kind, location, hashes))
        no_duplicates(packages, "Pipfile.lock")
        all_names = frozenset(
            canonicalize_name(n)
            for s in ("default", "develop")
            if isinstance(data.get(s), dict)
            for n in data[s]
        )
        lock = Lock(path=path, tool="pipenv", packages=packages, names=all_names)
        recorded = meta.get("hash", {}).get("sha256") if isinstance(meta.get("hash"), dict) else None
        if (
            inputs.pipfile is not None
            and isinstance(recorded, str)
            and recorded not in pipfile_hashes(inputs.pipfile)
        ):
            lock.outdated = "the Pipfile changed since Pipfile.lock was written (_meta.hash differs)"
        return lock
