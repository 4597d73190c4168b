"""What ``venvkeeper check`` prints, in each format CI systems read — pure functions of a :class:`Report`.

The CLI gathers the findings (``cli.py``), this module only renders and gates them, so every format is
unit-tested without a workspace:

* ``text``   — for people: each project, its env, why it was chosen, then ``file:line:col`` findings;
* ``json``   — the same data, machine-readable (the historical ``--json``);
* ``github`` — GitHub Actions workflow commands (``::error file=…,line=…::message``), which annotate the
  pull request's lines;
* ``sarif``  — SARIF 2.1.0 for code-scanning uploads: one rule per diagnostic code, with its help text;
* ``junit``  — JUnit XML, one test case per project (GitLab's ``artifacts:reports:junit``, Jenkins, …).

Exit status (the same for every format): 0 when no finding is at or above the threshold, 1 otherwise;
2 (usage or internal error) is decided by the CLI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Optional
from urllib.parse import quote

from venvkeeper import __version__
from venvkeeper.codes import Code
from venvkeeper.creation.journal import Leftover
from venvkeeper.wire import to_wire

if TYPE_CHECKING:
    # Types only: views.py imports discovery's catalog, which the CLI's parser (FORMATS, THRESHOLDS)
    # does not need (`venvkeeper create` builds it too).
    from venvkeeper.views import EnvironmentCandidate, Interpreter

OutputFormat = Literal["text", "json", "github", "sarif", "junit"]
FORMATS: tuple[OutputFormat, ...] = ("text", "json", "github", "sarif", "junit")

#: A finding's severity once "off" has been filtered out.
Level = Literal["error", "warning", "information", "hint"]
#: The severities ``--severity-threshold`` accepts (hints never gate: they are editor-only nudges).
Threshold = Literal["error", "warning", "information"]
THRESHOLDS: tuple[Threshold, ...] = ("error", "warning", "information")
_RANK: dict[str, int] = {"error": 3, "warning": 2, "information": 1, "hint": 0}

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True)
class Diagnostic:
    """One finding, positions 1-based; ``end_column`` is the column just after the range (exclusive)."""

    file: Path
    line: int
    column: int
    end_line: int
    end_column: int
    severity: Level
    code: str
    message: str
    #: For a dependency conflict between transitive dists: the chain of dists that pulled it in.
    chain: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectResult:
    root: Path
    #: The chosen env and why (views.interpreter_view), None when the project has none.
    interpreter: Optional[Interpreter]
    #: Every candidate env (views.candidates_view), chosen first.
    environments: Sequence[EnvironmentCandidate]
    diagnostics: Sequence[Diagnostic]
    #: The requirement source a new env would install (shown when there is no env).
    main_source: Path
    #: What a killed create left in the project and what recovery did with it (creation/journal.py).
    leftovers: Sequence[Leftover] = ()
    #: The project's lock file, if it has one (requirements/lockcheck.py).
    lock: Optional[Path] = None


@dataclass(frozen=True)
class Report:
    projects: Sequence[ProjectResult]
    threshold: Threshold
    #: Every known code, from codes.CODES (SARIF lists them all: code scanning sees a stable rule set).
    rules: Sequence[Code]
    #: Paths are shown relative to this directory (the path checked in text, the cwd elsewhere).
    base: Path
    #: The user's working directory, for commands suggested in text ("venvkeeper create …").
    cwd: Path


def gates(severity: str, threshold: Threshold) -> bool:
    """Whether a finding of ``severity`` counts against ``threshold`` (is at or above it)."""
    return _RANK.get(severity, 0) >= _RANK[threshold]


def failing(report: Report) -> int:
    return sum(gates(d.severity, report.threshold) for p in report.projects for d in p.diagnostics)


def exit_code(report: Report) -> int:
    """0 clean, 1 findings at or above the threshold."""
    return 1 if failing(report) else 0


def counts(report: Report) -> dict[Level, int]:
    out: dict[Level, int] = {"error": 0, "warning": 0, "information": 0, "hint": 0}
    for p in report.projects:
        for d in p.diagnostics:
            out[d.severity] += 1
    return out


def render(report: Report, fmt: OutputFormat) -> str:
    """The whole output of one ``venvkeeper check`` run in ``fmt``, ending with a newline (or empty)."""
    return _RENDERERS[fmt](report)


def rel(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when inside it (POSIX-style ``.`` for base itself), else as is."""
    try:
        return path.relative_to(base).as_posix() or "."
    except ValueError:
        return str(path)


