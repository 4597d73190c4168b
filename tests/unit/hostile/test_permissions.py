"""Unreadable directories and files are diagnostics, never "0 errors", a traceback or a crash.

Issue 9 item 10. Run in a child process subject to file modes (see conftest: root ignores chmod 000).
"""

from __future__ import annotations

import json
from pathlib import Path

from support import hostile
from tests.unit.hostile.conftest import check_json

#: In-process view of what the daemon computes for every project: findings, the create offer, and
#: whatever a provider logged (a provider that raises is logged and skipped, so a crash shows here).
_APP_SNIPPET = """
import json, sys
from pathlib import Path
from venvkeeper.app import App
from venvkeeper.creation.offer import should_offer_create
from venvkeeper.host import Host
from venvkeeper.settings import Settings
logs = []
app = App(host=Host.from_process(), settings=Settings(), log=logs.append)
app.set_roots([Path(sys.argv[1])])
out = {}
for p in app.projects():
    offer = should_offer_create(p, app.discovery(p), app.settings, app.state, set())
    out[str(p)] = {
        "findings": [[f.code, f.message] for f in app.findings(p)],
        "offer": offer.message if offer else None,
    }
print(json.dumps({"projects": out, "logs": logs}))
"""


def test_an_unreadable_requirements_dir_is_a_diagnostic(ws: Path, unprivileged) -> None:  # type: ignore[no-untyped-def]
    project = hostile.unreadable_requirements_dir(ws)
    (report,), _err = check_json(unprivileged, project)
    (diag,) = report["diagnostics"]
    assert diag["file"] == str(project / "requirements") and diag["severity"] == "error"
    assert diag["message"] == "requirements cannot be read (permission denied)"


def test_which_for_a_file_in_an_unreadable_dir_answers(ws: Path, unprivileged) -> None:  # type: ignore[no-untyped-def]
    project, env = hostile.project_with_env(ws, "inner-000")
    (project / "secret").mkdir()
    (project / "secret").chmod(0)
    proc = unprivileged("which", str(project / "secret" / "x.py"))
    assert "Traceback" not in proc.stderr and proc.returncode == 0
    assert proc.stdout.strip() == str(env / "bin" / "python")


def test_which_with_an_unreadable_venv_says_why(ws: Path, unprivileged) -> None:  # type: ignore[no-untyped-def]
    for build, reason in (
        (hostile.unreadable_venv, ".venv/pyvenv.cfg cannot be read (permission denied)"),
        (hostile.unreadable_venv_bin, "bin/python cannot be read (permission denied)"),
    ):
        project = build(ws)
        proc = unprivileged("which", str(project))
        assert "Traceback" not in proc.stderr and proc.returncode == 1
        assert reason in proc.stderr


def test_unreadable_venv_and_bin_do_not_crash_offer_or_guard_checks(ws: Path, unprivileged) -> None:  # type: ignore[no-untyped-def]
    venv_000 = hostile.unreadable_venv(ws)
    bin_000 = hostile.unreadable_venv_bin(ws)
    req_000 = hostile.unreadable_requirements_dir(ws)
    proc = unprivileged(str(ws), code=_APP_SNIPPET)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    result = json.loads(proc.stdout)
    assert result["logs"] == []  # no provider raised
    projects = result["projects"]
    for project in (venv_000, bin_000):
        codes = [code for code, _ in projects[str(project)]["findings"]]
        assert "env-broken" in codes and "env-no-pip" not in codes, projects[str(project)]
        assert (
            projects[str(project)]["offer"] is None
        )  # it has an env, a broken one: "recreate", not "create"
    assert projects[str(req_000)]["findings"] == [
        ["invalid-requirement", "requirements cannot be read (permission denied)"]
    ]
