"""Requirement sources real projects use: setup.cfg, setup.py (never run), requirement files by every
common name and at any depth below requirements/, and which directories are projects at all."""

from __future__ import annotations

from pathlib import Path

from venvkeeper.discovery.projects import find_projects, nearest_project
from venvkeeper.findings import Span
from venvkeeper.host import Host
from venvkeeper.requirements.provider import requirement_findings
from venvkeeper.requirements.sources import main_source, parse_sources, project_sources
from venvkeeper.settings import Settings

from .conftest import MakeCtx, environment, fake_env


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def parse(project: Path, settings: Settings | None = None):  # type: ignore[no-untyped-def]
    return parse_sources(project_sources(project), settings or Settings(), Host(environ={}), project)


# Shaped like httpie's setup.cfg before it moved to pyproject (declarative install_requires with
# markers and comments, extras_require per feature).
HTTPIE_LIKE_SETUP_CFG = """\
[metadata]
name = httpie

[options]
packages = find:
python_requires = >=3.7
install_requires =
    pip
    charset_normalizer>=2.0.0
    # markers work as in requirements files
    defusedxml>=0.6.0
    requests[socks] >=2.22.0
    importlib-metadata>=1.4.0; python_version < "3.8"

[options.extras_require]
dev =
    pytest
    httpie[test]
Test =
    pytest-httpbin>=0.0.6
"""


def test_setup_cfg_install_requires_and_extras(tmp_path: Path) -> None:
    write(tmp_path / "setup.cfg", HTTPIE_LIKE_SETUP_CFG)
    assert project_sources(tmp_path) == [tmp_path / "setup.cfg"]
    result = parse(tmp_path)
    assert result.findings == []
    got = [(r.name, r.span.line, r.origin) for r in result.requirements]
    assert got == [
        ("pip", 7, "setup.cfg install_requires"),
        ("charset-normalizer", 8, "setup.cfg install_requires"),
        ("defusedxml", 10, "setup.cfg install_requires"),
        ("requests", 11, "setup.cfg install_requires"),
        ("importlib-metadata", 12, "setup.cfg install_requires"),
        ("pytest", 16, "setup.cfg extras_require[dev]"),  # "httpie[test]" is the project's own extra
        ("pytest-httpbin", 19, "setup.cfg extras_require[Test]"),
    ]
    assert result.requirements[1].span == Span(8, 4, 8, 29)
    only_test = parse(tmp_path, Settings(extras=("test",)))  # extra names compare normalised
    assert [r.name for r in only_test.requirements][-1] == "pytest-httpbin"
    assert "pytest" not in [r.name for r in only_test.requirements]


def test_setup_cfg_single_line_is_split_on_semicolons_like_setuptools(tmp_path: Path) -> None:
    write(tmp_path / "setup.cfg", "[options]\ninstall_requires = alpha>=1; beta\n")
    assert [r.name for r in parse(tmp_path).requirements] == ["alpha", "beta"]


def test_setup_cfg_file_directive_reads_the_requirements_file(tmp_path: Path) -> None:
    write(tmp_path / "setup.cfg", "[options]\ninstall_requires = file: reqs/base.txt\n")
    write(tmp_path / "reqs" / "base.txt", "alpha\n")
    result = parse(tmp_path)
    assert [(r.name, r.file.name) for r in result.requirements] == [("alpha", "base.txt")]


def test_empty_venv_with_setup_cfg_is_not_ok(tmp_path: Path, make_ctx: MakeCtx) -> None:
    write(tmp_path / "setup.cfg", HTTPIE_LIKE_SETUP_CFG)
    env = fake_env(tmp_path / ".venv")
    codes = {f.code for f in requirement_findings(make_ctx(tmp_path, environment(env.path)))}
    assert codes == {"not-installed"}


# Shaped like a classic setup.py (e.g. older psf/requests): literal lists, never executed.
SETUP_PY_LITERAL = """\
import os
from setuptools import setup

here = os.path.abspath(os.path.dirname(__file__))
setup(
    name="requests",
    install_requires=[
        "charset_normalizer>=2,<4",
        "idna>=2.5,<4",
    ],
    extras_require={
        "security": [],
        "socks": ["PySocks>=1.5.6, !=1.5.7"],
    },
)
"""


