"""What to install: built from the same parsed sources the check reads, so after a create or sync the
check finds nothing of what was selected missing.

Requirement files go to pip/uv as ``-r FILE`` (the installer reads them itself: index options, hashes,
includes); what ``pyproject.toml``, ``setup.cfg`` and ``setup.py`` declare (PEP 621 extras, PEP 735
groups, Poetry, PDM, setuptools) goes as the requirement strings the check's records hold, markers kept
for the installer to evaluate. A constraints file that is a source of its own is not passed: like the
check, it constrains only the sources that include it with ``-c``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from venvkeeper import codes, fsread
from venvkeeper.host import Host
from venvkeeper.requirements.layout import MANAGER_FILES, METADATA_SOURCES
from venvkeeper.settings import Selection, Settings

# The requirement parsers (and packaging's grammar under them) are imported by the functions that
# parse: `venvkeeper create` reads requires-python and .python-version here before it starts the tool,
# and loads the parsers while the tool runs (create.py).
if TYPE_CHECKING:
    from venvkeeper.findings import Finding
    from venvkeeper.requirements.records import ParsedSources, RequirementRecord


@dataclass(frozen=True)
class InstallPlan:
    """Requirement files (``-r``) and requirement strings to install, and where they came from."""

    requirement_files: tuple[Path, ...] = ()
    #: Requirement strings; ``"-e PATH"`` for an editable.
    requirements: tuple[str, ...] = ()
    #: Files the requirements were read from, includes too (the sync record hashes them).
    sources: tuple[Path, ...] = ()
    #: Short description for prompts and progress ("requirements.txt", "pyproject.toml dependencies").
    label: str = "nothing"
    #: Install exactly these (``--no-deps``): the set was resolved already (creation/resolve.py).
    no_deps: bool = False

    @property
    def empty(self) -> bool:
        return not self.requirement_files and not self.requirements


def install_string(record: RequirementRecord) -> str:
    """What the installer gets for a pyproject/setup record: the requirement with its markers (the
    installer evaluates them for the env it installs into), ``-e PATH`` for an editable path."""
    req = record.requirement
    if record.editable:
        return f"-e {record.url or record.text}"
    if req is None:
        return record.text
    if record.any_of and not req.url:
        # Poetry "a || b" has no PEP 508 spelling: take the last alternative, as the check's fix does.
        extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
        marker = f" ; {req.marker}" if req.marker is not None else ""
        return f"{req.name}{extras}{record.any_of[-1]}{marker}"
    return str(req)


def _label(names: Sequence[str]) -> str:
    if not names:
        return "nothing"
    if len(names) == 1 and names[0] in METADATA_SOURCES:
        return f"{names[0]} dependencies"
    if len(names) > 3:
        return f"{', '.join(names[:2])} and {len(names) - 2} more files"
    return ", ".join(names)


def plan_from_parsed(parsed: ParsedSources, project: Path | None = None) -> InstallPlan:
    """The install plan for what ``parsed`` requires (see the module docstring)."""
    from venvkeeper.requirements.sources import is_constraints_source

    with_records = {r.file for r in parsed.requirements}
    files: list[Path] = []
    strings: list[str] = []
    used: list[Path] = []
    for root in parsed.roots:
        if root.name in METADATA_SOURCES:
            own = [install_string(r) for r in parsed.requirements if r.root == root]
            if own:
                strings.extend(s for s in own if s not in strings)
                used.append(root)
        elif not is_constraints_source(root) and parsed.reachable(root) & with_records:
            files.append(root)
            used.append(root)
    names = [_relative(p, project) for p in used]
    return InstallPlan(tuple(files), tuple(strings), tuple(parsed.files), _label(names))


def _relative(path: Path, project: Path | None) -> str:
    if project is not None:
        try:
            return path.relative_to(project).as_posix()
        except ValueError:
            pass
    return path.name


def plan_from_sources(
    project: Path,
    sources: Sequence[Path],
    settings: Settings,
    host: Host,
    *,
    extras: Selection | None = None,
    groups: Selection | None = None,
) -> InstallPlan:
    """Install ``sources`` (a pyproject, requirement files…) as the check reads them."""
    from venvkeeper.requirements.sources import parse_sources

    parsed = parse_sources(sources, settings, host, project, extras=extras, groups=groups)
    return plan_from_parsed(parsed, project)


def default_plan(project: Path, settings: Settings, host: Host) -> InstallPlan:
    """Everything the check expects of ``project``: all its sources, with the settings' extras/groups."""
    from venvkeeper.requirements.sources import project_sources

    return plan_from_sources(project, project_sources(project), settings, host)


