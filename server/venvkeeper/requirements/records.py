"""What the requirement parsers produce: records that remember exactly where they were written.

Every record keeps its file and 0-based span so a diagnostic can sit on the requirement's own text,
also for files pulled in with ``-r`` and for strings inside ``pyproject.toml`` arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from venvkeeper import fsread
from venvkeeper.findings import Finding, Span
from venvkeeper.settings import Selection

#: Files larger than this are not read (a requirements file is kilobytes; 50 MB is a mistake or a trap).
MAX_SOURCE_BYTES = fsread.REQUIREMENTS.max_bytes


@lru_cache(maxsize=8192)
def parse_requirement(text: str) -> Requirement:
    """``Requirement(text)``, memoised: a re-check parses the same few hundred strings every time.

    Callers must not mutate the result (packaging's Requirement is mutable, we never change it).
    Raises :class:`packaging.requirements.InvalidRequirement` (not cached) like the constructor, also
    where an older packaging would recurse past the stack on deeply nested marker parentheses.
    """
    try:
        return Requirement(text)
    except RecursionError:
        raise InvalidRequirement("markers are nested too deeply") from None


def selected(name: str, selection: Selection) -> bool:
    """Is extra/group ``name`` in ``selection``? Names compare normalised (PEP 685 extras, PEP 735 groups).

    ``"default"`` selects nothing by name: each tool's own defaults are decided where its table is read.
    """
    if selection == "all":
        return True
    if isinstance(selection, str):
        return False
    return canonicalize_name(name) in {canonicalize_name(s) for s in selection}


@dataclass(frozen=True)
class RequirementRecord:
    file: Path
    span: Span
    #: The requirement as written, after ``${VAR}`` expansion ("requests>=2", "./pkg", "git+https://…").
    text: str
    #: The parsed PEP 508 requirement; None for an unnamed URL or path whose name is not known yet.
    requirement: Requirement | None
    #: Canonical (PEP 503) name, when known.
    name: str | None
    editable: bool = False
    #: Direct reference (``name @ url``, VCS URL, local path; local paths made absolute).
    url: str | None = None
    #: From a ``-c`` file: only constrains the version of something required elsewhere.
    constraint: bool = False
    #: Poetry "a || b": satisfied when any of these specifier sets is (empty = use requirement.specifier).
    any_of: tuple[SpecifierSet, ...] = ()
    #: Where it comes from, in words: "requirements", "project.dependencies", "optional-dependencies[x]", …
    origin: str = "requirements"
    #: The top-level source this record was reached from (``-c`` constraints apply within one root,
    #: as they do within one ``pip install -r`` run).
    root: Path | None = None
    #: ``(value, "${NAME}")`` for each variable expanded in this line: messages show the name, never
    #: the value (a token in a URL must not reach a diagnostic or a CI log).
    expanded: tuple[tuple[str, str], ...] = ()


def conceal(message: str, expanded: tuple[tuple[str, str], ...]) -> str:
    """``message`` with every expanded variable's value put back as ``${NAME}``."""
    for value, written in expanded:
        message = message.replace(value, written)
    return message


@dataclass(frozen=True)
class RequiresPythonRecord:
    file: Path
    span: Span
    text: str
    specifier: SpecifierSet
    #: Poetry "a || b": satisfied when any of these is (empty = use ``specifier``).
    any_of: tuple[SpecifierSet, ...] = ()


@dataclass
class ParsedSources:
    requirements: list[RequirementRecord] = field(default_factory=list)
    constraints: list[RequirementRecord] = field(default_factory=list)
    requires_python: list[RequiresPythonRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Every file read (top-level sources and their includes), in reading order.
    files: list[Path] = field(default_factory=list)
    #: The top-level sources, in the order given.
    roots: list[Path] = field(default_factory=list)
    #: file -> the files it includes with ``-r``/``-c`` (also when an include was read before, from
    #: another file), so a ``-c`` file included by two top-level files constrains both.
    includes: dict[Path, list[Path]] = field(default_factory=dict)

    def reachable(self, root: Path) -> set[Path]:
        """``root`` and every file it includes, directly or not."""
        seen = {root}
        stack = [root]
        while stack:
            for child in self.includes.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen


def read_source_text(path: Path, kind: fsread.Kind = fsread.REQUIREMENTS) -> tuple[str | None, str | None]:
    """Read a source file as text, or say in words why it cannot be a requirement source.

    Read through :func:`venvkeeper.fsread.read_bytes`: a FIFO, a device or a file above the kind's cap
    (:data:`MAX_SOURCE_BYTES` for requirement files) never reaches the line parser.
    """
    data = fsread.read_bytes(path, kind)
    if isinstance(data, fsread.Unreadable):
        return None, data.message
    # pip honours BOMs (auto_decode); UTF-16 files legitimately contain NUL bytes.
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), None
            except UnicodeDecodeError:
                return None, f"{path.name} is not valid {codec} text"
    if b"\0" in data:
        return None, f"{path.name} is a binary file, not a text requirement source"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        # pip falls back to the locale encoding; latin-1 decodes anything and keeps ASCII positions.
        return data.decode("latin-1"), None
