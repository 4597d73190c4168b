"""The quick fixes a finding offers: which, titled how, running which command with what, preferred or not.

Decided from the code's row in the one table (codes.py ``fixes``) and the finding's ``data`` (project,
env, requirement, install, source). lsp/code_actions.py turns each :class:`Fix` into a ``CodeAction``
whose command is the matching ``workspace/executeCommand`` (docs/PROTOCOL.md "Quick fixes").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional

from venvkeeper import codes
from venvkeeper.guards.paths import env_label

#: The command a fix runs (lsp/protocol.py names each on the wire).
FixCommand = Literal["install-into-env", "install-missing", "find-compatible", "sync", "add-pip", "recreate"]

RESOLVE_TITLE = "Find versions that work together"


@dataclass(frozen=True)
class Fix:
    title: str
    command: FixCommand
    #: The project the command acts on.
    project: Path
    #: install-into-env: what to install.
    requirements: tuple[str, ...] = ()
    #: sync: the requirement source to sync with (None: every source).
    source: Optional[str] = None
    #: find-compatible: install the set found too.
    sync: bool = False
    preferred: bool = False
    #: Offered without running anything: the client asks for the edit when the fix is picked
    #: (``codeAction/resolve``) instead of running the command.
    resolve_later: bool = False


def fixes_for(
    code: str, data: Mapping[str, Any], document: Optional[Path], *, resolve_edits: bool = False
) -> list[Fix]:
    """The fixes for a finding of ``code`` with ``data``, shown in ``document``.

    ``resolve_edits``: the client resolves a code action's edit lazily, so "Find versions that work
    together" is offered without running the resolver.
    """
    project_name = data.get("project")
    env_name = data.get("env")
    if not project_name or not env_name:
        return []
    project = Path(project_name)
    label = env_label(Path(env_name), project)
    row = codes.get(code)
    kinds = row.fixes if row is not None else ()
    out: list[Fix] = []

    def install(requirement: str) -> Fix:
        return Fix(
            f"Install {requirement} into {label}", "install-into-env", project, (requirement,), preferred=True
        )

    if "install" in kinds and data.get("install") != "":  # "": no install can fix it (a conflict)
        requirement = data.get("requirement")
        if requirement:
            out.append(
                Fix(
                    f"Install {requirement} into {label}",
                    "install-into-env",
                    project,
                    (requirement,),
                    preferred=True,
                )
            )
        out.append(Fix(f"Install missing into {label}", "install-missing", project))
    if "install-compatible" in kinds:
        wanted = data.get("install")
        if isinstance(wanted, str) and wanted:
            out.append(
                Fix(f"Install {wanted} into {label}", "install-into-env", project, (wanted,), preferred=True)
            )
    if "resolve" in kinds:
        out.append(Fix(RESOLVE_TITLE, "find-compatible", project, resolve_later=resolve_edits))
        out.append(Fix(f"{RESOLVE_TITLE} and sync {label}", "find-compatible", project, sync=True))
    if "sync" in kinds:
        source = data.get("source") or (str(document) if document is not None else None)
        name = Path(source).name if source else "requirements"
        out.append(Fix(f"Sync {label} with {name}", "sync", project, source=source))
    if "add-pip" in kinds:
        out.append(Fix(f"Add pip to {label}", "add-pip", project, preferred=True))
    if "recreate" in kinds:
        # Preferred unless a lighter fix comes first in the row (env-no-pip: add pip).
        out.append(Fix(f"Recreate {label}", "recreate", project, preferred=kinds[0] == "recreate"))
    return out