# -- text ----------------------------------------------------------------------------------------
def render_text(report: Report) -> str:
    base = report.base
    if not report.projects:
        return f"no Python project at or above {base}\n"
    out: list[str] = []
    for p in report.projects:
        out.append(f"{rel(p.root, base)}/")
        interp = p.interpreter
        if interp is None:
            out.append(
                "  environment: none — create one with 'venvkeeper create "
                f"{rel(p.root, report.cwd)}' (or python3 -m venv .venv)"
            )
            out.append(f"  requirements: {rel(p.main_source, p.root)}")
        else:
            state: str = interp.status if interp.state == "ok" else "broken"
            if state == "broken" and interp.problem:
                state = f"broken: {interp.problem}"
            out.append(
                f"  environment: {rel(interp.env_path, p.root)}  Python {interp.version or '?'} "
                f"({interp.kind}, {state})"
            )
            out.append(f"  interpreter: {interp.python}")
            out.append(f"  why: {interp.source}")
        if p.lock is not None:
            detail = interp.status_detail if interp is not None else None
            out.append(f"  lock: {rel(p.lock, p.root)}" + (f" — {detail}" if detail else ""))
        for env in p.environments:
            if env.rejected:
                out.append(f"  not chosen: {rel(env.env_path, p.root)} — {env.rejected}")
        for left in p.leftovers:
            verb = "recovered" if left.resolved else "leftover not removed"
            out.append(f"  {verb}: {rel(left.path, p.root)} — {left.message}")
        for d in p.diagnostics:
            out.append(f"  {rel(d.file, base)}:{d.line}:{d.column}: {d.severity} [{d.code}] {d.message}")
    c = counts(report)
    tally = ", ".join(
        [
            f"{c['error']} error" + ("" if c["error"] == 1 else "s"),
            f"{c['warning']} warning" + ("" if c["warning"] == 1 else "s"),
            f"{c['information']} information",
        ]
    )
    gate = failing(report)
    verdict = f"; {gate} at or above {report.threshold}" if gate else ""
    out.append(f"{len(report.projects)} project(s), {tally}{verdict}")
    return "\n".join(out) + "\n"


# -- json ----------------------------------------------------------------------------------------
def _diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    row: dict[str, Any] = {
        "file": str(d.file),
        "line": d.line,
        "column": d.column,
        "endLine": d.end_line,
        "endColumn": d.end_column,
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
    }
    if d.chain:
        row["chain"] = list(d.chain)
    return row


def render_json(report: Report) -> str:
    c = counts(report)
    data = {
        "projects": [
            {
                "projectRoot": str(p.root),
                "interpreter": to_wire(p.interpreter),
                "environments": to_wire(list(p.environments)),
                "diagnostics": [_diagnostic_json(d) for d in p.diagnostics],
                "lock": str(p.lock) if p.lock is not None else None,
                "leftovers": [
                    {"path": str(n.path), "message": n.message, "removed": n.resolved} for n in p.leftovers
                ],
            }
            for p in report.projects
        ],
        "errors": c["error"],
        "warnings": c["warning"],
        "information": c["information"],
        "threshold": report.threshold,
        "failing": failing(report),
    }
    return json.dumps(data, indent=2) + "\n"


# -- github --------------------------------------------------------------------------------------
# Workflow commands: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
_GITHUB_LEVEL: dict[str, str] = {
    "error": "error",
    "warning": "warning",
    "information": "notice",
    "hint": "notice",
}


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(d: Diagnostic, base: Path) -> str:
    """One ``::error file=…,line=…,col=…,endLine=…,endColumn=…,title=venvkeeper(code)::message`` line."""
    props = [
        f"file={_gh_property(rel(d.file, base))}",
        f"line={d.line}",
        f"col={d.column}",
        f"endLine={d.end_line}",
        f"endColumn={d.end_column}",
        f"title={_gh_property(f'venvkeeper({d.code})')}",
    ]
    return f"::{_GITHUB_LEVEL[d.severity]} {','.join(props)}::{_gh_data(d.message)}"


def render_github(report: Report) -> str:
    lines = [github_command(d, report.base) for p in report.projects for d in p.diagnostics]
    return "".join(line + "\n" for line in lines)


# -- sarif ---------------------------------------------------------------------------------------
_SARIF_LEVEL: dict[str, str] = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}
_SRCROOT = "SRCROOT"


def _uri(path: Path, base: Path) -> tuple[str, Optional[str]]:
    """(uri, uriBaseId): relative to the source root when inside it, else an absolute file URI."""
    try:
        return quote(path.relative_to(base).as_posix()), _SRCROOT
    except ValueError:
        return path.as_uri() if path.is_absolute() else quote(path.as_posix()), None


