"""Is the env consistent with itself? What ``pip check`` knows, in-process, without spawning.

Every installed dist's ``Requires-Dist`` and ``Requires-Python`` are read from its dist-info/egg-info
(:mod:`venvkeeper.requirements.installed`) and judged for *the env's* interpreter: markers are
evaluated with the env's Python version (pyvenv.cfg) and the host platform. The rules are pip's
(``pip/_internal/operations/check.py``), so the oracle test agrees with ``pip check``:

* a requirement applies when it has no marker or its marker holds with ``extra == ""``;
* an applicable requirement whose name is not installed is ``dependency-missing``;
* an installed version outside the specifier is ``dependency-conflict``; pre-releases count as
  satisfying (``contains(..., prereleases=True)``); a direct reference (``name @ url``) is satisfied
  by any installed version, as pip's empty specifier is.

Beyond pip check, which ignores extras:

* the extras that were actually requested — by the project's own requirement lines and by installed
  dists' ``Requires-Dist: y[extra]``, followed transitively — add that extra's requirements;
* ``python-incompatible``: a dist's ``Requires-Python`` excludes the env's Python (pip refuses to
  install such a dist, but ``pip check`` does not look again once it is installed).

Bad metadata never stops the check: a malformed ``Requires-Dist`` line or ``Requires-Python`` is
skipped, a dist declaring more than :data:`MAX_REQUIRES` requirements is not checked, and two
dist-infos for one name (a half-finished upgrade) are noted; each with a reason in ``skipped`` for the
log. Cycles and self-requirements are plain edges: every edge is judged once, nothing is walked.

Parsing is memoised per dist object (the installed-dist cache hands out the same objects until
site-packages changes) and verdicts per (requirement, version), so a re-check after an unrelated
change costs dictionary lookups.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Optional

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion

from venvkeeper import fsread
from venvkeeper.requirements.installed import InstalledDist
from venvkeeper.requirements.markers import marker_applies
from venvkeeper.requirements.records import parse_requirement

ConflictCode = Literal["dependency-conflict", "dependency-missing", "python-incompatible"]

#: Real dists declare tens of requirements (the largest on PyPI, a few hundred); beyond this the
#: METADATA is not real metadata and the dist's dependencies are not checked.
MAX_REQUIRES = 2000


@dataclass(frozen=True)
class Edge:
    """One applicable requirement of an installed dist: ``source`` requires ``requirement``."""

    #: Canonical names of the requiring dist and of the required one.
    source: str
    target: str
    requirement: Requirement
    #: The requirement as pip prints it, marker dropped: "numpy<1.24", "web-kit[fast]>=1".
    text: str
    #: The extra of ``source`` this requirement belongs to ("" for a base requirement).
    extra: str = ""


@dataclass(frozen=True)
class Conflict:
    code: ConflictCode
    #: The dist whose requirement (or Requires-Python) is not met.
    dist: InstalledDist
    #: The unmet requirement (None for python-incompatible).
    edge: Optional[Edge] = None
    #: The installed dist of the required name (dependency-conflict only).
    installed: Optional[InstalledDist] = None
    #: The unmet ``Requires-Python`` (python-incompatible only).
    requires_python: Optional[str] = None
    #: The env's Python version the verdict was made for.
    python: str = ""

    @property
    def message(self) -> str:
        """The conflict in pip check's words (no positions: placement adds where and why)."""
        who = f"{shown_name(self.dist)} {self.dist.version}"
        if self.code == "python-incompatible":
            return f"{who} requires Python {self.requires_python}, but the env runs Python {self.python}"
        assert self.edge is not None
        via = f" (for its '{self.edge.extra}' extra)" if self.edge.extra else ""
        if self.code == "dependency-missing":
            return f"{who} requires {self.edge.text}{via}, which is not installed"
        assert self.installed is not None
        have = f"{shown_name(self.installed)} {self.installed.version}"
        return f"{who} requires {self.edge.text}{via}, but {have} is installed"


