"""The answers about a project's env, typed: what the LSP requests and the CLI's ``--json`` send.

The shapes are the ``Interpreter``, ``EnvironmentCandidate``, ``EnvironmentsResult`` and
``InterpretersResult`` (its entries: discovery/catalog.py's ``CatalogEntry``) interfaces of
docs/PROTOCOL.md, with snake_case names; :func:`venvkeeper.wire.to_wire` makes the camelCase JSON at the
edge (tests/unit/test_contract.py keeps the two in step). Nothing here reads or writes a wire dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Literal, Optional

from venvkeeper.discovery.catalog import Catalog, CatalogEntry
from venvkeeper.discovery.model import Candidate, Discovery, Environment, EnvState, Origin
from venvkeeper.guards.activation import Activation
from venvkeeper.wire import OMIT_IF_NONE

#: The status bar's word for a project's env.
Status = Literal["ok", "stale", "broken"]

#: Builds the ``activation`` of an env (guards/activation.py); None: no activation data.
ActivationBuilder = Callable[[Environment], Optional[Activation]]


@dataclass(frozen=True)
class ProblemCounts:
    """This project's requirement diagnostics by severity."""

    errors: int
    warnings: int


@dataclass(frozen=True)
class EnvView:
    """What an answer says of an env, whichever the answer."""

    python: Path
    env_path: Path
    version: Optional[str]
    kind: str
    state: EnvState
    #: Why it is broken (the env's own problem, or the first finding that breaks it); sent as null.
    problem: Optional[str]
    #: Which locator found it (discovery/locators.py).
    origin: Origin
    #: Why it was found / chosen, in words.
    source: str


@dataclass(frozen=True)
class Interpreter(EnvView):
    """The chosen env of a project and why (``venvkeeper/interpreter``, ``select``, ``check --json``)."""

    project_root: Path
    status: Status
    problems: Optional[ProblemCounts] = field(default=None, metadata=OMIT_IF_NONE)
    #: One line on why the status is stale, when there is more to say ("3 packages differ from uv.lock").
    status_detail: Optional[str] = field(default=None, metadata=OMIT_IF_NONE)
    #: Never set while the workspace is untrusted.
    activation: Optional[Activation] = field(default=None, metadata=OMIT_IF_NONE)


@dataclass(frozen=True)
class EnvironmentCandidate(EnvView):
    """One env that could serve the project (``venvkeeper/environments``, ``envs``)."""

    chosen: bool
    #: Why it was not chosen (None for the chosen one).
    rejected: Optional[str]
    activated_elsewhere: bool


@dataclass(frozen=True)
class Environments:
    """Every candidate of the project of a path; no project: ``project_root`` None and no candidates."""

    project_root: Optional[Path]
    environments: tuple[EnvironmentCandidate, ...] = ()


def _env_fields(cand: Candidate) -> dict[str, Any]:
    """The :class:`EnvView` fields of a candidate, to build either answer from."""
    env = cand.env
    view = EnvView(
        python=env.python,
        env_path=env.path,
        version=env.version,
        kind=env.kind,
        state=env.state,
        problem=env.problem,
        origin=cand.origin,
        source=cand.source,
    )
    return {f.name: getattr(view, f.name) for f in fields(view)}


def interpreter_view(
    discovery: Discovery,
    status: Status,
    problems: Optional[ProblemCounts] = None,
    activation: Optional[ActivationBuilder] = None,
    detail: Optional[str] = None,
) -> Optional[Interpreter]:
    chosen = discovery.chosen
    if chosen is None:
        return None
    env = chosen.env
    return Interpreter(
        **_env_fields(chosen),
        project_root=discovery.project,
        status=status,
        problems=problems,
        status_detail=detail,
        activation=activation(env) if activation is not None and env.state == "ok" else None,
    )


def candidate_view(discovery: Discovery, cand: Candidate) -> EnvironmentCandidate:
    return EnvironmentCandidate(
        **_env_fields(cand),
        chosen=cand is discovery.chosen,
        rejected=cand.rejected,
        activated_elsewhere=cand.activated_elsewhere,
    )


def candidates_view(discovery: Discovery) -> tuple[EnvironmentCandidate, ...]:
    return tuple(candidate_view(discovery, c) for c in discovery.candidates)


@dataclass(frozen=True)
class Interpreters:
    """The ``venvkeeper/interpreters`` answer: every interpreter, judged for the project of a file."""

    project_root: Optional[Path]
    requires_python: Optional[str]
    #: The pins of ``.python-version``, space-separated ("3.12 3.11").
    python_version: Optional[str]
    recommended: Optional[Path]
    recommended_reason: Optional[str]
    interpreters: tuple[CatalogEntry, ...]

    @classmethod
    def of(cls, catalog: Catalog) -> Interpreters:
        pins = catalog.requirements.pins
        return cls(
            project_root=catalog.project,
            requires_python=catalog.requirements.requires_python,
            python_version=" ".join(pins) if pins else None,
            recommended=catalog.recommended,
            recommended_reason=catalog.recommended_reason,
            interpreters=tuple(catalog.entries),
        )
