"""Every parser over file content is linear and total (issue 9, items 8 and 9).

Three kinds of evidence:

* oracles: each rewritten pattern gives exactly what the pattern it replaced gave (pip's own
  ``COMMENT_RE`` and friends), checked by hypothesis on short inputs where the old one is fast;
* fuzzing: requirement files, pyproject.toml, pyvenv.cfg, METADATA, activate scripts, Poetry
  constraints and INI files of random text never let an exception escape, and what comes out is sane
  (spans inside the file, canonical names, TOML errors as diagnostics);
* scale: the shapes that were quadratic, at a megabyte (or the reader's cap), all parse in one child
  process. A quadratic parser needs hours there; the child's time limit is only a safety net so a
  regression fails instead of hanging, never the measured target (figures: docs/PERFORMANCE.md).
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from venvkeeper.discovery.conda import yaml_scalar
from venvkeeper.discovery.pyvenv import PyvenvError, parse_pyvenv_cfg
from venvkeeper.findings import Span
from venvkeeper.guards.health import _activate_virtual_env
from venvkeeper.ini import parse_ini
from venvkeeper.requirements import _toml
from venvkeeper.requirements.installed import _headers
from venvkeeper.requirements.poetry import _SPACE_SPLIT_RE, PoetrySyntaxError, translate_text
from venvkeeper.requirements.pyproject import parse_pyproject
from venvkeeper.requirements.records import ParsedSources
from venvkeeper.requirements.reqfile import (
    _COMMENT_RE,
    MAX_INCLUDE_DEPTH,
    _split_extras,
    parse_requirements_file,
)
from venvkeeper.requirements.tomlpos import value_positions

#: Reproducible in CI: the same examples every run, no example database written into the tree.
FUZZ = settings(
    derandomize=True,
    database=None,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

BLANKS = st.sampled_from([" ", "\t", "\u00a0", "\x0c"])
# Small alphabets that hit every branch of the patterns: blanks, the characters they look for, text.
COMMENT_TEXT = st.text(st.one_of(BLANKS, st.sampled_from(["#", "a", ";", "\\"])), max_size=30)
EXTRAS_TEXT = st.text(st.sampled_from(["[", "]", "a", ",", " ", "."]), max_size=20)
POETRY_TEXT = st.text(
    st.one_of(BLANKS, st.sampled_from(["<", ">", "=", "!", "~", "^", "1", ".", "*", ","])), max_size=30
)


# -- oracles: the linear patterns match what the old ones matched ---------------------------------


@FUZZ
@given(COMMENT_TEXT)
def test_comment_pattern_is_pips(text: str) -> None:
    pip = re.compile(r"(^|\s+)#.*$")  # pip's req_file.COMMENT_RE
    assert _COMMENT_RE.sub("", text) == pip.sub("", text)
    assert bool(_COMMENT_RE.match(text)) == bool(pip.match(text))


@FUZZ
@given(EXTRAS_TEXT)
def test_extras_split_matches_the_old_pattern(link: str) -> None:
    old = re.match(r"^(?P<link>.*?)(?P<extras>\[[^\]]*\])$", link)
    assert _split_extras(link) == ((old.group("link"), old.group("extras")) if old else None)


@FUZZ
@given(POETRY_TEXT)
def test_poetry_space_split_matches_the_old_pattern(text: str) -> None:
    assert _SPACE_SPLIT_RE.split(text) == re.split(r"\s+(?=[<>=!~^])", text)


YAML_TEXT = st.lists(
    st.sampled_from(["name:", "prefix:", "name: ", " ", "\t", "a", "b", "'", '"', "#", "\n", ":"]),
    max_size=30,
).map("".join)


@FUZZ
@given(YAML_TEXT)
def test_yaml_scalar_matches_the_old_pattern(text: str) -> None:
    old = re.search(r"(?m)^name:[ \t]*['\"]?([^'\"#\r\n]+?)['\"]?[ \t]*(?:#.*)?$", text)
    assert yaml_scalar(text, "name") == (old.group(1).strip() if old else None)


ACTIVATE_LINES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                'VIRTUAL_ENV="/p/.venv"',
                "export VIRTUAL_ENV='/q/env'",
                'VIRTUAL_ENV="$(pwd)"',
                'set -gx VIRTUAL_ENV "/f/env"',
                'setenv VIRTUAL_ENV "/c/env"',
                'set "VIRTUAL_ENV=C:\\w\\env"',
                "@set VIRTUAL_ENV=C:\\x env  ",
                "SET VIRTUAL_ENV=%~dp0",
                "deactivate () {",
                "",
            ]
        ),
        st.text(st.sampled_from([" ", "\t", "x", '"', "=", "$"]), max_size=8),
    ),
    max_size=8,
)


@FUZZ
@given(ACTIVATE_LINES, st.lists(st.sampled_from(["", " ", "\t", "  \t"]), min_size=8, max_size=8))
def test_activate_reading_matches_the_old_multiline_search(lines: list[str], indents: list[str]) -> None:
    text = "\n".join(indent + line for indent, line in zip(indents, lines))
    old_patterns = (
        re.compile(r"""^\s*(?:export\s+)?VIRTUAL_ENV=(["'])(?P<p>[^"'$`]+)\1""", re.MULTILINE),
        re.compile(r"""^\s*set\s+-gx\s+VIRTUAL_ENV\s+(["'])(?P<p>[^"'$`]+)\1""", re.MULTILINE),
        re.compile(r"""^\s*setenv\s+VIRTUAL_ENV\s+(["'])(?P<p>[^"'$`]+)\1""", re.MULTILINE),
        re.compile(r"""^\s*@?set\s+"?VIRTUAL_ENV=(?P<p>[^"%\r\n]+)"?\s*$""", re.MULTILINE | re.IGNORECASE),
    )
    expected = next((m.group("p").strip() for rx in old_patterns for m in [rx.search(text)] if m), None)
    assert _activate_virtual_env(text) == expected


def test_ini_keeps_indented_continuations_and_collapses_inner_blanks() -> None:
    text = "[externally-managed]\nError = To install,\n    run   apt   install\n\n    or a venv\n"
    parser = parse_ini(text)
    assert parser.get("externally-managed", "Error") == "To install,\nrun apt install\n\nor a venv"
    reference = configparser.ConfigParser(interpolation=None)
    reference.read_string(text)
    assert reference.get("externally-managed", "Error") == "To install,\nrun   apt   install\n\nor a venv"


# -- fuzzing: no exception escapes, output is sane --------------------------------------------------

REQUIREMENT_TOKENS = st.sampled_from(
    [
        "requests", "Web.Kit", "alpha", ">=1.0", "==2.*", "<3", ",", ";", " ; ", "python_version",
        ">", "'3.8'", "and", "[", "]", "extra", "@", "https://h/x-1.0.whl", "file:///tmp/y", "./pkg",
        "../up", "~/home", "C:\\w", "#egg=name", "-r", "-c", "-e", "--hash=sha256:ab", "--pre",
        "--index-url", "-i", "--frobnicate", "a.txt", "b.txt", "${VAR}", "${UNSET}", "$", "'", '"',
        "#", " # c", "\\", "\\\n", "\n", "\r\n", "\r", " ", "  ", "\t", "\u00a0", "(", ")", "é",
    ]
)  # fmt: skip
REQUIREMENT_FILES = st.lists(REQUIREMENT_TOKENS, max_size=40).map("".join)


def _span_inside(span: Span, lines: list[str]) -> bool:
    if not (0 <= span.line <= span.end_line <= max(len(lines) - 1, 0)):
        return False
    return span.start >= 0 and span.end >= 0 and span.end <= len(lines[span.end_line] if lines else "") + 1


@FUZZ
@given(REQUIREMENT_FILES, REQUIREMENT_FILES, REQUIREMENT_FILES)
def test_requirement_files_of_random_text(tmp_path: Path, top: str, a: str, b: str) -> None:
    files = {"requirements.txt": top, "a.txt": a, "b.txt": b}
    for name, text in files.items():
        (tmp_path / name).write_bytes(text.encode())
    result = parse_requirements_file(tmp_path / "requirements.txt", {"VAR": "alpha"}, tmp_path)
    for record in [*result.requirements, *result.constraints]:
        assert record.name is None or record.name == canonicalize_name(record.name)
        assert _span_inside(record.span, re.split(r"\r\n|\r|\n", files[record.file.name]))
    for finding in result.findings:
        assert finding.code in {"invalid-requirement", "unknown-syntax", "include-missing", "include-cycle"}
        assert _span_inside(finding.span, re.split(r"\r\n|\r|\n", files[finding.file.name]))


TOML_TOKENS = st.sampled_from(
    [
        "[project]", "[tool.poetry.dependencies]", "[dependency-groups]", "[[a]]", "dependencies", "name",
        "dev", "python", "version", "requires-python", "optional-dependencies.x", " = ", "=", "[", "]",
        "{", "}", ",", ".", '"a>=1"', "'b'", '"^1.2"', '"~=3.8"', '{include-group = "dev"}', '"""',
        "'''", '"\\u00e9"', "\\", "#", "1", "1.5", "true", "\n", "\r\n", " ", "\t", "é",
    ]
)  # fmt: skip
TOML_FILES = st.lists(TOML_TOKENS, max_size=60).map("".join)


@FUZZ
@given(TOML_FILES)
def test_pyproject_of_random_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(text.encode())
    result = ParsedSources()
    parse_pyproject(path, result, "all", "all")
    lines = re.split(r"\r\n|\r|\n", text)
    for record in result.requirements:
        assert _span_inside(record.span, lines)
    for finding in result.findings:
        assert _span_inside(finding.span, lines)
    try:
        _toml.loads(text)
    except _toml.TOMLDecodeError:
        pass
    value_positions(text)  # must stop quietly on anything it does not expect


def _nested(depth: int) -> st.SearchStrategy[str]:
    """A TOML value nested ``depth`` levels of arrays and inline tables, in random order."""
    return st.lists(st.booleans(), min_size=depth, max_size=depth).map(
        lambda kinds: (
            "".join("[" if k else "{a = " for k in kinds)
            + "1"
            + "".join("]" if k else "}" for k in reversed(kinds))
        )
    )


@settings(FUZZ, max_examples=60)
@given(st.integers(min_value=1, max_value=3 * _toml.MAX_DEPTH).flatmap(_nested))
def test_deep_toml_is_a_syntax_error_or_parses(value: str) -> None:
    text = f"x = {value}\n"
    try:
        data = _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        assert "nested more than" in str(exc) and "(at line 1, column" in str(exc)
    else:
        assert "x" in data
    value_positions(text)


def test_deep_toml_in_pyproject_is_one_toml_syntax_finding(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[project]\nname = "deep"\ndependencies = ["a"]\nx = ' + "{b = " * 10_000 + "1" + "}" * 10_000 + "\n"
    )
    result = ParsedSources()
    parse_pyproject(path, result, "all", "all")
    (finding,) = result.findings
    assert finding.code == "toml-syntax" and finding.span.line == 3
    assert "nested more than 100 levels" in finding.message
    headers = tmp_path / "headers" / "pyproject.toml"
    headers.parent.mkdir()
    headers.write_text("".join("[" + ".".join(["t"] * depth) + "]\n" for depth in range(1, 300)))
    result = ParsedSources()
    parse_pyproject(headers, result, "all", "all")
    assert [(f.code, f.span.line) for f in result.findings] == [("toml-syntax", 100)]


def test_include_chain_stops_with_a_finding_on_the_r_line(tmp_path: Path) -> None:
    for i in range(400):
        (tmp_path / f"r{i}.txt").write_text(f"pkg{i}\n-r r{i + 1}.txt\n")
    (tmp_path / "r400.txt").write_text("last\n")
    result = parse_requirements_file(tmp_path / "r0.txt", {}, tmp_path)
    assert len(result.requirements) == MAX_INCLUDE_DEPTH
    (finding,) = result.findings
    assert finding.code == "include-too-deep"
    assert finding.file.name == f"r{MAX_INCLUDE_DEPTH - 1}.txt" and finding.span.line == 1
    assert f"at most {MAX_INCLUDE_DEPTH}" in finding.message


def test_dependency_group_chain_is_read_without_recursion(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    groups = "".join(f'g{i} = ["a{i}", {{include-group = "g{i + 1}"}}]\n' for i in range(3000))
    path.write_text(f'[dependency-groups]\n{groups}g3000 = ["last", {{include-group = "g0"}}]\n')
    result = ParsedSources()
    parse_pyproject(path, result, "all", "all")
    assert len(result.requirements) == 3001
    (cycle,) = result.findings
    assert cycle.code == "include-cycle" and "g0 → g1 → g2 → … 2997 more … → g3000 → g0" in cycle.message


PYVENV_TEXT = st.lists(
    st.sampled_from(
        [
            "home",
            "version",
            "version_info",
            " = ",
            "=",
            "3.12.1.final.0",
            "3.",
            "x",
            "\n",
            " ",
            "#",
            ";",
            "\u00a0",
        ]
    ),
    max_size=30,
).map("".join)


@FUZZ
@given(PYVENV_TEXT)
def test_pyvenv_cfg_of_random_text(text: str) -> None:
    try:
        cfg = parse_pyvenv_cfg(text)
    except PyvenvError:
        return
    assert cfg.version is None or re.fullmatch(r"\d+\.\d+(\.\d+)?", cfg.version)


@FUZZ
@given(
    st.lists(
        st.sampled_from(["Name", "Version", "Requires-Dist", ":", " ", "\t", "x", "\n", "\r\n", "a>=1"]),
        max_size=40,
    ).map("".join)
)
def test_metadata_headers_of_random_text(text: str) -> None:
    headers = _headers(text)
    assert all(
        k == k.lower() and isinstance(v, list) and all(isinstance(s, str) for s in v)
        for k, v in headers.items()
    )


@FUZZ
@given(st.text(max_size=200))
def test_activate_and_ini_and_poetry_of_any_text(text: str) -> None:
    found = _activate_virtual_env(text)
    assert found is None or isinstance(found, str)
    try:
        parse_ini(text)
    except configparser.Error:
        pass
    try:
        translate_text(text)
    except PoetrySyntaxError:
        pass


# -- scale: the quadratic shapes at a megabyte --------------------------------------------------------


def test_pathological_shapes_parse_in_linear_time(tmp_path: Path) -> None:
    """Each shape of ``support.pathological`` through the real parsers, in a child that can be killed.

    The 300 s limit is a safety net only: the old parsers needed 7-20 s for 50k blanks and would
    need hours at a megabyte; the linear ones take a few seconds for all shapes together.
    """
    tests_dir = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests_dir), os.environ.get("PYTHONPATH", "")])}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "support.pathological", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode()
        started = [line for line in out.splitlines() if line.startswith("start ")]
        pytest.fail(f"a parser did not finish (still in: {started[-1] if started else 'start-up'})")
    assert proc.returncode == 0, proc.stderr
    from support.pathological import SHAPES

    assert proc.stdout.count("\ndone ") + proc.stdout.startswith("done ") == len(SHAPES), proc.stdout