@dataclass
class Consistency:
    #: What was judged: the installed dists by canonical name.
    installed: Mapping[str, InstalledDist] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    #: Applicable requirements per dist (canonical name), extras followed; targets may be missing.
    edges: dict[str, list[Edge]] = field(default_factory=dict)
    #: Why something was not checked (malformed metadata, duplicates), one sentence each, for the log.
    skipped: list[str] = field(default_factory=list)

    #: target -> the edges that require it (built on first use by :meth:`dependents`).
    _by_target: Optional[dict[str, list[Edge]]] = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.conflicts

    def dependents(self, target: str) -> list[Edge]:
        """Every applicable requirement on ``target`` (canonical name), extras followed."""
        if self._by_target is None:
            index: dict[str, list[Edge]] = {}
            for edges in self.edges.values():
                for edge in edges:
                    index.setdefault(edge.target, []).append(edge)
            self._by_target = index
        return self._by_target.get(target, [])


def shown_name(dist: InstalledDist) -> str:
    """The name as the project spells it (METADATA ``Name``, read anyway for ``Requires-Dist``): the
    dist-info directory has "-" escaped, "scikit_learn" for scikit-learn."""
    names = dist.headers().get("name")
    return names[0] if names and names[0] else dist.name


def requirement_text(req: Requirement) -> str:
    """A requirement without its marker, as pip prints it."""
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    if req.url:
        return f"{req.name}{extras} @ {req.url}"
    return f"{req.name}{extras}{req.specifier}"


# -- memos ----------------------------------------------------------------------------------------
_MEMO_MAX = 100_000
#: str(dist.path) -> what was read from that dist-info (see :func:`_meta`).
_PARSED: dict[str, _Meta] = {}
#: (Requires-Dist text, installed version) -> satisfied.
_CONTAINS: dict[tuple[str, str], bool] = {}
#: (environment key, Requires-Dist text, extra) -> the marker holds.
_MARKERS: dict[tuple[str, str, str], bool] = {}
#: (Requires-Python text, Python version) -> satisfied, or None when malformed.
_PYTHON: dict[tuple[str, str], Optional[bool]] = {}


def _bounded(memo: dict[object, object]) -> None:
    if len(memo) > _MEMO_MAX:
        memo.clear()


class _Meta:
    """What the check needs from one dist-info: parsed requirements, skip reasons, Requires-Python."""

    __slots__ = ("dist", "reasons", "reqs", "requires_python", "stamp")

    def __init__(
        self,
        dist: InstalledDist,
        stamp: Optional[tuple[int, ...]],
        reqs: list[tuple[str, Requirement]],
        reasons: list[str],
        requires_python: Optional[str],
    ) -> None:
        self.dist = dist
        self.stamp = stamp
        self.reqs = reqs
        self.reasons = reasons
        self.requires_python = requires_python


def _stamp(dist: InstalledDist) -> Optional[tuple[int, ...]]:
    """Inode, size and mtime of the metadata file(s): an installer replaces, never edits, them."""
    files = [dist.metadata_file]
    if dist.path.suffix == ".egg-info" and files[0] != dist.path:
        files.append(dist.path / "requires.txt")
    out: list[int] = []
    for path in files:
        fsread.looked_at(path)  # a memo hit below skips the read the report cache would have seen
        try:
            st = os.stat(path)
        except OSError:
            out += [0, 0, 0]
            continue
        out += [st.st_ino, st.st_size, st.st_mtime_ns]
    return tuple(out)


