"""``venvkeeper create``: a real env from the command line, progress on stderr, errors as exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from venvkeeper.cli import main
from venvkeeper.creation.interpreters import BasePython
from venvkeeper.host import Host

pytestmark = pytest.mark.slow


def test_create_from_the_command_line(
    tmp_path: Path, host: Host, base_python: BasePython, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "cliproj"
    (project / "src").mkdir(parents=True)
    (project / "requirements.txt").write_text("alpha==1.0\n")
    argv = ["create", str(project / "src"), "--backend", "venv", "--python", str(base_python.path)]
    argv += ["--no-index", "--find-links", str(wheelhouse)]
    assert main(argv, host) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"created {project / '.venv'} with the venv backend; Python {base_python.version}")
    assert "installed requirements.txt" in out
    assert "100% done" in err and "installing" in err
    assert any((project / ".venv").glob("lib/python*/site-packages/alpha-1.0.dist-info"))

    # A second create refuses to overwrite; --recreate rebuilds aside and swaps.
    assert main(argv, host) == 1
    assert "already exists; recreate it to replace it" in capsys.readouterr().err
    assert main([*argv, "--recreate"], host) == 0
    assert capsys.readouterr().out.startswith(f"recreated {project / '.venv'}")


def test_failed_install_exit_code_quotes_pip(
    tmp_path: Path, host: Host, base_python: BasePython, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "bad"
    project.mkdir()
    (project / "requirements.txt").write_text("no-such-dist\n")
    argv = ["create", str(project), "--backend", "venv", "--python", str(base_python.path), "--no-index"]
    assert main([*argv, "--find-links", str(wheelhouse)], host) == 1
    err = capsys.readouterr().err
    assert "venvkeeper: pip install failed (exit code 1):" in err and "no-such-dist" in err
    assert sorted(p.name for p in project.iterdir()) == ["requirements.txt"]


def test_not_a_project(tmp_path: Path, host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["create", str(empty)], host) == 2
    assert "is not inside a Python project" in capsys.readouterr().err


def test_create_loads_no_parser_before_the_tool_starts(tmp_path: Path) -> None:
    # `venvkeeper create` starts `uv venv` before it loads the requirement parsers, the lock readers or
    # the App (it reads the plan while the tool runs): each costs tens of ms of a ~0.1 s uv create.
    # A base that is not an interpreter stops the create right before the tool would start.
    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("alpha==1.0\n")
    script = (
        "import sys\n"
        "from venvkeeper.cli import main\n"
        "status = main(['create', sys.argv[1], '--backend', 'venv', '--python', sys.argv[2]])\n"
        "heavy = ('venvkeeper.app', 'venvkeeper.requirements.sources', 'venvkeeper.requirements.locks',\n"
        "         'venvkeeper.requirements.lockcheck', 'packaging.requirements')\n"
        "print(status, sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(project), str(tmp_path / "bin" / "python3")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.strip() == "1 []", proc.stderr
    assert "is not a Python interpreter that can be used as a base" in proc.stderr
