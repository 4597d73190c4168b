"""Every interpreter a user has, for the picker: the project's envs, the tool envs tied to it, every
other env the tools keep, and every base Python on disk — each with why it suits the project or not.

This is the domain side of ``venvkeeper/interpreters`` (docs/PROTOCOL.md). Like the locators it only
reads files: envs come from discovery (:func:`venvkeeper.discovery.discover.discover`) and from listing
the tools' central env dirs once; base interpreters from :func:`find_interpreters` (PATH, pyenv, uv,
Homebrew, python.org, ``/usr/bin``, Windows installer layouts). Nothing is run.

Groups, in the order the picker shows them:

1. ``project``    — discovery's candidates inside the project dir (``.venv``, ``venv``, ``.python-envs``
   entries, the selection when it lives there…), in discovery order, the chosen one first;
2. ``toolEnvs``   — discovery's candidates outside it: the Poetry/Pipenv/PDM/Hatch/conda/pyenv/
   virtualenvwrapper envs tied to the project, ``UV_PROJECT_ENVIRONMENT``, a selection elsewhere;
3. ``otherEnvs``  — envs the tools keep that belong to no open project (and ``VIRTUAL_ENV`` activated
   elsewhere): listable and selectable, never chosen by discovery;
4. ``base``       — base interpreters, suitable ones first, the one "Create" would use (the same rule as
   :func:`choose_base`: ``.python-version`` > your default interpreter when it satisfies
   ``requires-python`` > the newest stable one that does) first and marked with its reason.

Suitability, for envs and bases alike: the version satisfies ``requires-python``; it matches
``.python-version`` (only when some interpreter found does: a pin nobody can meet says so but does not
disqualify everyone); a stable, GIL build (pre-releases and free-threaded builds are never picked
automatically unless ``.python-version`` asks for them); the env is not broken. A base carrying PEP 668's
``EXTERNALLY-MANAGED`` marker stays suitable — a venv made from it is fine — and says so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Optional

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from venvkeeper import fsread
from venvkeeper.creation.interpreters import (
    BasePython,
    NoSuitablePython,
    choose_base,
    default_interpreter,
    find_interpreters,
)
from venvkeeper.discovery.conda import conda_envs, identify_conda_env
from venvkeeper.discovery.context import LocateContext, ProjectFiles
from venvkeeper.discovery.identify import is_env_dir
from venvkeeper.discovery.model import Candidate, Discovery, Environment
from venvkeeper.discovery.toolenvs import (
    HatchLocator,
    PdmLocator,
    PoetryLocator,
    python_version_names,
    workon_homes,
)
from venvkeeper.discovery.userdirs import pyenv_root
from venvkeeper.guards.pep668 import read_marker
from venvkeeper.host import Host

Group = Literal["project", "toolEnvs", "otherEnvs", "base"]
GROUP_ORDER: tuple[Group, ...] = ("project", "toolEnvs", "otherEnvs", "base")

#: Env dirs looked at per tool dir when listing "other envs": a real home has tens; the bound only keeps
#: a pathological dir (100 000 entries) from stalling the answer.
MAX_OTHER_ENVS = 2000

_VERSION_PIN_RE = re.compile(r"^\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?t?$")


@dataclass(frozen=True)
class Requirements:
    """What the project asks of a Python: ``requires-python`` and ``.python-version`` (raw texts)."""

    requires_python: Optional[str] = None
    python_version: Optional[str] = None

    @property
    def spec(self) -> Optional[SpecifierSet]:
        if not self.requires_python or not self.requires_python.strip():
            return None
        try:
            return SpecifierSet(self.requires_python)
        except InvalidSpecifier:
            return None

    @property
    def pins(self) -> list[str]:
        """The version-like names of ``.python-version`` ("3.11", "3.13t"; a pyenv env name is no pin)."""
        names = python_version_names(self.python_version or "")
        return [n for n in names if _VERSION_PIN_RE.match(n)]


@dataclass(frozen=True)
class CatalogEntry:
    group: Group
    #: The env dir, or the base interpreter's executable.
    path: Path
    python: Path
    version: Optional[str]
    #: An env's kind ("venv", "uv", "virtualenv", "conda", "unknown") or "base".
    kind: str
    #: Envs: discovery's origin ("poetry", "conventional", …). Bases: where found ("PATH", "pyenv", "uv",
    #: "Homebrew", "/usr/bin", "python.org installer").
    origin: str
    #: How it was found, in words.
    source: str
    state: Literal["ok", "broken"]
    suitable: bool
    #: Why it is (or is not) suitable, most important first.
    reasons: tuple[str, ...]
    chosen: bool = False
    recommended: bool = False
    free_threaded: bool = False
    prerelease: bool = False
    externally_managed: bool = False
    #: An env that VIRTUAL_ENV activates for another directory (a warning state in the picker).
    activated_elsewhere: bool = False


@dataclass(frozen=True)
class Catalog:
    project: Optional[Path]
    requirements: Requirements
    entries: list[CatalogEntry]
    #: The base "Create" would use, and why (or why there is none).
    recommended: Optional[Path]
    recommended_reason: Optional[str]


# -- suitability -----------------------------------------------------------------------------------


def _version(value: Optional[str]) -> Optional[Version]:
    if not value:
        return None
    try:
        return Version(value.rstrip("t"))
    except InvalidVersion:
        return None


def matches_pin(version: Optional[str], free_threaded: bool, pin: str) -> bool:
    """pyenv semantics: "3.12" matches any 3.12.x, "3.12.1" only that; a trailing "t" asks free-threaded."""
    if version is None or pin.endswith("t") != free_threaded:
        return False
    wanted = pin.rstrip("t")
    if wanted.count(".") == 1:
        return version == wanted or version.startswith(wanted + ".")
    return version == wanted


def assess(
    version: Optional[str],
    reqs: Requirements,
    *,
    free_threaded: bool = False,
    problem: Optional[str] = None,
    enforce_pins: bool = True,
    externally_managed: bool = False,
) -> tuple[bool, tuple[str, ...]]:
    """(suitable, reasons) of an interpreter of ``version`` for a project asking ``reqs``."""
    bad: list[str] = []
    good: list[str] = []
    notes: list[str] = []
    if problem:
        bad.append(f"broken: {problem}")
    parsed = _version(version)
    spec = reqs.spec
    if spec is not None and reqs.requires_python:
        rp = f"requires-python {reqs.requires_python.strip()}"
        if parsed is None:
            bad.append(f"version unknown, cannot check {rp}")
        elif spec.contains(parsed, prereleases=True):
            good.append(f"satisfies {rp}")
        else:
            bad.append(f"does not satisfy {rp}")
    pins = reqs.pins
    if pins:
        hit = next((p for p in pins if matches_pin(version, free_threaded, p)), None)
        if hit is not None:
            good.append(f"matches .python-version {hit}")
        elif enforce_pins:
            bad.append(f"does not match .python-version {', '.join(pins)}")
        else:
            notes.append(f".python-version asks for {', '.join(pins)}, which no interpreter found matches")
    asked_free = any(p.endswith("t") for p in pins)
    if free_threaded and not asked_free:
        bad.append("free-threaded build (never picked unless .python-version asks for it, e.g. 3.13t)")
    if (
        parsed is not None
        and parsed.is_prerelease
        and not any(matches_pin(version, free_threaded, p) for p in pins)
    ):
        bad.append("pre-release")
    if externally_managed:
        notes.append(
            "EXTERNALLY-MANAGED (PEP 668): fine as the base of an env; pip refuses to install into it"
        )
    if parsed is None and spec is None and not problem:
        notes.append("version unknown")
    return not bad, tuple(bad + good + notes)


def _base_externally_managed(py: BasePython, windows: bool) -> bool:
    exe = Path(_real(py.path))
    if windows:
        stdlib = exe.parent / "Lib"
    else:
        stdlib = exe.parent.parent / "lib" / f"python{py.major_minor}{'t' if py.free_threaded else ''}"
    return read_marker(stdlib) is not None


# -- the envs no open project owns -----------------------------------------------------------------


def _entries(ctx: LocateContext, parent: Optional[Path]) -> list[Path]:
    if parent is None:
        return []
    return [Path(e.path) for e in ctx.listing(parent)[:MAX_OTHER_ENVS]]


def _tool_env_dirs(ctx: LocateContext, info: ProjectFiles) -> Iterator[tuple[str, Path]]:
    """(origin, env dir) of every env the tools keep in their central dirs, tool by tool."""
    if ctx.home is None:
        return
    for path in _entries(ctx, PoetryLocator().virtualenvs_path(info, ctx)):
        yield "poetry", path
    for home in workon_homes(ctx):
        for path in _entries(ctx, home):
            yield ("virtualenvwrapper" if fsread.lexists(path / ".project") else "pipenv"), path
    for path in _entries(ctx, PdmLocator().venv_location(ctx)):
        yield "pdm", path
    for project_dir in _entries(ctx, HatchLocator().default_storage(ctx)):
        for id_dir in _entries(ctx, project_dir):
            for path in _entries(ctx, id_dir):
                yield "hatch", path
    versions = pyenv_root(ctx.environ, ctx.home, windows=ctx.windows) / "versions"
    for version in _entries(ctx, versions):
        if is_env_dir(version):
            yield "pyenv", version
        for path in _entries(ctx, version / "envs"):
            yield "pyenv", path
    for path in conda_envs(ctx)[:MAX_OTHER_ENVS]:
        yield "conda", path


_TOOL_NAMES = {
    "poetry": "Poetry",
    "pipenv": "Pipenv",
    "virtualenvwrapper": "virtualenvwrapper",
    "pdm": "PDM",
    "hatch": "Hatch",
    "pyenv": "pyenv-virtualenv",
    "conda": "conda",
}


def other_envs(ctx: LocateContext, info: ProjectFiles, known: set[str]) -> list[tuple[str, Environment]]:
    """Envs in the tools' dirs whose real path is not in ``known`` (already listed for the project)."""
    out: list[tuple[str, Environment]] = []
    for origin, path in _tool_env_dirs(ctx, info):
        key = _real(path)
        if key in known:
            continue
        env = identify_conda_env(path, ctx) if origin == "conda" else ctx.identify(path)
        if env is None:
            continue
        known.add(key)
        out.append((origin, env))
    return out


