"""No secret leaves through a message: ${VAR} shown as written, files outside the project never quoted.

Issue 9 item 4; plus item 7's URI for a non-UTF-8 name and item 5's "EXTERNALLY-MANAGED once per change".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import hostile
from tests.unit.hostile.conftest import SECRET
from venvkeeper.cli import main
from venvkeeper.guards import pep668
from venvkeeper.host import Host
from venvkeeper.lsp.diagnostics import file_uri


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_an_expanded_variable_is_never_echoed(ws: Path, host: Host, capsys, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    project = hostile.secret_include(ws)
    main(["check", *(["--json"] if as_json else []), str(project)], host)
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    assert "included file ${MY_TOKEN} does not exist" in out


def test_a_requirement_line_with_a_variable_is_quoted_as_written(ws: Path, host: Host, capsys) -> None:  # type: ignore[no-untyped-def]
    project = hostile.project(ws, "url-var", "pkg @ https://${MY_TOKEN}@ example.invalid/p.whl extra words\n")
    main(["check", str(project)], host)
    out, err = capsys.readouterr()
    assert SECRET not in out + err and "${MY_TOKEN}" in out


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_missing_url_requirement_names_the_variable_not_its_value(
    ws: Path, host: Host, capsys, as_json: bool
) -> None:  # type: ignore[no-untyped-def]
    lines = "pkg @ https://${MY_TOKEN}@example.invalid/pkg-1.0-py3-none-any.whl\ngit+https://${MY_TOKEN}@git.invalid/b\n"
    project, _env = hostile.project_with_env(ws, "url-env", lines)
    main(["check", *(["--json"] if as_json else []), str(project)], host)
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    assert out.count("https://${MY_TOKEN}@example.invalid/pkg-1.0-py3-none-any.whl") == 1
    assert "git+https://${MY_TOKEN}@git.invalid/b is not installed" in out


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_lines_of_a_file_outside_the_project_are_never_quoted(
    ws: Path, tmp_path: Path, host: Host, capsys, as_json: bool
) -> None:  # type: ignore[no-untyped-def]
    project = hostile.outside_credentials(ws, tmp_path / "home" / ".aws")
    main(["check", *(["--json"] if as_json else []), str(project)], host)
    out, err = capsys.readouterr()
    creds = tmp_path / "home" / ".aws" / "credentials"
    assert "AKIASECRETVALUE123" not in out + err and "aws_secret_access_key" not in out + err
    assert f"line 2 of {creds} is not a requirement venvkeeper can use" in out


def test_a_non_utf8_name_gets_a_percent_encoded_uri() -> None:
    path = Path(os.fsdecode(b"/ws/p/requirements-\xff.txt"))
    assert file_uri(path) == "file:///ws/p/requirements-%FF.txt"
    assert file_uri(Path("/ws/p/requirements é.txt")) == "file:///ws/p/requirements%20%C3%A9.txt"


def test_externally_managed_is_read_once_per_change(tmp_path: Path) -> None:
    marker = tmp_path / pep668.MARKER
    marker.write_text("[externally-managed]\nError = use apt\n")
    first = pep668.read_marker(tmp_path)
    assert first is not None and first.error == "use apt"
    assert all(pep668.read_marker(tmp_path) is first for _ in range(47))  # no re-read: the same answer
    marker.write_text("[externally-managed]\nError = use apt or pipx\n")
    os.utime(marker, ns=(1, 1))  # a change even on file systems with coarse timestamps
    changed = pep668.read_marker(tmp_path)
    assert changed is not first and changed is not None and changed.error == "use apt or pipx"
    marker.unlink()
    assert pep668.read_marker(tmp_path) is None
    hostile.fifo(marker)  # present but a FIFO: still marks the interpreter, never opened for reading
    fifo_answer = pep668.read_marker(tmp_path)
    assert fifo_answer is not None and fifo_answer.error is None
