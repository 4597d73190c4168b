"""Findings as LSP diagnostics (published for open and unopened files alike), and line edits as a
``WorkspaceEdit``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from lsprotocol import types
from pygls.uris import from_fs_path

from venvkeeper import fsread
from venvkeeper.creation.resolve import Proposal
from venvkeeper.findings import Finding
from venvkeeper.lsp.protocol import DIAGNOSTIC_SOURCE

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


def by_uri(shown: Iterable[tuple[Finding, str]], encoder: ColumnEncoder) -> dict[str, list[types.Diagnostic]]:
    """Findings with their severities as diagnostics, grouped by the URI of their file."""
    grouped: dict[str, list[types.Diagnostic]] = {}
    for finding, severity in shown:
        grouped.setdefault(file_uri(finding.file), []).append(to_diagnostic(finding, severity, encoder))
    return grouped


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
