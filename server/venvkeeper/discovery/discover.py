"""Run the locators for one project and choose its env, recording why each candidate won or lost."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from venvkeeper.discovery.locators import LOCATORS, LocateContext, Locator
from venvkeeper.discovery.model import Candidate, Discovery


def _key(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, RuntimeError):
        return str(path)


def discover(project: Path, ctx: LocateContext, locators: tuple[Locator, ...] = LOCATORS) -> Discovery:
    """Collect candidates in locator order and choose one.

    The chosen env is the explicit selection if there is one (even if broken: the user asked for it),
    else the first ok candidate, else the first broken one (so the user sees *why* it does not work).
    """
    seen: dict[str, Candidate] = {}
    ordered: list[Candidate] = []
    for locator in locators:
        for cand in locator.locate(project, ctx):
            key = _key(cand.env.path)
            if key in seen:
                continue  # found earlier by a higher-priority locator: that reason stands
            seen[key] = cand
            ordered.append(cand)

    eligible = [c for c in ordered if not c.activated_elsewhere]
    chosen: Candidate | None = None
    selected = [c for c in eligible if c.origin == "selected"]
    if (selected and selected[0].env.state == "ok") or (
        selected and not any(c.env.state == "ok" for c in eligible if c.origin != "selected")
    ):
        chosen = selected[0]
    else:
        chosen = next((c for c in eligible if c.env.state == "ok"), None)
        if chosen is None:
            chosen = next(iter(eligible), None)

    result: list[Candidate] = []
    if chosen is not None:
        result.append(replace(chosen, rejected=None))
    for cand in ordered:
        if cand is chosen:
            continue
        if cand.rejected:
            result.append(cand)
        elif cand.env.state != "ok":
            result.append(replace(cand, rejected=f"broken: {cand.env.problem}"))
        elif chosen is not None:
            result.append(replace(cand, rejected=f"{chosen.env.name} comes first ({chosen.source})"))
        else:
            result.append(cand)
    return Discovery(
        project=project,
        chosen=result[0] if chosen is not None else None,
        candidates=result,
        watch_dirs=ctx.watched(project),
    )
