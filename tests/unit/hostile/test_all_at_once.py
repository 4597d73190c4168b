"""Every trap in one workspace next to a normal control project: `venvkeeper check` answers it all.

Issue 9 "Done means". Runs as a separate process subject to file modes (chmod-000 cases count), under
the hang safety net; speed and memory are measured by hand / in bench, never asserted here.
"""

from __future__ import annotations

from pathlib import Path

from support import hostile
from support.hostile import MISSING
from tests.unit.hostile.conftest import SECRET, check_json


def test_check_answers_the_control_project_of_a_fully_hostile_workspace(
    ws: Path, tmp_path: Path, unprivileged
) -> None:  # type: ignore[no-untyped-def]
    control = hostile.build_all(ws, tmp_path / "outside")
    reports, stderr = check_json(unprivileged, ws)
    by_root = {r["projectRoot"]: r for r in reports}

    (control_diag,) = [d for d in by_root[str(control)]["diagnostics"] if d["code"] == "not-installed"]
    assert control_diag["message"].startswith(f"{MISSING} is not installed in .venv")
    assert by_root[str(control)]["interpreter"]["state"] == "ok"

    # Every trap project is listed and answered (none lost because another one failed).
    expected = {str(ws / name) for name in ("req-fifo", "req-zero", "req-sparse", "pyproject-fifo", "non-utf8",
                                           "python-fifo", "pyvenv-zero", "venv-000", "venv-bin-000", "req-dir-000")}  # fmt: skip
    assert expected <= by_root.keys()
    for name in ("python-fifo", "python-zero", "pyvenv-fifo", "pyvenv-zero", "venv-000", "venv-bin-000"):
        assert by_root[str(ws / name)]["interpreter"]["state"] == "broken", name
    for name in ("activate-fifo", "direct-url-fifo", "direct-url-zero", "metadata-fifo", "egg-link-fifo"):
        assert any(d["message"].startswith(MISSING) for d in by_root[str(ws / name)]["diagnostics"]), name

    everything = str(reports) + stderr
    assert SECRET not in everything and "AKIASECRETVALUE123" not in everything
    assert "Traceback" not in stderr


def test_text_check_prints_no_traceback(ws: Path, tmp_path: Path, unprivileged) -> None:  # type: ignore[no-untyped-def]
    hostile.build_all(ws, tmp_path / "outside")
    proc = unprivileged("check", str(ws))
    assert proc.returncode == 1  # errors: the traps' own diagnostics
    assert "Traceback" not in proc.stdout + proc.stderr
    assert f"control/requirements.txt:2:1: warning [not-installed] {MISSING} is not installed" in proc.stdout
