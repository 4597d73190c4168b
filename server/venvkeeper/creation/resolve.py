""" "Find versions that work together": ask a resolver for a consistent set, and say it as line edits.

The input is the project's declared requirements (the lines the conflict check placed its findings
on) **plus** the dists of the env's conflicts. Those requirements are themselves inconsistent
(``numpy==1.24.3`` next to ``scikit-learn==0.24.1``, which requires ``numpy<1.24``), so the resolver is
asked again with the specifiers of some conflicting lines dropped, in this order, and the first set it
finds wins:

1. the *dependents* (the dists whose requirement is unmet): keep what the user pinned for the
   dependency and find a dependent that accepts it (``scikit-learn==0.24.1`` → ``scikit-learn==1.3.2``);
2. the *dependencies*: keep the dependents and go back to a version they accept
   (``numpy==1.24.3`` → ``numpy<1.24``, the dependent's own requirement);
3. both.

The installed versions are the resolver's preferences (uv: the ``-o`` file it reads back; pip: the env
itself, whose installed dists pip keeps when they fit), so only what must change changes.

Resolvers: uv (``uv pip compile`` for the env's Python version) when found, else the env's pip
(``pip install --dry-run --report``). Both run in the project directory, so pip reads its own
configuration and uv its ``uv.toml``/``[tool.uv]``; the index options of the project's requirement
files (``--index-url``, ``--extra-index-url``, ``--find-links``, ``--no-index``) are copied into the
resolver's input, and for uv pip's configuration is translated (:mod:`venvkeeper.creation.indexes`).

Nothing here changes the env or a file: the result is a :class:`Proposal` the caller shows as an edit
and, on request, installs (:func:`venvkeeper.creation.create.install_into_env`).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Protocol

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion

from venvkeeper.creation.backends import find_uv, has_pip_module
from venvkeeper.creation.indexes import uv_index_options
from venvkeeper.creation.runner import CancelToken, CommandFailed, Runner, python_module_argv
from venvkeeper.discovery.model import Environment
from venvkeeper.findings import Span
from venvkeeper.host import Host
from venvkeeper.requirements.conflicts import Conflict
from venvkeeper.requirements.markers import env_python_version
from venvkeeper.requirements.provider import resolve_inputs
from venvkeeper.requirements.records import RequirementRecord, read_source_text
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore

#: The options of a requirements file that say where packages come from (copied into the input).
INDEX_OPTIONS = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links",
    "--find-links": "--find-links",
}
_NO_INDEX = "--no-index"


class ResolveFailed(Exception):
    """No consistent set was found (the message quotes the resolver)."""


@dataclass(frozen=True)
class LineEdit:
    """Replace ``old`` (the text at ``span`` of ``file``) by ``new``."""

    file: Path
    span: Span
    old: str
    new: str


@dataclass(frozen=True)
class Change:
    """A dist whose installed version the proposal changes (``old`` None: newly installed)."""

    name: str
    old: Optional[str]
    new: str

    def __str__(self) -> str:
        return f"{self.name} {self.old} → {self.new}" if self.old else f"{self.name} {self.new} (new)"


@dataclass(frozen=True)
class Proposal:
    #: "uv" or "pip": who resolved.
    tool: str
    edits: tuple[LineEdit, ...]
    changes: tuple[Change, ...]
    #: ``name==version`` for every dist that must change: what the sync installs.
    pins: tuple[str, ...]
    #: The canonical names whose declared specifiers were dropped to find the set.
    relaxed: tuple[str, ...]

    @property
    def summary(self) -> str:
        return ", ".join(str(c) for c in self.changes) or "nothing to change"


@dataclass(frozen=True)
class ResolveRequest:
    project: Path
    #: The env's full Python version ("3.11.7", from pyvenv.cfg).
    python_version: str
    #: The env's interpreter (pip resolves with it).
    env_python: Path
    #: The project's declared requirement lines (one per name, markers already applied).
    declared: Sequence[RequirementRecord]
    #: ``-c`` lines of the project: they constrain the resolution as they constrain an install.
    constraints: Sequence[RequirementRecord]
    #: canonical name -> installed version (the resolver's preferences).
    installed: Mapping[str, str]
    conflicts: Sequence[Conflict]
    #: Every requirement file read (their index options are copied into the input).
    files: Sequence[Path] = ()
    #: Extra arguments for the resolver (tests: ``--no-index --find-links DIR``; pip.conf for uv).
    index_options: Sequence[str] = ()
    #: Environment for the tool.
    tool_env: Mapping[str, str] = field(default_factory=dict)


Report = Callable[[str], None]


class Resolver(Protocol):
    name: str

    def resolve(
        self, input_file: Path, request: ResolveRequest, workdir: Path, runner: Runner, cancel: CancelToken
    ) -> dict[str, str]:
        """canonical name -> version of the whole consistent set; raises CommandFailed when none."""
        ...


class UvResolver:
    """``uv pip compile`` for the env's Python version; the installed versions are its preferences."""

    name = "uv"

    def __init__(self, uv: Path, index_options: Sequence[str] = ()) -> None:
        self.uv = uv
        #: pip's index settings translated for uv (:func:`venvkeeper.creation.indexes.uv_index_options`).
        self.index_options = list(index_options)

    def resolve(
        self, input_file: Path, request: ResolveRequest, workdir: Path, runner: Runner, cancel: CancelToken
    ) -> dict[str, str]:
        output = workdir / "resolved.txt"
        # uv prefers the versions already in the output file (as pip-tools does): the installed ones.
        output.write_text("".join(f"{n}=={v}\n" for n, v in sorted(request.installed.items())))
        argv = [
            str(self.uv),
            "pip",
            "compile",
            str(input_file),
            "-o",
            str(output),
            "--python-version",
            request.python_version,
            "--no-header",
            "--no-annotate",
            "--quiet",
            "--color",
            "never",
            *self.index_options,
            *request.index_options,
        ]
        result = runner(argv, cwd=request.project, env=request.tool_env, cancel=cancel)
        if result.returncode != 0:
            raise CommandFailed("uv pip compile", result.returncode, result.tail)
        return _pins(output.read_text(encoding="utf-8"))


