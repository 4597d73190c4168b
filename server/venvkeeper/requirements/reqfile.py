"""pip requirements files (``requirements*.txt``, ``*.in``), parsed the way pip reads them.

pip's own order is kept: join ``\\`` continuation lines, strip comments, expand ``${VAR}``, split the
requirement from its options. Unlike pip we also remember where every piece came from, so a joined
line still maps back to the physical line and column of each character. ``${VAR}`` is expanded in
the pieces *after* their positions are taken, so a span always covers the text as written.

``-r`` includes are read relative to the including file, recursively, each file once; a file that
includes itself (directly or not) gives ``include-cycle`` on the ``-r`` line instead of recursing, and
a chain deeper than :data:`MAX_INCLUDE_DEPTH` files gives ``include-too-deep`` there.

Every step is linear in the length of the file, whatever it holds (issue 9): the regexes cannot
backtrack over a run of blanks (a ``\\s+`` only starts where the run starts), continuation lines are
joined once, and positions are looked up by bisection.
"""

from __future__ import annotations

import re
import shlex
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from venvkeeper.findings import FILE_START, Finding, Span
from venvkeeper.requirements.localproject import local_project_name
from venvkeeper.requirements.records import (
    ParsedSources,
    RequirementRecord,
    parse_requirement,
    read_source_text,
)

# pip: req_file.COMMENT_RE / ENV_VAR_RE (only upper-case names are expanded; unset ones stay as written).
# pip's "(^|\s+)#.*$" retries "\s+" from every blank of a run that is not followed by "#": quadratic
# on a line of 50k blanks. "(?<!\s)" lets the run be tried only from its first blank; same matches.
_COMMENT_RE = re.compile(r"(^|(?<!\s)\s+)#.*$")
_ENV_VAR_RE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)\}")
_LINE_SPLIT_RE = re.compile(r"\r\n|\r|\n")
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^file:")
_ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")
_EGG_FRAGMENT_RE = re.compile(r"[#&]egg=(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)")
# In a URL ";" may be part of the URL; pip needs whitespace before the marker separator.
_URL_MARKER_RE = re.compile(r"(?<!\s)\s+;\s*")
_ARCHIVE_VERSION_RE = re.compile(r"-\d")

#: How many files deep a chain of ``-r``/``-c`` includes is followed (real projects use 2 or 3).
MAX_INCLUDE_DEPTH = 50

#: Options pip accepts in a requirements file that take a value / that are flags.
_VALUE_OPTIONS = {
    "-r": "requirement",
    "--requirement": "requirement",
    "-c": "constraint",
    "--constraint": "constraint",
    "-e": "editable",
    "--editable": "editable",
    "-i": "other",
    "--index-url": "other",
    "--extra-index-url": "other",
    "-f": "other",
    "--find-links": "other",
    "--trusted-host": "other",
    "--no-binary": "other",
    "--only-binary": "other",
    "--use-feature": "other",
    "--hash": "other",
    "--global-option": "other",
    "--install-option": "other",
    "--config-settings": "other",
    "-C": "other",
}
_FLAG_OPTIONS = {"--no-index", "--pre", "--prefer-binary", "--require-hashes"}


@dataclass
class _Logical:
    """One logical line (continuations joined) and where each of its pieces came from."""

    text: str
    #: (offset in ``text``, physical line, physical column of that offset), ascending by offset.
    pieces: list[tuple[int, int, int]] = field(default_factory=list)
    _offsets: list[int] = field(default_factory=list, init=False, repr=False, compare=False)

    def pos(self, offset: int) -> tuple[int, int]:
        if len(self._offsets) != len(self.pieces):
            self._offsets = [p[0] for p in self.pieces]
        i = max(bisect_right(self._offsets, offset) - 1, 0)
        start, line, col = self.pieces[i]
        return line, max(col + offset - start, 0)

    def span(self, start: int, end: int) -> Span:
        line, col = self.pos(start)
        # The end is exclusive: map the last character, then step past it.
        end_line, end_col = self.pos(max(end - 1, start))
        return Span(line, col, end_line, end_col + (1 if end > start else 0))


