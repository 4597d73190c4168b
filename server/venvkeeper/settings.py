"""The typed, defaulted settings model, parsed once at the edge.

Clients send settings as JSON (``initializationOptions.settings`` or the ``venvkeeper`` section of
``workspace/didChangeConfiguration``). :func:`parse_settings` never raises: a bad value falls back to
its default and produces a human-readable complaint the server logs and shows once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Union

from venvkeeper.codes import SEVERITIES, Severity, default_severities

AutoCreate = Literal["prompt", "always", "never"]
Backend = Literal["auto", "venv", "uv"]
#: Default severity per diagnostic code: from the one table of codes (codes.py).
DEFAULT_SEVERITIES: dict[str, Severity] = default_severities()

#: Every extra/group counts, only the named ones, or ("default", groups only) what each tool installs by
#: default: Poetry every non-optional group, uv ``[tool.uv] default-groups`` (else "dev"), PDM every
#: ``[tool.pdm.dev-dependencies]`` group.
Selection = Union[Literal["all", "default"], tuple[str, ...]]


@dataclass(frozen=True)
class Settings:
    #: What to do when a project that declares dependencies has no env.
    auto_create: AutoCreate = "prompt"
    #: Workspace trust. Untrusted => read-only: nothing is created, installed or executed, and no
    #: terminal activation is offered. Only an explicit JSON ``true`` trusts (see :func:`parse_settings`).
    trusted: bool = True
    #: Which creation/install backend to use; "auto" = uv when found, else stdlib venv.
    backend: Backend = "auto"
    #: An explicit uv executable; None = look on PATH.
    uv_path: str | None = None
    #: Which [project.optional-dependencies] extras must be installed.
    extras: Selection = "all"
    #: Which PEP 735 [dependency-groups] / Poetry / PDM groups must be installed ("default": as each tool).
    dependency_groups: Selection = "default"
    #: Severity per diagnostic code ("off" hides it).
    severities: Mapping[str, Severity] = field(default_factory=lambda: dict(DEFAULT_SEVERITIES))
    #: Warn when packages land in a global or user site-packages.
    global_install_warnings: bool = True
    #: Debounce for file-system events, in milliseconds.
    debounce_ms: int = 100
    #: The VIRTUAL_ENV of the client's environment (terminal/editor), if any.
    virtual_env: str | None = None

    def severity(self, code: str) -> Severity:
        return self.severities.get(code, DEFAULT_SEVERITIES.get(code, "warning"))


JSON_NAMES = {
    "autoCreate": "auto_create",
    "trusted": "trusted",
    "backend": "backend",
    "uvPath": "uv_path",
    "extras": "extras",
    "dependencyGroups": "dependency_groups",
    "severities": "severities",
    "globalInstallWarnings": "global_install_warnings",
    "debounceMs": "debounce_ms",
    "virtualEnv": "virtual_env",
}

#: Settings that belong to the VS Code client only; accepted silently.
CLIENT_ONLY = frozenset({"serverPython", "syncPythonExtension", "activateTerminals", "trace"})

#: Settings that choose what gets executed. While the workspace is untrusted they keep their defaults
#: whatever a payload says (a workspace must not pick the binary that a later trusted action runs);
#: the payload that grants trust carries them again (the VS Code client sends the whole section).
EXECUTION_SETTINGS = ("backend", "uv_path")


def _selection(value: Any, *, default_allowed: bool) -> Selection | None:
    if value == "all":
        return "all"
    if value == "default" and default_allowed:
        return "default"
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def parse_settings(
    raw: Any, base: Settings | None = None, notes: list[str] | None = None
) -> tuple[Settings, list[str]]:
    """Parse client JSON into :class:`Settings`; return it with a list of complaints.

    Keys missing from ``raw`` keep the value from ``base`` (or the default). Trust fails closed: a
    ``trusted`` that is present but not a boolean means *untrusted* (never the default ``true``), so a
    payload can only lift an earlier "untrusted" with an explicit ``true``. While untrusted, the
    :data:`EXECUTION_SETTINGS` keep their defaults; ``notes`` (when given) receives one line per value
    so ignored — informational, unlike the complaints.
    """
    settings = base or Settings()
    problems: list[str] = []
    if raw is None:
        return settings, problems
    if not isinstance(raw, Mapping):
        return settings, [f"venvkeeper settings must be an object, got {type(raw).__name__}; using defaults"]
    changes: dict[str, Any] = {}
    given: dict[str, Any] = {}
    for key, value in raw.items():
        name = JSON_NAMES.get(key)
        if name is None:
            if key not in CLIENT_ONLY:
                problems.append(f"unknown setting venvkeeper.{key} ignored")
            continue
        parsed, ok = _parse_one(name, value)
        if ok:
            changes[name] = parsed
            given[key] = parsed
        elif name == "trusted":
            problems.append(
                f"invalid value {value!r} for venvkeeper.trusted; treating the workspace as untrusted"
            )
            changes[name] = False
        else:
            default = getattr(Settings(), name)
            problems.append(f"invalid value {value!r} for venvkeeper.{key}; using {default!r}")
            changes[name] = default
    result = replace(settings, **changes)
    if not result.trusted:
        defaults = Settings()
        reset = {name: getattr(defaults, name) for name in EXECUTION_SETTINGS}
        for key, name in JSON_NAMES.items():
            if name in reset and key in given and given[key] != reset[name] and notes is not None:
                notes.append(f"venvkeeper.{key} = {given[key]!r} is ignored while the workspace is untrusted")
        result = replace(result, **reset)
    return result, problems


def _parse_one(name: str, value: Any) -> tuple[Any, bool]:
    if name == "auto_create":
        return value, value in ("prompt", "always", "never")
    if name == "backend":
        return value, value in ("auto", "venv", "uv")
    if name in ("trusted", "global_install_warnings"):
        return value, isinstance(value, bool)
    if name in ("uv_path", "virtual_env"):
        return (value or None), value is None or isinstance(value, str)
    if name in ("extras", "dependency_groups"):
        sel = _selection(value, default_allowed=name == "dependency_groups")
        return sel, sel is not None
    if name == "debounce_ms":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10_000
        return value, ok
    if name == "severities":
        if not isinstance(value, Mapping):
            return None, False
        merged: dict[str, Severity] = dict(DEFAULT_SEVERITIES)
        for code, sev in value.items():
            if sev not in SEVERITIES:
                return None, False
            merged[str(code)] = sev
        return merged, True
    return value, False


def settings_section(raw: Any) -> Any:
    """The ``venvkeeper`` section of a configuration payload that may hold it one level down
    (``{venvkeeper: {...}}``, as ``didChangeConfiguration`` sends it), else the payload itself."""
    if isinstance(raw, Mapping) and isinstance(raw.get("venvkeeper"), Mapping):
        return raw["venvkeeper"]
    return raw


def initialization_settings(options: Any) -> dict[str, Any]:
    """``initializationOptions``' ``settings`` merged with its top-level ``virtualEnv``/``trusted``
    shortcuts (docs/PROTOCOL.md ``InitializationOptions``)."""
    if not isinstance(options, Mapping):
        return {}
    merged: dict[str, Any] = {}
    section = settings_section(options.get("settings"))
    if isinstance(section, Mapping):
        merged.update(section)
    if "virtualEnv" in options:
        merged["virtualEnv"] = options["virtualEnv"]
    if "trusted" in options:
        # Trust fails closed: the top-level shortcut and settings.trusted must both say true.
        said = [v for v in (merged.get("trusted", True), options["trusted"]) if v is not True]
        merged["trusted"] = said[0] if said else True
    return merged
