"""What-if on edit: would installing what a requirement line now says break an installed dependent?

Typing ``numpy==1.24.3`` in a requirements file of an env where scikit-learn 0.24.1 (``Requires-Dist:
numpy<1.24``) is installed gives, on that line and before anything is saved or run: "installing numpy
1.24.3 would break scikit-learn 0.24.1 (requires numpy<1.24)".

Computed from installed metadata only (the consistency report's edges, indexed by target): no index,
no spawn. Only exact pins (``==1.24.3``, ``===1.24.3``) name the version pip would install; for a range
that version depends on the index, so nothing is said rather than a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Optional

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvkeeper.findings import Finding, Span
from venvkeeper.requirements.conflicts import Consistency, Edge, shown_name
from venvkeeper.requirements.markers import marker_applies
from venvkeeper.requirements.records import parse_requirement

CODE = "would-conflict"


def pinned_version(req: Requirement) -> Optional[str]:
    """The one version an exact pin names ("1.24.3" for ``==1.24.3``); None for ranges and wildcards."""
    specs = list(req.specifier)
    if req.url or len(specs) != 1:
        return None
    spec = specs[0]
    if spec.operator not in ("==", "===") or spec.version.endswith(".*"):
        return None
    return spec.version


def _same(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _accepts(edge: Edge, version: str) -> bool:
    try:
        return edge.requirement.specifier.contains(version, prereleases=True)
    except InvalidVersion:
        return True


def would_break(report: Consistency, name: str, version: str) -> list[Edge]:
    """The installed dists' requirements on ``name`` that ``version`` would violate (itself excluded)."""
    target = canonicalize_name(name)
    broken = [e for e in report.dependents(target) if e.source != target and not _accepts(e, version)]
    return sorted(broken, key=lambda e: (e.source, e.text))


def what_if_findings(
    path: Path, text: str, report: Consistency, environment: Mapping[str, str]
) -> list[Finding]:
    """``would-conflict`` findings for the pinned lines of a requirements buffer (saved or not)."""
    out: list[Finding] = []
    for number, raw in enumerate(text.splitlines()):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            req = parse_requirement(line)
        except InvalidRequirement:
            continue  # the on-disk check explains syntax; this one only warns about breakage
        version = pinned_version(req)
        if version is None or not marker_applies(req.marker, environment):
            continue
        have = report.installed.get(canonicalize_name(req.name))
        if have is not None and _same(have.version, version):
            continue  # already installed: nothing would change
        broken = would_break(report, req.name, version)
        if not broken:
            continue
        names = {e.source: shown_name(report.installed[e.source]) for e in broken}
        parts = [
            f"{names[e.source]} {report.installed[e.source].version} (requires {e.text})" for e in broken
        ]
        message = f"installing {req.name} {version} would break " + "; ".join(parts)
        data = {"dependency": req.name, "dependents": [f"{names[e.source]}" for e in broken]}
        start = len(raw) - len(raw.lstrip())
        span = Span(number, start, number, start + len(line))  # the requirement, not its comment
        out.append(Finding(path, span, CODE, message, data))
    return out


__all__ = ["CODE", "pinned_version", "what_if_findings", "would_break"]