def _logical_lines(text: str) -> list[_Logical]:
    """pip's ``join_lines``: a line ending in ``\\`` continues on the next; a comment line ends it."""
    out: list[_Logical] = []
    # The line being continued: its parts are joined once at its end (``+=`` on a long line is
    # quadratic), so ``length`` keeps the offset the next part starts at.
    parts: list[str] = []
    pieces: list[tuple[int, int, int]] = []
    length = 0
    for number, line in enumerate(_LINE_SPLIT_RE.split(text)):
        is_comment = bool(_COMMENT_RE.match(line))
        if not line.endswith("\\") or is_comment:
            col = 0
            if is_comment:
                line, col = " " + line, -1  # pip prepends a space so the comment is matched later
            if pieces:
                pieces.append((length, number, col))
                parts.append(line)
                out.append(_Logical("".join(parts), pieces))
                parts, pieces, length = [], [], 0
            else:
                out.append(_Logical(line, [(0, number, col)]))
        else:
            lead = len(line) - len(line.lstrip("\\"))
            piece = line.strip("\\")
            pieces.append((length, number, lead))
            parts.append(piece)
            length += len(piece)
    if pieces:
        out.append(_Logical("".join(parts), pieces))
    return out


def expand_vars(text: str, environ: Mapping[str, str]) -> str:
    return _ENV_VAR_RE.sub(lambda m: environ.get(m.group("name"), m.group(0)), text)


def _looks_like_url_or_path(text: str) -> bool:
    if _URL_RE.match(text):
        return True
    head = text.split(";", 1)[0].strip()
    if "@" in head.split("/", 1)[0]:
        return False  # "name @ url" is PEP 508
    return (
        head.startswith((".", "/", "~", "\\"))
        or head.endswith(_ARCHIVE_SUFFIXES)
        or bool(re.match(r"^[A-Za-z]:[\\/]", head))
    )


def _name_from_link(link: str, base: Path) -> tuple[str | None, str]:
    """Name and normalised URL/path for an unnamed requirement (URL, archive or local directory)."""
    m = _EGG_FRAGMENT_RE.search(link)
    if _URL_RE.match(link):
        parsed = urlparse(link)
        filename = unquote(parsed.path.rsplit("/", 1)[-1])
        if m:
            return canonicalize_name(m.group("name")), link
        if parsed.scheme == "file":
            local = Path(unquote(parsed.path))
            return _name_from_path(local), link
        return _name_from_filename(filename), link
    path = Path(link.split("#", 1)[0]).expanduser()
    if not path.is_absolute():
        path = base / path
    if m:
        return canonicalize_name(m.group("name")), str(path)
    return _name_from_path(path), str(path)


def _name_from_filename(filename: str) -> str | None:
    if filename.endswith(".whl"):
        return canonicalize_name(filename.split("-", 1)[0])
    for suffix in _ARCHIVE_SUFFIXES:
        if filename.endswith(suffix):
            stem = filename[: -len(suffix)]
            version = _ARCHIVE_VERSION_RE.search(stem)
            name = stem[: version.start()] if version else stem
            return canonicalize_name(name) if name else None
    return None


def _name_from_path(path: Path) -> str | None:
    if path.is_dir():
        name = local_project_name(path)
        return canonicalize_name(name) if name else None
    return _name_from_filename(path.name)


