"""What is installed in an env, read from its site-packages without running its interpreter.

We list each site-packages directory once and take name and version from the ``*.dist-info``
directory names (``name-version.dist-info`` per the wheel spec), so reading 300 distributions costs
one ``scandir`` plus one ``stat`` each. METADATA is only opened when a caller asks for a dist's
requirements or extras (the extra check), or when a directory name is not well-formed. Anything that
cannot be read (permissions, broken METADATA, garbage names) is skipped: a check must never crash on
a half-written or odd site-packages.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from packaging.utils import canonicalize_name
from packaging.version import VERSION_PATTERN

from venvkeeper import fsread

# Wheel spec: "{distribution}-{version}.dist-info", where the name has "-" escaped to "_".
_DIST_INFO_RE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._]*)-(?P<version>[^-]+)\.dist-info$")
# setuptools/distutils: "{name}-{version}-py{X.Y}.egg-info", "{name}-{version}.egg-info", "{name}.egg-info".
_EGG_INFO_RE = re.compile(
    r"^(?P<name>[^-]+)(?:-(?P<version>[^-]+))?(?:-py\d+(?:\.\d+)?)?(?:-[^-]+)?\.egg-info$"
)
# setuptools >= 64 editable installs: "__editable__.{name}-{version}.pth".
_EDITABLE_PTH_RE = re.compile(r"^__editable__\.(?P<name>[^-]+)-(?P<version>[^-]+)\.pth$")


def _headers(text: str) -> dict[str, list[str]]:
    """Parse an RFC 822 style header block (METADATA / PKG-INFO) into name -> values.

    A tiny parser rather than ``email.parser``: it is several times faster and we need only a few
    headers. Parsing stops at the first blank line (the long description follows).
    """
    # Each value is collected as a list of its folded lines and joined once: ``+=`` per continuation
    # line would copy the value each time (quadratic on a header of 100k continuation lines).
    parts: dict[str, list[list[str]]] = {}
    last: list[str] | None = None
    for line in text.splitlines():
        if not line.strip():
            break
        if line[:1] in (" ", "\t") and last is not None:
            last.append(line.strip())
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        last = [value.strip()]
        parts.setdefault(key.strip().lower(), []).append(last)
    return {key: [" ".join(v) for v in values] for key, values in parts.items()}


def _read_text(path: Path, kind: fsread.Kind = fsread.METADATA) -> str | None:
    """The head of a metadata file (headers come first); None when unreadable, a trap, or binary."""
    return fsread.text_head(path, kind.max_bytes, kind)


@dataclass(frozen=True)
class InstalledDist:
    """One installed distribution."""

    #: The name as written by the installer (dist-info directory or METADATA ``Name``).
    name: str
    version: str
    #: The ``.dist-info`` / ``.egg-info`` directory (or egg-info file) describing it.
    path: Path
    #: The site-packages directory it was found in.
    site_dir: Path
    editable: bool = False
    #: The project directory of an editable install, when known.
    editable_location: Path | None = None
    # Lazily parsed METADATA headers; a dict so the frozen dataclass can still fill it once.
    _cache: dict[str, dict[str, list[str]]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @property
    def canonical_name(self) -> str:
        return canonicalize_name(self.name)

    @property
    def metadata_file(self) -> Path:
        if self.path.suffix == ".egg-info" and not fsread.is_dir(self.path):
            return self.path  # a distutils egg-info *file* is the PKG-INFO itself
        return self.path / ("PKG-INFO" if self.path.suffix == ".egg-info" else "METADATA")

    def headers(self) -> dict[str, list[str]]:
        """METADATA headers (lower-cased names), read on first use; empty when unreadable."""
        if "h" not in self._cache:
            text = _read_text(self.metadata_file)
            self._cache["h"] = _headers(text) if text is not None else {}
        return self._cache["h"]

    @property
    def requires(self) -> list[str]:
        """``Requires-Dist`` values (PEP 508 strings, markers included)."""
        reqs = list(self.headers().get("requires-dist", []))
        if not reqs and self.path.suffix == ".egg-info" and fsread.is_dir(self.path):
            reqs = _egg_requires(self.path / "requires.txt")
        return reqs

    @property
    def provides_extras(self) -> list[str]:
        return list(self.headers().get("provides-extra", []))

    @property
    def requires_python(self) -> str | None:
        values = self.headers().get("requires-python")
        return values[0] if values else None


def _egg_requires(path: Path) -> list[str]:
    """Turn setuptools' ``requires.txt`` (``[extra:marker]`` sections) into PEP 508 strings."""
    text = _read_text(path)
    if text is None:
        return []
    out: list[str] = []
    extra = ""
    marker = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            extra, _, marker = line[1:-1].partition(":")
            continue
        conds = []
        if marker:
            conds.append(f"({marker})")
        if extra:
            conds.append(f'extra == "{extra}"')
        out.append(f"{line} ; {' and '.join(conds)}" if conds else line)
    return out


