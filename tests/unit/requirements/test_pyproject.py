"""pyproject.toml sources: PEP 621, PEP 735 groups, Poetry — values with exact positions, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from venvkeeper.findings import Span
from venvkeeper.host import Host
from venvkeeper.requirements.poetry import PoetrySyntaxError, python_marker, translate, translate_text
from venvkeeper.requirements.pyproject import parse_pyproject
from venvkeeper.requirements.records import ParsedSources
from venvkeeper.requirements.sources import parse_sources, project_sources
from venvkeeper.settings import Selection, Settings


def parse(
    tmp_path: Path, text: str, extras: Selection = "all", groups: Selection = ("dev",)
) -> ParsedSources:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    result = ParsedSources()
    parse_pyproject(path, result, extras, groups)
    return result


PEP621 = """\
[project]
name = "demo"
requires-python = ">=3.9"
dependencies = [
    "alpha>=1.0",   # trailing comment
    'beta[x] ; python_version < "3.10"',
    "demo[test]",
    \"\"\"gamma\"\"\",
]

[project.optional-dependencies]
test = ["pytest>=8"]
docs = ["sphinx"]
"""


def test_pep621_values_and_positions(tmp_path: Path) -> None:
    result = parse(tmp_path, PEP621)
    assert result.findings == []
    got = [(r.name, r.span, r.origin) for r in result.requirements]
    assert got == [
        ("alpha", Span(4, 5, 4, 15), "project.dependencies"),
        ("beta", Span(5, 5, 5, 38), "project.dependencies"),
        # "demo[test]" is the project's own extra: skipped, its entries count on their own.
        ("gamma", Span(7, 7, 7, 12), "project.dependencies"),
        ("pytest", Span(11, 9, 11, 18), "optional-dependencies[test]"),
        ("sphinx", Span(12, 9, 12, 15), "optional-dependencies[docs]"),
    ]
    (rp,) = result.requires_python
    assert rp.specifier == SpecifierSet(">=3.9") and rp.span == Span(2, 19, 2, 24)


def test_extras_setting_selects_optional_dependencies(tmp_path: Path) -> None:
    result = parse(tmp_path, PEP621, extras=("TEST",))
    assert [r.name for r in result.requirements] == ["alpha", "beta", "gamma", "pytest"]


def test_invalid_entries_are_findings_on_their_string(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        '[project]\nname = "x"\ndependencies = ["ok", "bad ==", 3]\nrequires-python = ">=3.9,<"\n',
    )
    assert [r.name for r in result.requirements] == ["ok"]
    assert [(f.code, f.span) for f in result.findings] == [
        ("invalid-requirement", Span(2, 23, 2, 29)),
        ("invalid-requirement", Span(2, 32, 2, 33)),
        ("invalid-requirement", Span(3, 19, 3, 26)),
    ]


def test_toml_syntax_error_is_positioned(tmp_path: Path) -> None:
    result = parse(tmp_path, '[project]\nname = "x"\ndependencies = ["a",\n  "b" "c"]\n')
    (finding,) = result.findings
    assert finding.code == "toml-syntax"
    assert finding.span.line == 3 and finding.span.start == 6
    assert "not valid TOML" in finding.message


def test_toml_error_at_end_of_document(tmp_path: Path) -> None:
    result = parse(tmp_path, '[project]\ndependencies = ["a",\n')
    (finding,) = result.findings
    assert finding.code == "toml-syntax" and finding.span.line == 1


def test_dependency_groups_with_includes_cycles_and_missing(tmp_path: Path) -> None:
    text = """\
