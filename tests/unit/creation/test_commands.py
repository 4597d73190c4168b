"""The editor commands' domain half (creation/commands.py): typed arguments to requests and plans,
failure texts and result shapes — no server, no tool run."""

from __future__ import annotations

from pathlib import Path

import pytest

from venvkeeper.creation.commands import (
    CancelledCommand,
    CommandErrorData,
    CreateArgs,
    Installed,
    InstallSelection,
    Job,
    Operation,
    PipAdded,
    Resolution,
    Scope,
    Synced,
    already_compatible,
    cancelled_message,
    create_args,
    create_request,
    failure,
    failure_log,
    install_into_job,
    install_missing_job,
    install_operation,
    lock_sync_for,
    named_plan,
    recreate_operation,
    recreate_request,
    resolve_path,
    sync_job,
    sync_operation,
    sync_plan,
)
from venvkeeper.creation.resolve import Change, LineEdit, Proposal
from venvkeeper.creation.runner import CancelToken, CommandFailed
from venvkeeper.errors import Refused
from venvkeeper.findings import Span
from venvkeeper.host import Host
from venvkeeper.settings import Settings
from venvkeeper.wire import to_wire


def project_with_sources(tmp_path: Path) -> Path:
    project = tmp_path / "app"
    project.mkdir()
    (project / "requirements.txt").write_text("requests==2.31.0\n")
    (project / "requirements-dev.txt").write_text("pytest\n")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\ndependencies = ["httpx"]\n'
        '[project.optional-dependencies]\nfast = ["orjson"]\n'
        '[dependency-groups]\nlint = ["ruff"]\n'
    )
    return project


def test_paths_a_command_names_are_relative_to_the_project() -> None:
    assert resolve_path(Path("/p"), "reqs/dev.txt") == Path("/p/reqs/dev.txt")
    assert resolve_path(Path("/p"), "/elsewhere/env") == Path("/elsewhere/env")


def test_create_without_arguments_follows_the_settings(tmp_path: Path, host: Host) -> None:
    project = project_with_sources(tmp_path)
    settings = Settings(backend="venv", uv_path="/opt/uv")
    request = create_request(project, settings, host, CreateArgs())
    assert (request.env_path, request.python, request.plan) == (None, None, None)  # None: default_plan
    assert (request.backend, request.uv_path) == ("venv", "/opt/uv")
    assert (request.extras, request.groups) == (settings.extras, settings.dependency_groups)


def test_create_installs_exactly_what_install_names(tmp_path: Path, host: Host) -> None:
    project = project_with_sources(tmp_path)
    args = CreateArgs(
        env_path="envs/x", python="3.12", backend="uv", install=InstallSelection(("requirements.txt",))
    )
    request = create_request(project, Settings(), host, args)
    assert request.env_path == project / "envs" / "x" and request.python == "3.12" and request.backend == "uv"
    assert request.plan is not None and request.plan.requirement_files == (project / "requirements.txt",)
    # Extras and groups select from the declared dependencies; the one not named follows the settings.
    lint = create_request(project, Settings(), host, CreateArgs(install=InstallSelection(groups=("lint",))))
    assert lint.plan is not None and set(lint.plan.requirements) == {"httpx", "orjson", "ruff"}
    only = InstallSelection(extras=(), groups=("lint",))
    only_lint = create_request(project, Settings(), host, CreateArgs(install=only))
    assert only_lint.plan is not None and set(only_lint.plan.requirements) == {"httpx", "ruff"}


def test_sync_reads_one_source_or_everything_the_check_expects(tmp_path: Path, host: Host) -> None:
    project = project_with_sources(tmp_path)
    one = sync_plan(project, "requirements-dev.txt", Settings(), host)
    assert (one.requirement_files, one.requirements) == ((project / "requirements-dev.txt",), ())
    everything = sync_plan(project, None, Settings(), host)
    assert {project / "requirements.txt", project / "requirements-dev.txt"} <= set(
        everything.requirement_files
    )
    assert {"httpx", "orjson"} <= set(everything.requirements)  # every extra, the default groups


def test_recreate_and_named_installs() -> None:
    request = recreate_request(Path("/p"), Path("/p/venv"), Settings(backend="uv"))
    assert (request.env_path, request.backend, request.plan) == (Path("/p/venv"), "uv", None)
    plan = named_plan(["a==1", "b"])
    assert (plan.requirements, plan.label) == (("a==1", "b"), "a==1 b")


def test_a_failure_is_one_line_and_the_log_keeps_the_tools_output() -> None:
    exc = CommandFailed("pip install", 1, ["ERROR: No matching distribution found for nopkg==1.0"])
    assert failure("Syncing .venv", exc) == (
        "Syncing .venv failed: No matching distribution found for nopkg==1.0",
        CommandErrorData("No matching distribution found for nopkg==1.0", retry=True),  # a tool failed
    )
    assert failure("Adding pip", OSError("no space"))[1] == CommandErrorData("no space", retry=False)
    assert failure_log("Syncing .venv", exc).splitlines()[1:] == [
        "pip install (exit code 1) said:",
        "  ERROR: No matching distribution found for nopkg==1.0",
    ]
    assert failure_log("Adding pip", OSError("no space")) == "Adding pip failed: no space"


