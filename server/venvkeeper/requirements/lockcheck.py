"""The lock check: does the env hold what the project's lock pins, and is the lock still current?

- ``lock-drift``: a locked package is missing from the env, has another version, or comes from
  another kind of source. Placed on the dependency's line in pyproject.toml / Pipfile when it is a
  direct dependency, else on the package's entry in the lock. A name the requirement check already
  reports (not installed, or outside its range) is not reported again.
- ``lock-outdated``: the declared dependencies changed since the lock was written (the lock's recorded
  inputs, see each reader); on the lock's first line and on each changed dependency's line.
- ``lock-invalid``: the lock cannot be read or used; one finding, nothing else from that lock.

Pure reads: the lock, pyproject.toml/Pipfile and the env's site-packages; nothing is run.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Optional

from packaging.version import InvalidVersion, Version

from venvkeeper import fsread
from venvkeeper.context import CheckContext
from venvkeeper.findings import FILE_START, Finding, Span
from venvkeeper.requirements import _toml
from venvkeeper.requirements.installed import InstalledDist, read_installed
from venvkeeper.requirements.locks import (
    Lock,
    LockedPackage,
    LockInputs,
    LockInvalid,
    find_lock,
    lock_member,
    read_lock,
)
from venvkeeper.requirements.locks.model import LOCAL_SOURCES
from venvkeeper.requirements.markers import marker_environment
from venvkeeper.requirements.provider import env_site_dirs, last_consistency, requirement_problems
from venvkeeper.requirements.records import RequirementRecord, read_source_text
from venvkeeper.requirements.sources import parse_sources, project_sources

__all__ = ["drift_summary", "lock_files", "lock_findings"]


def lock_files(project: Path) -> list[Path]:
    """The lock file the check reads for ``project`` (for the watcher, the CLI and the sync record)."""
    lock = find_lock(project)
    return [lock] if lock is not None else []


def _toml_data(path: Path) -> Optional[Mapping[str, Any]]:
    if not path.is_file():
        return None
    text, _problem = read_source_text(path)
    if text is None:
        return None
    try:
        return _toml.loads(text)
    except _toml.TOMLDecodeError:
        return None  # the requirement check reports pyproject's syntax error; the lock check says nothing


def _line_span(line: int) -> Span:
    return Span(line, 0, line, 0) if line else FILE_START


def lock_findings(ctx: CheckContext) -> list[Finding]:
    path = find_lock(ctx.project)
    if path is None:
        return []
    env = ctx.env
    usable = env is not None and env.state == "ok"
    base: dict[str, Any] = {"project": str(ctx.project), "source": str(path), "lock": str(path)}
    if env is not None:
        base["env"] = str(env.path)
    pyproject = _toml_data(ctx.project / "pyproject.toml")
    inputs = LockInputs(
        environment=marker_environment(env if usable else None, ctx.host),
        pyproject=pyproject,
        pipfile=_toml_data(ctx.project / "Pipfile") if path.name == "Pipfile.lock" else None,
        member=lock_member(ctx.project, path),
    )
    try:
        lock = read_lock(path, inputs)
    except LockInvalid as exc:
        message = f"{exc.message}; the env is not compared with it"
        return [Finding(path, _line_span(exc.line), "lock-invalid", message, dict(base))]
    direct = _direct_lines(ctx, lock)
    findings = _outdated(lock, direct, base)
    if usable and env is not None:
        findings += _drift(ctx, lock, direct, base, env_site_dirs(env))
    return findings


# -- where a package's finding goes ----------------------------------------------------------------
def _direct_lines(ctx: CheckContext, lock: Lock) -> dict[str, tuple[Path, Span]]:
    """Canonical name -> (file, span) of its declaration in pyproject.toml / Pipfile."""
    out: dict[str, tuple[Path, Span]] = {}
    if lock.tool == "pipenv":
        pipfile = ctx.project / "Pipfile"
        text, _ = read_source_text(pipfile) if pipfile.is_file() else (None, None)
        for name, span in _pipfile_lines(text or ""):
            out.setdefault(name, (pipfile, span))
        return out
    parsed = ctx.cached(
        "parsed_sources",
        lambda: parse_sources(
            project_sources(ctx.project, ctx.settings, ctx.host), ctx.settings, ctx.host, ctx.project
        ),
    )
    records: Iterable[RequirementRecord] = parsed.requirements
    for record in records:
        if record.name and record.file.name == "pyproject.toml" and record.file.parent == ctx.project:
            out.setdefault(record.name, (record.file, record.span))
    return out


_PIPFILE_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_PIPFILE_KEY = re.compile(r"""^\s*("?)([A-Za-z0-9._-]+)\1\s*=""")