def _real(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, RuntimeError):
        return str(path)


# -- the catalog -----------------------------------------------------------------------------------


def _inside(path: Path, project: Path) -> bool:
    return path == project or project in path.parents


def _env_entry(
    env: Environment,
    group: Group,
    origin: str,
    source: str,
    reqs: Requirements,
    enforce_pins: bool,
    *,
    chosen: bool = False,
    extra: Optional[str] = None,
    activated_elsewhere: bool = False,
) -> CatalogEntry:
    free_threaded = _env_free_threaded(env)
    suitable, reasons = assess(
        env.version,
        reqs,
        free_threaded=free_threaded,
        problem=env.problem if env.state != "ok" else None,
        enforce_pins=enforce_pins,
    )
    if extra:
        reasons = (*reasons, extra)
    return CatalogEntry(
        group=group,
        path=env.path,
        python=env.python,
        version=env.version,
        kind=env.kind,
        origin=origin,
        source=source,
        state=env.state,
        suitable=suitable,
        reasons=reasons,
        chosen=chosen,
        free_threaded=free_threaded,
        prerelease=bool((v := _version(env.version)) and v.is_prerelease),
        activated_elsewhere=activated_elsewhere,
    )


def _env_free_threaded(env: Environment) -> bool:
    # A free-threaded venv's lib dir is python3.13t (pyvenv.cfg does not say it).
    if env.layout == "windows" or env.cfg is None or env.cfg.major_minor is None:
        return False
    return fsread.is_dir(env.path / "lib" / f"python{env.cfg.major_minor}t")