def _meta(dist: InstalledDist) -> _Meta:
    """The dist's requirements, parsed once per dist-info.

    The same dist object (site-packages unchanged) is a dictionary hit. After an install the installed-
    dist cache hands out new objects for every dist; a dist-info whose metadata file has the same
    inode, size and mtime is the same dist-info, so one ``stat`` spares re-reading and re-parsing it.
    """
    key = str(dist.path)
    hit = _PARSED.get(key)
    if hit is not None and hit.dist is dist:
        return hit
    stamp = _stamp(dist)
    if hit is not None and hit.stamp == stamp:
        hit.dist = dist
        return hit
    reqs: list[tuple[str, Requirement]] = []
    reasons: list[str] = []
    raw = dist.requires
    if len(raw) > MAX_REQUIRES:
        reasons.append(
            f"{shown_name(dist)} {dist.version} declares {len(raw)} requirements "
            f"(more than {MAX_REQUIRES} is not real metadata): its dependencies were not checked "
            f"({dist.path})"
        )
        raw = []
    for text in raw:
        text = text.strip()
        try:
            reqs.append((text, parse_requirement(text)))
        except InvalidRequirement as exc:
            reasons.append(
                f"{shown_name(dist)} {dist.version}: Requires-Dist {text!r} is not a valid requirement, "
                f"skipped ({str(exc).splitlines()[0]})"
            )
    meta = _Meta(dist, stamp, reqs, reasons, dist.requires_python)
    _bounded(_PARSED)  # type: ignore[arg-type]
    _PARSED[key] = meta
    return meta


def _contains(text: str, spec: SpecifierSet, version: str) -> bool:
    key = (text, version)
    hit = _CONTAINS.get(key)
    if hit is None:
        try:
            hit = spec.contains(version, prereleases=True)
        except InvalidVersion:
            hit = True  # a non-PEP 440 installed version cannot be judged: do not cry wolf
        _bounded(_CONTAINS)  # type: ignore[arg-type]
        _CONTAINS[key] = hit
    return hit


def _python_ok(requires_python: str, python: str) -> Optional[bool]:
    key = (requires_python, python)
    if key not in _PYTHON:
        try:
            verdict: Optional[bool] = SpecifierSet(requires_python).contains(python, prereleases=True)
        except (InvalidSpecifier, InvalidVersion):
            verdict = None
        _bounded(_PYTHON)  # type: ignore[arg-type]
        _PYTHON[key] = verdict
    return _PYTHON[key]


class _Markers:
    """Marker verdicts for one environment, memoised across checks by the environment's values."""

    def __init__(self, environment: Mapping[str, str]) -> None:
        self.environment = environment
        self.key = "\0".join(f"{k}={v}" for k, v in sorted(environment.items()))

    def holds(self, text: str, marker: Marker, extra: str) -> bool:
        key = (self.key, text, extra)
        hit = _MARKERS.get(key)
        if hit is None:
            hit = marker_applies(marker, self.environment, extra)
            _bounded(_MARKERS)  # type: ignore[arg-type]
            _MARKERS[key] = hit
        return hit


_DistEdge = tuple[str, Edge, tuple[str, ...]]
#: (str(dist.path), extra, environment key) -> (the dist-info's _Meta, its applicable edges as (the
#: Requires-Dist text, the edge, the extras it asks of its target), and the bare edges).
_EDGES: dict[tuple[str, str, str], tuple[_Meta, list[_DistEdge], list[Edge]]] = {}


def _edges_of(
    name: str, dist: InstalledDist, extra: str, markers: _Markers
) -> tuple[list[_DistEdge], list[Edge]]:
    """The requirements of ``dist`` (its base ones, or those its ``extra`` adds) whose marker holds.

    Memoised per dist object and environment: the lists are shared, callers must not change them.
    """
    meta = _meta(dist)
    key = (str(dist.path), extra, markers.key)
    hit = _EDGES.get(key)
    if hit is not None and hit[0] is meta:
        return hit[1], hit[2]
    out: list[_DistEdge] = []
    for text, req in meta.reqs:
        if req.marker is not None:
            if not markers.holds(text, req.marker, extra):
                continue
            if extra and markers.holds(text, req.marker, ""):
                continue  # a base requirement, judged with the base
        elif extra:
            continue
        edge = Edge(name, canonicalize_name(req.name), req, requirement_text(req), extra)
        out.append((text, edge, tuple(canonicalize_name(e) for e in sorted(req.extras))))
    bare = [edge for _, edge, _ in out]
    _bounded(_EDGES)  # type: ignore[arg-type]
    _EDGES[key] = (meta, out, bare)
    return out, bare


