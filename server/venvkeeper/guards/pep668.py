"""PEP 668: a base interpreter whose stdlib dir holds ``EXTERNALLY-MANAGED`` refuses ``pip install``.

Distros (Debian, Ubuntu, Fedora, Homebrew) and uv's managed Pythons ship the marker. pip then fails with
``error: externally-managed-environment``; we say so *before* the user runs it, and name the project
env as the place packages go.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path

from venvkeeper import fsread
from venvkeeper.guards.base_interpreters import BaseInterpreter
from venvkeeper.ini import parse_ini

MARKER = "EXTERNALLY-MANAGED"
#: The marker is a tiny INI file; anything bigger is not read beyond this.
_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class ExternallyManaged:
    marker: Path
    #: The ``Error`` text of the ``[externally-managed]`` section, when the distro wrote one.
    error: str | None = None


#: marker path -> (stat signature, what it said): the marker is read once per change, not per refresh.
_CACHE: dict[Path, tuple[tuple[int, int, int, int], ExternallyManaged | None]] = {}
_CACHE_MAX = 64


def read_marker(stdlib: Path) -> ExternallyManaged | None:
    """The PEP 668 marker in ``stdlib``, or None when the interpreter is not externally managed.

    Every refresh of every project asks; one ``stat`` answers unless the marker changed.
    """
    marker = stdlib / MARKER
    fsread.looked_at(marker)  # a hit in _CACHE skips the read the report cache would have seen
    try:
        st = os.stat(marker)  # follows a link, so an edit of its target counts as a change
    except (OSError, ValueError):
        _CACHE.pop(marker, None)
        return None
    signature = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)
    cached = _CACHE.get(marker)
    if cached is not None and cached[0] == signature:
        return cached[1]
    found = _read_marker(marker)
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[marker] = (signature, found)
    return found


def _read_marker(marker: Path) -> ExternallyManaged | None:
    # PEP 668: the file's presence is what counts; its content only supplies the message (a FIFO or
    # device named EXTERNALLY-MANAGED still marks the interpreter, but is never opened for reading).
    head = fsread.read_head(marker, _MAX_BYTES, fsread.EXTERNALLY_MANAGED)
    if isinstance(head, fsread.Unreadable):
        fsread.note(head)
        return None if head.missing else ExternallyManaged(marker, None)
    try:
        parser = parse_ini(head.decode("utf-8", errors="replace"))
        error = parser.get("externally-managed", "Error", fallback=None)
    except configparser.Error:
        error = None
    return ExternallyManaged(marker, error.strip() if error else None)


def externally_managed(base: BaseInterpreter) -> ExternallyManaged | None:
    stdlib = base.stdlib
    return read_marker(stdlib) if stdlib is not None else None


def message(base: BaseInterpreter, home: Path, env_label: str | None, env_python: str | None) -> str:
    """The finding text: what fails, and where to install instead."""
    text = (
        f"{base.describe(home)} is externally managed (PEP 668): 'pip install' there fails with "
        "error: externally-managed-environment."
    )
    if env_label and env_python:
        return f"{text} Install into {env_label} instead: {env_python} -m pip install …"
    return f"{text} Create a virtual environment for this project (python3 -m venv .venv) and install there."
