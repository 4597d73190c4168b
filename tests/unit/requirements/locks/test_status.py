"""The status the client shows: a drifted lock makes the env stale and says how many packages differ."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from support.envs import make_venv
from venvkeeper.app import App
from venvkeeper.host import Host
from venvkeeper.settings import Settings

from ..conftest import add_dist_info
from .test_lockcheck import FIXTURES, UV_LOCKED


@pytest.mark.skipif(sys.version_info[:2] < (3, 10), reason="the fixture's lock forks at Python 3.10")
def test_interpreter_view_is_stale_with_the_drift_count(tmp_path: Path, host: Host) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "uv-httpclient", project)
    make_venv(project / ".venv")
    (site,) = (project / ".venv").glob("lib/python3*/site-packages")
    for name, version in {**UV_LOCKED, "requests": "2.31.0", "idna": "3.4"}.items():
        add_dist_info(site, name, version)
    app = App(host=host, settings=Settings(extras=()))
    app.set_roots([tmp_path])
    view = app.interpreter(project)
    assert view is not None
    assert view.status == "stale"
    assert view.status_detail == "2 packages differ from uv.lock"


def test_check_cli_names_the_lock_and_its_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from venvkeeper.cli import main

    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "uv-httpclient", project)
    host = Host(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", home=tmp_path / "home")
    main(["check", str(project)], host)
    assert "  lock: uv.lock\n" in capsys.readouterr().out
    main(["check", "--json", str(project)], host)
    assert json.loads(capsys.readouterr().out)["projects"][0]["lock"] == str(project / "uv.lock")
