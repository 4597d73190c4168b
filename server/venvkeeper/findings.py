"""A finding is a diagnostic before it meets any protocol: the CLI prints it, the LSP layer publishes it.

Positions are 0-based (LSP style); the CLI adds 1 when printing ``file:line:col``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from venvkeeper.codes import BY_NAME


@dataclass(frozen=True)
class Span:
    line: int
    start: int
    end_line: int
    end: int


FILE_START = Span(0, 0, 0, 0)


@dataclass(frozen=True)
class Finding:
    #: The file the finding is about (a requirement file, pyproject.toml, …).
    file: Path
    span: Span
    #: A row of the code table (codes.py): "not-installed", …
    code: str
    message: str
    #: Extra data for code actions: project, requirement, env, …
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A code without a row would be published with no severity, status effect or fix: fail loudly.
        if self.code not in BY_NAME:
            raise ValueError(f"diagnostic code {self.code!r} has no row in venvkeeper/codes.py")