# packaging's own PEP 440 grammar, compiled once: matching it is several times cheaper than Version().
_VERSION_RE = re.compile(r"^\s*" + VERSION_PATTERN + r"\s*$", re.VERBOSE | re.IGNORECASE)


def _valid_version(value: str) -> bool:
    return _VERSION_RE.match(value) is not None


def _direct_url_editable(dist_info: str | Path) -> tuple[bool, Path | None]:
    """PEP 660/610: ``direct_url.json`` with ``dir_info.editable`` marks an editable install."""
    direct_url = os.path.join(dist_info, "direct_url.json")
    if not fsread.exists(direct_url):
        return False, None  # most dists: one stat, no exception raised in Python
    content = fsread.read_bytes(direct_url, fsread.DIRECT_URL)
    if isinstance(content, fsread.Unreadable):
        fsread.note(content)
        return False, None
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        return False, None
    if not isinstance(data, dict):
        return False, None
    dir_info = data.get("dir_info")
    if not (isinstance(dir_info, dict) and dir_info.get("editable") is True):
        return False, None
    url = data.get("url")
    location: Path | None = None
    if isinstance(url, str) and url.startswith("file:"):
        parsed = urlparse(url)
        raw = unquote(parsed.path)
        # file:///C:/x on Windows parses to "/C:/x".
        if re.match(r"^/[A-Za-z]:", raw):
            raw = raw[1:]
        location = Path(raw)
    return True, location


def _read_dist_info(entry: os.DirEntry[str], site_dir: Path) -> InstalledDist | None:
    m = _DIST_INFO_RE.match(entry.name)
    if m and _valid_version(m.group("version")):
        # The fast path: everything from the directory name.
        editable, location = _direct_url_editable(entry.path)
        return InstalledDist(
            m.group("name"), m.group("version"), Path(entry.path), site_dir, editable, location
        )
    # Not a well-formed directory name: fall back to the METADATA headers.
    path = Path(entry.path)
    probe = InstalledDist("", "", path, site_dir)
    headers = probe.headers()
    name = (headers.get("name") or [""])[0]
    version = (headers.get("version") or [""])[0]
    if not name or not version:
        return None
    editable, location = _direct_url_editable(path)
    return InstalledDist(name, version, path, site_dir, editable, location, probe._cache)


def _read_egg_info(entry: os.DirEntry[str], site_dir: Path) -> InstalledDist | None:
    path = Path(entry.path)
    m = _EGG_INFO_RE.match(entry.name)
    name = m.group("name") if m else None
    version = m.group("version") if m else None
    dist = InstalledDist(name or "", version or "", path, site_dir)
    if not name or not version or not _valid_version(version):
        headers = dist.headers()
        name = (headers.get("name") or [name or ""])[0]
        version = (headers.get("version") or [""])[0]
        if not name or not version:
            return None
    return InstalledDist(name, version, path, site_dir, _cache=dist._cache)


def _read_egg_link(entry: os.DirEntry[str], site_dir: Path) -> InstalledDist | None:
    """Legacy ``setup.py develop`` / ``pip install -e`` (pre PEP 660): ``Name.egg-link`` names the project."""
    text = _read_text(Path(entry.path), fsread.EGG_LINK)
    if not text:
        return None
    first = text.splitlines()[0].strip() if text.splitlines() else ""
    if not first:
        return None
    location = Path(first)
    if not location.is_absolute():
        location = (site_dir / location).resolve()
    stem = entry.name[: -len(".egg-link")]
    # The project dir (or a sub dir such as src/) holds "<name>.egg-info" with the version in PKG-INFO.
    try:
        egg_infos = [p for p in location.iterdir() if p.name.endswith(".egg-info")]
    except OSError:
        egg_infos = []
    for egg_info in egg_infos:
        if canonicalize_name(egg_info.name[: -len(".egg-info")].split("-")[0]) != canonicalize_name(stem):
            continue
        probe = InstalledDist(stem, "", egg_info, site_dir)
        headers = probe.headers()
        version = (headers.get("version") or [""])[0]
        name = (headers.get("name") or [stem])[0]
        if version:
            return InstalledDist(name, version, egg_info, site_dir, True, location, probe._cache)
    return None


#: Per site dir: the (name, inode) of every relevant entry, and what was read from them.
_SITE_CACHE: dict[Path, tuple[tuple[tuple[str, int], ...], dict[str, InstalledDist]]] = {}
_SITE_CACHE_MAX = 64
_RELEVANT = (".dist-info", ".egg-info", ".egg-link")


