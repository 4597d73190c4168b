"""Calling the hooks other modules register (after a refresh, after the initial sweep, on open)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Callable

log = logging.getLogger("venvkeeper")


def call_each(hooks: Iterable[Callable[..., None]], what: str, *args: object) -> None:
    """Call every hook with ``args``; one hook's failure is logged ("<what> hook failed") and never
    stops the others."""
    for hook in hooks:
        try:
            hook(*args)
        except Exception:
            log.exception("%s hook failed", what)
