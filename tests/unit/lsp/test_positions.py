"""Finding columns (Python characters) become the client's position encoding (UTF-16 by default)."""

from __future__ import annotations

from lsprotocol import types

from venvkeeper.findings import Finding, Span
from venvkeeper.lsp.diagnostics import ColumnEncoder, to_diagnostic


def test_columns_after_astral_and_accented_characters(tmp_path):
    f = tmp_path / "requirements.txt"
    f.write_text("requests\n🐍é-bad==1\n", encoding="utf-8")
    finding = Finding(f, Span(1, 0, 1, len("🐍é-bad==1")), "invalid-requirement", "bad")
    utf16 = to_diagnostic(finding, "error", ColumnEncoder(types.PositionEncodingKind.Utf16))
    # 9 characters: 🐍 is 2 UTF-16 units and 4 UTF-8 bytes, é is 1 unit and 2 bytes.
    assert (utf16.range.start.character, utf16.range.end.character) == (0, 10)
    utf8 = to_diagnostic(finding, "error", ColumnEncoder(types.PositionEncodingKind.Utf8))
    assert utf8.range.end.character == 4 + 2 + 7
    utf32 = to_diagnostic(finding, "error", ColumnEncoder(types.PositionEncodingKind.Utf32))
    assert utf32.range.end.character == 9


def test_ascii_lines_are_not_read_twice_and_missing_files_are_harmless(tmp_path):
    enc = ColumnEncoder(types.PositionEncodingKind.Utf16)
    assert enc.column(tmp_path / "gone.txt", 3, 7) == 7
    f = tmp_path / "r.txt"
    f.write_text("alpha>=1\n")
    assert enc.column(f, 0, 5) == 5
