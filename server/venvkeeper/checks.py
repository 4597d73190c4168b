"""The checks that turn a project + its env into findings, gathered in one explicit list.

Each provider is a pure function of a :class:`CheckContext`. The CLI (`venvkeeper check`) and the LSP
layer (publishDiagnostics) both call :func:`run_checks`, so they always report the same findings.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from venvkeeper.codes import REPLACES_ENV_BROKEN
from venvkeeper.context import CheckContext, Provider
from venvkeeper.findings import FILE_START, Finding
from venvkeeper.guards.provider import guard_findings
from venvkeeper.requirements.lockcheck import lock_findings
from venvkeeper.requirements.provider import consistency_findings, requirement_findings
from venvkeeper.requirements.sources import main_source


def env_broken_findings(ctx: CheckContext) -> list[Finding]:
    """The chosen env is broken (discovery says why): the one finding that explains it."""
    env = ctx.env
    if env is None or env.state == "ok":
        return []
    message = f"The environment {env.path} is broken: {env.problem}; it needs to be recreated."
    return [
        Finding(
            file=main_source(ctx.project),
            span=FILE_START,
            code="env-broken",
            message=message,
            data={"project": str(ctx.project), "env": str(env.path)},
        )
    ]


#: Every check, in the order its findings are listed.
PROVIDERS: list[Provider] = [
    env_broken_findings,
    requirement_findings,
    consistency_findings,
    # After the consistency check: a locked package it already reports (missing, conflicting) is not
    # reported again as lock drift.
    lock_findings,
    guard_findings,
]


def run_checks(ctx: CheckContext, log: Callable[[str], None] = lambda _m: None) -> list[Finding]:
    """Run every provider; one that raises is logged and skipped, never fatal."""
    findings: list[Finding] = []
    ctx = replace(ctx, memo=ctx.memo if ctx.memo is not None else {}, log=log)
    for provider in PROVIDERS:
        try:
            findings.extend(provider(ctx))
        except Exception as exc:  # a bug in one check must not take the daemon down
            log(f"check {getattr(provider, '__name__', provider)!r} failed: {exc!r}")
    # A more specific explanation of a broken env (base interpreter gone, env moved) replaces the
    # generic one, so each problem is said once.
    if any(f.code in REPLACES_ENV_BROKEN for f in findings):
        findings = [f for f in findings if f.code != "env-broken"]
    return [f for f in findings if ctx.settings.severity(f.code) != "off"]
