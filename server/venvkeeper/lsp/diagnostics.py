"""Findings as LSP diagnostics (published for open and unopened files alike), and line edits as a
``WorkspaceEdit``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from lsprotocol import types
from pygls.uris import from_fs_path

from venvkeeper import fsread
from venvkeeper.creation.resolve import Proposal
from venvkeeper.findings import Finding
from venvkeeper.lsp.protocol import DIAGNOSTIC_SOURCE

if TYPE_CHECKING:
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")

SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


#: Files larger than this keep code-point columns (reading them to convert is not worth it).
_CONVERT = fsread.Kind("file with findings", 5 * 1024 * 1024)


class ColumnEncoder:
    """Turns the code-point columns of findings into the client's position encoding.

    LSP positions count UTF-16 code units unless the client negotiated otherwise; findings count
    Python characters. They differ only after a non-ASCII character on the same line, so a file is
    read (once per publish) only when a finding sits on such a line.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._lines: dict[Path, list[str]] = {}

    def _line(self, path: Path, line: int) -> str:
        if path not in self._lines:
            # Too big, unreadable or not a regular file: keep code-point columns.
            text = fsread.read_text(path, _CONVERT)
            if isinstance(text, fsread.Unreadable):
                text = ""
            self._lines[path] = text.splitlines()
        lines = self._lines[path]
        return lines[line] if 0 <= line < len(lines) else ""

    def column(self, path: Path, line: int, col: int) -> int:
        if self.encoding == types.PositionEncodingKind.Utf32:
            return col
        prefix = self._line(path, line)[:col]
        if prefix.isascii():
            return col
        unit = "utf-16-le" if self.encoding == types.PositionEncodingKind.Utf16 else "utf-8"
        width = 2 if unit == "utf-16-le" else 1
        return len(prefix.encode(unit, errors="surrogatepass")) // width


def to_diagnostic(
    finding: Finding, severity: str, encoder: Optional[ColumnEncoder] = None
) -> types.Diagnostic:
    s = finding.span
    start, end = s.start, s.end
    if encoder is not None:
        start = encoder.column(finding.file, s.line, s.start)
        end = encoder.column(finding.file, s.end_line, s.end)
    return types.Diagnostic(
        range=types.Range(types.Position(s.line, start), types.Position(s.end_line, end)),
        message=finding.message,
        severity=SEVERITY.get(severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        source=DIAGNOSTIC_SOURCE,
        data=finding.data or None,
    )


def file_uri(path: Path) -> str:
    try:
        return from_fs_path(str(path)) or path.as_uri()
    except UnicodeError:
        # A POSIX file name that is not UTF-8 (surrogate-escaped bytes): RFC 3986 percent-encodes the
        # raw bytes ("%FF"), which is what Path.as_uri does with os.fsencode.
        return path.absolute().as_uri()


def publish(server: VenvkeeperServer, projects: Iterable[Path]) -> None:
    encoder = ColumnEncoder(server.position_encoding())
    for project in projects:
        try:
            _publish_project(server, project, encoder)
        except Exception:  # one project's failure never stops another's diagnostics
            log.exception("publishing diagnostics for %s failed", project)


def _publish_project(server: VenvkeeperServer, project: Path, encoder: ColumnEncoder) -> None:
    app = server.app
    by_uri: dict[str, list[types.Diagnostic]] = {}
    extra = [f for hook in server.session.extra_findings for f in hook(project)]
    for finding, severity in app.shown_findings(project, extra):
        by_uri.setdefault(file_uri(finding.file), []).append(to_diagnostic(finding, severity, encoder))
    previous = server.published.get(project, set())
    for uri in previous - by_uri.keys():
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    for uri, diags in by_uri.items():
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diags))
    server.published[project] = set(by_uri)


def clear(server: VenvkeeperServer, project: Path) -> None:
    for uri in server.published.pop(project, set()):
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def workspace_edit(proposal: Proposal) -> types.WorkspaceEdit:
    """The proposal's line edits as a WorkspaceEdit (``changes``: every client applies those)."""
    changes: dict[str, list[types.TextEdit]] = {}
    for edit in proposal.edits:
        span = edit.span
        start, end = types.Position(span.line, span.start), types.Position(span.end_line, span.end)
        changes.setdefault(file_uri(edit.file), []).append(
            types.TextEdit(range=types.Range(start, end), new_text=edit.new)
        )
    return types.WorkspaceEdit(changes=changes)
