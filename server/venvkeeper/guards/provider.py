"""The guards' finding provider: env health, stale VIRTUAL_ENV, PEP 668, installed elsewhere.

Registered in :mod:`venvkeeper.checks`, so ``venvkeeper check`` and the LSP layer report the same.
Project-level findings sit at the start of the project's main requirement source (see
requirements/sources.py main_source).
"""

from __future__ import annotations

import os
from typing import Any

from venvkeeper.context import CheckContext
from venvkeeper.findings import FILE_START, Finding
from venvkeeper.guards import pep668
from venvkeeper.guards.globals import MissingRequirement, installed_elsewhere, read_sites
from venvkeeper.guards.health import CODE_BASE_MISSING, env_health
from venvkeeper.guards.paths import env_label
from venvkeeper.guards.sites import bases_that_matter, global_sites
from venvkeeper.guards.virtualenv import CODE as STALE_CODE
from venvkeeper.guards.virtualenv import stale_virtual_env_message
from venvkeeper.requirements.provider import requirement_problems
from venvkeeper.requirements.sources import main_source


def missing_requirements_of(ctx: CheckContext) -> list[MissingRequirement]:
    """The requirements the env lacks entirely (a version mismatch is not "installed elsewhere")."""
    out: list[MissingRequirement] = []
    for problem in requirement_problems(ctx):
        record = problem.record
        if problem.code != "not-installed" or not record.name:
            continue
        written = record.requirement.name if record.requirement is not None else record.name
        out.append(MissingRequirement(record.name, record.file, record.span, written))
    return out


def guard_findings(ctx: CheckContext) -> list[Finding]:
    project = ctx.project
    env = ctx.env
    home = ctx.host.home
    anchor = main_source(project)
    data: dict[str, Any] = {"project": str(project)}
    label = None
    if env is not None:
        data["env"] = str(env.path)
        label = env_label(env.path, project, home)

    findings: list[Finding] = []
    if env is not None and label is not None:
        for problem in env_health(env, label, home):
            if problem.code == CODE_BASE_MISSING and env.state != "ok":
                continue  # discovery already calls the env broken for this reason (env-broken)
            findings.append(Finding(anchor, FILE_START, problem.code, problem.message, dict(data)))

    stale = stale_virtual_env_message(ctx.settings.virtual_env, project, env, home)
    if stale:
        findings.append(
            Finding(anchor, FILE_START, STALE_CODE, stale, {**data, "virtualEnv": ctx.settings.virtual_env})
        )

    envs = [env] if env is not None else []
    for base in bases_that_matter(envs, ctx.host):
        marker = pep668.externally_managed(base)
        if marker is None:
            continue
        py = f"{label}{os.sep}{env.python.relative_to(env.path)}" if env is not None and label else None
        findings.append(
            Finding(
                anchor,
                FILE_START,
                "externally-managed",
                pep668.message(base, home, label, py),
                {**data, "marker": str(marker.marker), "distroMessage": marker.error},
            )
        )

    if env is not None and label is not None:
        missing = missing_requirements_of(ctx)
        if missing:
            holdings = read_sites(global_sites(envs, ctx.host))
            findings.extend(installed_elsewhere(missing, holdings, label, home, data))
    return findings
