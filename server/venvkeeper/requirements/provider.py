"""The requirement provider for :mod:`venvkeeper.checks`, and the helpers the install actions use.

No spawns: sources are parsed from disk, the env's dists read from its site-packages, markers
evaluated for the env's Python from pyvenv.cfg.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from venvkeeper.context import CheckContext
from venvkeeper.discovery.model import Environment
from venvkeeper.findings import Finding
from venvkeeper.guards.paths import env_label
from venvkeeper.host import Host
from venvkeeper.requirements.check import (
    Checker,
    Problem,
    changed_since_sync,
    inherited_site_dirs,
    problem_finding,
)
from venvkeeper.requirements.conflict_findings import (
    conflict_findings,
    declared_requirements,
    requested_extras,
)
from venvkeeper.requirements.conflicts import Consistency, check_consistency
from venvkeeper.requirements.installed import InstalledDist, duplicate_dist_infos, read_installed
from venvkeeper.requirements.locks import find_lock
from venvkeeper.requirements.markers import env_python_version, marker_environment
from venvkeeper.requirements.records import ParsedSources, RequirementRecord
from venvkeeper.requirements.sources import main_source, parse_sources, project_sources
from venvkeeper.requirements.whatif import what_if_findings
from venvkeeper.settings import Settings

__all__ = [
    "ResolveInputs",
    "consistency_findings",
    "env_consistency",
    "env_site_dirs",
    "last_consistency",
    "missing_requirements",
    "parsed_requirements",
    "project_sources",
    "requirement_files",
    "requirement_findings",
    "requirement_problems",
    "resolve_inputs",
    "what_if_buffers",
]


def env_site_dirs(env: Environment) -> list[Path]:
    """Where pip would look for installed dists: the env's site-packages, then the base's if inherited."""
    return [*env.site_packages(), *inherited_site_dirs(env)]


def env_consistency(
    env: Environment, host: Host, requested: Mapping[str, Iterable[str]] | None = None
) -> Consistency:
    """Whether the env's installed dists satisfy each other (pip check's question), for its own Python."""
    sites = env_site_dirs(env)
    return check_consistency(
        read_installed(sites),
        marker_environment(env, host),
        env_python_version(env),
        requested,
        duplicate_dist_infos(sites),
    )


def _parse(project: Path, settings: Settings, host: Host) -> ParsedSources:
    return parse_sources(project_sources(project, settings, host), settings, host, project)


def _checker(ctx: CheckContext, parsed: ParsedSources, env: Environment) -> Checker:
    installed: dict[str, InstalledDist] = read_installed(env_site_dirs(env))
    return Checker(parsed, installed, env, marker_environment(env, ctx.host), ctx.project)


def requirement_problems(ctx: CheckContext) -> list[Problem]:
    """Every unsatisfied requirement of the project in its chosen env ([] without a usable env)."""
    env = ctx.env
    if env is None or env.state != "ok":
        return []
    return ctx.cached("requirement_problems", lambda: _checker(ctx, parsed_requirements(ctx), env).problems())


def parsed_requirements(ctx: CheckContext) -> ParsedSources:
    """The project's sources, parsed once per check run (several providers need them)."""
    return ctx.cached("parsed_sources", lambda: _parse(ctx.project, ctx.settings, ctx.host))


def requirement_findings(ctx: CheckContext) -> list[Finding]:
    """Parse findings for every source; with a usable env also the satisfaction findings."""
    parsed = parsed_requirements(ctx)
    env = ctx.env
    base = {"project": str(ctx.project)}
    if env is not None:
        base["env"] = str(env.path)
    findings = [replace(f, data={**base, "source": str(f.file), **f.data}) for f in parsed.findings]
    if env is None or env.state != "ok":
        # No env (or a broken one, reported by the health checks): what is installed is unknown.
        return findings
    found = [problem_finding(p) for p in requirement_problems(ctx)]
    found += _checker(ctx, parsed, env).requires_python()
    # The lock joins the sources: a sync from it records its digest (creation/locksync.py).
    lock = find_lock(ctx.project)
    synced_from = [*parsed.files, lock] if lock is not None and lock not in parsed.files else parsed.files
    found += changed_since_sync(synced_from, ctx.state.sync_record(ctx.project), env, ctx.project)
    return findings + [replace(f, data={**base, **f.data}) for f in found]


