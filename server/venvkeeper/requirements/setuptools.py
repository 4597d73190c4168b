"""``setup.cfg`` and ``setup.py`` as requirement sources, read as text — setup.py is never executed.

* ``setup.cfg``: ``[options] install_requires`` and ``[options.extras_require]``, read with configparser
  (as setuptools does) and split as setuptools' ``_parse_list_semicolon`` does: one requirement per line,
  or, on a single line, separated by ``;``; ``#`` lines are comments. ``file:`` values name requirement
  files, which are read like ``-r`` includes.
* ``setup.py``: the literal ``install_requires=[...]`` / ``extras_require={...}`` keywords of the
  ``setup(...)`` call, read with :mod:`ast`. Anything computed (a variable, a call, a comprehension) is
  one ``not-evaluated`` finding (information) that says why it is not checked.
"""

from __future__ import annotations

import ast
import configparser
from collections.abc import Callable
from pathlib import Path

from packaging.requirements import InvalidRequirement
from packaging.utils import canonicalize_name

from venvkeeper import fsread
from venvkeeper.findings import FILE_START, Finding, Span
from venvkeeper.ini import parse_ini
from venvkeeper.requirements.records import (
    ParsedSources,
    RequirementRecord,
    parse_requirement,
    read_source_text,
    selected,
)
from venvkeeper.settings import Selection

#: Reads a requirements file named by ``file:`` (the shared requirements-file parser).
IncludeFile = Callable[[Path], None]


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class _Emitter:
    def __init__(self, path: Path, result: ParsedSources, own_name: str | None) -> None:
        self.path = path
        self.result = result
        self.own_name = own_name

    def requirement(self, text: str, span: Span, origin: str) -> None:
        try:
            req = parse_requirement(text)
        except InvalidRequirement as exc:
            self.finding(
                span, "invalid-requirement", f"'{text}' is not a valid requirement: {_first_line(exc)}"
            )
            return
        name = canonicalize_name(req.name)
        if name == self.own_name:
            return  # "mypkg[test]" in extras_require refers to the project's own extras
        self.result.requirements.append(
            RequirementRecord(self.path, span, text, req, name, False, req.url, origin=origin, root=self.path)
        )

    def finding(self, span: Span, code: str, message: str) -> None:
        self.result.findings.append(Finding(self.path, span, code, message))


# -- setup.cfg -----------------------------------------------------------------------------------
def _split_list(value: str) -> list[str]:
    """setuptools' ``_parse_list_semicolon`` followed by its comment filter."""
    chunks = value.splitlines() if "\n" in value else value.split(";")
    return [c.strip() for c in chunks if c.strip() and not c.strip().startswith("#")]


