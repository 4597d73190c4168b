"""The satisfaction check: which requirement lines the env does not satisfy, and why, in words.

The rules follow pip's "already satisfied" decision so that pip (the oracle in the tests) agrees:

* a requirement whose marker does not hold for the env's Python is skipped;
* a name that is not installed is ``not-installed``;
* an installed version outside the specifier is ``version-mismatch``; pre-releases count as
  satisfying, as in pip's check of installed dists (``contains(..., prereleases=True)``);
* ``name[extra]``: the dist's own ``Requires-Dist: ...; extra == "x"`` entries must be installed
  and in range, else ``extra-missing`` naming which;
* direct references (``name @ url``, VCS, local paths, editables) are satisfied by the installed
  dist of that name; when the URL is a wheel/sdist of another version pip reinstalls, so do we;
* ``-c`` constraints only constrain versions of names required elsewhere.

Dependencies of dependencies are not walked: broken transitive installs are ``pip check``'s job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from venvkeeper import fsread
from venvkeeper.discovery.model import Environment
from venvkeeper.findings import FILE_START, Finding
from venvkeeper.guards.paths import env_label
from venvkeeper.requirements.installed import InstalledDist
from venvkeeper.requirements.markers import env_python_version, marker_applies
from venvkeeper.requirements.records import ParsedSources, RequirementRecord, conceal, parse_requirement


@dataclass(frozen=True)
class Problem:
    """One unsatisfied requirement line: the finding's ingredients plus what to install to fix it."""

    record: RequirementRecord
    code: str
    message: str
    #: A pip-installable requirement (markers already applied), or "-e <path>" for editables.
    install: str


def file_digest(path: Path) -> str | None:
    """sha256 hex of a source file's bytes (what a sync record stores per file); None when unreadable."""
    data = fsread.read_bytes(path, fsread.REQUIREMENTS)
    if isinstance(data, fsread.Unreadable):
        return None
    return hashlib.sha256(data).hexdigest()


def _python_label(env: Environment, project: Path | None) -> str:
    if project is not None:
        try:
            return env.python.relative_to(project).as_posix()
        except ValueError:
            pass
    return str(env.python)


def _contains(spec: SpecifierSet, version: str) -> bool:
    try:
        return spec.contains(version, prereleases=True)
    except InvalidVersion:
        return True  # a non-PEP 440 version cannot be judged; do not cry wolf


def _no_marker(req: Requirement, extra_spec: SpecifierSet | None = None) -> str:
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    if req.url:
        return f"{req.name}{extras} @ {req.url}"
    spec = req.specifier & extra_spec if extra_spec is not None else req.specifier
    return f"{req.name}{extras}{spec}"


