"""The one table of diagnostic codes: everything venvkeeper knows about a code is its row here.

Default severity, what the code does to the env's status (ok / stale / broken), which quick fixes it
offers and its one-line meaning all come from :data:`CODES`; settings, the status bar, code actions,
the install commands and the CLI derive their sets from it. docs/PROTOCOL.md ("Diagnostic codes")
lists the same rows; ``tests/unit/test_contract.py`` fails when the two disagree.

Adding a code = one row here, its emitter, its test (and the row in PROTOCOL.md the contract test asks for).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "information", "hint", "off"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "information", "hint", "off")

#: What a finding of this code does to the env's status: nothing, "stale" (the env exists but does not
#: satisfy the project) or "broken" (the env is unusable).
StatusEffect = Literal["none", "stale", "broken"]

#: The quick fixes a code offers (each maps to a workspace/executeCommand command):
#: - install: install the finding's requirement / everything missing into the env;
#: - sync: install from the finding's requirement source (a lock file: sync through its tool);
#: - install-compatible: install the version of a dependency its installed dependent accepts (the
#:   finding's ``install``, e.g. "numpy<1.24");
#: - resolve: "Find versions that work together" — ask the resolver for a consistent set, show it as an
#:   edit of the requirement lines, and (second action) apply it and sync the env;
#: - add-pip: give the env the pip its base interpreter bundles;
#: - recreate: rebuild the env.
FixKind = Literal["install", "install-compatible", "resolve", "sync", "add-pip", "recreate"]


@dataclass(frozen=True)
class Code:
    name: str
    severity: Severity
    status: StatusEffect
    fixes: tuple[FixKind, ...]
    #: The one-line meaning (docs/PROTOCOL.md, SARIF rule help, `venvkeeper check` legends).
    summary: str
    #: A more specific explanation of a broken env: when present, the generic ``env-broken`` is dropped
    #: so each problem is said once.
    replaces_env_broken: bool = False


_INSTALL: tuple[FixKind, ...] = ("install", "sync")

CODES: tuple[Code, ...] = (
    # -- requirements against the env
    Code("not-installed", "warning", "stale", _INSTALL, "a requirement is not installed in the env"),
    Code(
        "version-mismatch",
        "warning",
        "stale",
        _INSTALL,
        "the installed version does not satisfy the specifier",
    ),
    Code("extra-missing", "warning", "stale", _INSTALL, "an extra's requirements are missing"),
    Code(
        "changed-since-sync",
        "information",
        "stale",
        ("sync",),
        "the requirement file changed since the env was last synced",
    ),
    Code(
        "requires-python",
        "error",
        "stale",
        ("recreate",),
        "the env's Python does not satisfy `requires-python`",
    ),
    # -- lock files (uv.lock, poetry.lock, pdm.lock, Pipfile.lock, pylock.toml) against the env
    Code(
        "lock-drift",
        "warning",
        "stale",
        ("sync", "install"),
        "the env differs from what the project's lock file pins",
    ),
    Code(
        "lock-outdated",
        "warning",
        "none",
        (),
        "the declared dependencies changed since the lock file was written",
    ),
    Code(
        "lock-invalid",
        "error",
        "none",
        (),
        "the lock file is unreadable (FIFO, device, too big), unparsable or of an unknown version",
    ),
    # -- the env against itself (what `pip check` knows; requirements/conflicts.py)
    Code(
        "dependency-conflict",
        "error",
        "broken",
        ("install-compatible", "resolve"),
        "an installed dist requires a version of another that is not the installed one",
    ),
    Code(
        "dependency-missing",
        "error",
        "broken",
        ("install-compatible", "resolve"),
        "an installed dist requires a dist that is not installed",
    ),
    Code(
        "python-incompatible",
        "error",
        "broken",
        ("resolve",),
        "an installed dist's `Requires-Python` excludes the env's Python",
    ),
    Code(
        "would-conflict",
        "warning",
        "none",
        (),
        "installing the version a line pins (saved or not) would break an installed dependent",
    ),
    # -- the requirement sources themselves
    Code(
        "invalid-requirement",
        "error",
        "none",
        (),
        "the line is not a valid requirement, or its file is unreadable (FIFO, device, too big, no access)",
    ),
    Code(
        "toml-syntax", "error", "none", (), "`pyproject.toml` is not valid TOML, or cannot be read (as above)"
    ),
    Code(
        "include-missing",
        "error",
        "none",
        (),
        "a `-r`/`-c` file does not exist or cannot be reached (permission denied, name too long)",
    ),
    Code("include-cycle", "error", "none", (), "a `-r` include forms a cycle"),
    Code(
        "include-too-deep",
        "error",
        "none",
        (),
        "a chain of `-r`/`-c` includes is more than 50 files deep; the rest is not read",
    ),
    Code(
        "unknown-syntax",
        "warning",
        "none",
        (),
        "syntax venvkeeper does not understand (e.g. an unknown Poetry form)",
    ),
    Code(
        "not-evaluated",
        "information",
        "none",
        (),
        "a computed declaration (a non-literal `install_requires` in setup.py): never run, so not checked",
    ),
    # -- the env's health
    Code(
        "env-broken",
        "error",
        "broken",
        ("recreate",),
        "the env's pyvenv.cfg is unusable or unreadable, or its interpreter is missing or not a regular file",
    ),
    Code(
        "base-interpreter-missing",
        "error",
        "broken",
        ("recreate",),
        "the env's base interpreter is gone",
        replaces_env_broken=True,
    ),
    Code(
        "base-version-changed",
        "error",
        "broken",
        ("recreate",),
        "the base interpreter is now another X.Y than the env's",
        replaces_env_broken=True,
    ),
    Code(
        "env-moved",
        "error",
        "broken",
        ("recreate",),
        "the env was moved or copied; its scripts name another path",
        replaces_env_broken=True,
    ),
    Code(
        "env-no-pip",
        "warning",
        "none",
        ("add-pip", "recreate"),
        "the env has no pip (`pip` would be the global one)",
    ),
    # -- guards: packages in the wrong place, the client's activation, the base interpreter
    Code(
        "installed-elsewhere",
        "information",
        "none",
        _INSTALL,
        "a missing requirement is installed globally / in the user site",
    ),
    Code(
        "global-install",
        "warning",
        "none",
        _INSTALL,
        "a distribution just landed in a global or user site-packages",
    ),
    Code(
        "stale-virtual-env",
        "warning",
        "none",
        (),
        "the client's `VIRTUAL_ENV` is another project's env or is gone",
    ),
    Code(
        "externally-managed",
        "information",
        "none",
        (),
        "the base interpreter is PEP 668 externally managed",
    ),
)

BY_NAME: dict[str, Code] = {c.name: c for c in CODES}


def get(name: str) -> Code | None:
    return BY_NAME.get(name)


def default_severities() -> dict[str, Severity]:
    return {c.name: c.severity for c in CODES}


def with_status(effect: StatusEffect) -> frozenset[str]:
    """The codes whose findings give the env this status."""
    return frozenset(c.name for c in CODES if c.status == effect)


def with_fix(fix: FixKind) -> frozenset[str]:
    """The codes that offer this quick fix."""
    return frozenset(c.name for c in CODES if fix in c.fixes)


#: Findings that make an env "stale" / "broken" (App.status).
STALE = with_status("stale")
BROKEN = with_status("broken")
#: What `installMissing` installs without arguments: the stale findings that name something to install.
MISSING = STALE & with_fix("install")
#: Specific explanations that replace the generic env-broken finding.
REPLACES_ENV_BROKEN = frozenset(c.name for c in CODES if c.replaces_env_broken)