def test_setup_py_literal_lists_are_read_with_ast(tmp_path: Path) -> None:
    write(tmp_path / "setup.py", SETUP_PY_LITERAL)
    result = parse(tmp_path)
    assert result.findings == []
    assert [(r.name, r.span) for r in result.requirements] == [
        ("charset-normalizer", Span(7, 8, 7, 34)),
        ("idna", Span(8, 8, 8, 22)),
        ("pysocks", Span(12, 18, 12, 43)),
    ]


def test_setup_py_is_never_run_and_computed_values_say_why(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    write(
        tmp_path / "setup.py",
        "from setuptools import setup\n"
        f"open({str(marker)!r}, 'w').close()\n"
        "REQUIRES = [line.strip() for line in open('requirements.txt')]\n"
        "setup(name='x', install_requires=REQUIRES, extras_require=get_extras())\n",
    )
    result = parse(tmp_path)
    assert not marker.exists()
    assert result.requirements == []
    (finding,) = result.findings
    assert finding.code == "not-evaluated" and finding.span.line == 3
    assert Settings().severity(finding.code) == "information"  # a limit of ours, not a problem of theirs
    assert "never runs it, so install_requires is not checked" in finding.message
    assert "install_requires: it is the variable 'REQUIRES'" in finding.message
    assert "extras_require: it is computed by a function call" in finding.message


def test_setup_py_without_requirements_is_no_source(tmp_path: Path) -> None:
    write(tmp_path / "setup.py", "from setuptools import setup\nsetup(name='x')\n")
    assert project_sources(tmp_path) == []


def test_requirement_file_names_and_requirements_dir_at_any_depth(tmp_path: Path) -> None:
    # Shaped like openstack (test-requirements.txt), pallets (requirements/*.in + .txt) and a
    # Django-cookiecutter tree (requirements/full/requirements.txt).
    for name in (
        "requirements.txt",
        "test-requirements.txt",
        "dev_requirements.txt",
        "requirements_docs.txt",
        "constraints.txt",
        "requirements/base.in",
        "requirements/base.txt",
        "requirements/full/requirements.txt",
        "requirements/ci/py312/lint.txt",
        "notes.txt",
        "requirements/README.md",
    ):
        write(tmp_path / name, "alpha\n")
    names = [p.relative_to(tmp_path).as_posix() for p in project_sources(tmp_path)]
    assert names == [
        "dev_requirements.txt",
        "requirements.txt",
        "requirements_docs.txt",
        "test-requirements.txt",
        "constraints.txt",
        "requirements/base.in",
        "requirements/base.txt",
        "requirements/ci/py312/lint.txt",
        "requirements/full/requirements.txt",
    ]
    result = parse(tmp_path)
    assert [c.file.name for c in result.constraints] == ["constraints.txt"]  # read as a -c file
    assert main_source(tmp_path) == tmp_path / "requirements.txt"


def test_a_requirements_sub_folder_is_never_a_project(tmp_path: Path, make_ctx: MakeCtx) -> None:
    ws = tmp_path / "ws"
    write(ws / "requirements" / "full" / "requirements.txt", "alpha\nbeta\n")
    write(ws / "requirements" / "base.txt", "alpha\n")
    write(ws / "services" / "api" / "test-requirements.txt", "gamma\n")
    assert find_projects(ws) == [ws, ws / "services" / "api"]
    assert nearest_project(ws / "requirements" / "full" / "requirements.txt", [ws]) == ws
    # Its lines are the root project's: reported there, not lost in a project with no env.
    env = fake_env(ws / ".venv")
    flagged = {
        (f.file.relative_to(ws).as_posix(), f.span.line)
        for f in requirement_findings(make_ctx(ws, environment(env.path)))
    }
    assert ("requirements/full/requirements.txt", 1) in flagged


def test_an_editor_buffer_is_a_requirement_source_by_its_name_alone() -> None:
    from pathlib import PurePosixPath

    from venvkeeper.requirements.layout import is_requirement_source_path

    yes = [
        "/p/requirements.txt",
        "/p/dev-requirements.txt",
        "/p/constraints.txt",
        "/p/requirements/ci/lint.in",
    ]
    no = ["/p/README.txt", "/p/notes/pins.txt", "/p/main.py"]
    assert [is_requirement_source_path(PurePosixPath(p)) for p in yes] == [True] * len(yes)
    assert [is_requirement_source_path(PurePosixPath(p)) for p in no] == [False] * len(no)