class RequirementsFileParser:
    """Parses one requirements file and its includes into a shared :class:`ParsedSources`."""

    def __init__(
        self, result: ParsedSources, environ: Mapping[str, str], project: Path | None = None
    ) -> None:
        self.result = result
        self.environ = environ
        #: pip resolves ``-e ./x`` and ``./x`` against its working directory: the project root.
        self.project = project
        self._done: set[tuple[Path, bool]] = set()
        self._root: Path | None = None

    def parse(self, path: Path, *, constraint: bool = False) -> None:
        self._root = path
        self._parse(path, constraint, [])

    # -- files ---------------------------------------------------------------------------------
    def _parse(self, path: Path, constraint: bool, stack: list[Path]) -> None:
        key = _key(path)
        if (key, constraint) in self._done:
            return
        self._done.add((key, constraint))
        text, problem = read_source_text(path)
        if path not in self.result.files:
            self.result.files.append(path)
        if text is None:
            self._finding(path, FILE_START, "invalid-requirement", problem or f"{path.name} cannot be read")
            return
        stack = [*stack, key]
        for logical in _logical_lines(text):
            try:
                self._line(path, logical, constraint, stack)
            except Exception as exc:  # a parser bug on one line must not lose the rest of the file
                self._finding(
                    path, logical.span(0, len(logical.text)), "unknown-syntax", f"cannot parse: {exc}"
                )

    # -- lines ---------------------------------------------------------------------------------
    def _line(self, path: Path, logical: _Logical, constraint: bool, stack: list[Path]) -> None:
        content = _COMMENT_RE.sub("", logical.text)
        stripped = content.strip()
        if not stripped:
            return
        lead = len(content) - len(content.lstrip())
        args: list[str] = []
        tokens = stripped.split(" ")
        for token in tokens:
            if token.startswith("-"):
                break
            args.append(token)
        args_text = " ".join(args).rstrip()
        rest = stripped[len(" ".join(args)) :]
        options_text = rest.strip()
        # Where the options start, counted (``str.index`` could find the same text earlier in the line).
        options_start = lead + len(stripped) - len(rest.lstrip())
        if args_text:
            self._requirement(path, logical, lead, args_text, constraint, editable=False)
        if options_text:
            self._options(path, logical, options_start, options_text, constraint, stack, bool(args_text))

    def _options(
        self,
        path: Path,
        logical: _Logical,
        start: int,
        text: str,
        constraint: bool,
        stack: list[Path],
        after_requirement: bool,
    ) -> None:
        whole = logical.span(start, start + len(text))
        try:
            tokens = shlex.split(text, posix=True)
        except ValueError as exc:
            self._finding(path, whole, "invalid-requirement", f"cannot read the options '{text}': {exc}")
            return
        i = 0
        # Where to look for the next editable's text: each search starts past the previous one, and
        # after one miss (a quoted value) no more searches are made, so the line is scanned once.
        cursor: int | None = start
        while i < len(tokens):
            token = tokens[i]
            i += 1
            name, value = token, None
            if token.startswith("--") and "=" in token:
                name, value = token.split("=", 1)
            elif token.startswith("-") and not token.startswith("--") and len(token) > 2:
                name, value = token[:2], token[2:]
            if name in _FLAG_OPTIONS:
                continue
            kind = _VALUE_OPTIONS.get(name)
            if kind is None:
                self._finding(
                    path,
                    whole,
                    "unknown-syntax",
                    f"pip does not accept the option '{name}' in a requirements file; the line was ignored",
                )
                return
            if value is None:
                if i >= len(tokens):
                    self._finding(path, whole, "invalid-requirement", f"option '{name}' needs a value")
                    return
                value = tokens[i]
                i += 1
            if after_requirement and kind != "other":
                self._finding(
                    path,
                    whole,
                    "invalid-requirement",
                    f"'{name}' must be on its own line, not after a requirement",
                )
                return
            if kind in ("requirement", "constraint"):
                self._include(path, whole, expand_vars(value, self.environ), kind == "constraint", stack)
            elif kind == "editable":
                offset = logical.text.find(value, cursor) if cursor is not None else -1
                cursor = offset + len(value) if offset >= 0 else None
                vstart = offset if offset >= 0 else start
                self._requirement(path, logical, vstart, value, constraint, editable=True)

    def _include(self, path: Path, span: Span, target: str, constraint: bool, stack: list[Path]) -> None:
        if _URL_RE.match(target) and not target.startswith("file:"):
            self._finding(path, span, "unknown-syntax", f"remote include {target} is not checked")
            return
        if target.startswith("file:"):
            target = unquote(urlparse(target).path)
        included = Path(target).expanduser()
        if not included.is_absolute():
            included = path.parent / included
        key = _key(included)
        what = "constraints file" if constraint else "included file"
        if key in stack:
            chain = " → ".join(p.name for p in [*stack[stack.index(key) :], key])
            self._finding(
                path, span, "include-cycle", f"{target} includes itself ({chain}); the cycle was not followed"
            )
            return
        if not included.is_file():
            self._finding(path, span, "include-missing", f"{what} {target} does not exist ({included})")
            return
        if len(stack) >= MAX_INCLUDE_DEPTH:
            self._finding(
                path,
                span,
                "include-too-deep",
                f"{target} was not read: it is {len(stack) + 1} files deep in a chain of includes, and "
                f"venvkeeper follows at most {MAX_INCLUDE_DEPTH}",
            )
            return
        self._parse(included, constraint, stack)

    def _requirement(
        self, path: Path, logical: _Logical, start: int, raw: str, constraint: bool, *, editable: bool
    ) -> None:
        span = logical.span(start, start + len(raw))
        text = expand_vars(raw, self.environ)
        base = self.project or path.parent
        origin = "constraints" if constraint else "requirements"
        if editable or _looks_like_url_or_path(text):
            link, _, marker = text.partition(";") if not _URL_RE.match(text) else _split_url_marker(text)
            link = link.strip()
            extras = ""
            split = _split_extras(link)
            if split and not _URL_RE.match(link):
                link, extras = split
            name, url = _name_from_link(link, base)
            req: Requirement | None = None
            if name:
                try:
                    req = parse_requirement(
                        f"{name}{extras} @ {_as_url(url)}" + (f" ; {marker}" if marker else "")
                    )
                except InvalidRequirement:
                    req = None
            record = RequirementRecord(
                path, span, text, req, name, editable, url, constraint, origin=origin, root=self._root
            )
            self._add(record)
            return
        try:
            req = parse_requirement(text)
        except InvalidRequirement as exc:
            self._finding(
                path, span, "invalid-requirement", f"'{text}' is not a valid requirement: {_first_line(exc)}"
            )
            return
        self._add(
            RequirementRecord(
                path,
                span,
                text,
                req,
                canonicalize_name(req.name),
                False,
                req.url,
                constraint,
                origin=origin,
                root=self._root,
            )
        )

    def _add(self, record: RequirementRecord) -> None:
        (self.result.constraints if record.constraint else self.result.requirements).append(record)

    def _finding(self, path: Path, span: Span, code: str, message: str) -> None:
        self.result.findings.append(Finding(path, span, code, message))


