"""Publishing findings as LSP diagnostics, for open and unopened files alike."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path

from venvkeeper.findings import Finding
from venvkeeper.lsp.protocol import DIAGNOSTIC_SOURCE

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def to_diagnostic(finding: Finding, severity: str) -> types.Diagnostic:
    s = finding.span
    return types.Diagnostic(
        range=types.Range(types.Position(s.line, s.start), types.Position(s.end_line, s.end)),
        message=finding.message,
        severity=SEVERITY.get(severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        source=DIAGNOSTIC_SOURCE,
        data=finding.data or None,
    )


def file_uri(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def publish(server: VenvkeeperServer, projects: Iterable[Path]) -> None:
    app = server.app
    for project in projects:
        by_uri: dict[str, list[types.Diagnostic]] = {}
        extra = [f for hook in server.extra_findings for f in hook(project)]
        for finding in [*app.findings(project), *extra]:
            severity = app.settings.severity(finding.code)
            if severity == "off":
                continue
            by_uri.setdefault(file_uri(finding.file), []).append(to_diagnostic(finding, severity))
        previous = server.published.get(project, set())
        for uri in previous - by_uri.keys():
            server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        for uri, diags in by_uri.items():
            server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diags)
            )
        server.published[project] = set(by_uri)


def clear(server: VenvkeeperServer, project: Path) -> None:
    for uri in server.published.pop(project, set()):
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def register(server: VenvkeeperServer) -> None:
    """Diagnostics are pushed by the refresh pipeline; nothing to register yet."""
