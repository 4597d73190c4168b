"""Bounded reads of the small files locators look at (tool configs, pointer files, env lists).

Every such file is hostile until checked: it must be a regular file (a FIFO or a device would stall or
never end) and no larger than the caller's bound; text must be UTF-8. A missing file is not a problem
(most projects have none of them); anything else unusable comes back as a reason the locator logs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from venvkeeper import fsread
from venvkeeper.requirements import _toml

#: Tool configs (config.toml, poetry.toml, .condarc, pyproject.toml) are a few KiB.
MAX_CONFIG_BYTES = 256 * 1024


def read_bytes(path: Path, max_bytes: int) -> tuple[Optional[bytes], Optional[str]]:
    """(data, None); (None, None) when there is no file; (None, why) when it cannot be used.

    Read through :func:`venvkeeper.fsread.read_bytes`, the one guarded reader.
    """
    data = fsread.read_bytes(path, fsread.Kind(path.name, max_bytes))
    if isinstance(data, fsread.Unreadable):
        return None, (None if data.missing else f"{path} {data.reason}")
    return data, None


def read_text(path: Path, max_bytes: int) -> tuple[Optional[str], Optional[str]]:
    """Like :func:`read_bytes`, decoded as UTF-8 (a BOM is dropped); binary content is a problem."""
    data, problem = read_bytes(path, max_bytes)
    if data is None:
        return None, problem
    if b"\0" in data:
        return None, f"{path} is binary, not text"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, f"{path} is not UTF-8 text"


def read_toml(
    path: Path, max_bytes: int = MAX_CONFIG_BYTES
) -> tuple[Optional[dict[str, Any]], Optional[str]]:
    text, problem = read_text(path, max_bytes)
    if text is None:
        return None, problem
    try:
        return _toml.loads(text), None
    except _toml.TOMLDecodeError as exc:
        return None, f"{path} is not valid TOML ({exc})"


def table(data: Any, *keys: str) -> dict[str, Any]:
    """``data[k1][k2]…`` when every step is a table, else ``{}`` (configs are user-written)."""
    for key in keys:
        if not isinstance(data, dict):
            return {}
        data = data.get(key)
    return data if isinstance(data, dict) else {}


def string(data: dict[str, Any], key: str) -> Optional[str]:
    value = data.get(key)
    return value if isinstance(value, str) and value.strip() else None


def list_dir(path: Path) -> tuple[list[os.DirEntry[str]], Optional[str]]:
    """(entries sorted by name, None); ([], None) when missing; ([], why) when unreadable."""
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name), None
    except (FileNotFoundError, NotADirectoryError):
        return [], None
    except OSError as exc:
        return [], f"{path} cannot be listed: {exc.strerror or exc}"