class Checker:
    def __init__(
        self,
        parsed: ParsedSources,
        installed: Mapping[str, InstalledDist],
        env: Environment,
        environment: Mapping[str, str],
        project: Path | None = None,
    ) -> None:
        self.parsed = parsed
        self.installed = installed
        self.env = env
        self.environment = environment
        self.project = project
        self.label = env_label(env.path, project)
        self.python = _python_label(env, project)
        self.version = env_python_version(env)
        # (constraints file, name) -> its applicable constraint records.
        self._constraints: dict[tuple[Path, str], list[RequirementRecord]] = {}
        for c in parsed.constraints:
            if c.name and c.requirement is not None and marker_applies(c.requirement.marker, environment):
                self._constraints.setdefault((c.file, c.name), []).append(c)
        # A constraints file that is a source of its own (constraints.txt) is read for its findings; like
        # ``pip install -r requirements.txt``, it constrains only the sources that include it with -c.
        self._reach = {root: parsed.reachable(root) for root in parsed.roots}
        self._files_for: dict[Path, set[Path]] = {}

    def constraints_for(self, record: RequirementRecord) -> list[RequirementRecord]:
        """The ``-c`` lines that constrain ``record``: those of every top-level source whose ``pip install``
        reads ``record``'s file (a constraints file included by two sources constrains both)."""
        if not self._constraints or not record.name:
            return []
        files = self._files_for.get(record.file)
        if files is None:
            files = set()
            for reach in self._reach.values():
                if record.file in reach:
                    files |= reach
            if record.root is not None and record.root not in self._reach:
                files.add(record.root)
            self._files_for[record.file] = files
        return [c for f in files for c in self._constraints.get((f, record.name), [])]

    # -- requirements --------------------------------------------------------------------------
    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        for record in self.parsed.requirements:
            problem = self.check(record)
            if problem is not None:
                out.append(problem)
        return out

    def check(self, record: RequirementRecord) -> Problem | None:
        req = record.requirement
        if req is not None and not marker_applies(req.marker, self.environment):
            return None
        if req is not None and record.url is None and not record.editable:
            conflict = _pin_conflict(req, self.constraints_for(record))
            if conflict is not None and conflict.requirement is not None:
                # No install can fix this: say so instead of suggesting 'pip install x==1,==2'.
                return Problem(
                    record,
                    "version-mismatch",
                    f"'{_no_marker(req)}' and {conflict.file.name}'s '{_no_marker(conflict.requirement)}' "
                    "cannot both hold: no version satisfies both. Change one of them.",
                    "",
                )
        dist = self._find(record)
        shown = req.name if req is not None else record.text
        if dist is None:
            return self._problem(
                record,
                "not-installed",
                f"{shown} is not installed in {self.label} (Python {self.version}).",
            )
        if req is None or record.url is not None or record.editable:
            return self._direct(record, dist, shown)
        wanted = self._wanted(record)
        if wanted is not None and not any(_contains(spec, dist.version) for spec in wanted):
            required = _no_marker(req) if not record.any_of else record.text
            return self._problem(
                record,
                "version-mismatch",
                f"{req.name} {dist.version} is installed in {self.label} but '{required}' is required.",
            )
        constraints = self.constraints_for(record)
        for constraint in constraints:
            assert constraint.requirement is not None
            spec = constraint.requirement.specifier
            if constraint.url is None and not _contains(spec, dist.version):
                return self._problem(
                    record,
                    "version-mismatch",
                    f"{req.name} {dist.version} is installed in {self.label} but {constraint.file.name} "
                    f"constrains it to '{_no_marker(constraint.requirement)}'.",
                )
        return self._extras(record, req, dist)

    def _direct(self, record: RequirementRecord, dist: InstalledDist, shown: str) -> Problem | None:
        """A direct reference is satisfied by the installed dist of its name, as pip decides, unless the
        URL names a wheel or sdist of another version (then pip reinstalls). VCS URLs and local
        directories carry no version we could know without building them: presence is enough.
        """
        url_version = _version_from_url(record.url) if record.url and not record.editable else None
        if url_version is None or _same_version(url_version, dist.version):
            return None
        return self._problem(
            record,
            "version-mismatch",
            f"{shown} {dist.version} is installed in {self.label} but the requirement points to version "
            f"{url_version}.",
        )

    def _problem(self, record: RequirementRecord, code: str, what: str) -> Problem:
        """A problem whose message ends with the pip command that fixes it (the quick fixes, offered by
        each client in its own words, do the same)."""
        install = self._install_text(record)
        message = f"{what} To fix: {self.python} -m pip install {_quote(install)}"
        return Problem(record, code, conceal(message, record.expanded), install)

    def _wanted(self, record: RequirementRecord) -> tuple[SpecifierSet, ...] | None:
        if record.any_of:
            return record.any_of
        assert record.requirement is not None
        spec = record.requirement.specifier
        return (spec,) if len(spec) else None

    def _extras(self, record: RequirementRecord, req: Requirement, dist: InstalledDist) -> Problem | None:
        if not req.extras:
            return None
        provided = {canonicalize_name(e) for e in dist.provides_extras}
        gaps: list[str] = []
        for extra in sorted(req.extras):
            if canonicalize_name(extra) not in provided:
                continue  # pip only warns that the dist has no such extra and installs nothing
            for text in dist.requires:
                try:
                    dep = parse_requirement(text)
                except InvalidRequirement:
                    continue
                if dep.marker is None or not marker_applies(dep.marker, self.environment, extra):
                    continue
                if marker_applies(dep.marker, self.environment, ""):
                    continue  # holds without the extra: a base dependency, not the extra's
                have = self.installed.get(canonicalize_name(dep.name))
                if have is None:
                    gaps.append(f"'{_no_marker(dep)}' for the '{extra}' extra is not installed")
                elif len(dep.specifier) and not _contains(dep.specifier, have.version):
                    gaps.append(
                        f"'{_no_marker(dep)}' for the '{extra}' extra: {dep.name} {have.version} is installed"
                    )
        if not gaps:
            return None
        extras = ",".join(sorted(req.extras))
        return self._problem(
            record,
            "extra-missing",
            f"{req.name} is installed in {self.label} but not everything [{extras}] needs: "
            f"{'; '.join(gaps)}.",
        )

    def _find(self, record: RequirementRecord) -> InstalledDist | None:
        if record.name:
            return self.installed.get(record.name)
        if record.url is not None:
            # An editable/local path whose name we could not read: match by the editable's location.
            target = _resolved(Path(record.url))
            for dist in self.installed.values():
                loc = dist.editable_location
                if loc is not None and (_resolved(loc) == target or target in _resolved(loc).parents):
                    return dist
        return None

    def _install_text(self, record: RequirementRecord) -> str:
        req = record.requirement
        if record.editable:
            return f"-e {record.url or record.text}"
        if req is None:
            return (record.url or record.text).split(";", 1)[0].strip()
        extra: SpecifierSet | None = None
        for constraint in self.constraints_for(record):
            if constraint.requirement is not None and constraint.url is None:
                extra = (
                    constraint.requirement.specifier
                    if extra is None
                    else extra & constraint.requirement.specifier
                )
        if record.any_of and not req.url:
            # Poetry "a || b": pip takes one range; the last alternative is the newest one by convention.
            extra = record.any_of[-1] if extra is None else extra & record.any_of[-1]
        return _no_marker(req, extra)

    # -- requires-python -----------------------------------------------------------------------
    def requires_python(self) -> list[Finding]:
        out: list[Finding] = []
        for rp in self.parsed.requires_python:
            specs = rp.any_of or (rp.specifier,)
            if any(_contains(s, self.version) for s in specs):
                continue
            out.append(
                Finding(
                    rp.file,
                    rp.span,
                    "requires-python",
                    f"{self.label} runs Python {self.version}, which does not satisfy requires-python "
                    f"'{rp.text}'. Recreate {self.label} with a Python that matches",
                    {"requirement": rp.text, "source": str(rp.file)},
                )
            )
        return out


