"""Where each inconsistency of the env is shown: on the lines the user can act on.

A :class:`~venvkeeper.requirements.conflicts.Conflict` says "installed X requires Y<spec>, but Y v is
installed". The project's requirement lines say which of X and Y the user asked for:

* Y declared (the line that *caused* it): "numpy 1.24.3 breaks scikit-learn 0.24.1, which requires
  numpy<1.24";
* X declared (the dist it *broke*): "scikit-learn 0.24.1 needs numpy<1.24, but numpy 1.24.3 is
  installed (required by line 1)";
* neither (both transitive): on the declared requirement that pulled X in, naming the shortest chain:
  "requests → urllib3<3 ← installed urllib3 3.0.1 (pulled in by botocore)";
* nothing declared reaches X: one finding per code on the first line of the project's main source
  listing them all, so a broken env is never silent.

Pure: the consistency report, the parsed records and the env's marker values in, findings out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

from packaging.utils import canonicalize_name

from venvkeeper.findings import FILE_START, Finding
from venvkeeper.requirements.conflicts import Conflict, Consistency, Edge, shown_name
from venvkeeper.requirements.markers import marker_applies
from venvkeeper.requirements.records import RequirementRecord


def declared_requirements(
    records: Sequence[RequirementRecord], environment: Mapping[str, str]
) -> dict[str, RequirementRecord]:
    """The first requirement line per canonical name whose marker holds for the env."""
    out: dict[str, RequirementRecord] = {}
    for record in records:
        req = record.requirement
        if record.name is None or record.constraint or record.name in out:
            continue
        if req is not None and not marker_applies(req.marker, environment):
            continue
        out[record.name] = record
    return out


def requested_extras(declared: Mapping[str, RequirementRecord]) -> dict[str, set[str]]:
    """The extras the project asks for, per canonical name (``web.kit[fast]`` -> {"web-kit": {"fast"}})."""
    return {
        name: set(r.requirement.extras)
        for name, r in declared.items()
        if r.requirement is not None and r.requirement.extras
    }


class _Chains:
    """Shortest paths from the declared dists through installed requirements (BFS; cycles are harmless)."""

    def __init__(self, report: Consistency, roots: Sequence[str]) -> None:
        self.parent: dict[str, Optional[str]] = {}
        queue: deque[str] = deque()
        for root in roots:
            if root in report.installed and root not in self.parent:
                self.parent[root] = None
                queue.append(root)
        while queue:
            current = queue.popleft()
            for edge in report.edges.get(current, []):
                if edge.target in report.installed and edge.target not in self.parent:
                    self.parent[edge.target] = current
                    queue.append(edge.target)

    def chain(self, name: str) -> list[str]:
        """[root, …, name], or [] when no declared dist reaches ``name``."""
        if name not in self.parent:
            return []
        out = [name]
        step = self.parent[name]
        while step is not None:
            out.append(step)
            step = self.parent[step]
        return out[::-1]


def _said_by_extra_check(record: RequirementRecord, edge: Edge) -> bool:
    """The line itself asks for the extra whose requirement fails: its ``extra-missing`` already says so."""
    req = record.requirement
    return bool(edge.extra) and req is not None and edge.extra in {canonicalize_name(e) for e in req.extras}


def _line(record: RequirementRecord, other: RequirementRecord) -> str:
    """How a message on ``other``'s line refers to ``record``: "line 3" or "requirements-dev.txt line 3"."""
    where = f"line {record.span.line + 1}"
    return where if record.file == other.file else f"{record.file.name} {where}"


