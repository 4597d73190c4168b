"""Linear helpers for lock files in TOML: entry positions, dropping bulky artifact lists, and a fast
reader for the subset of TOML that uv writes.

``tomllib`` (pure Python) needs ~80 ms of CPU for a 400-package uv.lock, most of it spent on the
``wheels``/``sdist``/``files`` lists that venvkeeper never looks at. So:

- :func:`header_lines` finds each ``[[package]]`` header in one pass (the i-th header is the i-th
  entry ``tomllib`` returns, so entries get their line without a position-aware TOML parser);
- :func:`drop_keys` blanks those lists line by line (keeping the line count, so ``tomllib``'s error
  positions stay right) before ``tomllib`` parses the rest (Poetry, PDM);
- :func:`scan_uv` reads uv.lock's own layout (one key per line, arrays one item per line, inline
  tables) with a few regular expressions, skipping artifact lists unparsed. Anything outside that
  layout raises :class:`Unsupported` and the caller falls back to ``tomllib`` on the whole text.
"""

from __future__ import annotations

import json
import re
from typing import Any

_KEY_LINE = re.compile(r"([A-Za-z0-9_-]+|\"[^\"\\\n]*\")[ \t]*=[ \t]*(.*?)[ \t]*$")
#: One ``key = value`` pair inside an inline table; nested tables one level deep (uv's ``source``).
_PAIR = re.compile(
    r"([A-Za-z0-9_-]+)[ \t]*=[ \t]*"
    r"(\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|\[[^\]\n]*\]|\{[^{}\n]*(?:\{[^{}\n]*\}[^{}\n]*)*\}|[^,}\s]+)"
)
_STRING = re.compile(r"\"((?:[^\"\\\n]|\\.)*)\"|'([^'\n]*)'")


class Unsupported(Exception):
    """The text leaves the layout :func:`scan_uv` understands (not necessarily invalid TOML)."""


def header_lines(text: str, header: str) -> list[int]:
    """0-based lines of every ``header`` line (e.g. ``[[package]]``), in order."""
    out: list[int] = []
    line = 0
    last = 0
    for m in re.finditer(rf"^[ \t]*{re.escape(header)}[ \t]*(?:#.*)?$", text, re.M):
        line += text.count("\n", last, m.start())
        last = m.start()
        out.append(line)
    return out


def drop_keys(text: str, keys: frozenset[str]) -> str:
    """``text`` with every ``key = …`` of ``keys`` (single- or multi-line array) made blank lines."""
    out: list[str] = []
    skipping = False
    for raw in text.split("\n"):
        if skipping:
            out.append("")
            if raw.strip().startswith("]"):
                skipping = False
            continue
        m = _KEY_LINE.match(raw)
        if m and m.group(1) in keys:
            value = m.group(2)
            out.append("")
            skipping = value.startswith("[") and not value.endswith("]")
            continue
        out.append(raw)
    return "\n".join(out)


def _string(raw: str) -> str:
    if raw.startswith("'"):
        return raw[1:-1]
    inner = raw[1:-1]
    if "\\" not in inner:
        return inner
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise Unsupported(f"string escape {raw!r}") from exc
    if not isinstance(value, str):
        raise Unsupported(raw)
    return value


def value(raw: str) -> Any:
    """One single-line TOML value of uv's layout: string, inline table, array of strings/tables, bare."""
    c = raw[:1]
    if c in ('"', "'"):
        if len(raw) < 2 or raw[-1] != c:
            raise Unsupported(raw)
        return _string(raw)
    if c == "{":
        if not raw.endswith("}"):
            raise Unsupported(raw)
        out: dict[str, Any] = {}
        for m in _PAIR.finditer(raw, 1, len(raw) - 1):
            v = m.group(2)
            out[m.group(1)] = v[1:-1] if v[0] == '"' and "\\" not in v else value(v)
        return out
    if c == "[":
        if not raw.endswith("]"):
            raise Unsupported(raw)
        inner = raw[1:-1].strip()
        if not inner:
            return []
        if inner.startswith("{"):
            return [value(t) for t in _inline_tables(inner)]
        return [_string(m.group(0)) for m in _STRING.finditer(inner)]
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"[+-]?[0-9_]+", raw):
        return int(raw.replace("_", ""))
    if re.fullmatch(r"[0-9TZ:.+-]+", raw):
        return raw  # a date-time (uv's upload-time): kept as text
    raise Unsupported(raw)