def _split_extras(link: str) -> tuple[str, str] | None:
    r"""``./pkg[a,b]`` -> ``("./pkg", "[a,b]")``: the extras are the trailing ``[...]`` holding no ``]``.

    The same split as ``re.match(r"^(.*?)(\[[^\]]*\])$")``, without its quadratic retries on a link
    full of ``[``: find the last inner ``]``, then the first ``[`` after it.
    """
    if not link.endswith("]"):
        return None
    inner_close = link.rfind("]", 0, len(link) - 1)
    open_at = link.find("[", inner_close + 1, len(link) - 1)
    if open_at < 0:
        return None
    return link[:open_at], link[open_at:]


def _split_url_marker(text: str) -> tuple[str, str, str]:
    m = _URL_MARKER_RE.search(text)
    if not m:
        return text, "", ""
    return text[: m.start()], ";", text[m.end() :]


def _as_url(url: str) -> str:
    return url if _URL_RE.match(url) else Path(url).absolute().as_uri()


def _key(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def parse_requirements_file(
    path: Path, environ: Mapping[str, str], project: Path | None = None
) -> ParsedSources:
    """Parse one requirements file (and what it includes) on its own."""
    result = ParsedSources()
    RequirementsFileParser(result, environ, project).parse(path)
    return result


def _first_line(exc: Exception) -> str:
    # packaging appends the input and a caret on extra lines; the diagnostic's range already points there.
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