def test_results_have_the_documented_shapes() -> None:
    assert to_wire(Installed(Path("/p/.venv"), ())) == {"envPath": "/p/.venv", "installed": []}
    assert to_wire(PipAdded.of(Path("/p/.venv"), Path("/x/pip-24.0.dist-info"))) == {
        "envPath": "/p/.venv",
        "pip": "24.0",
    }
    assert to_wire(CancelledCommand("Syncing was cancelled")) == {
        "message": "Syncing was cancelled",
        "cancelled": True,
    }
    proposal = Proposal(
        tool="uv",
        edits=(
            LineEdit(
                Path("/p/requirements.txt"), Span(2, 0, 2, 19), "scikit-learn==0.24.1", "scikit-learn==1.3.2"
            ),
        ),
        changes=(Change("scikit-learn", "0.24.1", "1.3.2"),),
        pins=("scikit-learn==1.3.2",),
        relaxed=(),
    )
    assert to_wire(Resolution.of(proposal, applied=True, synced=False)) == {
        "tool": "uv",
        "changes": [str(proposal.changes[0])],
        "edits": [
            {
                "file": "/p/requirements.txt",
                "line": 2,
                "old": "scikit-learn==0.24.1",
                "new": "scikit-learn==1.3.2",
            }
        ],
        "install": ["scikit-learn==1.3.2"],
        "applied": True,
        "synced": False,
    }


def test_an_operation_ends_with_its_summary_and_survives_a_failing_one() -> None:
    ticks = iter([10.0, 12.4])
    op = Operation(
        "Working", lambda progress, cancel: 7, lambda result, seconds: f"{result} in {seconds:.1f} s"
    )
    assert op.run(lambda step: None, CancelToken(), lambda: next(ticks)) == (7, "7 in 2.4 s")

    def broken(result: int, seconds: float) -> str:
        raise KeyError("no")

    assert Operation("Working", lambda progress, cancel: 7, broken).run(
        lambda s: None, CancelToken(), float
    ) == (
        7,
        None,
    )
    assert Operation("Working", lambda progress, cancel: 7).run(lambda s: None, CancelToken(), float) == (
        7,
        None,
    )


def test_operation_titles_name_what_and_where(host: Host) -> None:
    project, env = Path("/p"), Path("/p/.venv")
    settings = Settings()
    assert install_operation(project, env, ["a", "b"], settings, host, missing=False).title == (
        "Installing a b into .venv"
    )
    assert install_operation(project, env, ["a"], settings, host, missing=True).title == (
        "Installing missing requirements into .venv"
    )
    assert (
        sync_operation(project, env, named_plan(["a"]), settings, host, None).title == "Syncing .venv with a"
    )
    assert recreate_operation(project, env, settings, host).title == "Recreating .venv"
    assert cancelled_message("Recreating .venv") == "Recreating .venv was cancelled; nothing was changed"


def test_a_resolution_that_needs_no_edit_says_so() -> None:
    proposal = Proposal(
        tool="uv", edits=(), changes=(Change("numpy", "2.0.0", "1.26.4"),), pins=(), relaxed=()
    )
    text = already_compatible(proposal)
    assert "already allow versions that work together" in text and str(proposal.changes[0]) in text


def test_a_sync_goes_through_the_lock_only_when_it_names_none_or_the_lock(tmp_path: Path, host: Host) -> None:
    project = project_with_sources(tmp_path)
    assert lock_sync_for(project, None, Settings(), host) is None  # no lock: the plain sync
    (project / "poetry.lock").write_text("not a lock at all [")
    sync = lock_sync_for(project, None, Settings(), host)
    assert sync is not None and sync.lock == project / "poetry.lock"
    assert lock_sync_for(project, "poetry.lock", Settings(), host) == sync
    assert lock_sync_for(project, "requirements-dev.txt", Settings(), host) is None
    # A lock that does not parse: a create installs the project's sources instead (as the prompt said).
    assert (
        sync.problem is not None and create_request(project, Settings(), host, CreateArgs()).lock_sync is None
    )


def test_the_create_argument_is_checked_and_an_unknown_backend_is_the_default() -> None:
    args = create_args({"path": "env", "python": "", "backend": "conda", "install": {"groups": ["lint"]}})
    assert args == CreateArgs(env_path="env", install=InstallSelection(groups=("lint",)))
    assert create_args({"backend": "uv"}).backend == "uv"
    with pytest.raises(Refused, match="'install' must be an object"):
        create_args({"install": ["requirements.txt"]})
    with pytest.raises(Refused, match=r"'install\.extras' must be a list of strings"):
        create_args({"install": {"extras": "fast"}})


def test_a_sync_job_answers_what_it_synced_with(tmp_path: Path, host: Host) -> None:
    project = project_with_sources(tmp_path)
    env = project / ".venv"
    plain = sync_job(Scope(project, Settings(), host), env, "requirements-dev.txt")
    assert plain.operation.title == "Syncing .venv with requirements-dev.txt"
    assert plain.answer(None) == Synced(env, "requirements-dev.txt")
    (project / "poetry.lock").write_text("not a lock at all [")
    through_lock = sync_job(Scope(project, Settings(), host), env, None)
    assert through_lock.operation.title.startswith("Syncing .venv with ") and "poetry.lock" in (
        through_lock.operation.title
    )


def test_installs_name_what_they_install_or_answer_at_once(tmp_path: Path, host: Host) -> None:
    project = project_with_sources(tmp_path)
    env = project / ".venv"
    scope = Scope(project, Settings(), host)
    assert install_missing_job(scope, env, None, []) == Installed(env, ())
    named = install_missing_job(scope, env, ("rich",), [])
    assert isinstance(named, Job) and named.answer(None) == Installed(env, ("rich",))
    with pytest.raises(Refused, match="at least one requirement"):
        install_into_job(scope, env, ())