def _pipfile_lines(text: str) -> list[tuple[str, Span]]:
    from packaging.utils import canonicalize_name

    out: list[tuple[str, Span]] = []
    section = ""
    for i, line in enumerate(text.splitlines()):
        m = _PIPFILE_SECTION.match(line)
        if m:
            section = m.group(1).strip()
            continue
        if section in ("packages", "dev-packages"):
            k = _PIPFILE_KEY.match(line)
            if k:
                out.append((canonicalize_name(k.group(2)), Span(i, 0, i, len(line.rstrip()))))
    return out


# -- lock-outdated ---------------------------------------------------------------------------------
def _outdated(lock: Lock, direct: dict[str, tuple[Path, Span]], base: dict[str, Any]) -> list[Finding]:
    if lock.outdated is None:
        return []
    tool = {"pylock": "your locking tool"}.get(lock.tool, lock.tool)
    message = f"{lock.outdated}; re-lock with {tool} (`{_relock(lock.tool)}`)"
    out = [Finding(lock.path, FILE_START, "lock-outdated", message, dict(base))]
    changed = lock.changed
    if not changed and lock.tool in ("poetry", "pdm", "pipenv"):
        # A content hash says that something changed, not what: a declared dependency the lock has
        # no entry for at all was certainly added since.
        changed = tuple(sorted(name for name in direct if name not in lock.names))
    for name in changed:
        if name in direct:
            file, span = direct[name]
            text = f"{name} changed since {lock.path.name} was written; re-lock with `{_relock(lock.tool)}`"
            out.append(Finding(file, span, "lock-outdated", text, dict(base)))
    return out


def _relock(tool: str) -> str:
    return {"uv": "uv lock", "poetry": "poetry lock", "pdm": "pdm lock", "pipenv": "pipenv lock"}.get(
        tool, "re-lock"
    )


# -- lock-drift ------------------------------------------------------------------------------------
def same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _installed_from_url(dist: InstalledDist) -> bool:
    """Installed from a direct reference (VCS, URL, local path) rather than an index (PEP 610)."""
    # One stat per dist (a dist-info *file* of a legacy install has no direct_url.json beside it).
    return not dist.editable and fsread.is_file(os.path.join(dist.path, "direct_url.json"))


def _drift(
    ctx: CheckContext,
    lock: Lock,
    direct: dict[str, tuple[Path, Span]],
    base: dict[str, Any],
    site_dirs: list[Path],
) -> list[Finding]:
    installed = read_installed(site_dirs)
    # Said once: what the requirement check or the consistency check (a dist requires it: missing or
    # at a version it does not accept) already reports for a name is not repeated as drift.
    reported = {p.record.name for p in requirement_problems(ctx) if p.record.name}
    if ctx.env is not None:
        report = last_consistency(ctx.env, ctx.host)
        reported |= {c.edge.target for c in report.conflicts if c.edge is not None}
    name = lock.path.name
    out: list[Finding] = []
    for pkg in lock.packages:
        if pkg.source == "virtual" or pkg.name in reported:
            continue
        dist = installed.get(pkg.name)
        message = _drift_message(pkg, dist, name)
        if message is None:
            continue
        file, span = direct.get(pkg.name, (lock.path, _line_span(pkg.line)))
        data = dict(base)
        if pkg.source == "registry" and pkg.version:
            data["requirement"] = data["install"] = f"{pkg.name}=={pkg.version}"
        data["lockedPackage"] = pkg.name
        out.append(Finding(file, span, "lock-drift", message, data))
    return out


def _drift_message(pkg: LockedPackage, dist: Optional[InstalledDist], lock: str) -> Optional[str]:
    pin = f"{pkg.name} {pkg.version}" if pkg.version else pkg.name
    if dist is None:
        return f"{lock} locks {pin}, which is not installed in the env"
    if pkg.source in LOCAL_SOURCES:
        return None  # a local project or member: its version is whatever its tree says
    if pkg.version and not same_version(dist.version, pkg.version):
        return f"{pkg.name} {dist.version} is installed; {lock} locks {pkg.version}"
    if pkg.source == "registry" and _installed_from_url(dist):
        return f"{pkg.name} is installed from a direct URL or path; {lock} locks it from the package index"
    if pkg.source in ("git", "url") and not _installed_from_url(dist) and not dist.editable:
        return f"{pkg.name} is installed from the package index; {lock} locks it from {pkg.location}"
    return None


def drift_summary(findings: Iterable[Finding]) -> Optional[str]:
    """ "N packages differ from uv.lock" for the status tooltip, or None without lock drift."""
    counts = Counter(Path(str(f.data.get("lock", ""))).name for f in findings if f.code == "lock-drift")
    if not counts:
        return None
    parts = [
        f"{n} package{'s' if n != 1 else ''} differ{'s' if n == 1 else ''} from {lock}"
        for lock, n in counts.items()
    ]
    return "; ".join(parts)