def _inline_tables(inner: str) -> list[str]:
    """Split ``{…}, {…}`` (one nesting level, quotes respected) into the tables' texts."""
    out: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(inner)
    while i < n:
        c = inner[i]
        if c == '"':
            m = _STRING.match(inner, i)
            if not m:
                raise Unsupported(inner)
            i = m.end()
            continue
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                out.append(inner[start : i + 1])
        i += 1
    if depth:
        raise Unsupported(inner)
    return out


def _item(raw: str) -> Any:
    raw = raw.strip()
    if raw.endswith(","):
        raw = raw[:-1].rstrip()
    return value(raw)


def scan_uv(
    text: str, skip: frozenset[str] = frozenset({"wheels", "sdist"})
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """uv.lock as (top-level tables and keys, packages); each package dict has its 0-based ``"_line"``.

    Keys in ``skip`` are not parsed (their arrays are stepped over with one ``find``). Raises
    :class:`Unsupported`.
    """
    top: dict[str, Any] = {}
    packages: list[dict[str, Any]] = []
    table: dict[str, Any] = top
    n = len(text)
    pos = 0
    # Line numbers are only needed for [[package]] headers: counted lazily between them.
    counted_to = 0
    line_no = 0
    while pos < n:
        end = text.find("\n", pos)
        if end < 0:
            end = n
        line = text[pos:end].strip()
        start = pos
        pos = end + 1
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            line_no += text.count("\n", counted_to, start)
            counted_to = start
            table = _header(line, top, packages, line_no)
            continue
        m = _KEY_LINE.match(line)
        if not m:
            raise Unsupported(line[:40])
        key, raw = m.group(1), m.group(2)
        if key[0] == '"':
            key = key[1:-1]
        if raw == "[":
            close = text.find("\n]", end)
            if close < 0:
                raise Unsupported("unclosed array")
            if key not in skip:
                items: list[Any] = []
                for item in text[end + 1 : close].split("\n"):
                    item = item.strip()
                    if item and item[0] != "#":
                        items.append(_item(item))
                table[key] = items
            nxt = text.find("\n", close + 2)
            pos = n if nxt < 0 else nxt + 1
            continue
        if key not in skip:
            table[key] = value(raw)
    return top, packages


def _header(line: str, top: dict[str, Any], packages: list[dict[str, Any]], lineno: int) -> dict[str, Any]:
    if line.startswith("[["):
        if not line.endswith("]]"):
            raise Unsupported(line)
        name = line[2:-2].strip()
        if name == "package":
            pkg: dict[str, Any] = {"_line": lineno}
            packages.append(pkg)
            return pkg
        parts = name.split(".")
        if parts[0] == "package" and packages:
            target = packages[-1]
            for part in parts[1:-1]:
                target = target.setdefault(part, {})
            entry: dict[str, Any] = {}
            target.setdefault(parts[-1], []).append(entry)
            return entry
        entry = {}
        holder = top
        for part in parts[:-1]:
            holder = holder.setdefault(part, {})
        holder.setdefault(parts[-1], []).append(entry)
        return entry
    if not line.endswith("]"):
        raise Unsupported(line)
    parts = [p.strip().strip('"') for p in line[1:-1].split(".")]
    if parts[0] == "package":
        if not packages:
            raise Unsupported(line)
        target = packages[-1]
        parts = parts[1:]
    else:
        target = top
    for part in parts:
        nxt = target.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise Unsupported(line)
        target = nxt
    return target
