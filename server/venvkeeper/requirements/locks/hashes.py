"""The content hashes Poetry, PDM and Pipenv record in their locks, computed as each tool computes them.

Each function mirrors the tool's own code (named per function) and is checked against the real tool
in tests/unit/requirements/locks (fixtures frozen from the tools' output). They take the TOML data as
``tomllib`` reads it: the tools read with tomlkit, whose values serialise to the same JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from packaging.utils import canonicalize_name


def _sha256_json(data: Any, **dump: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, **dump).encode("utf-8")).hexdigest()


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, Mapping):
            return {}
        data = value
    return data


# -- Poetry ----------------------------------------------------------------------------------------
# poetry.packages.locker.Locker._get_content_hash (Poetry 2.x; checked with Poetry 2.5.1).
_POETRY_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_POETRY_KEYS = (*_POETRY_LEGACY_KEYS, "group")
_POETRY_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")


def poetry_content_hash(pyproject: Mapping[str, Any], *, with_dependency_groups: bool = True) -> str:
    """``[metadata] content-hash`` of poetry.lock. Before Poetry 2.3 [dependency-groups] was not part
    of it (``with_dependency_groups=False``): Poetry itself accepts that older hash from such locks."""
    project = _table(pyproject, "project")
    groups = _table(pyproject, "dependency-groups") if with_dependency_groups else {}
    poetry = _table(pyproject, "tool", "poetry")
    project_part = {k: project[k] for k in _POETRY_PROJECT_KEYS if project.get(k) is not None}
    poetry_part: dict[str, Any] = {}
    for key in _POETRY_KEYS:
        value = poetry.get(key)
        # Missing legacy keys are kept (as null) only for Poetry-1-style projects, for compatibility.
        if value is None and (key not in _POETRY_LEGACY_KEYS or project_part or groups):
            continue
        poetry_part[key] = value
    content: dict[str, Any] = {}
    if project_part:
        content["project"] = project_part
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": poetry_part}
    else:
        content = poetry_part
    return _sha256_json(content)


# -- PDM -------------------------------------------------------------------------------------------
# pdm.project.project_file.PyProject.content_hash (PDM 2.x; checked with PDM 2.29.4). A PDM workspace
# root mixes in its members' hashes (pdm.project.workspace); venvkeeper does not read PDM workspaces.
def _pdm_dev_dependencies(pyproject: Mapping[str, Any]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for group, deps in _table(pyproject, "dependency-groups").items():
        groups[canonicalize_name(group)] = list(deps)
    for group, deps in _table(pyproject, "tool", "pdm", "dev-dependencies").items():
        groups.setdefault(canonicalize_name(group), []).extend(deps)
    return groups


def pdm_content_hash(pyproject: Mapping[str, Any]) -> str:
    """``[metadata] content_hash`` of pdm.lock, without its ``sha256:`` prefix."""
    project = _table(pyproject, "project")
    pdm = _table(pyproject, "tool", "pdm")
    data = {
        "sources": pdm.get("source", []),
        "dependencies": project.get("dependencies", []),
        "dev-dependencies": _pdm_dev_dependencies(pyproject),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "requires-python": project.get("requires-python", ""),
        "resolution": pdm.get("resolution", {}),
    }
    return _sha256_json(data)


# -- Pipenv ----------------------------------------------------------------------------------------
# pipenv.utils.pipfile.Pipfile.calculate_hash (pipenv 2026.10.3: package names canonicalised) and the
# older plette Pipfile.get_hash (names as written), which locks written by older pipenv carry.
_PIPFILE_SECTIONS = frozenset(
    {"source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"}
)
_DEFAULT_SOURCE = [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}]


def pipfile_hashes(pipfile: Mapping[str, Any]) -> tuple[str, str]:
    """(current pipenv's hash, older pipenv's hash) of a Pipfile, as in ``_meta.hash.sha256``."""

    def canonical(section: Any) -> Any:
        if not isinstance(section, Mapping):
            return section
        return {canonicalize_name(k): v for k, v in section.items()}

    def build(normalize: bool) -> dict[str, Any]:
        norm = canonical if normalize else (lambda s: s)
        data: dict[str, Any] = {
            # plette prepends the default source when a Pipfile has none.
            "_meta": {
                "sources": pipfile.get("source", _DEFAULT_SOURCE),
                "requires": pipfile.get("requires", {}),
            },
            "default": norm(pipfile.get("packages", {})),
            "develop": norm(pipfile.get("dev-packages", {})),
        }
        for category, values in pipfile.items():
            if category in _PIPFILE_SECTIONS or category in ("default", "develop"):
                continue
            data[category] = norm(values)
        return data

    dump = {"separators": (",", ":")}
    return _sha256_json(build(True), **dump), _sha256_json(build(False), **dump)
