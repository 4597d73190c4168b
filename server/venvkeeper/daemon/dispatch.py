"""The editor's commands as the daemon runs them: which job each command is, run with progress, then
the project re-checked and the typed answer returned.

lsp/commands.py turns ``workspace/executeCommand`` into :func:`run_command` (its protocol name mapped to
a :data:`CommandName`, its argument object's ``uri`` to a path) and the answer or error back into JSON.
Every command refuses in an untrusted workspace (:meth:`App.command_project`), and one project runs one
operation at a time (:class:`~venvkeeper.daemon.operations.Operations`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, Union

from venvkeeper.creation.commands import (
    Answer,
    Job,
    Resolution,
    Scope,
    add_pip_job,
    create_args,
    create_job,
    install_into_job,
    install_missing_job,
    recreate_job,
    resolve_operation,
    string,
    strings,
    sync_job,
)
from venvkeeper.creation.resolve import Proposal, record_sync_after_edits
from venvkeeper.discovery.model import Environment
from venvkeeper.findings import Finding
from venvkeeper.fixes import FixCommand

if TYPE_CHECKING:
    from venvkeeper.daemon.session import Session

log = logging.getLogger("venvkeeper")

#: Every command: the quick fixes' (venvkeeper/fixes.py) and create.
CommandName = Union[FixCommand, Literal["create"]]


@dataclass(frozen=True)
class Call:
    """One command: its argument object and the project it acts on."""

    session: Session
    arg: dict[str, Any]
    project: Path

    @property
    def scope(self) -> Scope:
        app = self.session.app
        return Scope(self.project, app.settings, self.session.host, app.state)

    @property
    def env(self) -> Environment:
        return self.session.app.chosen_env(self.project)

    @property
    def requirements(self) -> Optional[tuple[str, ...]]:
        return strings(self.arg.get("requirements"), "requirements")

    def findings(self) -> list[Finding]:
        return self.session.app.findings(self.project)


#: Each command that runs one job: how its call becomes that job (or its answer, when nothing is to
#: run). The domain half of each row is in :mod:`venvkeeper.creation.commands`. "find-compatible" is
#: not one job (it applies an edit after): :func:`find_compatible_command`.
JOBS: dict[CommandName, Callable[[Call], Union[Job, Answer]]] = {
    "create": lambda c: create_job(c.scope, create_args(c.arg)),
    "sync": lambda c: sync_job(c.scope, c.env.path, string(c.arg.get("source"))),
    "install-missing": lambda c: install_missing_job(c.scope, c.env.path, c.requirements, c.findings()),
    "install-into-env": lambda c: install_into_job(c.scope, c.env.path, c.requirements),
    "recreate": lambda c: recreate_job(c.scope, c.env.path),
    "add-pip": lambda c: add_pip_job(c.scope, c.env),
}

#: Commands whose job reads the project's findings: computed first, off the event loop if due.
NEEDS_FINDINGS: frozenset[CommandName] = frozenset({"install-missing"})


async def run_command(
    session: Session, name: CommandName, path: Optional[Path], arg: dict[str, Any]
) -> Union[Answer, Resolution]:
    """Run command ``name`` on the project of ``path`` (the argument's ``uri``)."""
    project = session.app.command_project(path)
    if name == "find-compatible":
        return await find_compatible_command(session, project, sync=arg.get("sync") is True)
    if name in NEEDS_FINDINGS:
        await session.checks.ensure([project])
    work = JOBS[name](Call(session, arg, project))
    if not isinstance(work, Job):
        return work
    result = await session.operations.run(project, work.operation)
    answer = work.answer(result)
    session.refresh_after_change([project])
    return answer


async def find_compatible(session: Session, project: Path, *, sync: bool) -> Proposal:
    """Resolve (and with ``sync`` install the set found) as one cancellable operation with progress."""
    env = session.app.chosen_env(project)
    op = resolve_operation(project, env, session.app.settings, session.host, sync=sync)
    return await session.operations.run(project, op)


async def find_compatible_command(session: Session, project: Path, *, sync: bool) -> Resolution:
    """Resolve, then apply the edit (``sync``: install the set first: a failed install edits nothing)."""
    proposal = await find_compatible(session, project, sync=sync)
    applied = await apply_proposal(session, project, proposal, synced=sync)
    return Resolution.of(proposal, applied=applied, synced=sync)


async def apply_proposal(session: Session, project: Path, proposal: Proposal, *, synced: bool) -> bool:
    """Ask the client to apply the proposal's edit; True when it did (or there was none)."""
    applied = await session.client.apply_edit(proposal) if proposal.edits else True
    if synced:
        env = session.app.chosen_env(project).path
        # The env now holds what the edited files say: record them as synced (as they will be saved).
        if session.app.state is not None:
            record_sync_after_edits(session.app.state, project, env, proposal if applied else None)
        session.refresh_after_change([project])
    return applied