# -- the check ------------------------------------------------------------------------------------
def check_consistency(
    installed: Mapping[str, InstalledDist],
    environment: Mapping[str, str],
    python: str,
    requested: Mapping[str, Iterable[str]] | None = None,
    duplicates: Mapping[str, list[str]] | None = None,
) -> Consistency:
    """Judge every installed dist's requirements against the other installed dists.

    ``installed`` is keyed by canonical name (:func:`read_installed`); ``environment`` holds the
    env's marker values (:func:`marker_environment`); ``python`` is the env's full Python version;
    ``requested`` maps canonical names to the extras the project asks for (``web.kit[fast]``);
    ``duplicates`` the dist-info dirs of names installed twice (:func:`duplicate_dist_infos`).
    """
    report = Consistency(installed)
    markers = _Markers(environment)
    for name, dirs in sorted((duplicates or {}).items()):
        chosen = installed.get(name)
        using = f"; checking {shown_name(chosen)} {chosen.version}" if chosen is not None else ""
        report.skipped.append(
            f"{name} is installed twice ({', '.join(dirs)}): a half-finished upgrade or uninstall{using}"
        )
    # The extras asked for: by the project, then by the requirements judged below (transitively).
    todo: list[tuple[str, str]] = [
        (name, canonicalize_name(e)) for name, extras in (requested or {}).items() for e in extras
    ]
    for name, dist in installed.items():
        report.skipped.extend(_meta(dist).reasons)
        _check_python(dist, python, report)
        judged, report.edges[name] = _edges_of(name, dist, "", markers)
        _judge(dist, judged, installed, python, report, todo)
    done: set[tuple[str, str]] = set()
    while todo:
        name, extra = todo.pop()
        extra_dist = installed.get(name)
        if extra_dist is None or (name, extra) in done:
            continue
        done.add((name, extra))
        judged, bare = _edges_of(name, extra_dist, extra, markers)
        if judged:
            report.edges[name] = [*report.edges[name], *bare]
            _judge(extra_dist, judged, installed, python, report, todo)
    report.conflicts.sort(key=lambda c: (c.dist.canonical_name, c.code, c.edge.text if c.edge else ""))
    return report


def _judge(
    dist: InstalledDist,
    judged: list[_DistEdge],
    installed: Mapping[str, InstalledDist],
    python: str,
    report: Consistency,
    todo: list[tuple[str, str]],
) -> None:
    """Judge ``dist``'s applicable requirements; queue the extras they ask of their targets."""
    for text, edge, wanted in judged:
        have = installed.get(edge.target)
        if have is None:
            report.conflicts.append(Conflict("dependency-missing", dist, edge, python=python))
            continue
        if not _contains(text, edge.requirement.specifier, have.version):
            report.conflicts.append(Conflict("dependency-conflict", dist, edge, have, python=python))
        if wanted:
            todo.extend((edge.target, w) for w in wanted)


def _check_python(dist: InstalledDist, python: str, report: Consistency) -> None:
    requires_python = _meta(dist).requires_python
    if not requires_python:
        return
    verdict = _python_ok(requires_python, python)
    if verdict is None:
        report.skipped.append(
            f"{shown_name(dist)} {dist.version}: Requires-Python {requires_python!r} "
            "is not a valid specifier, skipped"
        )
    elif not verdict:
        report.conflicts.append(
            Conflict("python-incompatible", dist, requires_python=requires_python, python=python)
        )


__all__ = [
    "Conflict",
    "ConflictCode",
    "Consistency",
    "Edge",
    "check_consistency",
    "requirement_text",
    "shown_name",
]
