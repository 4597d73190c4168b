"""What gets installed, progress parsing, error quoting, and killing a whole process group."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from venvkeeper.creation.plan import InstallPlan, default_plan
from venvkeeper.creation.runner import Cancelled, CancelToken, CommandFailed, InstallProgress, run_subprocess
from venvkeeper.host import Host
from venvkeeper.settings import Settings


def _plan(project: Path, **settings: Any) -> InstallPlan:
    return default_plan(project, Settings(**settings), Host(environ={}))


def test_pyproject_dependencies_extras_and_groups_as_the_check_reads_them(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["attrs"]\n'
        '[project.optional-dependencies]\nFast_IO = ["orjson"]\ndocs = ["sphinx"]\n'
        '[dependency-groups]\ntest = ["pytest"]\nDev = ["ruff", {include-group = "test"}, "pytest"]\n'
        'loop = [{include-group = "loop"}]\n'
    )
    assert _plan(tmp_path).requirements == ("attrs", "orjson", "sphinx", "ruff", "pytest")
    # Names compare normalised (PEP 685 / PEP 735): "fast-io" selects "Fast_IO", "dev" selects "Dev".
    assert _plan(tmp_path, extras=("fast-io",), dependency_groups=("dev",)).requirements == (
        "attrs", "orjson", "ruff", "pytest",
    )  # fmt: skip
    assert _plan(tmp_path, extras=(), dependency_groups="all").requirements == ("attrs", "pytest", "ruff")
    plan = _plan(tmp_path)
    assert plan.label == "pyproject.toml dependencies" and plan.sources == (tmp_path / "pyproject.toml",)


def test_default_plan_installs_every_source_the_check_reads(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["attrs"]\n')
    (tmp_path / "requirements.txt").write_text("attrs\n")
    (tmp_path / "requirements-dev.txt").write_text("# nothing yet\n")  # declares nothing: not installed
    (tmp_path / "constraints.txt").write_text("attrs<99\n")  # constrains only who includes it
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "ci").mkdir()
    (tmp_path / "requirements" / "ci" / "lint.in").write_text("ruff\n")
    plan = _plan(tmp_path)
    assert plan.requirements == ("attrs",)
    assert plan.requirement_files == (
        tmp_path / "requirements.txt",
        tmp_path / "requirements" / "ci" / "lint.in",
    )
    assert plan.label == "pyproject.toml, requirements.txt, requirements/ci/lint.in"


def test_progress_from_pip_and_uv_output() -> None:
    seen: list[tuple[str, int | None]] = []
    pip = InstallProgress(lambda m, p: seen.append((m, p)))
    for line in [
        "Looking in links: /wh",
        "Collecting alpha==1.0 (from -r req.txt (line 1))",
        "Processing /wh/gamma-1.5-py3-none-any.whl",
        "Installing collected packages: gamma, alpha",
        "Successfully installed alpha-1.0 gamma-1.5",
    ]:
        pip.feed(line)
    assert [m for m, _ in seen] == [
        "resolving: 1 collected (alpha==1.0)",
        "resolving: 2 collected (gamma-1.5-py3-none-any.whl)",
        "installing 2 packages",
        "installed 2/2 packages",
    ]
    seen.clear()
    uv = InstallProgress(lambda m, p: seen.append((m, p)))
    for line in [
        "Resolved 2 packages in 3ms",
        "Prepared 2 packages in 1ms",
        "Installed 2 packages in 2ms",
        " + alpha==1.0",
        " + gamma==1.5",
    ]:
        uv.feed(line)
    assert seen[-2:] == [("installed 1/2 packages", 90), ("installed 2/2 packages", 100)]


def test_failure_quotes_the_last_lines() -> None:
    code = "import sys\nfor i in range(30): print('line', i)\nsys.exit(3)"
    result = run_subprocess([sys.executable, "-c", code])
    assert result.returncode == 3 and len(result.tail) == 20 and result.tail[-1] == "line 29"
    message = str(CommandFailed("pip install", 3, result.tail))
    assert message == "pip install failed (exit code 3): line 29"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="inspects processes through /proc")
def test_cancel_kills_the_whole_process_group() -> None:
    # The tool starts a grandchild (as pip starts build backends) and reports its pid.
    code = (
        "import subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "print(p.pid, flush=True)\n"
        "p.wait()\n"
    )
    cancel = CancelToken()
    pids: list[int] = []

    def on_line(line: str) -> None:
        pids.append(int(line))
        # Cancel from another thread, as the LSP layer does.
        threading.Thread(target=cancel.cancel).start()

    with pytest.raises(Cancelled):
        run_subprocess([sys.executable, "-c", code], on_line=on_line, cancel=cancel)
    status = Path(f"/proc/{pids[0]}/status")
    assert not status.exists() or "Z" in next(
        line for line in status.read_text().splitlines() if line.startswith("State:")
    )


def test_cancelled_token_never_starts_the_tool(tmp_path: Path) -> None:
    cancel = CancelToken()
    cancel.cancel()
    marker = tmp_path / "ran"
    with pytest.raises(Cancelled):
        run_subprocess([sys.executable, "-c", f"open({str(marker)!r}, 'w')"], cancel=cancel)
    assert not marker.exists()