#: Reasons already logged ("say it once"): a daemon re-checks on every change.
_LOGGED: set[str] = set()
#: The last consistency report per env dir. Every change under the env's site-packages re-runs the
#: checks (the watcher), so between two runs it is current: the what-if on a keystroke reuses it.
_LAST: dict[str, Consistency] = {}


def last_consistency(env: Environment, host: Host) -> Consistency:
    """The env's consistency report from the last check pass, or a fresh one when there was none."""
    report = _LAST.get(str(env.path))
    return report if report is not None else env_consistency(env, host)


def consistency_findings(ctx: CheckContext) -> list[Finding]:
    """The env against itself: every installed dist's requirements, placed on the project's lines."""
    env = ctx.env
    if env is None or env.state != "ok":
        return []
    environment = marker_environment(env, ctx.host)
    declared = declared_requirements(parsed_requirements(ctx).requirements, environment)
    report = env_consistency(env, ctx.host, requested_extras(declared))
    if len(_LAST) > 256:
        _LAST.clear()
    _LAST[str(env.path)] = report
    for reason in report.skipped:
        if reason not in _LOGGED:
            if len(_LOGGED) > 10_000:
                _LOGGED.clear()
            _LOGGED.add(reason)
            ctx.log(f"consistency check of {env.path}: {reason}")
    found = conflict_findings(report, declared, main_source(ctx.project), env_label(env.path, ctx.project))
    base = {"project": str(ctx.project), "env": str(env.path)}
    return [replace(f, data={**base, **f.data}) for f in found]


def missing_requirements(ctx: CheckContext) -> list[str]:
    """pip-installable strings for what is missing or mismatched (markers applied; "-e path" if editable)."""
    out: list[str] = []
    for problem in requirement_problems(ctx):
        if problem.install not in out:
            out.append(problem.install)
    return out


def requirement_files(project: Path, settings: Settings, host: Host) -> list[Path]:
    """Every file the check reads for ``project``: its sources plus what they include (-r/-c).

    What a watcher should watch: a change to any of them changes the findings.
    """
    return _parse(project, settings, host).files


def what_if_buffers(
    project: Path, env: Environment, buffers: Mapping[Path, str], host: Host
) -> list[Finding]:
    """``would-conflict`` on the lines of unsaved requirement ``buffers`` of ``project``, against the
    env's consistency report from the last check pass (nothing is read from disk for a keystroke)."""
    report = last_consistency(env, host)
    environment = marker_environment(env, host)
    base = {"project": str(project), "env": str(env.path)}
    out: list[Finding] = []
    for path, text in buffers.items():
        for f in what_if_findings(path, text, report, environment):
            out.append(replace(f, data={**base, **f.data}))
    return out


@dataclass(frozen=True)
class ResolveInputs:
    """What "find versions that work together" asks the resolver about (read from disk, no spawn)."""

    declared: list[RequirementRecord]
    constraints: list[RequirementRecord]
    report: Consistency
    files: list[Path]


def resolve_inputs(project: Path, env: Environment, settings: Settings, host: Host) -> ResolveInputs:
    """The project's declared lines, its constraints, the env's conflicts and the files read, fresh."""
    parsed = _parse(project, settings, host)
    environment = marker_environment(env, host)
    declared = declared_requirements(parsed.requirements, environment)
    report = env_consistency(env, host, requested_extras(declared))
    return ResolveInputs(list(declared.values()), list(parsed.constraints), report, list(parsed.files))
