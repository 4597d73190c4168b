"""uv.lock: the project's own closure, as ``uv sync`` installs it.

Selection follows ``uv sync`` without flags: the project's (or workspace member's) dependencies, no
extras, the ``[tool.uv] default-groups`` (default ``["dev"]``; ``"all"`` = every group), followed
through the lock's dependency edges with markers evaluated for the env. Several entries may share a
name (forked resolutions); an edge names the version it means when that is ambiguous.

Freshness: the root package's ``[package.metadata] requires-dist`` / ``requires-dev`` record what the
lock was made from; they are compared with ``[project]`` dependencies, optional dependencies and
``[dependency-groups]`` by name, specifier, extras and the extra they belong to (uv rewrites markers,
so other marker text is not compared).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from venvkeeper.requirements import _toml
from venvkeeper.requirements.locks.common import applies, canonical, check_marker, no_duplicates, text
from venvkeeper.requirements.locks.model import Lock, LockedPackage, LockInputs, LockInvalid, SourceKind
from venvkeeper.requirements.locks.tomlscan import Unsupported, scan_uv

#: uv.lock ``version`` values this reader understands (uv 0.3 … 0.9+ write 1).
KNOWN_VERSIONS = frozenset({1})
_SOURCE_KINDS: dict[str, SourceKind] = {
    "registry": "registry", "git": "git", "url": "url", "path": "path",
    "directory": "directory", "editable": "editable", "virtual": "virtual",
}  # fmt: skip
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")

Entry = dict[str, Any]


def _source(entry: Entry) -> tuple[SourceKind, Optional[str]]:
    src = entry.get("source")
    if isinstance(src, dict):
        for key, value in src.items():
            if key in _SOURCE_KINDS:
                kind = _SOURCE_KINDS[key]
                return kind, None if kind == "registry" else str(value)
    return "registry", None


class UvReader:
    tool = "uv"

    def matches(self, name: str) -> bool:
        return name == "uv.lock"

    def read(self, lock_text: str, path: Path, inputs: LockInputs) -> Lock:
        top, entries = _parse(lock_text)
        version = top.get("version")
        if version not in KNOWN_VERSIONS:
            raise LockInvalid(
                f"uv.lock has version {version!r}; venvkeeper reads version 1", _line_of(lock_text, "version")
            )
        by_name: dict[str, list[Entry]] = {}
        for e in entries:
            name = canonical(text(e.get("name"), "a package's name", e["_line"], "uv.lock"))
            e["_name"] = name
            by_name.setdefault(name, []).append(e)
        _check_markers(entries)
        lock = Lock(path=path, tool="uv", names=frozenset(by_name))
        root = self._root(entries, inputs.member)
        selected = self._closure(root, entries, by_name, inputs)
        packages = [
            LockedPackage(
                name=e["_name"], version=e.get("version"), line=e["_line"], source=src, location=loc
            )
            for e in selected
            for src, loc in [_source(e)]
        ]
        _no_duplicate_entries(entries)
        lock.packages = packages
        if root is not None and inputs.pyproject is not None:
            lock.outdated, lock.changed = _outdated(root, inputs.pyproject)
        return lock

    @staticmethod
    def _root(entries: list[Entry], member: str) -> Optional[Entry]:
        want = member or "."
        for e in entries:
            kind, loc = _source(e)
            if kind in ("editable", "virtual") and loc is not None and Path(loc) == Path(want):
                return e
        return None

    @staticmethod
    def _closure(
        root: Optional[Entry], entries: list[Entry], by_name: dict[str, list[Entry]], inputs: LockInputs
    ) -> list[Entry]:
        env = inputs.environment
        edges: list[Entry] = []
        if root is None and inputs.member:
            return []  # a project below the workspace root that is not one of its members
        if root is None:
            # A virtual workspace root (no [project]): `uv sync` installs every member.
            edges = [
                {"name": e["_name"], "version": e.get("version")}
                for e in entries
                if _source(e)[0] in ("editable", "virtual")
            ]
        else:
            edges = list(root.get("dependencies", []))
            groups = root.get("dev-dependencies", {})
            if isinstance(groups, dict):
                for group in _default_groups(inputs.pyproject, list(groups)):
                    edges.extend(groups.get(group, []))
            extras = root.get("optional-dependencies", {})
            if isinstance(extras, dict) and inputs.extras:
                wanted = (
                    list(extras) if inputs.extras == "all" else [canonicalize_name(x) for x in inputs.extras]
                )
                for extra in wanted:
                    edges.extend(extras.get(extra, []))
        seen: set[int] = set() if root is None else {id(root)}
        out: list[Entry] = []
        queue: deque[tuple[Entry, int]] = deque((edge, root["_line"] if root else 0) for edge in edges)
        while queue:
            edge, line = queue.popleft()
            if not isinstance(edge, dict):
                raise LockInvalid("uv.lock: a dependency is not a table", line)
            if not applies(edge.get("marker"), env, line, "uv.lock"):
                continue
            target = _resolve(edge, by_name, env, line)
            if target is None:
                continue
            extras = edge.get("extra") or []
            key = id(target)
            if key not in seen:
                seen.add(key)
                out.append(target)
                queue.extend((d, target["_line"]) for d in target.get("dependencies", []))
            optional = target.get("optional-dependencies", {})
            for extra in extras if isinstance(optional, dict) else []:
                queue.extend((d, target["_line"]) for d in optional.get(extra, []))
        return out


def _no_duplicate_entries(entries: list[Entry]) -> None:
    """One name at one version from one source twice is a bad merge, not a fork."""
    seen: dict[tuple[str, Any, str], int] = {}
    for e in entries:
        key = (e["_name"], e.get("version"), str(_source(e)[1]))
        if key in seen:
            no_duplicates(
                [
                    LockedPackage(e["_name"], e.get("version"), seen[key]),
                    LockedPackage(e["_name"], e.get("version"), e["_line"]),
                ],
                "uv.lock",
            )
        seen[key] = e["_line"]


def _check_markers(entries: list[Entry]) -> None:
    for e in entries:
        line = e["_line"]
        for edge in e.get("dependencies", []) or []:
            if isinstance(edge, dict) and "marker" in edge:
                check_marker(edge["marker"], line, "uv.lock")
        for table in ("optional-dependencies", "dev-dependencies"):
            groups = e.get(table) or {}
            for edges in groups.values() if isinstance(groups, dict) else []:
                for edge in edges or []:
                    if isinstance(edge, dict) and "marker" in edge:
                        check_marker(edge["marker"], line, "uv.lock")
        for marker in e.get("resolution-markers", []) or []:
            check_marker(marker, line, "uv.lock")


def _resolve(edge: Entry, by_name: dict[str, list[Entry]], env: Any, line: int) -> Optional[Entry]:
    name = canonical(text(edge.get("name"), "a dependency's name", line, "uv.lock"))
    candidates = by_name.get(name, [])
    if not candidates:
        raise LockInvalid(f"uv.lock: a dependency on {name} has no [[package]] entry", line)
    if len(candidates) == 1:
        return candidates[0]
    version = edge.get("version")
    if version is not None:
        matching = [c for c in candidates if c.get("version") == version]
        if matching:
            return matching[0]
    for c in candidates:  # a fork: the entry whose resolution markers hold for the env
        markers = c.get("resolution-markers") or []
        if not markers or any(applies(m, env, c["_line"], "uv.lock") for m in markers):
            return c
    return None


def _default_groups(pyproject: Any, available: list[str]) -> list[str]:
    uv = (pyproject or {}).get("tool", {}).get("uv", {}) if isinstance(pyproject, dict) else {}
    groups = uv.get("default-groups", ["dev"]) if isinstance(uv, dict) else ["dev"]
    if groups == "all":
        return available
    if not isinstance(groups, list):
        return ["dev"]
    return [canonicalize_name(g) for g in groups if isinstance(g, str)]


def _parse(lock_text: str) -> tuple[dict[str, Any], list[Entry]]:
    try:
        return scan_uv(lock_text)
    except Unsupported:
        pass
    # Not in uv's own layout (edited by hand, another writer): the full TOML parser decides.
    try:
        data = _toml.loads(lock_text)
    except _toml.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise LockInvalid(f"uv.lock is not valid TOML: {exc}", int(m.group(1)) - 1 if m else 0) from exc
    from venvkeeper.requirements.locks.tomlscan import header_lines

    raw = data.get("package", [])
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise LockInvalid("uv.lock: `package` is not an array of tables")
    lines = header_lines(lock_text, "[[package]]")
    for i, p in enumerate(raw):
        p["_line"] = lines[i] if i < len(lines) else 0
    return data, raw


def _line_of(lock_text: str, key: str) -> int:
    m = re.search(rf"^{re.escape(key)}\s*=", lock_text, re.M)
    return lock_text.count("\n", 0, m.start()) if m else 0


# -- freshness -------------------------------------------------------------------------------------
Key = tuple[str, str, tuple[str, ...], str]


def _key_of_lock(entry: Any) -> Optional[Key]:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        return None
    marker = entry.get("marker") or ""
    m = _EXTRA_MARKER.search(marker)
    spec = entry.get("specifier", "")
    if any(k in entry for k in ("git", "path", "url", "editable", "directory")):
        spec = "@"
    try:
        spec = str(SpecifierSet(spec)) if spec != "@" else spec
    except InvalidSpecifier:
        pass
    extras = tuple(sorted(canonicalize_name(x) for x in entry.get("extras", []) if isinstance(x, str)))
    return (
        canonicalize_name(entry["name"]),
        _norm_spec(spec),
        extras,
        canonicalize_name(m.group(1)) if m else "",
    )


def _key_of_requirement(text_: str, extra: str, sources: Mapping[str, Any]) -> Optional[Key]:
    try:
        req = Requirement(text_)
    except InvalidRequirement:
        return None
    name = canonicalize_name(req.name)
    spec = "@" if (req.url or name in sources) else str(req.specifier)
    return name, _norm_spec(spec), tuple(sorted(canonicalize_name(x) for x in req.extras)), extra


def _norm_spec(spec: str) -> str:
    if spec == "@":
        return spec
    return ",".join(sorted(s.strip() for s in spec.split(",") if s.strip()))


def _outdated(root: Entry, pyproject: Any) -> tuple[Optional[str], tuple[str, ...]]:
    project = pyproject.get("project") if isinstance(pyproject, dict) else None
    if not isinstance(project, dict):
        return None, ()
    meta = root.get("metadata")
    if not isinstance(meta, dict):
        return None, ()
    uv = pyproject.get("tool", {}).get("uv", {}) if isinstance(pyproject.get("tool"), dict) else {}
    sources: dict[str, Any] = (
        {canonicalize_name(k): v for k, v in (uv.get("sources") or {}).items()}
        if isinstance(uv, dict)
        else {}
    )
    declared: set[Key] = set()
    for dep in project.get("dependencies", []) or []:
        if isinstance(dep, str) and (k := _key_of_requirement(dep, "", sources)):
            declared.add(k)
    for extra, deps in (project.get("optional-dependencies", {}) or {}).items():
        for dep in deps if isinstance(deps, list) else []:
            if isinstance(dep, str) and (k := _key_of_requirement(dep, canonicalize_name(extra), sources)):
                declared.add(k)
    recorded = {k for e in meta.get("requires-dist", []) or [] if (k := _key_of_lock(e))}
    # Groups: compared per group name (PEP 735 [dependency-groups] and legacy tool.uv dev-dependencies).
    declared_groups: dict[str, set[Key]] = {}
    for group, deps in (pyproject.get("dependency-groups", {}) or {}).items():
        bucket = declared_groups.setdefault(canonicalize_name(group), set())
        for dep in deps if isinstance(deps, list) else []:
            if isinstance(dep, str) and (k := _key_of_requirement(dep, "", sources)):
                bucket.add(k)
    legacy = uv.get("dev-dependencies") if isinstance(uv, dict) else None
    if isinstance(legacy, list):
        bucket = declared_groups.setdefault("dev", set())
        bucket.update(k for d in legacy if isinstance(d, str) and (k := _key_of_requirement(d, "", sources)))
    recorded_groups: dict[str, set[Key]] = {}
    requires_dev = meta.get("requires-dev", {}) or {}
    for group, deps in requires_dev.items() if isinstance(requires_dev, dict) else []:
        recorded_groups[canonicalize_name(group)] = {k for e in deps or [] if (k := _key_of_lock(e))}
    added = (declared - recorded) | {
        k for g, ks in declared_groups.items() for k in ks - recorded_groups.get(g, set())
    }
    removed = (recorded - declared) | {
        k for g, ks in recorded_groups.items() for k in ks - declared_groups.get(g, set())
    }
    if not added and not removed:
        return None, ()
    names = sorted({k[0] for k in added})
    gone = sorted({k[0] for k in removed} - set(names))
    parts = []
    if names:
        parts.append("changed or added: " + ", ".join(names))
    if gone:
        parts.append("removed: " + ", ".join(gone))
    return "pyproject.toml's dependencies changed since uv.lock was written (" + "; ".join(
        parts
    ) + ")", tuple(names)
