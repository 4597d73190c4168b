"""Quick fixes for venvkeeper's diagnostics, wired: each :class:`venvkeeper.fixes.Fix` becomes a
CodeAction running a workspace/executeCommand command, so the same repair is available to any LSP
client (and to the palette via the commands directly)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from venvkeeper.creation.commands import already_compatible
from venvkeeper.daemon.dispatch import find_compatible
from venvkeeper.fixes import Fix, FixCommand, fixes_for
from venvkeeper.lsp import protocol
from venvkeeper.lsp.commands import request_failed
from venvkeeper.lsp.diagnostics import file_uri, workspace_edit
from venvkeeper.lsp.workspace import uri_to_path

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer


#: ``CodeAction.data`` of the "Find versions that work together" action that codeAction/resolve fills in.
RESOLVE_EDIT = "venvkeeper.findCompatibleVersions.edit"

_COMMANDS: dict[FixCommand, str] = {
    "install-into-env": protocol.CMD_INSTALL_INTO_ENV,
    "install-missing": protocol.CMD_INSTALL_MISSING,
    "find-compatible": protocol.CMD_FIND_COMPATIBLE,
    "sync": protocol.CMD_SYNC,
    "add-pip": protocol.CMD_ADD_PIP,
    "recreate": protocol.CMD_RECREATE,
}


def _argument(fix: Fix) -> dict[str, Any]:
    """The command's argument object (docs/PROTOCOL.md "Commands")."""
    argument: dict[str, Any] = {"uri": file_uri(fix.project)}
    if fix.command == "install-into-env":
        argument["requirements"] = list(fix.requirements)
    elif fix.command == "sync":
        argument["source"] = fix.source
    elif fix.sync:
        argument["sync"] = True
    return argument


def code_action(fix: Fix, diagnostic: types.Diagnostic) -> types.CodeAction:
    argument = _argument(fix)
    if fix.resolve_later:
        # Nothing runs until the user picks it: codeAction/resolve asks the resolver for the edit.
        return types.CodeAction(
            title=fix.title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            data={"kind": RESOLVE_EDIT, **argument},
        )
    return types.CodeAction(
        title=fix.title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=fix.preferred or None,
        command=types.Command(title=fix.title, command=_COMMANDS[fix.command], arguments=[argument]),
    )


def actions_for(
    diagnostic: types.Diagnostic, document_uri: str, resolve_edits: bool = False
) -> list[types.CodeAction]:
    """The quick fixes for one of our diagnostics (none for others'), decided by venvkeeper.fixes."""
    if diagnostic.source != protocol.DIAGNOSTIC_SOURCE or not isinstance(diagnostic.data, dict):
        return []
    fixes = fixes_for(
        str(diagnostic.code), diagnostic.data, uri_to_path(document_uri), resolve_edits=resolve_edits
    )
    return [code_action(fix, diagnostic) for fix in fixes]


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
            actions.extend(actions_for(diagnostic, params.text_document.uri, lazy))
        return actions

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve_code_action(ls: VenvkeeperServer, action: types.CodeAction) -> types.CodeAction:
        """Run the resolver for "Find versions that work together" and attach the edit (nothing else
        changes: the user sees the edit and saves it, or picks "… and sync" to install it)."""
        data = protocol.as_plain(action.data)
        if not isinstance(data, dict) or data.get("kind") != RESOLVE_EDIT:
            return action
        uri = data.get("uri")
        with request_failed():  # refused when untrusted
            project = server.app.command_project(uri_to_path(uri) if isinstance(uri, str) else None)
            proposal = await find_compatible(server.session, project, sync=False)
        action.edit = workspace_edit(proposal)
        if not proposal.edits:
            server.show("info", already_compatible(proposal))
        return action
