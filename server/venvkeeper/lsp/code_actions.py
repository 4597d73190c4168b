"""Quick fixes for venvkeeper's diagnostics: each maps to a workspace/executeCommand command, so the
same repair is available to any LSP client (and to the palette via the commands directly)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from lsprotocol import types

from venvkeeper import codes
from venvkeeper.guards.paths import env_label
from venvkeeper.lsp import protocol
from venvkeeper.lsp.commands import command_project, find_compatible, workspace_edit
from venvkeeper.lsp.diagnostics import file_uri
from venvkeeper.lsp.workspace import uri_to_path

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer


def _command(title: str, command: str, argument: dict[str, Any]) -> types.Command:
    return types.Command(title=title, command=command, arguments=[argument])


#: ``CodeAction.data`` of the "Find versions that work together" action that codeAction/resolve fills in.
RESOLVE_EDIT = "venvkeeper.findCompatibleVersions.edit"


def fixes_for(
    diagnostic: types.Diagnostic, document_uri: str, resolve_edits: bool = False
) -> list[types.CodeAction]:
    """The quick fixes for one of our diagnostics (none for others').

    ``resolve_edits``: the client resolves a code action's ``edit`` lazily (``codeAction/resolve``), so
    "Find versions that work together" is offered without running anything and resolved when chosen.
    """
    if diagnostic.source != protocol.DIAGNOSTIC_SOURCE or not isinstance(diagnostic.data, dict):
        return []
    data: dict[str, Any] = diagnostic.data
    code = str(diagnostic.code)
    project: Optional[str] = data.get("project")
    if not project or not data.get("env"):
        return []
    label = env_label(Path(data["env"]), Path(project))
    project_uri = file_uri(Path(project))
    out: list[types.CodeAction] = []

    def add(title: str, command: str, argument: dict[str, Any], preferred: bool = False) -> None:
        out.append(
            types.CodeAction(
                title=title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=preferred or None,
                command=_command(title, command, argument),
            )
        )

    row = codes.get(code)
    fixes = row.fixes if row is not None else ()
    if "install" in fixes and data.get("install") != "":  # "": no install can fix it (a conflict)
        requirement = data.get("requirement")
        if requirement:
            add(
                f"Install {requirement} into {label}",
                protocol.CMD_INSTALL_INTO_ENV,
                {"uri": project_uri, "requirements": [requirement]},
                preferred=True,
            )
        add(f"Install missing into {label}", protocol.CMD_INSTALL_MISSING, {"uri": project_uri})
    if "install-compatible" in fixes:
        wanted = data.get("install")
        if isinstance(wanted, str) and wanted:
            add(
                f"Install {wanted} into {label}",
                protocol.CMD_INSTALL_INTO_ENV,
                {"uri": project_uri, "requirements": [wanted]},
                preferred=True,
            )
    if "resolve" in fixes:
        title = "Find versions that work together"
        argument = {"uri": project_uri}
        if resolve_edits:
            # Nothing runs until the user picks it: codeAction/resolve asks the resolver for the edit.
            out.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    data={"kind": RESOLVE_EDIT, **argument},
                )
            )
        else:
            add(title, protocol.CMD_FIND_COMPATIBLE, argument)
        add(f"{title} and sync {label}", protocol.CMD_FIND_COMPATIBLE, {**argument, "sync": True})
    if "sync" in fixes:
        source = data.get("source") or _path_of(document_uri)
        name = Path(source).name if source else "requirements"
        add(f"Sync {label} with {name}", protocol.CMD_SYNC, {"uri": project_uri, "source": source})
    if "add-pip" in fixes:
        add(f"Add pip to {label}", protocol.CMD_ADD_PIP, {"uri": project_uri}, preferred=True)
    if "recreate" in fixes:
        # Preferred unless a lighter fix comes first in the row (env-no-pip: add pip).
        add(
            f"Recreate {label}", protocol.CMD_RECREATE, {"uri": project_uri}, preferred=fixes[0] == "recreate"
        )
    return out


def _path_of(uri: str) -> Optional[str]:
    path = uri_to_path(uri)
    return str(path) if path is not None else None


def resolves_edits(server: VenvkeeperServer) -> bool:
    """The client fills in a code action's ``edit`` with ``codeAction/resolve``."""
    caps = server.client_capabilities
    action = caps.text_document.code_action if caps and caps.text_document else None
    support = action.resolve_support if action else None
    return bool(support and "edit" in support.properties)


def register(server: VenvkeeperServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=True),
    )
    def code_action(ls: VenvkeeperServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        if not server.app.settings.trusted:
            return []  # every fix runs a tool, which Restricted Mode forbids: offer none that would fail
        actions: list[types.CodeAction] = []
        lazy = resolves_edits(server)
        for diagnostic in params.context.diagnostics:
            actions.extend(fixes_for(diagnostic, params.text_document.uri, lazy))
        return actions

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve_code_action(ls: VenvkeeperServer, action: types.CodeAction) -> types.CodeAction:
        """Run the resolver for "Find versions that work together" and attach the edit (nothing else
        changes: the user sees the edit and saves it, or picks "… and sync" to install it)."""
        data = protocol.as_plain(action.data)
        if not isinstance(data, dict) or data.get("kind") != RESOLVE_EDIT:
            return action
        project = command_project(server, data)  # refused (RequestFailed) when untrusted
        proposal = await find_compatible(server, project, sync=False)
        action.edit = workspace_edit(proposal)
        if not proposal.edits:
            server.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Info,
                    message=(
                        "the declared requirements already allow versions that work together "
                        f"({proposal.summary}); no line needs to change — sync the env to install them"
                    ),
                )
            )
        return action
