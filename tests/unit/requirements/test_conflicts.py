"""The env against itself: conflicts placed on the lines the user can act on, and bad metadata survived.

Fixture trees (dist-infos written by hand in a fake env of another Python); pip's agreement with the
verdicts is test_conflicts_oracle.py's job.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from support.envs import make_venv
from venvkeeper.checks import run_checks
from venvkeeper.cli import main
from venvkeeper.findings import Finding
from venvkeeper.host import Host
from venvkeeper.requirements.markers import marker_environment
from venvkeeper.requirements.provider import env_consistency
from venvkeeper.requirements.whatif import what_if_findings

from .conftest import MakeCtx, add_dist_info, environment, fake_env


def _project(tmp_path: Path, requirements: str, version: str = "3.8.10") -> tuple[Path, Path]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(requirements)
    env = fake_env(project / ".venv", version)
    return project, env.site_packages()[0]


def _conflicts(make_ctx: MakeCtx, project: Path, logs: list[str] | None = None) -> list[Finding]:
    ctx = make_ctx(project, environment(project / ".venv"))
    found = run_checks(ctx, (logs if logs is not None else []).append)
    return [f for f in found if f.code.startswith(("dependency-", "python-"))]


def test_the_issue_scenario_is_on_both_lines(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project, site = _project(tmp_path, "numpy==1.24.3\nscikit-learn==0.24.1\n")
    add_dist_info(site, "numpy", "1.24.3")
    add_dist_info(site, "scikit-learn", "0.24.1", requires=["numpy<1.24", "scipy>=0.19 ; extra == 'x'"])
    found = _conflicts(make_ctx, project)
    assert [(f.span.line, f.code, f.message) for f in found] == [
        (0, "dependency-conflict", "numpy 1.24.3 breaks scikit-learn 0.24.1, which requires numpy<1.24"),
        (
            1,
            "dependency-conflict",
            "scikit-learn 0.24.1 needs numpy<1.24, but numpy 1.24.3 is installed (required by line 1)",
        ),
    ]
    assert found[1].data["install"] == "numpy<1.24" and found[1].data["dependency"] == "numpy"


def test_transitive_conflict_names_the_chain_on_the_declared_line(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project, site = _project(tmp_path, "app\nother\n")
    add_dist_info(site, "app", "1.0", requires=["requests>=2"])
    add_dist_info(site, "requests", "2.31.0", requires=["urllib3<3"])
    add_dist_info(site, "other", "1.0", requires=["botocore"])
    add_dist_info(site, "botocore", "1.34.0", requires=["urllib3"])
    add_dist_info(site, "urllib3", "3.0.1")
    [finding] = _conflicts(make_ctx, project)
    assert finding.span.line == 0
    assert finding.message == "app → requests → urllib3<3 ← installed urllib3 3.0.1 (pulled in by botocore)"
    assert finding.data["chain"] == ["app", "requests"]


def test_missing_python_and_undeclared_conflicts(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project, site = _project(tmp_path, "# deps\nalpha\nbeta\n", version="3.8.10")
    add_dist_info(site, "alpha", "1.0", requires=["gone>=1", 'py2-only ; python_version < "3"'])
    (site / "beta-1.0.dist-info").mkdir()
    (site / "beta-1.0.dist-info" / "METADATA").write_text(
        "Name: beta\nVersion: 1.0\nRequires-Python: >=3.9\n"
    )
    add_dist_info(site, "stray", "1.0", requires=["lost"])
    found = _conflicts(make_ctx, project)
    assert [(f.span.line, f.code, f.message) for f in found] == [
        (1, "dependency-missing", "alpha 1.0 needs gone>=1, which is not installed"),
        (2, "python-incompatible", "beta 1.0 requires Python >=3.9, but .venv runs Python 3.8.10"),
        (
            0,
            "dependency-missing",
            ".venv is inconsistent where this project declares nothing: "
            "stray 1.0 requires lost, which is not installed",
        ),
    ]


def test_extras_requested_transitively(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project, site = _project(tmp_path, "outer\nweb.kit[secure]\n")
    add_dist_info(site, "outer", "1.0", requires=["middle[x]"])
    add_dist_info(site, "middle", "1.0", requires=['inner[y] ; extra == "x"'], extras=["x"])
    add_dist_info(site, "inner", "1.0", requires=['base>=2 ; extra == "y"'], extras=["y"])
    add_dist_info(site, "base", "1.0")
    add_dist_info(site, "web.kit", "1.0", requires=['crypto>=2 ; extra == "secure"'], extras=["secure"])
    add_dist_info(site, "crypto", "1.0")
    found = _conflicts(make_ctx, project)
    # web.kit[secure] on its own line is extra-missing's to say (once); the nested extras are ours.
    assert [(f.span.line, f.message) for f in found] == [
        (0, "outer → middle → inner → base>=2 for its 'y' extra ← installed base 1.0")
    ]


def test_bad_metadata_is_skipped_with_a_reason(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project, site = _project(tmp_path, "cyc-a\nselfish\nbroken\nhuge\n")
    add_dist_info(site, "cyc-a", "1.0", requires=["cyc-b>=1"])
    add_dist_info(site, "cyc-b", "1.0", requires=["cyc-a<1"])  # a cycle with a conflict in it
    add_dist_info(site, "selfish", "1.0", requires=["selfish", "selfish>=2"])
    add_dist_info(site, "broken", "1.0", requires=["valid", "not a requirement >=>", "also-valid>=1"])
    add_dist_info(site, "valid", "1.0")
    huge = add_dist_info(site, "huge", "1.0")
    (huge / "METADATA").write_text(
        "Name: huge\nVersion: 1.0\n" + "".join(f"Requires-Dist: dep{i}\n" for i in range(50_000))
    )
    # Two dist-infos for one name: a half-finished upgrade.
    add_dist_info(site, "valid", "2.0")
    logs: list[str] = []
    started = time.monotonic()
    found = _conflicts(make_ctx, project, logs)
    assert time.monotonic() - started < 5  # generous: a hang, not a speed target (see bench/)
    assert sorted((f.span.line, f.message) for f in found) == [
        (0, "cyc-a 1.0 breaks cyc-b 1.0, which requires cyc-a<1 (cyc-b is pulled in by cyc-a → cyc-b)"),
        (1, "selfish 1.0 needs selfish>=2, but selfish 1.0 is installed"),  # said once
        (2, "broken 1.0 needs also-valid>=1, which is not installed"),
    ]
    joined = "\n".join(logs)
    assert "Requires-Dist 'not a requirement >=>' is not a valid requirement" in joined
    assert "huge 1.0 declares 44153 requirements (more than 2000" in joined  # the first MB of it
    assert "valid is installed twice (valid-1.0.dist-info, valid-2.0.dist-info)" in joined
    # Said once: a second check logs nothing new.
    logs.clear()
    _conflicts(make_ctx, project, logs)
    assert not [m for m in logs if "consistency check" in m]


def test_consistent_env_has_no_findings(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project, site = _project(tmp_path, "alpha\n")
    add_dist_info(site, "alpha", "1.0", requires=["Beta_Lib>=2", "gamma ; sys_platform == 'nonexistent'"])
    add_dist_info(site, "beta.lib", "2.1rc1")
    assert _conflicts(make_ctx, project) == []
    assert env_consistency(fake_env(tmp_path / "other"), make_ctx(project, None).host).ok


def test_cli_check_exits_nonzero_and_prints_the_chain(
    tmp_path: Path, host: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("numpy==1.24.3\nscikit-learn==0.24.1\napp\n")
    site = environment(make_venv(project / ".venv")).site_packages()[0]  # a real one: the CLI checks health
    add_dist_info(site, "numpy", "1.24.3")
    add_dist_info(site, "scikit-learn", "0.24.1", requires=["numpy<1.24"])
    add_dist_info(site, "app", "1.0", requires=["requests"])
    add_dist_info(site, "requests", "2.0", requires=["urllib3<3"])
    add_dist_info(site, "urllib3", "3.0.1")
    assert main(["check", str(project)], host) == 1
    out = capsys.readouterr().out
    assert "broken: numpy 1.24.3 breaks scikit-learn 0.24.1, which requires numpy<1.24" in out
    assert "requirements.txt:3:1: error [dependency-conflict] app → requests → urllib3<3 ← installed" in out
    assert main(["check", "--json", str(project)], host) == 1
    report = json.loads(capsys.readouterr().out)
    rows = [r for r in report["projects"][0]["diagnostics"] if r["code"] == "dependency-conflict"]
    assert [(r["line"], r.get("chain")) for r in rows] == [(1, None), (2, None), (3, ["app", "requests"])]
    assert report["projects"][0]["interpreter"]["status"] == "broken"


def test_what_if_on_an_edited_line(tmp_path: Path, host: Host) -> None:
    env = fake_env(tmp_path / ".venv")
    site = env.site_packages()[0]
    add_dist_info(site, "numpy", "1.23.5")
    add_dist_info(site, "scikit-learn", "0.24.1", requires=["numpy<1.24"])
    add_dist_info(site, "pandas", "2.0.0", requires=["numpy>=1.20.3", 'numpy<1.24 ; python_version < "3"'])
    add_dist_info(site, "scipy", "1.10", requires=["numpy<1.27,>=1.19.5"])
    report = env_consistency(env, host)
    environment = marker_environment(env, host)
    buffer = (
        "numpy==1.24.3  # typed, not saved\n"
        "numpy==1.23.5\n"  # what is installed: nothing would change
        "numpy>=1.24\n"  # a range: the version pip picks depends on the index, so nothing is said
        "numpy==1.28 ; sys_platform == 'nonexistent'\n"
        "NumPy===1.28\n"
    )
    found = what_if_findings(tmp_path / "requirements.txt", buffer, report, environment)
    assert [(f.span.line, f.span.start, f.span.end, f.message) for f in found] == [
        (0, 0, 13, "installing numpy 1.24.3 would break scikit-learn 0.24.1 (requires numpy<1.24)"),
        (
            4,
            0,
            12,
            "installing NumPy 1.28 would break scikit-learn 0.24.1 (requires numpy<1.24); "
            "scipy 1.10 (requires numpy<1.27,>=1.19.5)",
        ),
    ]
    assert all(f.code == "would-conflict" for f in found)


def test_an_install_rereads_only_the_dist_infos_it_changed(tmp_path: Path, host: Host) -> None:
    env = fake_env(tmp_path / ".venv")
    site = env.site_packages()[0]
    add_dist_info(site, "numpy", "1.23.5")
    sk = add_dist_info(site, "scikit-learn", "0.24.1", requires=["numpy<1.24"])
    assert env_consistency(env, host).ok
    # An install: numpy replaced (new dist-info), scikit-learn's untouched.
    (site / "numpy-1.23.5.dist-info" / "METADATA").unlink()
    (site / "numpy-1.23.5.dist-info").rmdir()
    add_dist_info(site, "numpy", "1.24.3")
    [conflict] = env_consistency(env, host).conflicts
    assert conflict.message == "scikit-learn 0.24.1 requires numpy<1.24, but numpy 1.24.3 is installed"
    # A reinstall of the same version with other metadata is a new file: it is read again.
    (sk / "METADATA").unlink()
    (sk / "METADATA").write_text("Name: scikit-learn\nVersion: 0.24.1\nRequires-Dist: numpy<2\n")
    (site / "extra-1.0.dist-info").mkdir()  # changes the listing, so dist objects are renewed
    (site / "extra-1.0.dist-info" / "METADATA").write_text("Name: extra\nVersion: 1.0\n")
    assert env_consistency(env, host).ok


def test_pyproject_strings_and_included_files_carry_their_conflicts(
    tmp_path: Path, make_ctx: MakeCtx
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\ndependencies = [\n  "numpy==1.24.3",\n]\n'
    )
    (project / "requirements.txt").write_text("-r requirements/ml.txt\n")
    (project / "requirements").mkdir()
    (project / "requirements" / "ml.txt").write_text("# models\nscikit-learn==0.24.1\n")
    site = fake_env(project / ".venv").site_packages()[0]
    add_dist_info(site, "numpy", "1.24.3")
    add_dist_info(site, "scikit-learn", "0.24.1", requires=["numpy<1.24"])
    found = _conflicts(make_ctx, project)
    assert [(f.file.name, f.span.line, f.span.start, f.span.end, f.message) for f in found] == [
        ("pyproject.toml", 4, 3, 16, "numpy 1.24.3 breaks scikit-learn 0.24.1, which requires numpy<1.24"),
        ("ml.txt", 1, 0, 20, "scikit-learn 0.24.1 needs numpy<1.24, but numpy 1.24.3 is installed "
         "(required by pyproject.toml line 5)"),
    ]  # fmt: skip


def test_what_if_buffers_tags_each_finding_with_its_project_and_env(tmp_path: Path, host: Host) -> None:
    from venvkeeper.requirements.provider import what_if_buffers

    env = fake_env(tmp_path / ".venv")
    site = env.site_packages()[0]
    add_dist_info(site, "numpy", "1.23.5")
    add_dist_info(site, "scikit-learn", "0.24.1", requires=["numpy<1.24"])
    buffers = {
        tmp_path / "requirements.txt": "numpy==1.24.3\n",
        tmp_path / "dev-requirements.txt": "numpy==1.23.5\n",
    }
    [found] = what_if_buffers(tmp_path, env, buffers, host)
    assert (found.file, found.span.line, found.code) == (tmp_path / "requirements.txt", 0, "would-conflict")
    assert (found.data["project"], found.data["env"]) == (str(tmp_path), str(env.path))
