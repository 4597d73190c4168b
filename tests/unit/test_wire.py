"""The one converter from typed answers to protocol JSON (venvkeeper/wire.py)."""

from __future__ import annotations

from pathlib import Path

from venvkeeper.guards.activation import Activation
from venvkeeper.views import EnvironmentCandidate, Environments, Interpreter, ProblemCounts
from venvkeeper.wire import camel, to_wire


def interpreter(**changes: object) -> Interpreter:
    fields: dict[str, object] = {
        "python": Path("/p/.venv/bin/python"),
        "env_path": Path("/p/.venv"),
        "version": None,
        "kind": "venv",
        "state": "ok",
        "problem": None,
        "origin": "conventional",
        "source": ".venv in the project",
        "project_root": Path("/p"),
        "status": "ok",
        **changes,
    }
    return Interpreter(**fields)  # type: ignore[arg-type]


def test_camel_case_names() -> None:
    assert [camel(n) for n in ("env_path", "python", "activated_elsewhere")] == [
        "envPath",
        "python",
        "activatedElsewhere",
    ]


def test_optional_fields_are_left_out_while_none_and_required_ones_are_null() -> None:
    wire = to_wire(interpreter())
    assert wire["envPath"] == "/p/.venv" and wire["projectRoot"] == "/p"
    assert wire["version"] is None and wire["problem"] is None  # `T | null`: sent as null
    assert not {"problems", "statusDetail", "activation"} & wire.keys()  # `key?: T`: absent


def test_nested_shapes_keep_their_dict_keys() -> None:
    act = Activation(
        env={"VIRTUAL_ENV": "/p/.venv"}, path_prepend="/p/.venv/bin", scripts={"bash": "source x"}
    )
    wire = to_wire(interpreter(problems=ProblemCounts(1, 2), status_detail="2 differ", activation=act))
    assert wire["problems"] == {"errors": 1, "warnings": 2} and wire["statusDetail"] == "2 differ"
    assert wire["activation"] == {
        "env": {"VIRTUAL_ENV": "/p/.venv"},  # a dict's keys are data, never renamed
        "pathPrepend": "/p/.venv/bin",
        "unset": ["PYTHONHOME"],
        "scripts": {"bash": "source x"},
    }


def test_lists_of_shapes_and_none() -> None:
    cand = EnvironmentCandidate(
        python=Path("/p/venv/bin/python"),
        env_path=Path("/p/venv"),
        version="3.12.1",
        kind="venv",
        state="ok",
        problem=None,
        origin="conventional",
        source="venv in the project",
        chosen=False,
        rejected=".venv comes first",
        activated_elsewhere=False,
    )
    wire = to_wire(Environments(project_root=Path("/p"), environments=(cand,)))
    assert wire["environments"][0]["rejected"] == ".venv comes first"
    assert wire["environments"][0]["activatedElsewhere"] is False
    assert to_wire(Environments(project_root=None)) == {"projectRoot": None, "environments": []}
    assert to_wire(None) is None
