"""Where each value of a TOML document was written.

``tomllib`` gives values but no positions, and no maintained TOML library in our dependency set
reports them. Diagnostics must sit on the exact string inside ``dependencies = [...]``, so after
``tomllib`` has accepted the document we scan the raw text once with this small lexer: it follows
table headers, (dotted) keys, strings, arrays and inline tables, and records the span of every
key/value pair and of each element of an array. It never validates; on anything it does not expect
it stops and returns what it has, and callers fall back to coarser positions.
"""

from __future__ import annotations

import contextlib
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from venvkeeper.findings import Span
from venvkeeper.requirements._toml import MAX_DEPTH, string_at

KeyPath = tuple[str, ...]

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
# A bare value (number, bool, date): up to the next separator.
_BARE_VALUE_RE = re.compile(r"[^,\]\}\r\n#]*")
#: Values nested deeper than this stop the lexer (tomllib has refused such documents already, see _toml).
_MAX_DEPTH = 2 * MAX_DEPTH


@dataclass
class ValuePos:
    #: From the first character of the key to the last of the value (exclusive end).
    span: Span
    #: The value alone; for a single-line string, the text between its quotes.
    value: Span
    #: For arrays: each direct element (strings: the text between the quotes).
    items: list[ValuePos] = field(default_factory=list)


class _Stop(Exception):
    pass


class _Lexer:
    def __init__(self, text: str) -> None:
        self.t = text
        self.i = 0
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
        self.found: dict[KeyPath, ValuePos] = {}
        self.aot_index: dict[KeyPath, int] = {}
        self.depth = 0

    def pos(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, offset) - 1
        return line, offset - self.line_starts[line]

    def span(self, start: int, end: int) -> Span:
        a, b = self.pos(start), self.pos(end)
        return Span(a[0], a[1], b[0], b[1])

    def peek(self, n: int = 1) -> str:
        return self.t[self.i : self.i + n]

    def skip_ws(self, newlines: bool) -> None:
        while self.i < len(self.t):
            c = self.t[self.i]
            if c in " \t" or (newlines and c in "\r\n"):
                self.i += 1
            elif c == "#":
                while self.i < len(self.t) and self.t[self.i] not in "\r\n":
                    self.i += 1
            else:
                return

    # -- document ------------------------------------------------------------------------------
    def document(self) -> None:
        table: KeyPath = ()
        while True:
            self.skip_ws(newlines=True)
            if self.i >= len(self.t):
                return
            if self.peek() == "[":
                array = self.peek(2) == "[["
                self.i += 2 if array else 1
                table = self.key_path("]")
                self.i += 2 if array else 1
                if array:
                    # Elements of [[x]] are told apart by their index, like tomllib's list.
                    index = self.aot_index.get(table, -1) + 1
                    self.aot_index[table] = index
                    table = (*table, str(index))
            else:
                self.key_value(table)

    def key_path(self, end: str) -> KeyPath:
        parts: list[str] = []
        while True:
            self.skip_ws(newlines=False)
            parts.append(self.key())
            self.skip_ws(newlines=False)
            if self.peek() == ".":
                self.i += 1
                continue
            if self.peek() == end:
                return tuple(parts)
            raise _Stop

    def key(self) -> str:
        c = self.peek()
        if c in ('"', "'"):
            start = self.i
            self.string()
            raw = self.t[start : self.i]
            return raw[1:-1] if c == "'" else _decode_basic(raw[1:-1])
        m = _BARE_KEY_RE.match(self.t, self.i)
        if not m:
            raise _Stop
        self.i = m.end()
        return m.group(0)

    def key_value(self, table: KeyPath) -> None:
        start = self.i
        path = (*table, *self.key_path("="))
        self.i += 1
        self.skip_ws(newlines=False)
        value = self.value(path)
        self.found[path] = ValuePos(self.span(start, self.i), value.value, value.items)

    # -- values --------------------------------------------------------------------------------
    def value(self, path: KeyPath) -> ValuePos:
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                raise _Stop
            return self._value(path)
        finally:
            self.depth -= 1

    def _value(self, path: KeyPath) -> ValuePos:
        c = self.peek()
        start = self.i
        if c in ('"', "'"):
            inner = self.string()
            return ValuePos(self.span(start, self.i), self.span(*inner))
        if c == "[":
            self.i += 1
            items: list[ValuePos] = []
            while True:
                self.skip_ws(newlines=True)
                if self.peek() == "]":
                    self.i += 1
                    break
                items.append(self.value((*path, str(len(items)))))
                self.skip_ws(newlines=True)
                if self.peek() == ",":
                    self.i += 1
            whole = self.span(start, self.i)
            return ValuePos(whole, whole, items)
        if c == "{":
            self.i += 1
            while True:
                self.skip_ws(newlines=True)
                if self.peek() == "}":
                    self.i += 1
                    break
                self.key_value(path)
                self.skip_ws(newlines=True)
                if self.peek() == ",":
                    self.i += 1
            whole = self.span(start, self.i)
            return ValuePos(whole, whole)
        m = _BARE_VALUE_RE.match(self.t, self.i)
        if not m or not m.group(0).strip():
            raise _Stop
        self.i = m.start() + len(m.group(0).rstrip())
        whole = self.span(start, self.i)
        return ValuePos(whole, whole)

    def string(self) -> tuple[int, int]:
        """Skip a string; return the offsets of its content (between the quotes)."""
        found = string_at(self.t, self.i)
        if found is None:
            raise _Stop
        content, end, self.i = found
        return content, end


def _decode_basic(raw: str) -> str:
    try:
        import json

        value = json.loads(f'"{raw}"')
        return value if isinstance(value, str) else raw
    except ValueError:
        return raw


def value_positions(text: str) -> dict[KeyPath, ValuePos]:
    """Map every key path (``("project", "dependencies")``) to where its value was written."""
    lexer = _Lexer(text)
    with contextlib.suppress(_Stop, IndexError):
        lexer.document()
    return lexer.found
