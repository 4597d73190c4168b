"""Packages that landed in a global or user site instead of the project env.

Three parts, all pure apart from reading (and, for the uninstall, removing) files:

* :func:`installed_elsewhere` — at start: a requirement the env misses but a global/user site has.
* :func:`global_install_warning` — for the watcher: what just appeared in a watched global site
  becomes one :class:`GlobalInstallWarning` per burst, with the projects it concerns and the actions.
* :func:`uninstall_from_user_site` — remove the user-site copy of a distribution, and only that.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from venvkeeper import fsread
from venvkeeper.findings import Finding, Span
from venvkeeper.guards.paths import is_within, real
from venvkeeper.guards.sites import GlobalSite
from venvkeeper.requirements.installed import InstalledDist, read_installed

CODE_INSTALLED_ELSEWHERE = "installed-elsewhere"
CODE_GLOBAL_INSTALL = "global-install"

ACTION_UNINSTALL = "Uninstall from the user site"
ACTION_IGNORE = "Ignore"


def install_action(env_label: str) -> str:
    return f"Install into {env_label}"


# -- (a) at start: installed elsewhere ------------------------------------------------------------


@dataclass(frozen=True)
class MissingRequirement:
    """A requirement the project env lacks, where it is written."""

    #: Canonical (PEP 503) name.
    name: str
    file: Path
    span: Span
    #: The name as the user wrote it (for messages).
    written: str = ""


def installer_of(dist: InstalledDist) -> str | None:
    """The ``INSTALLER`` of a dist-info (pip, uv, debian, …), when recorded."""
    text = (fsread.text_head(dist.path / "INSTALLER", 256, fsread.METADATA) or "").strip()
    return text.splitlines()[0].strip() if text else None


def read_sites(sites: Sequence[GlobalSite]) -> list[tuple[GlobalSite, dict[str, InstalledDist]]]:
    """What each existing global site holds (read once per site, so we know which site has what)."""
    out: list[tuple[GlobalSite, dict[str, InstalledDist]]] = []
    for site in sites:
        if site.exists:
            out.append((site, read_installed([site.path])))
    return out


def installed_elsewhere(
    missing: Iterable[MissingRequirement],
    holdings: Sequence[tuple[GlobalSite, Mapping[str, InstalledDist]]],
    env_label: str,
    user_home: Path,
    data: Mapping[str, str],
) -> list[Finding]:
    """One info finding per missing requirement that a global or user site holds."""
    findings: list[Finding] = []
    for req in missing:
        for site, dists in holdings:
            dist = dists.get(req.name)
            if dist is None:
                continue
            written = req.written or dist.name
            installer = installer_of(dist)
            if installer is None or installer.lower() in ("pip", "uv", "poetry", "pdm", "pipenv"):
                why = f"it was probably installed without activating {env_label}"
            else:
                why = f"it was installed there by {installer}, and {env_label} does not see it"
            findings.append(
                Finding(
                    req.file,
                    req.span,
                    CODE_INSTALLED_ELSEWHERE,
                    f"{written} is not in {env_label} but {dist.name} {dist.version} is installed in "
                    f"{site.describe(user_home)}: {why}",
                    {**data, "requirement": req.name, "site": str(site.path), "siteKind": site.kind},
                )
            )
            break
    return findings


# -- (b) the watcher: what just appeared ----------------------------------------------------------


@dataclass(frozen=True)
class WatchedProject:
    """A project that has its own env, as the watcher needs to know it."""

    root: Path
    env: Path
    #: How messages name the env (".venv").
    env_label: str
    #: Canonical names of the requirements the project declares.
    required: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GlobalInstallWarning:
    site: GlobalSite
    #: Every distribution of the burst, the one the message names first.
    dists: tuple[InstalledDist, ...]
    message: str
    #: Projects with their own env, those requiring one of the dists first.
    projects: tuple[WatchedProject, ...]
    #: project root -> canonical names of the burst's dists that project requires.
    required_by: Mapping[Path, tuple[str, ...]] = field(default_factory=dict)
    actions: tuple[str, ...] = ()

    @property
    def headline(self) -> InstalledDist:
        return self.dists[0]


def new_dists(
    before: Mapping[str, InstalledDist],
    after: Mapping[str, InstalledDist],
    touched: Collection[str] = (),
) -> list[InstalledDist]:
    """Dists that appeared or changed version, plus those whose dist-info dir name is in ``touched``.

    ``touched`` holds ``*.dist-info`` names the file watcher saw created: a ``--force-reinstall`` of the
    same version leaves name and version unchanged but still means someone installed there.
    """
    touched_set = set(touched)
    out: list[InstalledDist] = []
    for key, dist in sorted(after.items()):
        old = before.get(key)
        if old is None or old.version != dist.version or dist.path.name in touched_set:
            out.append(dist)
    return out


def _requires_names(dist: InstalledDist) -> set[str]:
    names: set[str] = set()
    for raw in dist.requires:
        try:
            names.add(canonicalize_name(Requirement(raw).name))
        except InvalidRequirement:
            continue
    return names


def _order(dists: Sequence[InstalledDist], required: set[str]) -> list[InstalledDist]:
    """Required dists first, then top-level ones (no other new dist depends on them), then the rest."""
    depended_on: set[str] = set()
    for d in dists:
        depended_on |= _requires_names(d)

    def rank(d: InstalledDist) -> tuple[int, str]:
        if d.canonical_name in required:
            return (0, d.canonical_name)
        return (1 if d.canonical_name not in depended_on else 2, d.canonical_name)

    return sorted(dists, key=rank)


def global_install_warning(
    site: GlobalSite,
    dists: Sequence[InstalledDist],
    projects: Sequence[WatchedProject],
    user_home: Path,
) -> GlobalInstallWarning | None:
    """One warning for a burst of installs into ``site``; None when nothing appeared or no project has
    an env of its own."""
    if not dists or not projects:
        return None
    names = {d.canonical_name for d in dists}
    required_by = {p.root: tuple(sorted(names & p.required)) for p in projects if names & p.required}
    concerned = sorted(projects, key=lambda p: (p.root not in required_by, str(p.root)))
    all_required: set[str] = set()
    for found in required_by.values():
        all_required.update(found)
    ordered = _order(dists, all_required)
    head = ordered[0]
    label = concerned[0].env_label
    more = ""
    if len(ordered) > 1:
        rest = [d.name for d in ordered[1:]]
        listed = ", ".join(rest[:3]) + (", …" if len(rest) > 3 else "")
        more = f" (and {len(rest)} more: {listed})"
    message = (
        f"{head.name} {head.version}{more} was just installed into {site.describe(user_home)}, not into "
        f"{label} — the terminal was probably not activated."
    )
    actions = [install_action(label)]
    if site.kind == "user":
        actions.append(ACTION_UNINSTALL)
    actions.append(ACTION_IGNORE)
    return GlobalInstallWarning(site, tuple(ordered), message, tuple(concerned), required_by, tuple(actions))


# -- (c) removing the user-site copy --------------------------------------------------------------


class UninstallRefused(Exception):
    """The dist is not (only) in the user site; ``str(exc)`` says why nothing was removed."""


@dataclass(frozen=True)
class UninstallResult:
    name: str
    version: str
    removed: tuple[Path, ...]


def uninstall_from_user_site(dist: InstalledDist, site: GlobalSite) -> UninstallResult:
    """Remove the user-site copy of ``dist``: the files its RECORD lists, and nothing outside the user base.

    Why not ``pip uninstall``: pip has no ``--user`` scope for uninstall; it removes the first copy on the
    running interpreter's ``sys.path``, which is the *system* copy when the user site is disabled (any
    venv, ``PYTHONNOUSERSITE``), and it refuses to run at all on PEP 668 interpreters. RECORD is the list
    pip itself removes from, so reading it is exactly pip's uninstall, bounded to the user base.
    """
    if site.kind != "user" or site.user_base is None:
        raise UninstallRefused(f"{site.path} is not the user site; venvkeeper never removes system packages")
    site_dir = real(site.path)
    user_base = real(site.user_base)
    info = dist.path
    if info.suffix != ".dist-info" or real(info.parent) != site_dir:
        raise UninstallRefused(f"{dist.name} {dist.version} is not installed in the user site {site.path}")
    record = info / "RECORD"
    text = fsread.read_text(record, fsread.RECORD)
    if isinstance(text, fsread.Unreadable):
        raise UninstallRefused(f"{dist.name} has no readable RECORD: {text.message}")
    files: list[Path] = []
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0]:
            continue
        target = Path(os.path.normpath(site_dir / row[0]))
        # Never follow a link out: the parent dir must really be inside the user base.
        if not is_within(target, user_base) or not is_within(real(target.parent), user_base):
            raise UninstallRefused(f"{dist.name}'s RECORD names {row[0]}, outside the user base {user_base}")
        files.append(target)
    removed: list[Path] = []
    dirs: set[Path] = set()
    for target in files:
        if target.suffix == ".py":
            _drop_pycache(target, removed, dirs)
        try:
            if fsread.is_file(target) or fsread.is_symlink(target):
                target.unlink()
                removed.append(target)
                dirs.add(target.parent)
        except OSError:
            continue
    if fsread.exists(info):
        shutil.rmtree(info, ignore_errors=True)
        removed.append(info)
    _remove_empty_dirs(dirs, site_dir)
    return UninstallResult(dist.name, dist.version, tuple(removed))


def _drop_pycache(source: Path, removed: list[Path], dirs: set[Path]) -> None:
    cache = source.parent / "__pycache__"
    try:
        stale = list(cache.glob(f"{source.stem}.*.pyc"))
    except OSError:
        return
    for pyc in stale:
        try:
            pyc.unlink()
            removed.append(pyc)
            dirs.add(cache)
        except OSError:
            continue


def _remove_empty_dirs(dirs: Iterable[Path], site_dir: Path) -> None:
    # Deepest first, so a package dir emptied of its __pycache__ goes too. Only inside the site: an
    # empty ~/.local/bin stays (it may be on PATH, and pip leaves it too).
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        current = real(d)
        while current != site_dir and is_within(current, site_dir):
            try:
                current.rmdir()
            except OSError:
                break
            current = current.parent