def _candidate_entry(
    cand: Candidate, project: Path, disc: Discovery, reqs: Requirements, enforce: bool
) -> CatalogEntry:
    group: Group
    if cand.activated_elsewhere:
        group = "otherEnvs"
    elif _inside(cand.env.path, project):
        group = "project"
    else:
        group = "toolEnvs"
    chosen = cand is disc.chosen
    extra = None if chosen or cand.rejected is None else f"not chosen: {cand.rejected}"
    return _env_entry(
        cand.env,
        group,
        cand.origin,
        cand.source,
        reqs,
        enforce,
        chosen=chosen,
        extra=extra,
        activated_elsewhere=cand.activated_elsewhere,
    )


def _base_entry(py: BasePython, reqs: Requirements, enforce: bool, windows: bool) -> CatalogEntry:
    managed = _base_externally_managed(py, windows)
    suitable, reasons = assess(
        py.version, reqs, free_threaded=py.free_threaded, enforce_pins=enforce, externally_managed=managed
    )
    return CatalogEntry(
        group="base",
        path=py.path,
        python=py.path,
        version=py.version,
        kind="base",
        origin=py.origin,
        source=f"found in {py.origin}" if py.origin != "PATH" else "found on PATH",
        state="ok",
        suitable=suitable,
        reasons=reasons,
        free_threaded=py.free_threaded,
        prerelease=py.prerelease,
        externally_managed=managed,
    )


