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
from packaging.version import InvalidVersion, Version

from venvkeeper import fsread
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
    "--config-settings": "other",
    "-C": "other",
    "--all-releases": "other",
    "--only-final": "other",
}
_FLAG_OPTIONS = {"--no-index", "--pre", "--prefer-binary", "--require-hashes", "--no-require-hashes"}
#: Options pip accepted once and rejects now (the whole file fails to parse).
_REMOVED_OPTIONS = ("--global-option", "--install-option")


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


def _expansions(text: str, environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """What :func:`expand_vars` put in, as ``(value, "${NAME}")``, longest value first."""
    found = {(environ[n], f"${{{n}}}") for n in _ENV_VAR_RE.findall(text) if environ.get(n)}
    return tuple(sorted(found, key=lambda pair: -len(pair[0])))


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
    if fsread.is_dir(path):
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
        #: resolved path -> the path a file was first read under (records and ``includes`` use it).
        self._first: dict[Path, Path] = {}
        self._root: Path | None = None

    def parse(self, path: Path, *, constraint: bool = False) -> None:
        """Read ``path`` as a top-level source (a ``pip install -r``/``-c`` of its own)."""
        self._root = path
        self._parse(path, constraint, [])
        root = self._first.get(_key(path), path)
        if root not in self.result.roots:
            self.result.roots.append(root)

    # -- files ---------------------------------------------------------------------------------
    def _parse(self, path: Path, constraint: bool, stack: list[Path]) -> None:
        key = _key(path)
        if (key, constraint) in self._done:
            return
        self._done.add((key, constraint))
        self._first.setdefault(key, path)
        text, problem = read_source_text(path)
        if path not in self.result.files:
            self.result.files.append(path)
        if text is None:
            # Says why the file was not read (never its content), so it may name a file outside the project.
            message = problem or f"{path.name} cannot be read"
            self.result.findings.append(Finding(path, FILE_START, "invalid-requirement", message))
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
            if not token.startswith("-"):
                continue  # a positional argument: pip's optparse collects and ignores it ("-e ./x ; marker")
            if name in _FLAG_OPTIONS:
                continue
            if name in _REMOVED_OPTIONS:
                self._finding(
                    path,
                    whole,
                    "invalid-requirement",
                    f"'{name}' is no longer a pip option (pip 24 and later reject this requirements file); "
                    "use '--config-settings' or drop it",
                )
                return
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
                self._include(path, whole, value, kind == "constraint", stack)
            elif kind == "editable":
                offset = logical.text.find(value, cursor) if cursor is not None else -1
                cursor = offset + len(value) if offset >= 0 else None
                vstart = offset if offset >= 0 else start
                if value.count("[") != value.count("]"):
                    # pip ends the value at the first space: "-e ./pkg[a, b]" gives it "./pkg[a,".
                    self._finding(
                        path,
                        logical.span(vstart, vstart + len(value)),
                        "invalid-requirement",
                        f"'{value}' is not a valid editable requirement (pip reads the value up to the first "
                        "space; write the extras without spaces)",
                    )
                    continue
                self._requirement(path, logical, vstart, value, constraint, editable=True)

    def _include(self, path: Path, span: Span, written: str, constraint: bool, stack: list[Path]) -> None:
        # Messages name the include as written: an expanded ${VAR} may be a secret.
        target = expand_vars(written, self.environ)
        if _URL_RE.match(target) and not target.startswith("file:"):
            self._finding(path, span, "unknown-syntax", f"remote include {written} is not checked")
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
            message = f"{written} includes itself ({chain}); the cycle was not followed"
            self._finding(path, span, "include-cycle", message)
            return
        if not fsread.lexists(included):
            where = f" ({included})" if written == target else ""
            why = fsread.access_problem(included) or "does not exist"  # EACCES, ENAMETOOLONG, ELOOP
            self._finding(path, span, "include-missing", f"{what} {written} {why}{where}")
            return
        edges = self.result.includes.setdefault(self._first.get(_key(path), path), [])
        child = self._first.get(key, included)
        if child not in edges:
            edges.append(child)
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
            egg_name = _egg_name_if_versioned(link)
            if egg_name is not None:
                fragment = link[link.index("egg=") :].split("&", 1)[0]
                self._finding(
                    path,
                    span,
                    "invalid-requirement",
                    f"'#{fragment}' carries a version: pip 25+ rejects it (#egg= takes the project name "
                    f"only: '#egg={egg_name}', or write '{egg_name} @ URL')",
                )
                return
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
                path, span, text, req, name, editable, url, constraint, origin=origin, root=self._root,
                expanded=_expansions(raw, self.environ),
            )  # fmt: skip
            self._add(record)
            return
        try:
            req = parse_requirement(_pip_marker_split(text))
        except InvalidRequirement as exc:
            self._finding(
                path, span, "invalid-requirement", f"'{raw}' is not a valid requirement: {_first_line(exc)}"
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
                expanded=_expansions(raw, self.environ),
            )
        )

    def _add(self, record: RequirementRecord) -> None:
        (self.result.constraints if record.constraint else self.result.requirements).append(record)

    def _finding(self, path: Path, span: Span, code: str, message: str) -> None:
        if self.project is not None and not _within(path, self.project):
            # A file outside the project (-r ~/.aws/credentials) may hold secrets: name the file and
            # line, never quote its text.
            message = (
                f"line {span.line + 1} of {path} is not a requirement venvkeeper can use; its text is not "
                "shown because the file is outside the project"
            )
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
    # pip (req.constructors.parse_req_from_line): in a URL the marker separator is "; " — ";" followed by
    # a space — since a bare ";" may be part of the URL. "x.whl ;marker" keeps ";marker" in the URL.
    head, sep, marker = text.partition("; ")
    return (head, ";", marker) if sep else (text, "", "")


def _egg_name_if_versioned(link: str) -> str | None:
    """The name part of an ``#egg=`` fragment that also carries a version ("pkg-1.0", "pkg==1.0")."""
    at = link.find("egg=")
    if at <= 0 or link[at - 1] not in "#&":
        return None
    value = link[at + len("egg=") :].split("&", 1)[0]
    cut = next((i for i, c in enumerate(value) if c in "=<>!~"), None)
    if cut is None:
        # "pkg-1.0" (a version after the last dash), but not "django-2fa" (a name with a digit in it).
        name, dash, tail = value.rpartition("-")
        if not dash or not name:
            return None
        try:
            Version(tail)
        except InvalidVersion:
            return None
        cut = len(name)
    return value[:cut] if cut else None


def _pip_marker_split(text: str) -> str:
    """A named requirement as pip reads it: split at the first ";" (pip does, before PEP 508 parsing), so
    ``name @ https://x.whl; marker`` is accepted as pip accepts it (packaging alone wants a space first)."""
    head, sep, marker = text.partition(";")
    if not sep or "@" not in head:
        return text
    return f"{head.rstrip()} ; {marker.strip()}"


def _as_url(url: str) -> str:
    return url if _URL_RE.match(url) else Path(url).absolute().as_uri()


def _within(path: Path, directory: Path) -> bool:
    return _key(path) == _key(directory) or _key(directory) in _key(path).parents


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