def _pin_conflict(req: Requirement, constraints: Sequence[RequirementRecord]) -> RequirementRecord | None:
    """A constraint no version can satisfy together with ``req``, decided where it can be: when one side
    pins ``==X`` and X fails the other side (pip's resolver would find no candidate)."""
    for constraint in constraints:
        other = constraint.requirement
        if other is None or constraint.url is not None:
            continue
        pins = [s.version for s in (*req.specifier, *other.specifier) if s.operator in ("==", "===")]
        both = req.specifier & other.specifier
        if pins and not any("*" not in v and _contains(both, v) for v in pins):
            return constraint
    return None


def _version_from_url(url: str) -> str | None:
    filename = unquote(urlparse(url).path if "://" in url else url).replace("\\", "/").rsplit("/", 1)[-1]
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _quote(text: str) -> str:
    if text.startswith("-e "):
        return f"-e '{text[3:]}'"
    return f"'{text}'"


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def changed_since_sync(
    files: Sequence[Path], record: Mapping[str, str], env: Environment, project: Path | None = None
) -> list[Finding]:
    """``changed-since-sync`` at the top of each source whose bytes differ from the last sync into ``env``."""
    synced_env = record.get("env")
    if not synced_env or _resolved(Path(synced_env)) != _resolved(env.path):
        return []
    label = env_label(env.path, project)
    out: list[Finding] = []
    for path in files:
        key = next((k for k in (str(path), str(path.absolute()), str(_resolved(path))) if k in record), None)
        if key is None:
            continue
        digest = file_digest(path)
        if digest is None:
            continue
        if digest != record[key]:
            out.append(
                Finding(
                    path,
                    FILE_START,
                    "changed-since-sync",
                    f"{path.name} changed since {label} was last synced.",
                    {"source": str(path)},
                )
            )
    return out


def inherited_site_dirs(env: Environment) -> list[Path]:
    """The base interpreter's site dirs for ``--system-site-packages`` envs (best effort, no spawn)."""
    cfg = env.cfg
    if cfg is None or not cfg.include_system_site_packages or not cfg.home:
        return []
    prefix = Path(cfg.home).parent
    mm = cfg.major_minor
    if env.layout == "windows":
        candidates = [Path(cfg.home) / "Lib" / "site-packages"]
    else:
        candidates = [prefix / lib / f"python{mm}" / "site-packages" for lib in ("lib", "lib64") if mm]
        if str(prefix) in ("/usr", "/usr/local") or fsread.exists("/etc/debian_version"):
            candidates += [prefix / "lib" / "python3" / "dist-packages"]
            if mm:
                candidates += [prefix / "local" / "lib" / f"python{mm}" / "dist-packages"]
    return [c for c in candidates if fsread.is_dir(c)]


def problem_finding(problem: Problem) -> Finding:
    record = problem.record
    return Finding(
        record.file,
        record.span,
        problem.code,
        problem.message,
        {"requirement": record.text, "source": str(record.file), "install": problem.install},
    )


__all__ = [
    "Checker",
    "Problem",
    "changed_since_sync",
    "file_digest",
    "inherited_site_dirs",
    "problem_finding",
]
