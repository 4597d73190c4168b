"""TOML for every reader in venvkeeper: tomllib (tomli before 3.11) behind a nesting limit.

tomllib recurses once per nested inline table or array, so ``x = [[[[…]]]]`` 10k deep raises
RecursionError instead of TOMLDecodeError; and a dotted key or table header of k parts costs it
O(k²) (a 10k-part key: 2 s). No real ``pyproject.toml`` nests more than a dozen levels, so before
tomllib sees a document one linear pass measures how deep it goes (open brackets plus the dots of the
current key) and a document deeper than :data:`MAX_DEPTH` is refused as a syntax error naming the line
and column, which every caller already reports as an unparsable file.
"""

from __future__ import annotations

import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

#: Brackets and key parts nested in one place of a document; real files stay far below.
MAX_DEPTH = 100


class TOMLDecodeError(ValueError):
    """The document is not TOML venvkeeper reads; ``str()`` names the line and column like tomllib's."""


def loads(text: str) -> dict[str, Any]:
    too_deep = _too_deep_at(text)
    if too_deep is not None:
        line = text.count("\n", 0, too_deep) + 1
        column = too_deep - (text.rfind("\n", 0, too_deep) + 1) + 1
        raise TOMLDecodeError(
            f"tables, arrays or dotted keys are nested more than {MAX_DEPTH} levels deep "
            f"(at line {line}, column {column})"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TOMLDecodeError(str(exc)) from None
    except RecursionError:  # pragma: no cover - the depth limit is there so that this cannot happen
        raise TOMLDecodeError(f"nested too deeply to read (more than {MAX_DEPTH} levels)") from None


# The characters the depth pass looks at; everything between them is skipped by the regex engine.
_SPECIAL_RE = re.compile(r"[#\"'\[\]{}=,\n.]")
# Where each kind of string may end (or, for basic strings, where an escape starts).
_STRING_STOP_RE = {
    '"': re.compile(r'[\\"\r\n]'),
    "'": re.compile(r"['\r\n]"),
    '"""': re.compile(r'\\|"""'),
    "'''": re.compile(r"'''"),
}


def string_at(text: str, i: int) -> tuple[int, int, int] | None:
    """The string whose opening quote is ``text[i]``: (content start, content end, offset past it).

    None when it is not closed (on its line, for a one-line string). Skips by regex search, never one
    character at a time, so a megabyte of strings costs milliseconds.
    """
    quote = text[i]
    delim = quote * 3 if text.startswith(quote * 3, i) else quote
    stop = _STRING_STOP_RE[delim]
    content = i = i + len(delim)
    while True:
        m = stop.search(text, i)
        if m is None:
            return None
        i = m.start()
        c = text[i]
        if c == "\\":
            i += 2
        elif c in "\r\n":
            return None
        else:
            end = i
            i += len(delim)
            if len(delim) == 3:
                # Up to two quotes right before the closing delimiter belong to the content.
                for _ in range(2):
                    if text.startswith(quote, i):
                        i += 1
                        end += 1
            return content, end, i


def _too_deep_at(text: str) -> int | None:
    """Offset where nesting first exceeds :data:`MAX_DEPTH`, or None; one pass, never validates.

    Strings and comments are skipped so their brackets and dots do not count. A dot in a value (a
    float) counts too: that over-counts by one, far below the limit.
    """
    depth = 0  # open [ and {
    dots = 0  # dots of the key being read, since the last = , newline or bracket
    i = 0
    while True:
        m = _SPECIAL_RE.search(text, i)
        if m is None:
            return None
        i = m.start()
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            if end < 0:
                return None
            i = end
            continue
        if c in "\"'":
            string = string_at(text, i)
            if string is None:  # not closed: tomllib refuses the document; go on after this line
                end = text.find("\n", i)
                if end < 0:
                    return None
                i = end
            else:
                i = string[2]
            continue
        if c in "[{":
            depth += 1
            dots = 0
        elif c in "]}":
            depth = max(depth - 1, 0)
            dots = 0
        elif c == ".":
            dots += 1
        else:  # = , newline
            dots = 0
        if depth + dots > MAX_DEPTH:
            return i
        i += 1


__all__ = ["MAX_DEPTH", "TOMLDecodeError", "loads", "string_at"]