[dependency-groups]
dev = ["ruff", {include-group = "Test"}, {include-group = "nope"}]
test = ["pytest", {include-group = "lint"}]
lint = ["mypy", {include-group = "dev"}]
docs = ["sphinx"]
"""
    result = parse(tmp_path, text, groups=("dev",))
    assert [(r.name, r.origin) for r in result.requirements] == [
        ("ruff", "dependency-groups[dev]"),
        ("pytest", "dependency-groups[test]"),
        ("mypy", "dependency-groups[lint]"),
    ]
    assert [(f.code, f.span.line) for f in result.findings] == [("include-cycle", 3), ("include-missing", 1)]
    assert "dev → test → lint → dev" in result.findings[0].message
    all_groups = parse(tmp_path, text, groups="all")
    # Every group selected: each string still appears once.
    assert sorted(r.name or "" for r in all_groups.requirements) == ["mypy", "pytest", "ruff", "sphinx"]


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^1.2", ">=1.2,<2.0"),
        ("^1", ">=1,<2"),
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0.0", ">=0.0,<0.1"),
        ("^0", ">=0,<1"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1", ">=1,<2"),
        ("*", ""),
        ("1.2.*", "==1.2.*"),
        ("1.2.3", "==1.2.3"),
        ("==1.2.3", "==1.2.3"),
        ("~=1.2", "~=1.2"),
        (">=1.2,<1.5", ">=1.2,<1.5"),
        (">= 1.2, < 1.5", ">=1.2,<1.5"),
        (">= 1.2 < 1.5", ">=1.2,<1.5"),
        ("!=1.1", "!=1.1"),
    ],
)
def test_poetry_constraints_translate_as_documented(poetry: str, pep440: str) -> None:
    assert translate_text(poetry) == [pep440]


def test_poetry_alternatives_and_bad_constraints() -> None:
    assert translate("^1.0 || ^3.0") == (SpecifierSet(">=1.0,<2.0"), SpecifierSet(">=3.0,<4.0"))
    assert python_marker("^3.8") == 'python_full_version >= "3.8" and python_full_version < "4.0"'
    for bad in ("^x", ">=1.*", "banana"):
        with pytest.raises(PoetrySyntaxError):
            translate(bad)


POETRY = """\
[tool.poetry]
name = "demo"

[tool.poetry.dependencies]
python = "^3.8"
alpha = "^1.2"
beta = {version = "~2.1", extras = ["x"], python = "<3.9"}
gamma = {git = "https://example.org/g.git", tag = "v1"}
local = {path = "../local", develop = true}
opt = {version = "*", optional = true}
multi = [{version = "<2", python = "<3.10"}, {version = "^2", python = ">=3.10"}]
odd = {version = "^1", frobnicate = true}
weird = 3
broken = "^banana"

[tool.poetry.extras]
feature = ["opt"]

[tool.poetry.dev-dependencies]
legacy-dev = "*"

[tool.poetry.group.test.dependencies]
pytest = "^8"
"""


def test_poetry_forms(tmp_path: Path) -> None:
    result = parse(tmp_path, POETRY, extras=(), groups=("dev",))
    reqs = {r.name: r for r in result.requirements}
    assert list(reqs) == ["alpha", "beta", "gamma", "local", "multi", "odd", "legacy-dev"]
    assert reqs["alpha"].text == "alpha>=1.2,<2.0" and reqs["alpha"].span == Span(5, 0, 5, 14)
    beta = reqs["beta"].requirement
    assert beta is not None and beta.extras == {"x"} and str(beta.specifier) == "<2.2,>=2.1"
    assert str(beta.marker) == 'python_full_version < "3.9"'
    assert reqs["gamma"].url == "git+https://example.org/g.git@v1"
    assert reqs["local"].editable and reqs["local"].url == str((tmp_path / "../local").resolve())
    (rp,) = result.requires_python
    assert rp.specifier == SpecifierSet(">=3.8,<4.0") and rp.span == Span(4, 10, 4, 14)
    assert [(f.code, f.span.line) for f in result.findings] == [
        ("unknown-syntax", 11),
        ("unknown-syntax", 12),
        ("unknown-syntax", 13),
    ]
    assert "ignores the Poetry key(s) frobnicate" in result.findings[0].message
    assert "'^banana' is not a valid Poetry version constraint" in result.findings[2].message


def test_poetry_multiple_constraints_and_group_and_extra_selection(tmp_path: Path) -> None:
    result = parse(tmp_path, POETRY, extras="all", groups=("test",))
    names = [r.name for r in result.requirements]
    assert names.count("multi") == 2  # one record per python range, the marker picks one for an env
    assert "opt" in names and "pytest" in names and "legacy-dev" not in names


def test_project_sources(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    for name in (
        "requirements.txt",
        "requirements-dev.txt",
        "dev.in",
        "notes.txt",
        "reqs.txt",
        "MANIFEST.in",
        "x.cfg.in",
    ):
        (tmp_path / name).write_text("alpha\n")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "prod.txt").write_text("beta\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "requirements.txt").write_text("nope\n")
    names = [p.relative_to(tmp_path).as_posix() for p in project_sources(tmp_path)]
    # A pyproject that declares no dependencies is not a source.
    assert names == ["requirements-dev.txt", "requirements.txt", "dev.in", "requirements/prod.txt"]
    (tmp_path / "pyproject.toml").write_text("[project\n")
    assert project_sources(tmp_path)[0].name == "pyproject.toml"  # broken TOML: shown, so it counts


def test_included_source_is_parsed_once(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r requirements/base.txt\n")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("alpha\nnot valid!\n")
    result = parse_sources(project_sources(tmp_path), Settings(), Host(environ={}), tmp_path)
    assert [r.name for r in result.requirements] == ["alpha"]
    assert len(result.findings) == 1