class _LineFinder:
    """Where a value line sits in the file (configparser keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.used: set[int] = set()
        #: Values of a list come in file order: each search starts after the previous find, so a
        #: setup.cfg with thousands of requirements is scanned once, not once per requirement.
        self.cursor: dict[int, int] = {}

    def section_start(self, name: str) -> int:
        for number, line in enumerate(self.lines):
            if line.strip().lower() == f"[{name}]":
                return number
        return 0

    def find(self, needle: str, start: int) -> Span:
        first = self.cursor.get(start, start)
        for number in range(first, len(self.lines)):
            line = self.lines[number]
            col = line.find(needle)
            if col >= 0 and number not in self.used:
                self.used.add(number)
                self.cursor[start] = number + 1
                return Span(number, col, number, col + len(needle))
        return Span(start, 0, start, len(self.lines[start]) if start < len(self.lines) else 0)


def parse_setup_cfg(path: Path, result: ParsedSources, extras: Selection, include: IncludeFile) -> None:
    if path not in result.files:
        result.files.append(path)
    text, problem = read_source_text(path)
    emit = _Emitter(path, result, None)
    if text is None:
        emit.finding(FILE_START, "unknown-syntax", problem or "setup.cfg cannot be read")
        return
    try:
        # Linear on any input (configparser alone is quadratic on runs of blanks: see ini.py).
        parser = parse_ini(text, keep_case=True)  # extra names as written
    except configparser.Error as exc:
        line = getattr(exc, "lineno", 1) or 1
        emit.finding(
            Span(line - 1, 0, line - 1, 0), "unknown-syntax", f"setup.cfg cannot be read: {_first_line(exc)}"
        )
        return
    name = parser.get("metadata", "name", fallback=None)
    emit.own_name = canonicalize_name(name.strip()) if name and name.strip() else None
    finder = _LineFinder(text)
    if parser.has_option("options", "install_requires"):
        start = finder.section_start("options")
        _cfg_list(
            emit, finder, path, parser.get("options", "install_requires"), start, "install_requires", include
        )
    if parser.has_section("options.extras_require"):
        start = finder.section_start("options.extras_require")
        for extra, value in parser.items("options.extras_require"):
            if selected(extra, extras):
                _cfg_list(emit, finder, path, value, start, f"extras_require[{extra}]", include)


def _cfg_list(
    emit: _Emitter, finder: _LineFinder, path: Path, value: str, start: int, origin: str, include: IncludeFile
) -> None:
    stripped = value.strip()
    if stripped.startswith("file:"):
        for name in stripped[len("file:") :].split(","):
            target = path.parent / name.strip()
            span = finder.find(name.strip(), start)
            # A FIFO or device there is refused by the reader, and the refusal shown on it.
            if fsread.lexists(target) and not fsread.is_dir(target):
                include(target)
            else:
                emit.finding(
                    span, "include-missing", f"{origin} names the file {name.strip()}, which does not exist"
                )
        return
    for item in _split_list(value):
        emit.requirement(item, finder.find(item, start), f"setup.cfg {origin}")


# -- setup.py ------------------------------------------------------------------------------------
def _span(node: ast.AST, lines: list[str]) -> Span:
    # ast columns are UTF-8 byte offsets; LSP-side positions here are str indices.
    def col(line: int, offset: int) -> int:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return len(text.encode("utf-8")[:offset].decode("utf-8", errors="replace"))

    lineno = getattr(node, "lineno", 1)
    end_lineno = getattr(node, "end_lineno", None) or lineno
    start = col(lineno, getattr(node, "col_offset", 0))
    end = col(end_lineno, getattr(node, "end_col_offset", None) or 0)
    return Span(lineno - 1, start, end_lineno - 1, end)


def _setup_call(tree: ast.AST) -> ast.Call | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else None
            )
            if name == "setup":
                return node
    return None


def _why_not_literal(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return f"it is the variable '{node.id}'"
    if isinstance(node, ast.Call):
        return "it is computed by a function call"
    if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)):
        return "it is a comprehension"
    if isinstance(node, ast.BinOp):
        return "it is computed (an expression)"
    return f"it is not a literal list of strings ({type(node).__name__})"


def parse_setup_py(path: Path, result: ParsedSources, extras: Selection) -> None:
    if path not in result.files:
        result.files.append(path)
    text, problem = read_source_text(path)
    emit = _Emitter(path, result, None)
    if text is None:
        emit.finding(FILE_START, "unknown-syntax", problem or "setup.py cannot be read")
        return
    try:
        tree = ast.parse(text, str(path))
    except (SyntaxError, ValueError) as exc:
        line = max((getattr(exc, "lineno", 1) or 1) - 1, 0)
        emit.finding(
            Span(line, 0, line, 0), "unknown-syntax", f"setup.py is not valid Python: {_first_line(exc)}"
        )
        return
    call = _setup_call(tree)
    if call is None:
        return
    lines = text.splitlines()
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    name = keywords.get("name")
    if isinstance(name, ast.Constant) and isinstance(name.value, str):
        emit.own_name = canonicalize_name(name.value)
    unread: list[tuple[str, ast.AST]] = []
    install = keywords.get("install_requires")
    if install is not None and not _literal_list(emit, install, lines, "setup.py install_requires"):
        unread.append(("install_requires", install))
    extras_node = keywords.get("extras_require")
    if extras_node is not None:
        if isinstance(extras_node, ast.Dict) and all(
            isinstance(k, ast.Constant) and isinstance(k.value, str) for k in extras_node.keys
        ):
            for key, value in zip(extras_node.keys, extras_node.values):
                assert isinstance(key, ast.Constant)
                extra = str(key.value)
                if selected(extra, extras) and not _literal_list(
                    emit, value, lines, f"setup.py extras_require[{extra}]"
                ):
                    unread.append((f"extras_require['{extra}']", value))
        else:
            unread.append(("extras_require", extras_node))
    if any(k.arg is None for k in call.keywords):
        starred = next(k for k in call.keywords if k.arg is None)
        if install is None:
            unread.append(("setup(**...)", starred.value))
    if unread:
        what, node = unread[0]
        reasons = "; ".join(f"{w}: {_why_not_literal(n)}" for w, n in unread)
        emit.finding(
            _span(node, lines),
            "not-evaluated",
            f"venvkeeper reads only literal lists in setup.py and never runs it, so {what} is not checked "
            f"({reasons})",
        )


def _literal_list(emit: _Emitter, node: ast.AST, lines: list[str], origin: str) -> bool:
    """Emit the requirements of a literal list/tuple of strings; False when ``node`` is not one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        items: list[ast.expr] = [node]  # setuptools also takes one string, one requirement per line
    elif isinstance(node, (ast.List, ast.Tuple)):
        items = list(node.elts)
    else:
        return False
    if not all(isinstance(i, ast.Constant) and isinstance(i.value, str) for i in items):
        return False
    for item in items:
        assert isinstance(item, ast.Constant)
        for line in str(item.value).splitlines() or [""]:
            requirement = line.split("#", 1)[0].strip()
            if requirement:
                emit.requirement(requirement, _span(item, lines), origin)
    return True


def may_declare_dependencies(text: str) -> bool:
    """Could this setup.cfg / setup.py declare requirements? (Cheap: decides whether it is a source.)"""
    return "install_requires" in text or "extras_require" in text
