"""Parsing a TOML lock with ``tomllib`` after dropping its artifact lists, with entry lines attached."""

from __future__ import annotations

import re
from typing import Any

from venvkeeper.requirements import _toml
from venvkeeper.requirements.locks.model import LockInvalid
from venvkeeper.requirements.locks.tomlscan import drop_keys, header_lines


def load_entries(
    lock_text: str, label: str, table: str, drop: frozenset[str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(document, entries of ``[[table]]``); each entry gets its 0-based ``"_line"``."""
    try:
        data = _toml.loads(drop_keys(lock_text, drop))
    except _toml.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise LockInvalid(f"{label} is not valid TOML: {exc}", int(m.group(1)) - 1 if m else 0) from exc
    raw = data.get(table, [])
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise LockInvalid(f"{label}: `{table}` is not an array of tables")
    lines = header_lines(lock_text, f"[[{table}]]")
    for i, entry in enumerate(raw):
        entry["_line"] = lines[i] if i < len(lines) else 0
    return data, raw


def line_of(lock_text: str, key: str) -> int:
    """0-based line of the first ``key =`` (for a diagnostic on a metadata value)."""
    m = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", lock_text, re.M)
    return lock_text.count("\n", 0, m.start()) if m else 0
