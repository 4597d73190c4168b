"""Regressions from running the parser against real requirement files: each line pip reads one way and we
read another. pip's own requirement-file parser (the pip installed with the tests) is the oracle for
what a line means; our findings must say the same thing.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.envs import make_venv, pip_install
from venvkeeper.requirements.provider import requirement_findings
from venvkeeper.requirements.reqfile import parse_requirements_file

from .conftest import MakeCtx, add_dist_info, environment, fake_env
from .test_oracle import pip_would_install

_PIP_PARSE = """
import json, sys
from pip._internal.network.session import PipSession
from pip._internal.req.constructors import install_req_from_parsed_requirement
from pip._internal.req.req_file import parse_requirements
out = []
try:
    for parsed in parse_requirements(sys.argv[1], session=PipSession()):
        ireq = install_req_from_parsed_requirement(parsed)
        out.append([ireq.name, ireq.link.url if ireq.link else None,
                    str(ireq.markers) if ireq.markers else None, ireq.editable])
except Exception as exc:
    print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
else:
    print(json.dumps({"requirements": out}))
"""


def pip_reads(path: Path) -> dict[str, object]:
    """What pip's own parser makes of a requirements file: its requirements, or the error it raises."""
    proc = subprocess.run(
        [sys.executable, "-c", _PIP_PARSE, str(path)], capture_output=True, text=True, cwd=path.parent
    )
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_url_then_semicolon_marker_is_split_as_pip_splits_it(tmp_path: Path, make_ctx: MakeCtx) -> None:
    # Shaped like a Windows-only pinned wheel in a real requirements file (pywin32-style, from a
    # project's GitHub release page): no space before ";", one after it.
    url = "https://github.com/example/winonly/releases/download/v1/winonly-1.0-py3-none-any.whl"
    f = write(tmp_path / "requirements.txt", f'{url}; platform_system == "Windows"\nalpha\n')
    (name, link, marker, _), _alpha = pip_reads(f)["requirements"]  # type: ignore[misc]
    assert (name, link, marker) == ("winonly", url, 'platform_system == "Windows"')
    result = parse_requirements_file(f, {}, tmp_path)
    assert result.findings == []
    winonly = result.requirements[0]
    assert winonly.url == url and winonly.name == "winonly"
    assert str(winonly.requirement.marker) == 'platform_system == "Windows"'  # type: ignore[union-attr]
    env = fake_env(tmp_path / ".venv")
    add_dist_info(env.site_packages()[0], "alpha", "1.0")
    found = requirement_findings(make_ctx(tmp_path, environment(env.path)))
    assert found == [] or all(f.span.line != 0 for f in found)  # not false-flagged off Windows


def test_pep508_url_then_semicolon_marker_is_accepted_like_pip(tmp_path: Path) -> None:
    f = write(tmp_path / "r.txt", 'foo @ https://example.com/foo-1.0-py3-none-any.whl; sys_platform == "x"\n')
    ((name, _, marker, _),) = pip_reads(f)["requirements"]  # type: ignore[misc]
    assert (name, marker) == ("foo", 'sys_platform == "x"')
    result = parse_requirements_file(f, {}, tmp_path)
    assert result.findings == []
    assert str(result.requirements[0].requirement.marker) == 'sys_platform == "x"'  # type: ignore[union-attr]


def test_editable_followed_by_a_marker_is_accepted(tmp_path: Path) -> None:
    # Shaped like a monorepo's dev requirements (e.g. apache/airflow-style local providers):
    # "-e ./providers/x ; python_version >= '3.9'". pip takes the editable and ignores what follows.
    write(tmp_path / "editable" / "pyproject.toml", '[project]\nname = "editable"\nversion = "1"\n')
    f = write(tmp_path / "requirements-dev.txt", "-e ./editable ; python_version >= '3.9'\n")
    ((_name, _, marker, editable),) = pip_reads(f)["requirements"]  # type: ignore[misc]
    assert (marker, editable) == (None, True)
    result = parse_requirements_file(f, {}, tmp_path)
    assert result.findings == []
    (record,) = result.requirements
    assert record.editable and record.name == "editable"


@pytest.mark.skipif(
    int(importlib.metadata.version("pip").split(".")[0]) < 24,
    reason="the oracle is pip >= 24, which removed these options (an older pip still accepts them)",
)
@pytest.mark.parametrize("option", ["--global-option", "--install-option"])
def test_removed_pip_options_are_flagged(tmp_path: Path, option: str) -> None:
    # Shaped like an old psycopg2/pycurl pin: "pycurl==7.45 --global-option=--with-openssl".
    f = write(tmp_path / "requirements.txt", f"pycurl==7.45.2 {option}=--with-openssl\nalpha\n")
    assert "no such option" in str(pip_reads(f)["error"])
    result = parse_requirements_file(f, {}, tmp_path)
    (finding,) = result.findings
    assert finding.code == "invalid-requirement" and finding.span.line == 0
    assert f"'{option}' is no longer a pip option" in finding.message