class PipResolver:
    """``pip install --dry-run --report`` with the env's interpreter: pip keeps installed dists that fit."""

    name = "pip"

    def __init__(self, pip: Sequence[str]) -> None:
        #: How pip is started for the env (its own pip, or the daemon's with ``--python``).
        self.pip = list(pip)

    def resolve(
        self, input_file: Path, request: ResolveRequest, workdir: Path, runner: Runner, cancel: CancelToken
    ) -> dict[str, str]:
        report = workdir / "report.json"
        argv = [
            *self.pip,
            "install",
            "--dry-run",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--report",
            str(report),
            *request.index_options,
            "-r",
            str(input_file),
        ]
        result = runner(argv, cwd=request.project, env=request.tool_env, cancel=cancel)
        if result.returncode != 0:
            raise CommandFailed("pip install --dry-run", result.returncode, result.tail)
        resolved = dict(request.installed)
        data = json.loads(report.read_text(encoding="utf-8"))
        for item in data.get("install", []):
            meta = item.get("metadata", {})
            if isinstance(meta.get("name"), str) and isinstance(meta.get("version"), str):
                resolved[canonicalize_name(meta["name"])] = meta["version"]
        return resolved


def _pins(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        pinned = [s.version for s in req.specifier if s.operator in ("==", "===")]
        if pinned:
            out[canonicalize_name(req.name)] = pinned[0]
    return out


# -- the input ------------------------------------------------------------------------------------
def index_option_lines(files: Iterable[Path]) -> list[str]:
    """The index options of the project's requirement files, relative ``--find-links`` made absolute
    (pip reads them relative to the file; the resolver's input lives elsewhere). ``${VARS}`` are left
    for the tool to expand."""
    out: list[str] = []
    for path in files:
        if path.suffix == ".toml":
            continue
        text, _why = read_source_text(path)
        for raw in (text or "").splitlines():
            line = raw.split(" #", 1)[0].strip()
            if line == _NO_INDEX:
                out.append(line)
                continue
            option, sep, value = line.replace("=", " ", 1).partition(" ")
            if option not in INDEX_OPTIONS or not sep or not value.strip():
                continue
            value = value.strip()
            if INDEX_OPTIONS[option] == "--find-links" and "://" not in value and "$" not in value:
                candidate = path.parent / value
                if not Path(value).is_absolute() and candidate.exists():
                    value = str(candidate)
            out.append(f"{INDEX_OPTIONS[option]} {value}")
    return list(dict.fromkeys(out))


def _bare(record: RequirementRecord) -> str:
    """The record's requirement without its specifier (name, extras and marker kept)."""
    req = record.requirement
    assert req is not None
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    marker = f" ; {req.marker}" if req.marker is not None else ""
    return f"{req.name}{extras}{marker}"


def _resolvable(record: RequirementRecord) -> bool:
    """A named requirement from an index: editables and local paths would need building the project."""
    return record.requirement is not None and record.name is not None and not record.editable


def _input_lines(request: ResolveRequest, relaxed: frozenset[str]) -> list[str]:
    lines: list[str] = []
    declared: set[str] = set()
    for record in request.declared:
        if not _resolvable(record):
            continue
        assert record.name is not None
        declared.add(record.name)
        lines.append(_bare(record) if record.name in relaxed else str(record.requirement))
    # The conflicting dists nobody declares: they are installed for a reason, keep them working.
    for name in _conflict_names(request.conflicts):
        if name not in declared:
            lines.append(name)
    return lines


def _conflict_names(conflicts: Sequence[Conflict]) -> list[str]:
    names: dict[str, None] = {}
    for conflict in conflicts:
        names[conflict.dist.canonical_name] = None
        if conflict.installed is not None:
            names[conflict.installed.canonical_name] = None
    return list(names)


def relaxations(request: ResolveRequest) -> list[frozenset[str]]:
    """Which declared names lose their specifiers, in the order they are tried (module docstring)."""
    declared = {r.name for r in request.declared if _resolvable(r)}
    dependents = {c.dist.canonical_name for c in request.conflicts} & declared
    dependencies = {
        c.installed.canonical_name for c in request.conflicts if c.installed is not None
    } & declared
    out: list[frozenset[str]] = []
    for names in (dependents - dependencies, dependencies - dependents, dependents | dependencies):
        if names and frozenset(names) not in out:
            out.append(frozenset(names))
    return out or [frozenset()]


# -- the edits ------------------------------------------------------------------------------------
#: name [extras] specifier rest (marker, hashes, comment) of a requirement as written on its line.
_LINE = re.compile(
    r"^(?P<head>\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*)(?P<spec>[^;#@]*?)(?P<rest>\s*(?:;|#|\s--|$).*)$",
    re.S,
)


def _span_text(file: Path, span: Span) -> Optional[str]:
    if span.line != span.end_line:
        return None
    text, _why = read_source_text(file)
    lines = (text or "").splitlines()
    if span.line >= len(lines):
        return None
    return lines[span.line][span.start : span.end]


def _rewrite(written: str, spec: str) -> Optional[str]:
    """``written`` with its specifier replaced by ``spec`` (quotes of a TOML string kept)."""
    quote = written[0] if written[:1] in ("'", '"') and written[-1:] == written[:1] else ""
    inner = written[1:-1] if quote else written
    m = _LINE.match(inner)
    if m is None:
        return None
    head = m.group("head").rstrip()
    return f"{quote}{head}{spec}{m.group('rest')}{quote}"


def _accepted_by_dependents(name: str, conflicts: Sequence[Conflict], version: str) -> Optional[str]:
    """The dependents' requirements on ``name`` ("<1.24"), when ``version`` meets them all."""
    specs = [
        str(c.edge.requirement.specifier)
        for c in conflicts
        if c.edge is not None and c.edge.target == name and str(c.edge.requirement.specifier)
    ]
    if not specs:
        return None
    try:
        joined = SpecifierSet(",".join(specs))
        return str(joined) if joined.contains(version, prereleases=True) else None
    except (InvalidSpecifier, InvalidVersion):
        return None


def _satisfies(record: RequirementRecord, version: str) -> bool:
    req = record.requirement
    try:
        return req is None or req.specifier.contains(version, prereleases=True)
    except InvalidVersion:
        return True


def line_edits(
    request: ResolveRequest, relaxed: frozenset[str], resolved: Mapping[str, str]
) -> list[LineEdit]:
    """The declared lines whose specifier the resolved set no longer meets, rewritten.

    A dependency the resolver went back on gets what its dependents require (``numpy<1.24``); any
    other line is pinned to the version found (``scikit-learn==1.3.2``).
    """
    dependents = {c.dist.canonical_name for c in request.conflicts}
    out: list[LineEdit] = []
    for record in request.declared:
        name = record.name
        if name is None or name not in relaxed or name not in resolved:
            continue
        version = resolved[name]
        if _satisfies(record, version):
            continue
        written = _span_text(record.file, record.span)
        if written is None:
            continue
        accepted = None if name in dependents else _accepted_by_dependents(name, request.conflicts, version)
        new = _rewrite(written, accepted or f"=={version}")
        if new is not None and new != written:
            out.append(LineEdit(record.file, record.span, written, new))
    return out


def request_for(
    project: Path,
    env: Environment,
    settings: Settings,
    host: Host,
    *,
    index_options: Sequence[str] = (),
    tool_env: Mapping[str, str] | None = None,
) -> ResolveRequest:
    """The question for ``project`` and its env as they are on disk now."""
    inputs = resolve_inputs(project, env, settings, host)
    return ResolveRequest(
        project=project,
        python_version=env_python_version(env),
        env_python=env.python,
        declared=inputs.declared,
        constraints=inputs.constraints,
        installed={name: dist.version for name, dist in inputs.report.installed.items()},
        conflicts=inputs.report.conflicts,
        files=inputs.files,
        index_options=tuple(index_options),
        tool_env=dict(tool_env or {}),
    )


def select_resolver(
    preference: str,
    host: Host,
    project: Path,
    env: Environment,
    uv_path: str | None = None,
    extra_dirs: Sequence[Path] = (),
) -> Resolver:
    """uv's resolver when found (unless the backend setting says "venv"), else the env's pip."""
    uv = None if preference == "venv" else find_uv(host, uv_path, extra_dirs)
    if uv is not None:
        return UvResolver(uv, uv_index_options(host, project, env.path))
    return PipResolver(pip_argv(env.python, Path(sys.executable), has_pip_module(env.path)))


# -- the whole question ---------------------------------------------------------------------------
def find_compatible(
    request: ResolveRequest,
    *,
    resolver: Resolver,
    runner: Runner,
    cancel: Optional[CancelToken] = None,
    report: Report = lambda message: None,
) -> Proposal:
    """Ask ``resolver`` for a consistent set, relaxing the conflicting lines as the module says."""
    cancel = cancel or CancelToken()
    failures: list[str] = []
    tries = relaxations(request)
    for attempt, relaxed in enumerate(tries, 1):
        cancel.raise_if_cancelled()
        what = ", ".join(sorted(relaxed)) or "the declared requirements"
        report(f"resolving with {resolver.name} ({attempt}/{len(tries)}: any version of {what})")
        with tempfile.TemporaryDirectory(prefix="venvkeeper-resolve-") as tmp:
            workdir = Path(tmp)
            input_file = workdir / "requirements.in"
            body = [*index_option_lines(request.files), *_input_lines(request, relaxed)]
            constraints = [str(r.requirement) for r in request.constraints if _resolvable(r)]
            if constraints:
                (workdir / "constraints.txt").write_text("\n".join(constraints) + "\n", encoding="utf-8")
                body.insert(0, f"-c {workdir / 'constraints.txt'}")
            input_file.write_text("\n".join(body) + "\n", encoding="utf-8")
            try:
                resolved = resolver.resolve(input_file, request, workdir, runner, cancel)
            except CommandFailed as exc:
                failures.append("\n".join(exc.tail[-6:]))
                continue
        return _proposal(request, resolver.name, relaxed, resolved)
    detail = failures[-1] if failures else ""
    raise ResolveFailed(
        f"{resolver.name} found no set of versions that work together for the declared requirements "
        f"and {', '.join(_conflict_names(request.conflicts))}:\n{detail}"
    )


def _proposal(
    request: ResolveRequest, tool: str, relaxed: frozenset[str], resolved: Mapping[str, str]
) -> Proposal:
    changes = [
        Change(name, request.installed.get(name), version)
        for name, version in sorted(resolved.items())
        if request.installed.get(name) != version
    ]
    return Proposal(
        tool=tool,
        edits=tuple(line_edits(request, relaxed, resolved)),
        changes=tuple(changes),
        pins=tuple(f"{c.name}=={c.new}" for c in changes),
        relaxed=tuple(sorted(relaxed)),
    )


def pip_argv(env_python: Path, daemon_python: Path, env_has_pip: bool) -> list[str]:
    """How pip runs for the env: its own, else the daemon's pointed at it (``--python``)."""
    if env_has_pip:
        return python_module_argv(env_python, "pip")
    return python_module_argv(daemon_python, "pip", "--python", str(env_python))


def record_sync_after_edits(
    state: StateStore, project: Path, env: Path, proposal: Optional[Proposal]
) -> None:
    """After installing a proposal: the edited files, as they read with the edit, are what the env was
    synced with (so saving the edit raises no "changed since sync"); other records are kept."""
    previous = state.sync_record(project)
    record = dict(previous) if previous.get("env") == str(env) else {"env": str(env)}
    by_file: dict[Path, list[LineEdit]] = {}
    for edit in proposal.edits if proposal is not None else ():
        by_file.setdefault(edit.file, []).append(edit)
    for path, edits in by_file.items():
        text, _why = read_source_text(path)
        if text is not None:
            record[str(path.resolve())] = hashlib.sha256(edited_text(text, edits).encode("utf-8")).hexdigest()
    state.set_sync_record(project, record)


def edited_text(text: str, edits: Iterable[LineEdit]) -> str:
    """``text`` with ``edits`` (of one file) applied: the file as the user will save it."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: (e.span.line, e.span.start), reverse=True):
        line = lines[edit.span.line]
        if line[edit.span.start : edit.span.end] == edit.old:
            lines[edit.span.line] = line[: edit.span.start] + edit.new + line[edit.span.end :]
    return "".join(lines)


__all__ = [
    "Change",
    "LineEdit",
    "PipResolver",
    "Proposal",
    "ResolveFailed",
    "ResolveRequest",
    "Resolver",
    "UvResolver",
    "edited_text",
    "find_compatible",
    "index_option_lines",
    "line_edits",
    "pip_argv",
    "record_sync_after_edits",
    "relaxations",
    "request_for",
    "select_resolver",
]
