"""Build tiny, valid wheels in a temp dir so tests install real packages without the network.

pip and uv install these like any wheel from PyPI, so the dist-info the tests read afterwards is what
the installer itself wrote.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Dist:
    name: str
    version: str = "1.0"
    requires: Sequence[str] = ()
    #: extra name -> requirements it adds
    extras: Mapping[str, Sequence[str]] = field(default_factory=dict)
    requires_python: str | None = None


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(dest: Path, dist: Dist) -> Path:
    """Write ``dist`` as a pure-Python wheel into ``dest`` and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    mod = _normalize(dist.name)
    info = f"{mod}-{dist.version}.dist-info"
    meta = [
        "Metadata-Version: 2.1",
        f"Name: {dist.name}",
        f"Version: {dist.version}",
    ]
    if dist.requires_python:
        meta.append(f"Requires-Python: {dist.requires_python}")
    meta += [f"Requires-Dist: {r}" for r in dist.requires]
    for extra, reqs in dist.extras.items():
        meta.append(f"Provides-Extra: {extra}")
        for r in reqs:
            marker = f'extra == "{extra}"'
            meta.append(
                f"Requires-Dist: {r} ; {marker}" if ";" not in r else f"Requires-Dist: {r} and {marker}"
            )
    files: dict[str, bytes] = {
        f"{mod}/__init__.py": f'__version__ = "{dist.version}"\n'.encode(),
        f"{info}/METADATA": ("\n".join(meta) + "\n").encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: venvkeeper-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        f"{info}/top_level.txt": f"{mod}\n".encode(),
    }
    record = [_record_line(p, d) for p, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = dest / f"{mod}-{dist.version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def build_wheelhouse(dest: Path, dists: Iterable[Dist]) -> Path:
    for d in dists:
        build_wheel(dest, d)
    return dest


def simple_index(wheelhouse: Path, dest: Path, files_url: str | None = None) -> str:
    """A PEP 503 "simple" index of ``wheelhouse`` at ``dest`` (links with sha256 fragments), for tools
    that read an index URL but no find-links dir (PDM, Pipenv); returns its ``file://`` URL. The links
    are ``file://`` URLs, or ``files_url/<wheel>`` for an index served over HTTP (Poetry reads no
    ``file://`` index)."""
    by_name: dict[str, list[Path]] = {}
    for wheel in sorted(wheelhouse.glob("*.whl")):
        by_name.setdefault(re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower(), []).append(wheel)
    dest.mkdir(parents=True, exist_ok=True)
    links = "".join(f'<a href="{name}/">{name}</a>\n' for name in by_name)
    (dest / "index.html").write_text(f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")
    for name, wheels in by_name.items():
        (dest / name).mkdir(exist_ok=True)
        files = "".join(
            f'<a href="{f"{files_url}/{w.name}" if files_url else w.resolve().as_uri()}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">{w.name}</a>\n'
            for w in wheels
        )
        (dest / name / "index.html").write_text(f"<!DOCTYPE html>\n<html><body>\n{files}</body></html>\n")
    return dest.resolve().as_uri()


def in_tree_backend_package(parent: Path, name: str, backend: str, source: str) -> Path:
    """``parent/name``: a local project (version 1.0, no setuptools) whose PEP 517 backend is the
    in-tree module ``backend`` with ``source``: a build that does what a test needs (block, report)."""
    pkg = parent / name
    pkg.mkdir()
    (pkg / "pyproject.toml").write_text(
        f'[build-system]\nrequires = []\nbuild-backend = "{backend}"\nbackend-path = ["."]\n'
        f'[project]\nname = "{name}"\nversion = "1.0"\n'
    )
    (pkg / f"{backend}.py").write_text(source)
    return pkg