def render_sarif(report: Report) -> str:
    rules = list(report.rules)
    index = {r.name: i for i, r in enumerate(rules)}
    for p in report.projects:  # a code missing from the table still gets a rule (the contract test
        for d in p.diagnostics:  # keeps that from happening)
            if d.code not in index:
                index[d.code] = len(rules)
                rules.append(Code(d.code, d.severity, "none", (), d.code))
    results = []
    for p in report.projects:
        for d in p.diagnostics:
            uri, base_id = _uri(d.file, report.base)
            artifact: dict[str, Any] = {"uri": uri}
            if base_id:
                artifact["uriBaseId"] = base_id
            results.append(
                {
                    "ruleId": d.code,
                    "ruleIndex": index[d.code],
                    "level": _SARIF_LEVEL[d.severity],
                    "message": {"text": d.message},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": artifact,
                                "region": {
                                    "startLine": d.line,
                                    "startColumn": d.column,
                                    "endLine": d.end_line,
                                    "endColumn": d.end_column,
                                },
                            }
                        }
                    ],
                }
            )
    driver = {
        "name": "venvkeeper",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": [_sarif_rule(r) for r in rules],
    }
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {_SRCROOT: {"uri": report.base.as_uri().rstrip("/") + "/"}},
        "invocations": [{"executionSuccessful": True, "exitCode": exit_code(report)}],
        "results": results,
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def rule_help(code: Code) -> str:
    """The help text of a code, in Markdown (the summary's `code` spans), from its row in codes.py."""
    parts = [f"{code.summary[:1].upper()}{code.summary[1:]}."]
    if code.status != "none":
        parts.append(f"The env counts as {code.status} while this is reported.")
    if code.fixes:
        parts.append(f"Quick fixes in the editor: {', '.join(code.fixes)}.")
    parts.append(
        f"Default severity {code.severity}; change it with the setting venvkeeper.severities, or leave "
        f"the code out with `venvkeeper check --ignore {code.name}`. See docs/PROTOCOL.md, Diagnostic codes."
    )
    return " ".join(parts)


def _sarif_rule(code: Code) -> dict[str, Any]:
    help_md = rule_help(code)
    return {
        "id": code.name,
        "name": _rule_name(code.name),
        "shortDescription": {"text": code.summary.replace("`", "")},
        # The project has no public home page yet, so no helpUri: the help text names the document.
        "help": {"text": help_md.replace("`", ""), "markdown": help_md},
        "defaultConfiguration": {"level": _SARIF_LEVEL.get(code.severity, "none")},
        "properties": {"statusEffect": code.status, "fixes": list(code.fixes)},
    }


def _rule_name(code: str) -> str:
    """SARIF's ``name`` is an identifier-like label: ``not-installed`` → ``NotInstalled``."""
    return "".join(part.capitalize() for part in re.split(r"[-_]", code) if part)


# -- junit ---------------------------------------------------------------------------------------
#: Characters XML 1.0 cannot carry at all (ElementTree would write them and produce unparsable XML).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def render_junit(report: Report) -> str:
    """One <testcase> per project; it fails when a finding is at or above the threshold.

    The failing findings form the <failure> (one per test case, as JUnit readers expect); the others
    go to <system-out>, so nothing is hidden.
    """
    import xml.etree.ElementTree as ET  # here, not at the top: only this format needs it (start-up time)

    suites = ET.Element("testsuites", name="venvkeeper")
    suite = ET.SubElement(suites, "testsuite", name="venvkeeper check")
    failures = 0
    for p in report.projects:
        name = rel(p.root, report.base)
        case = ET.SubElement(
            suite, "testcase", classname="venvkeeper", name=_xml_text(name), file=_xml_text(name)
        )
        gating = [d for d in p.diagnostics if gates(d.severity, report.threshold)]
        others = [d for d in p.diagnostics if d not in gating]
        if gating:
            failures += 1
            noun = "finding" if len(gating) == 1 else "findings"
            first = gating[0]
            failure = ET.SubElement(
                case,
                "failure",
                type=first.code,
                message=_xml_text(f"{len(gating)} {noun} at or above {report.threshold}: {first.message}"),
            )
            failure.text = _xml_text("\n".join(_junit_line(d, report.base) for d in gating))
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text("\n".join(_junit_line(d, report.base) for d in others))
    total = str(len(report.projects))
    for el in (suites, suite):
        el.set("tests", total)
        el.set("failures", str(failures))
        el.set("errors", "0")
    suite.set("skipped", "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _junit_line(d: Diagnostic, base: Path) -> str:
    return f"{rel(d.file, base)}:{d.line}:{d.column}: {d.severity} [{d.code}] {d.message}"


_RENDERERS = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "sarif": render_sarif,
    "junit": render_junit,
}
