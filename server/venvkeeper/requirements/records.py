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

from venvkeeper.findings import Finding, Span

#: Files larger than this are not read (a requirements file is kilobytes; 50 MB is a mistake or a trap).
MAX_SOURCE_BYTES = 5 * 1024 * 1024


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


def read_source_text(path: Path) -> tuple[str | None, str | None]:
    """Read a source file as text, or say in words why it cannot be a requirement source.

    At most :data:`MAX_SOURCE_BYTES` are read, so a 50 MB file never reaches the line parser.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, f"{path.name} cannot be read: {exc.strerror or exc}"
    if size > MAX_SOURCE_BYTES:
        return None, (
            f"{path.name} is {size / 1024 / 1024:.1f} MB; venvkeeper reads requirement sources up to "
            f"{MAX_SOURCE_BYTES // 1024 // 1024} MB, so it was not checked"
        )
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        return None, f"{path.name} cannot be read: {exc.strerror or exc}"
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