def read_installed(site_dirs: Sequence[Path]) -> dict[str, InstalledDist]:
    """Every distribution in ``site_dirs``, keyed by canonical (PEP 503) name.

    Earlier site dirs win, as on ``sys.path``; within one dir a ``.dist-info`` wins over legacy forms.
    """
    found: dict[str, InstalledDist] = {}
    for site_dir in site_dirs:
        for key, dist in _read_site_dir(site_dir).items():
            found.setdefault(key, dist)
    return found


def _read_site_dir(site_dir: Path) -> dict[str, InstalledDist]:
    """One site dir, re-read only when its metadata entries changed.

    Installers never edit a dist-info in place: install, upgrade and uninstall add or remove whole
    directories, so the names and inode numbers of the entries (free from ``scandir`` on POSIX) tell
    whether anything changed — one directory listing instead of 300 metadata probes. Dirs with legacy
    ``.egg-link`` files are not cached: their version lives in the linked project, outside this dir.
    """
    try:
        entries = sorted(
            (
                e
                for e in os.scandir(site_dir)
                if e.name.endswith(_RELEVANT) or e.name.startswith("__editable__.")
            ),
            key=lambda e: e.name,
        )
        signature = tuple((e.name, e.inode()) for e in entries)
    except OSError:
        return {}
    cached = _SITE_CACHE.get(site_dir)
    if cached is not None and cached[0] == signature:
        return cached[1]
    local = _scan_entries(site_dir, entries)
    if not any(name.endswith(".egg-link") for name, _ in signature):
        if len(_SITE_CACHE) >= _SITE_CACHE_MAX:
            _SITE_CACHE.clear()
        _SITE_CACHE[site_dir] = (signature, local)
    return local


def _scan_entries(site_dir: Path, entries: list[os.DirEntry[str]]) -> dict[str, InstalledDist]:
    local: dict[str, InstalledDist] = {}
    legacy: list[InstalledDist] = []
    editable_pth: list[tuple[str, str, Path]] = []
    for entry in entries:
        name = entry.name
        try:
            if name.endswith(".dist-info"):
                dist = _read_dist_info(entry, site_dir) if entry.is_dir() else None
                if dist is not None:
                    local.setdefault(dist.canonical_name, dist)
            elif name.endswith(".egg-info"):
                dist = _read_egg_info(entry, site_dir)
                if dist is not None:
                    legacy.append(dist)
            elif name.endswith(".egg-link"):
                dist = _read_egg_link(entry, site_dir)
                if dist is not None:
                    legacy.append(dist)
            elif name.startswith("__editable__.") and name.endswith(".pth"):
                m = _EDITABLE_PTH_RE.match(name)
                if m:
                    editable_pth.append((m.group("name"), m.group("version"), Path(entry.path)))
        except (OSError, ValueError, UnicodeError):
            continue  # one unreadable entry must not hide the others
    for dist in legacy:
        local.setdefault(dist.canonical_name, dist)
    for pth_name, pth_version, pth in editable_pth:
        key: str = canonicalize_name(pth_name)
        known = local.get(key)
        if known is not None and known.editable:
            continue
        location = _pth_location(pth)
        if known is not None:
            local[key] = InstalledDist(
                known.name, known.version, known.path, site_dir, True, location, known._cache
            )
        elif _valid_version(pth_version):
            local[key] = InstalledDist(pth_name, pth_version, pth, site_dir, True, location)
    return local


def _pth_location(pth: Path) -> Path | None:
    """A path line of an ``__editable__`` .pth (the project or its src dir); None for import hooks."""
    text = _read_text(pth)
    for line in (text or "").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "import ")):
            return Path(line)
    return None


def duplicate_dist_infos(site_dirs: Sequence[Path]) -> dict[str, list[str]]:
    """Names with more than one ``.dist-info`` in one site dir (a half-finished upgrade), canonical
    name -> the directory names. :func:`read_installed` keeps one of them; the consistency check
    says which. One listing per dir, no file opened.
    """
    out: dict[str, list[str]] = {}
    for site_dir in site_dirs:
        seen: dict[str, list[str]] = {}
        try:
            names = [e.name for e in os.scandir(site_dir) if e.name.endswith(".dist-info")]
        except OSError:
            continue
        for name in sorted(names):
            m = _DIST_INFO_RE.match(name)
            if m:
                seen.setdefault(canonicalize_name(m.group("name")), []).append(name)
        out.update({k: v for k, v in seen.items() if len(v) > 1 and k not in out})
    return out
