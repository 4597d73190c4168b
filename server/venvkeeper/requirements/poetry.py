"""Poetry version constraints translated to PEP 440, exactly as Poetry's documentation defines them.

https://python-poetry.org/docs/dependency-specification/ :

* caret ``^``: allow updates that do not change the left-most non-zero digit —
  ``^1.2.3`` → ``>=1.2.3,<2.0.0``, ``^0.2.3`` → ``>=0.2.3,<0.3.0``, ``^0.0.3`` → ``>=0.0.3,<0.0.4``,
  ``^0.0`` → ``>=0.0,<0.1``, ``^0`` → ``>=0,<1``;
* tilde ``~``: a minimal version with some ability to update — ``~1.2.3`` → ``>=1.2.3,<1.3.0``,
  ``~1.2`` → ``>=1.2,<1.3``, ``~1`` → ``>=1,<2``;
* wildcards ``1.2.*`` → ``==1.2.*``, ``*`` → any; a bare version ``1.2.3`` → ``==1.2.3``;
* ``,`` separates constraints that must all hold, ``||`` alternatives of which one must hold.
"""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


class PoetrySyntaxError(ValueError):
    """A constraint Poetry's grammar does not allow (or we do not understand); str() says which."""


_OPERATOR_RE = re.compile(r"===|==|!=|~=|<=|>=|<|>|\^|~|=")
# Poetry also accepts space-separated constraints (">= 1.2 < 1.5"): split before each operator. The
# lookbehind starts a blank run only at its first blank, so a long run is not retried from each blank.
_SPACE_SPLIT_RE = re.compile(r"(?<!\s)\s+(?=[<>=!~^])")


def _bump(release: tuple[int, ...], index: int) -> str:
    upper = [*release[:index], release[index] + 1] + [0] * (len(release) - index - 1)
    return ".".join(str(p) for p in upper)


def _version(text: str, constraint: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise PoetrySyntaxError(f"'{constraint}' is not a valid Poetry version constraint") from None


def translate_single(constraint: str) -> str:
    """One constraint (no ``,`` or ``||``) as a PEP 440 specifier string ("" means any version)."""
    text = constraint.strip()
    if text in ("*", ""):
        return ""
    m = _OPERATOR_RE.match(text)
    op = m.group(0) if m else ""
    rest = text[len(op) :].strip()
    if op == "^":
        version = _version(rest, text)
        release = version.release
        nonzero = next((i for i, p in enumerate(release) if p != 0), len(release) - 1)
        return f">={rest},<{_bump(release, nonzero)}"
    if op == "~":
        version = _version(rest, text)
        release = version.release
        return f">={rest},<{_bump(release, 1 if len(release) >= 2 else 0)}"
    if rest.endswith(".*") and op in ("", "=", "=="):
        _version(rest[:-2], text)
        return f"=={rest}"
    if op in ("", "="):
        _version(rest, text)
        return f"=={rest}"
    if "*" in rest:
        raise PoetrySyntaxError(f"'{text}': a wildcard only goes with '==' or no operator")
    spec = f"{op}{rest}"
    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        raise PoetrySyntaxError(f"'{text}' is not a valid Poetry version constraint") from None
    return spec


def translate_text(constraint: str) -> list[str]:
    """A full Poetry constraint as PEP 440 specifier strings, one per ``||`` alternative, order kept."""
    alternatives = []
    for alternative in constraint.split("||"):
        parts = [p for chunk in alternative.split(",") for p in _SPACE_SPLIT_RE.split(chunk.strip())]
        specs = [translate_single(p) for p in parts if p.strip()]
        text = ",".join(s for s in specs if s)
        try:
            SpecifierSet(text)
        except InvalidSpecifier:
            raise PoetrySyntaxError(f"'{constraint}' is not a valid Poetry version constraint") from None
        alternatives.append(text)
    return alternatives


def translate(constraint: str) -> tuple[SpecifierSet, ...]:
    """A full Poetry constraint: one SpecifierSet per ``||`` alternative (any one must hold)."""
    return tuple(SpecifierSet(t) for t in translate_text(constraint))


def python_marker(constraint: str) -> str:
    """Poetry's per-dependency ``python = "..."`` as a PEP 508 marker on ``python_full_version``."""
    alternatives = []
    for spec_set in translate(constraint):
        parts = [f'python_full_version {s.operator} "{s.version}"' for s in spec_set]
        alternatives.append(" and ".join(parts) if parts else 'python_full_version >= "0"')
    if len(alternatives) == 1:
        return alternatives[0]
    return " or ".join(f"({a})" for a in alternatives)