def build_catalog(
    project: Optional[Path],
    discovery: Optional[Discovery],
    reqs: Requirements,
    ctx: LocateContext,
    host: Host,
    *,
    bases: Optional[Sequence[BasePython]] = None,
    root: Path = Path("/"),
) -> Catalog:
    """Every interpreter, grouped and ordered for the picker (module docstring). ``bases`` injects the
    base interpreters (tests); by default they are found on disk under ``root``."""
    windows = host.platform == "windows"
    found = list(bases) if bases is not None else find_interpreters(host, root=root)
    candidates = list(discovery.candidates) if discovery is not None and project is not None else []
    pins = reqs.pins
    # A pin nobody can meet is reported, not held against every interpreter.
    enforce = bool(pins) and any(
        matches_pin(v, ft, p)
        for p in pins
        for v, ft in [
            *((b.version, b.free_threaded) for b in found),
            *((c.env.version, _env_free_threaded(c.env)) for c in candidates),
        ]
    )

    entries: list[CatalogEntry] = []
    known: set[str] = set()
    if project is not None and discovery is not None:
        for cand in candidates:
            known.add(_real(cand.env.path))
            entries.append(_candidate_entry(cand, project, discovery, reqs, enforce))
    info = ctx.project(project) if project is not None else ProjectFiles(Path("/"), frozenset(), {})
    for origin, env in other_envs(ctx, info, known):
        entries.append(
            _env_entry(
                env,
                "otherEnvs",
                origin,
                f"{_TOOL_NAMES[origin]} env {env.name} in {env.path.parent}",
                reqs,
                enforce,
                extra="belongs to no open project" if project is None else "not tied to this project",
            )
        )

    recommended: Optional[Path] = None
    reason: Optional[str]
    try:
        choice = choose_base(
            found,
            reqs.requires_python,
            reqs.python_version,
            None,
            default=default_interpreter(host, found),
        )
        recommended, reason = choice.python.path, choice.reason
    except NoSuitablePython as exc:
        reason = str(exc)
    bases_entries = [_base_entry(py, reqs, enforce, windows) for py in found]
    if recommended is not None:
        bases_entries = [
            replace(e, recommended=True, reasons=(f"recommended: {reason}", *e.reasons))
            if e.path == recommended
            else e
            for e in bases_entries
        ]
    # Recommended first, then suitable ones, each newest first (find_interpreters' order is kept).
    bases_entries.sort(key=lambda e: (not e.recommended, not e.suitable))
    entries.extend(bases_entries)
    return Catalog(
        project=project,
        requirements=reqs,
        entries=_grouped(entries),
        recommended=recommended,
        recommended_reason=reason,
    )


def _grouped(entries: Iterable[CatalogEntry]) -> list[CatalogEntry]:
    """Stable by group order: within a group the order given (discovery order, newest first…) stays."""
    rank = {g: i for i, g in enumerate(GROUP_ORDER)}
    return sorted(entries, key=lambda e: rank[e.group])
