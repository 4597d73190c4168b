"""A finding is a diagnostic before it meets any protocol: the CLI prints it, the LSP layer publishes it.

Positions are 0-based (LSP style); the CLI adds 1 when printing ``file:line:col``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Span:
    line: int
    start: int
    end_line: int
    end: int

    @classmethod
    def whole_line(cls, line: int, text: str) -> Span:
        stripped = text.rstrip("\r\n")
        start = len(stripped) - len(stripped.lstrip())
        return cls(line, start, line, max(len(stripped), start))


FILE_START = Span(0, 0, 0, 0)


@dataclass(frozen=True)
class Finding:
    #: The file the finding is about (a requirement file, pyproject.toml, …).
    file: Path
    span: Span
    #: One of the diagnostic codes in docs/PROTOCOL.md ("not-installed", …).
    code: str
    message: str
    #: Extra data for code actions: project, requirement, env, …
    data: dict[str, Any] = field(default_factory=dict)