@pytest.mark.parametrize(
    ("fragment", "name"),
    [("egg=mypkg-1.2", "mypkg"), ("egg=mypkg==1.2", "mypkg"), ("egg=my_pkg-2.0.1", "my_pkg")],
)
def test_egg_fragment_with_a_version_is_flagged(tmp_path: Path, fragment: str, name: str) -> None:
    # Shaped like old openstack/*-era VCS pins: "git+https://…/x.git@v1.2#egg=x-1.2".
    f = write(tmp_path / "requirements.txt", f"git+https://github.com/example/mypkg.git@v1.2#{fragment}\n")
    result = parse_requirements_file(f, {}, tmp_path)
    (finding,) = result.findings
    assert finding.code == "invalid-requirement"
    assert f"'#{fragment}' carries a version: pip 25+ rejects it" in finding.message
    assert f"'#egg={name}'" in finding.message
    ok = write(
        tmp_path / "ok.txt",
        "git+https://github.com/example/mypkg.git@v1.2#egg=mypkg\n"
        "git+https://github.com/example/d.git#egg=django-2fa\n",  # a digit in a name is no version
    )
    assert parse_requirements_file(ok, {}, tmp_path).findings == []


@pytest.mark.parametrize("value", ["./editable[test,", "./editable[d"])
def test_broken_editable_extras_name_the_token_pip_reads(tmp_path: Path, value: str) -> None:
    write(tmp_path / "editable" / "pyproject.toml", '[project]\nname = "editable"\nversion = "1"\n')
    line = "-e ./editable[test, dev]" if value.endswith(",") else "-e ./editable[d"
    f = write(tmp_path / "requirements.txt", line + "\n")
    assert f"{value} is not a valid editable requirement" in str(pip_reads(f)["error"])
    (finding,) = parse_requirements_file(f, {}, tmp_path).findings
    assert finding.code == "invalid-requirement"
    assert finding.message.startswith(f"'{value}' is not a valid editable requirement")
    assert "dev]" not in finding.message.split("(")[0]


def test_constraints_file_included_by_two_top_level_files_constrains_both(
    tmp_path: Path, make_ctx: MakeCtx
) -> None:
    # Shaped like pallets/flask's requirements/: several top-level files sharing one -c file.
    project = tmp_path / "project"
    write(project / "requirements" / "tests.txt", "-c constraints.txt\nalpha\n")
    write(project / "requirements" / "typing.txt", "-c constraints.txt\nbeta\n")
    write(project / "requirements" / "constraints.txt", "alpha<2\nbeta==1.5\n")
    env = fake_env(project / ".venv")
    add_dist_info(env.site_packages()[0], "alpha", "2.0")
    add_dist_info(env.site_packages()[0], "beta", "2.1")
    found = sorted(
        (f.file.name, f.code) for f in requirement_findings(make_ctx(project, environment(env.path)))
    )
    assert found == [("tests.txt", "version-mismatch"), ("typing.txt", "version-mismatch")]


def test_conflicting_pin_and_constraint_is_said_plainly_without_an_impossible_fix(
    tmp_path: Path, make_ctx: MakeCtx
) -> None:
    project = tmp_path / "project"
    write(project / "requirements.txt", "-c constraints.txt\nalpha\n")
    write(project / "requirements-dev.txt", "-c constraints.txt\nalpha==2.0\n")
    write(project / "constraints.txt", "alpha==1.0\n")
    env = fake_env(project / ".venv")
    add_dist_info(env.site_packages()[0], "alpha", "1.0")
    (finding,) = requirement_findings(make_ctx(project, environment(env.path)))
    assert finding.file.name == "requirements-dev.txt" and finding.code == "version-mismatch"
    assert "cannot both hold" in finding.message and "'alpha==2.0'" in finding.message
    assert finding.data["install"] == ""  # no "pip install 'alpha==1.0,==2.0'" that can never succeed


@pytest.mark.slow
def test_shared_constraints_agree_with_pip(tmp_path: Path, wheelhouse: Path, make_ctx: MakeCtx) -> None:
    project = tmp_path / "project"
    write(project / "requirements.txt", "-c constraints.txt\nbeta\n")
    write(project / "requirements-dev.txt", "-c constraints.txt\nalpha\n")
    write(project / "constraints.txt", "alpha<2\nbeta<2\n")
    env = make_venv(project / ".venv")
    pip_install(env, wheelhouse, ["alpha==2.0", "beta==1.5"])
    flagged = {f.file.name for f in requirement_findings(make_ctx(project, environment(env)))}
    for name in ("requirements.txt", "requirements-dev.txt"):
        assert pip_would_install(env, wheelhouse, project / name) == (name in flagged), name
    assert flagged == {"requirements-dev.txt"}
