"""Plain-JSON views of discovery results, shared by the CLI's ``--json`` and the LSP payloads.

The shapes are the ``Interpreter`` and ``EnvironmentCandidate`` interfaces of docs/PROTOCOL.md.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from venvkeeper.discovery.model import Candidate, Discovery, Environment

#: Builds the ``activation`` object for an env (guards/activation.py); None until wired.
ActivationBuilder = Callable[[Environment], Optional[dict[str, Any]]]


def env_view(cand: Candidate) -> dict[str, Any]:
    env = cand.env
    return {
        "python": str(env.python),
        "envPath": str(env.path),
        "version": env.version,
        "kind": env.kind,
        "state": env.state,
        "problem": env.problem,
        "origin": cand.origin,
        "source": cand.source,
    }


def interpreter_view(
    discovery: Discovery,
    status: str,
    problems: Optional[dict[str, int]] = None,
    activation: Optional[ActivationBuilder] = None,
    detail: Optional[str] = None,
) -> Optional[dict[str, Any]]:
    chosen = discovery.chosen
    if chosen is None:
        return None
    view = env_view(chosen)
    view["projectRoot"] = str(discovery.project)
    view["status"] = status
    if problems is not None:
        view["problems"] = problems
    if detail is not None:
        view["statusDetail"] = detail
    if activation is not None and chosen.env.state == "ok":
        act = activation(chosen.env)
        if act is not None:
            view["activation"] = act
    return view


def candidates_view(discovery: Discovery) -> list[dict[str, Any]]:
    out = []
    for cand in discovery.candidates:
        view = env_view(cand)
        view["chosen"] = cand is discovery.chosen
        view["rejected"] = cand.rejected
        view["activatedElsewhere"] = cand.activated_elsewhere
        out.append(view)
    return out