def selection_plan(
    project: Path, settings: Settings, host: Host, extras: Selection | None, groups: Selection | None
) -> InstallPlan:
    """The project's declared dependencies (pyproject, setup.cfg, setup.py) with chosen extras/groups."""
    from venvkeeper.requirements.sources import project_sources

    metadata = [p for p in project_sources(project) if p.name in METADATA_SOURCES]
    return plan_from_sources(project, metadata, settings, host, extras=extras, groups=groups)


def requested_plan(
    project: Path,
    settings: Settings,
    host: Host,
    files: Sequence[Path] = (),
    extras: Selection | None = None,
    groups: Selection | None = None,
) -> InstallPlan:
    """What a create/sync request names: ``files`` (requirement files or a pyproject) read as the check
    reads them, else the declared dependencies with exactly the ``extras``/``groups`` named (None = the
    settings'). The CLI's ``-r/--extra/--group`` and the LSP ``install`` argument both end here."""
    if files:
        return plan_from_sources(project, files, settings, host)
    return selection_plan(project, settings, host, extras, groups)


def missing_install_args(findings: Sequence[Finding]) -> list[str]:
    """pip arguments for what the checks found missing or mismatched ("-e <dir>" becomes two)."""
    wanted = [
        f.data["install"]
        for f in findings
        if f.code in codes.MISSING and isinstance(f.data.get("install"), str) and f.data["install"]
    ]
    args: list[str] = []
    for install in dict.fromkeys(wanted):
        args.extend(install.split(" ", 1) if install.startswith("-e ") else [install])
    return args


def read_pyproject(path: Path) -> dict[str, Any] | None:
    """The pyproject's TOML data (bounded read), or None when it is missing or not valid TOML."""
    if not fsread.is_file(path):
        return None  # before loading the readers: most projects `venvkeeper create` makes have none
    from venvkeeper.requirements import _toml
    from venvkeeper.requirements.records import read_source_text

    text, _ = read_source_text(path, fsread.PYPROJECT)
    if text is None:
        return None
    try:
        return _toml.loads(text)
    except (_toml.TOMLDecodeError, RecursionError):
        return None


def managed_by(project: Path, pyproject: Mapping[str, Any] | None) -> str | None:
    """The tool that manages this project's env (Poetry, Pipenv, PDM, Hatch, conda), if any."""
    for name in MANAGER_FILES:
        if fsread.is_file(project / name):
            return {
                "poetry.lock": "Poetry",
                "Pipfile": "Pipenv",
                "Pipfile.lock": "Pipenv",
                "pdm.lock": "PDM",
            }.get(name, "conda")
    tool = (pyproject or {}).get("tool")
    if isinstance(tool, Mapping):
        if "poetry" in tool:
            return "Poetry"
        if "pdm" in tool:
            return "PDM"
        hatch = tool.get("hatch")
        if isinstance(hatch, Mapping) and "envs" in hatch:
            return "Hatch"
    return None


def requires_python(project: Path) -> str | None:
    data = read_pyproject(project / "pyproject.toml")
    project_table = (data or {}).get("project")
    value = project_table.get("requires-python") if isinstance(project_table, Mapping) else None
    return value if isinstance(value, str) else None


def python_version_file(project: Path) -> str | None:
    return fsread.text_or_none(project / ".python-version", fsread.PYTHON_VERSION)