def conflict_findings(
    report: Consistency,
    declared: Mapping[str, RequirementRecord],
    main: Path,
    label: str,
) -> list[Finding]:
    """Findings for every conflict of ``report``, placed as the module docstring says."""
    chains = _Chains(report, list(declared))
    names = {n: shown_name(d) for n, d in report.installed.items()}
    out: list[Finding] = []
    orphans: dict[str, list[Conflict]] = {}
    seen: set[tuple[Path, int, str]] = set()

    def add(record: RequirementRecord, conflict: Conflict, message: str, chain: Sequence[str] = ()) -> None:
        key = (record.file, record.span.line, message)
        if key in seen:
            return
        seen.add(key)
        data: dict[str, Any] = {"requirement": record.text, "source": str(record.file)}
        data.update(_data(conflict, [names.get(n, n) for n in chain]))
        out.append(Finding(record.file, record.span, conflict.code, message, data))

    for conflict in report.conflicts:
        x = conflict.dist
        who = f"{names[x.canonical_name]} {x.version}"
        edge = conflict.edge
        via = f" for its '{edge.extra}' extra" if edge is not None and edge.extra else ""
        on_x = declared.get(x.canonical_name)
        # A dist that requires itself is said once, on its own line.
        on_y = declared.get(edge.target) if edge is not None and edge.target != x.canonical_name else None
        chain_x = chains.chain(x.canonical_name)
        shown = " → ".join(names.get(n, n) for n in chain_x)
        placed = False
        if conflict.code == "dependency-conflict" and edge is not None and conflict.installed is not None:
            y = conflict.installed
            have = f"{names[y.canonical_name]} {y.version}"
            if on_y is not None:
                pulled = (
                    f" ({names[x.canonical_name]} is pulled in by {shown})"
                    if on_x is None and len(chain_x) > 1
                    else ""
                )
                add(on_y, conflict, f"{have} breaks {who}, which requires {edge.text}{via}{pulled}", chain_x)
                placed = True
            if on_x is not None and not _said_by_extra_check(on_x, edge):
                why = (
                    f" (required by {_line(on_y, on_x)})"
                    if on_y is not None
                    else _pulled(chains, report, y.canonical_name, x.canonical_name, names)
                )
                add(on_x, conflict, f"{who} needs {edge.text}{via}, but {have} is installed{why}", chain_x)
            placed = placed or on_x is not None
            if not placed and chain_x:
                pulled = _pulled(chains, report, y.canonical_name, x.canonical_name, names)
                add(
                    declared[chain_x[0]],
                    conflict,
                    f"{shown} → {edge.text}{via} ← installed {have}{pulled}",
                    chain_x,
                )
                placed = True
        elif conflict.code == "dependency-missing" and edge is not None:
            if on_x is not None:
                if not _said_by_extra_check(on_x, edge):
                    add(on_x, conflict, f"{who} needs {edge.text}{via}, which is not installed", chain_x)
                placed = True
            elif chain_x:
                add(
                    declared[chain_x[0]],
                    conflict,
                    f"{shown} → {edge.text}{via}, which is not installed",
                    chain_x,
                )
                placed = True
        elif conflict.code == "python-incompatible":
            words = (
                f"{who} requires Python {conflict.requires_python}, but {label} runs Python {conflict.python}"
            )
            if on_x is not None:
                add(on_x, conflict, words, chain_x)
                placed = True
            elif chain_x:
                add(declared[chain_x[0]], conflict, f"{shown}: {words}", chain_x)
                placed = True
        if not placed:
            orphans.setdefault(conflict.code, []).append(conflict)
    out.sort(key=lambda f: (str(f.file), f.span.line))  # the first one is the one a reader meets first
    for code, group in orphans.items():
        listed = "; ".join(c.message for c in group)
        message = f"{label} is inconsistent where this project declares nothing: {listed}"
        data: dict[str, Any] = {"source": str(main), "conflicts": [c.message for c in group]}
        data.update(_data(group[0], []))
        out.append(Finding(main, FILE_START, code, message, data))
    return out


def _pulled(chains: _Chains, report: Consistency, y: str, x: str, names: Mapping[str, str]) -> str:
    """ " (pulled in by P)": the nearest declared-reachable dist other than ``x`` that requires ``y``."""
    for source in chains.parent:  # BFS order: nearest to the declared requirements first
        if source != x and any(e.target == y for e in report.edges.get(source, [])):
            return f" (pulled in by {names.get(source, source)})"
    return ""


def _data(conflict: Conflict, chain: Sequence[str]) -> dict[str, Any]:
    """What a quick fix needs: who requires what, and the chain that pulled it in."""
    data: dict[str, Any] = {"dependent": f"{shown_name(conflict.dist)}=={conflict.dist.version}"}
    edge: Optional[Edge] = conflict.edge
    if edge is not None:
        data["dependency"] = edge.requirement.name
        data["install"] = edge.text  # what the dependent accepts: "Install compatible <dependency>"
    if len(chain) > 1:  # declared -> … -> the dependent: only worth saying when transitive
        data["chain"] = list(chain)
    return data


__all__ = ["conflict_findings", "declared_requirements", "requested_extras"]
