"""``venvkeeper check`` end to end on real projects and real venvs: formats, gating, env choice, bad input.

Formats are parsed the way their consumers parse them (GitHub commands by regex, SARIF against the
schema, JUnit with ElementTree); bad input is run as a real process so "one line, exit 2, never a
traceback" is what a shell would see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from support.envs import make_venv, pip_install
from support.wheelhouse import Dist, build_wheelhouse
from venvkeeper import codes
from venvkeeper.cli import main, user_virtual_env
from venvkeeper.host import Host
from venvkeeper.report import FORMATS

from .test_report import parse_github, sarif_validator, validate_sarif

__all__ = ["sarif_validator"]  # the fixture, imported to be shared

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wh"), [Dist("alpha", "1.0"), Dist("beta", "1.0")])


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """``repo/app`` (.venv with alpha; needs alpha and beta), ``repo/app/ci-env`` (alpha and beta),
    ``repo/lib`` (no env), and ``elsewhere/env`` (alpha and beta), all real venvs."""
    root = tmp_path_factory.mktemp("tree")
    app = root / "repo" / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text("alpha==1.0\nbeta>=1\n")
    make_venv(app / ".venv")
    pip_install(app / ".venv", wheelhouse, ["alpha==1.0"])
    make_venv(app / "ci-env")
    pip_install(app / "ci-env", wheelhouse, ["alpha==1.0", "beta==1.0"])
    lib = root / "repo" / "lib"
    lib.mkdir()
    (lib / "pyproject.toml").write_text('[project]\nname = "lib"\nversion = "1"\ndependencies = ["alpha"]\n')
    make_venv(root / "elsewhere" / "env")
    pip_install(root / "elsewhere" / "env", wheelhouse, ["alpha==1.0", "beta==1.0"])
    return root


def host_for(tmp_path: Path, **environ: str) -> Host:
    return Host(
        environ={"PATH": "", **environ},
        state_dir=tmp_path / "state",
        cache_dir=tmp_path / "cache",
        home=tmp_path / "home",
    )


def run(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str, **environ: str
) -> tuple[int, str, str]:
    code = main(["check", *argv], host_for(tmp_path, **environ))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_names_the_env_and_gates_on_the_threshold(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tree / "repo"
    code, out, _ = run(tree, tmp_path, capsys, str(repo), "--select", "not-installed")
    assert code == 0  # a missing package is a warning; the default threshold is error
    assert "app/requirements.txt:2:1: warning [not-installed] beta is not installed in .venv" in out
    assert "  why: .venv in the project" in out
    assert out.splitlines()[-1].startswith("2 project(s), 0 errors, 1 warning")
    code, _, _ = run(
        tree, tmp_path, capsys, str(repo), "--select", "not-installed", "--severity-threshold", "warning"
    )
    assert code == 1


def test_select_and_ignore(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = str(tree / "repo" / "app")
    _, out, _ = run(tree, tmp_path, capsys, app, "--json")
    every = {d["code"] for p in json.loads(out)["projects"] for d in p["diagnostics"]}
    assert {"not-installed", "env-no-pip"} <= every
    _, out, _ = run(
        tree,
        tmp_path,
        capsys,
        app,
        "--output-format",
        "json",
        "--select",
        "env-no-pip,not-installed",
        "--ignore",
        "env-no-pip",
    )
    assert {d["code"] for p in json.loads(out)["projects"] for d in p["diagnostics"]} == {"not-installed"}


def test_env_option_checks_the_given_env(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app, other = tree / "repo" / "app", tree / "elsewhere" / "env"
    code, out, _ = run(
        tree,
        tmp_path,
        capsys,
        str(app),
        "--env",
        str(other / "bin" / "python"),
        "--json",
        "--select",
        "not-installed",
    )
    (proj,) = json.loads(out)["projects"]
    assert proj["interpreter"]["envPath"] == str(other)
    assert proj["interpreter"]["source"] == f"given on the command line (--env {other})"
    assert proj["diagnostics"] == [] and code == 0


def test_env_option_replaces_discovery_even_when_broken(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CI env is what must be checked: a broken one is the finding, never swapped for app/.venv.
    broken = tmp_path / "ci-env"
    broken.mkdir()
    (broken / "pyvenv.cfg").write_text("home = /nonexistent/bin\nversion = 3.11.0\n")
    code, out, _ = run(tree, tmp_path, capsys, str(tree / "repo" / "app"), "--env", str(broken), "--json")
    (proj,) = json.loads(out)["projects"]
    assert proj["interpreter"]["envPath"] == str(broken)
    assert [e["envPath"] for e in proj["environments"]] == [str(broken)]
    assert {d["code"] for d in proj["diagnostics"]} & codes.BROKEN
    assert code == 1


def test_virtual_env_is_used_for_the_project_it_belongs_to(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tree / "repo" / "app"
    _, out, _ = run(tree, tmp_path, capsys, str(tree / "repo"), "--json", VIRTUAL_ENV=str(app / "ci-env"))
    projects = {Path(p["projectRoot"]).name: p for p in json.loads(out)["projects"]}
    # ci-env beats .venv for app (it is activated and lies in app) and satisfies it ...
    assert projects["app"]["interpreter"]["envPath"] == str(app / "ci-env")
    assert projects["app"]["interpreter"]["source"] == f"activated (VIRTUAL_ENV={app / 'ci-env'})"
    assert not [d for d in projects["app"]["diagnostics"] if d["code"] == "not-installed"]
    # ... but it is not lib's env: lib still has none.
    assert projects["lib"]["interpreter"] is None
    # Activated elsewhere: app keeps its .venv.
    _, out, _ = run(tree, tmp_path, capsys, str(app), "--json", VIRTUAL_ENV=str(tree / "elsewhere" / "env"))
    assert json.loads(out)["projects"][0]["interpreter"]["envPath"] == str(app / ".venv")


def test_the_tools_own_env_is_not_the_users_activation(tmp_path: Path) -> None:
    # pre-commit runs hooks with VIRTUAL_ENV set to the hook's env: the one venvkeeper runs from.
    own = make_venv(tmp_path / "hook-env")
    assert user_virtual_env({"VIRTUAL_ENV": str(own)}, own) is None
    assert user_virtual_env({"VIRTUAL_ENV": "/somewhere/else"}, own) == "/somewhere/else"
    assert user_virtual_env({}, own) is None


def test_a_file_path_checks_its_project(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tree / "repo" / "app"
    _, out, _ = run(tree, tmp_path, capsys, str(app / "requirements.txt"), str(app), "--json")
    assert [p["projectRoot"] for p in json.loads(out)["projects"]] == [str(app)]


# -- every format, as a process, parsed ----------------------------------------------------------
def check_process(
    cwd: Path, *argv: str, stdout: int | None = subprocess.PIPE, **environ: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(XDG_STATE_HOME=str(cwd / ".state"), XDG_CACHE_HOME=str(cwd / ".cache"), **environ)
    return subprocess.run(
        [sys.executable, "-m", "venvkeeper", "check", *argv],
        cwd=cwd,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )


def test_each_format_parses(tree: Path, sarif_validator: object) -> None:
    repo = tree / "repo"
    gate = ["--select", "not-installed", "--severity-threshold", "warning"]
    outputs = {fmt: check_process(repo, "--output-format", fmt, *gate) for fmt in FORMATS}
    assert {fmt: p.returncode for fmt, p in outputs.items()} == dict.fromkeys(FORMATS, 1)

    (cmd,) = parse_github(outputs["github"].stdout)
    assert cmd[0] == "warning" and cmd[1]["file"] == "app/requirements.txt" and cmd[1]["line"] == "2"
    assert cmd[1]["title"] == "venvkeeper(not-installed)"

    sarif = validate_sarif(sarif_validator, outputs["sarif"].stdout)
    (result,) = sarif["runs"][0]["results"]  # type: ignore[index]
    assert result["ruleId"] == "not-installed"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/requirements.txt"

    junit = ET.fromstring(outputs["junit"].stdout)
    assert {c.get("name"): c.find("failure") is not None for c in junit.iter("testcase")} == {
        "app": True,
        "lib": False,
    }

    assert json.loads(outputs["json"].stdout)["failing"] == 1
    assert "[not-installed] beta is not installed" in outputs["text"].stdout
    assert all(p.stderr == "" for p in outputs.values())


# -- bad input: one line on stderr, exit 2, never a traceback ------------------------------------
def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_unknown_code_is_a_usage_error(tree: Path) -> None:
    line = one_line_error(check_process(tree / "repo", "--select", "not-instaled"))
    assert (
        line
        == "venvkeeper check: error: unknown diagnostic code 'not-instaled' in --select; did you mean 'not-installed'?"
    )
    line = one_line_error(check_process(tree / "repo", "--ignore", "E501"))
    assert line.startswith(
        "venvkeeper check: error: unknown diagnostic code 'E501' in --ignore; known codes: "
    )


def test_env_that_is_not_an_env(tree: Path) -> None:
    line = one_line_error(check_process(tree / "repo", "--env", str(tree / "repo" / "lib")))
    assert line.startswith(
        f"venvkeeper check: error: --env {tree / 'repo' / 'lib'} is not a virtual environment"
    )


def test_bad_option_and_missing_path(tree: Path) -> None:
    line = one_line_error(check_process(tree / "repo", "--output-format", "xml"))
    assert "invalid choice: 'xml'" in line
    line = one_line_error(check_process(tree / "repo", "no-such-dir"))
    assert line == f"venvkeeper check: error: {tree / 'repo' / 'no-such-dir'} does not exist"


def test_closed_output_pipe(tree: Path) -> None:
    # What `venvkeeper check | head -1` meets once head has exited: a pipe nobody reads.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = check_process(tree / "repo", stdout=write_end)
    finally:
        os.close(write_end)
    assert one_line_error(proc) == "venvkeeper check: error: cannot write to standard output: Broken pipe"


def test_full_disk(tree: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        proc = check_process(tree / "repo", stdout=full.fileno())
    assert (
        one_line_error(proc)
        == "venvkeeper check: error: cannot write to standard output: No space left on device"
    )


def test_internal_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = Host(environ=None, state_dir=tmp_path, cache_dir=tmp_path, home=tmp_path)  # type: ignore[arg-type]
    assert main(["check", str(tmp_path)], broken) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("venvkeeper check: internal error: AttributeError: ")


def test_check_does_not_load_the_language_server(tree: Path) -> None:
    # `venvkeeper check` is a short-lived process (CI, pre-commit): pygls/lsprotocol cost ~0.3 s to import.
    script = (
        "import sys\n"
        "from venvkeeper.cli import main\n"
        "for fmt in ('text', 'json', 'github', 'sarif', 'junit'):\n"
        "    main(['check', sys.argv[1], '--output-format', fmt])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pygls', 'lsprotocol', 'cattrs'}), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tree / "repo")], capture_output=True, text=True, timeout=120
    )
    assert proc.stderr.strip() == "[]"
