"""The satisfaction check and the provider, against env dirs written directly (fast, no installs)."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from packaging.markers import Marker

from venvkeeper.findings import FILE_START, Span
from venvkeeper.host import Host
from venvkeeper.requirements.check import file_digest
from venvkeeper.requirements.markers import marker_applies, marker_environment
from venvkeeper.requirements.provider import missing_requirements, requirement_findings
from venvkeeper.settings import Settings

from .conftest import MakeCtx, add_dist_info, fake_env


def site(env_path: Path) -> Path:
    return next((env_path / "lib").glob("python*/site-packages"))


def test_markers_use_the_envs_python_not_the_daemons(tmp_path: Path) -> None:
    env = fake_env(tmp_path / ".venv", "3.8.10")
    environment = marker_environment(env, Host(environ={}, sys_platform="linux", platform="posix"))
    assert environment["python_version"] == "3.8" and environment["python_full_version"] == "3.8.10"
    assert environment["implementation_name"] == "cpython" and environment["sys_platform"] == "linux"
    assert platform.python_version() != "3.8.10"
    assert marker_applies(Marker('python_version < "3.9"'), environment)
    assert not marker_applies(Marker('python_full_version >= "3.8.11"'), environment)
    assert marker_applies(Marker('extra == "Socks"'), environment, "socks")
    assert not marker_applies(Marker('extra == "socks"'), environment)
    windows = marker_environment(env, Host(environ={}, sys_platform="win32", platform="windows"))
    assert windows["os_name"] == "nt" and windows["platform_system"] == "Windows"


def project_with(tmp_path: Path, requirements: str, version: str = "3.8.10") -> tuple[Path, Path]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(requirements)
    fake_env(project / ".venv", version)
    return project, site(project / ".venv")


def test_verdicts_and_messages(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project, sp = project_with(
        tmp_path,
        "requests>=2.31\n"
        "flask>=3.0\n"
        "beta>=2\n"
        'newpy>=9 ; python_version >= "3.9"\n'
        'oldpy>=1 ; python_version < "3.9"\n'
        "kit[secure,fast]\n"
        "kit[unknown-extra]\n"
        "direct @ https://example.org/direct-1.0.whl\n"
        "poetry-style\n",
    )
    add_dist_info(sp, "Flask", "2.0.1")
    add_dist_info(sp, "beta", "2.1rc1")
    add_dist_info(sp, "oldpy", "0.5")
    add_dist_info(
        sp,
        "kit",
        "1.0",
        requires=['crypto>=1.1 ; extra == "secure"', 'speedup ; extra == "fast"'],
        extras=["secure", "fast"],
    )
    add_dist_info(sp, "crypto", "1.0")
    add_dist_info(sp, "direct", "0.1")
    add_dist_info(sp, "poetry_style", "1.0")
    from .conftest import environment

    ctx = make_ctx(project, environment(project / ".venv"))
    findings = requirement_findings(ctx)
    got = {(f.span.line, f.code) for f in findings}
    assert got == {
        (0, "not-installed"),
        (1, "version-mismatch"),
        (4, "version-mismatch"),
        (5, "extra-missing"),
    }
    by_line = {f.span.line: f for f in findings}
    assert by_line[0].message == (
        "requests is not installed in .venv (Python 3.8.10). "
        "To fix: .venv/bin/python -m pip install 'requests>=2.31'"
    )
    assert by_line[0].span == Span(0, 0, 0, 14)
    assert by_line[1].message.startswith("flask 2.0.1 is installed in .venv but 'flask>=3.0' is required.")
    assert by_line[5].message.startswith(
        "kit is installed in .venv but not everything [fast,secure] needs: "
        "'speedup' for the 'fast' extra is not installed; "
        "'crypto>=1.1' for the 'secure' extra: crypto 1.0 is installed."
    )
    assert by_line[0].data == {
        "project": str(project),
        "env": str(project / ".venv"),
        "requirement": "requests>=2.31",
        "source": str(project / "requirements.txt"),
        "install": "requests>=2.31",
    }
    assert missing_requirements(ctx) == ["requests>=2.31", "flask>=3.0", "oldpy>=1", "kit[fast,secure]"]


def test_requires_python_is_on_its_line(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "p"\nrequires-python = ">=3.9"\ndependencies = []\n'
    )
    from .conftest import environment

    fake_env(project / ".venv", "3.8.10")
    (finding,) = requirement_findings(make_ctx(project, environment(project / ".venv")))
    assert finding.code == "requires-python" and finding.span == Span(2, 19, 2, 24)
    assert "Python 3.8.10, which does not satisfy requires-python '>=3.9'" in finding.message


def test_constraints_only_constrain_what_is_required(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project, sp = project_with(tmp_path, "-c constraints.txt\nalpha\n")
    (project / "constraints.txt").write_text("alpha<2\nnever-required==1.0\n")
    add_dist_info(sp, "alpha", "2.0")
    from .conftest import environment

    ctx = make_ctx(project, environment(project / ".venv"))
    (finding,) = requirement_findings(ctx)
    assert finding.code == "version-mismatch" and finding.span.line == 1
    assert "constraints.txt constrains it to 'alpha<2'" in finding.message
    assert missing_requirements(ctx) == ["alpha<2"]


def test_editable_and_vcs_lines_are_satisfied_by_name(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project, sp = project_with(
        tmp_path, "-e ./mylib\n-e ./unnamed\ngit+https://example.org/v.git#egg=vcs-pkg\n"
    )
    (project / "mylib").mkdir()
    (project / "mylib" / "setup.cfg").write_text("[metadata]\nname = my-lib\n")
    (project / "unnamed").mkdir()
    add_dist_info(sp, "vcs_pkg", "0.0.1")
    from .conftest import environment

    ctx = make_ctx(project, environment(project / ".venv"))
    assert [(f.span.line, f.code) for f in requirement_findings(ctx)] == [
        (0, "not-installed"),
        (1, "not-installed"),
    ]
    assert missing_requirements(ctx) == [f"-e {project / 'mylib'}", f"-e {project / 'unnamed'}"]
    info = add_dist_info(sp, "my_lib", "0.1")
    other = add_dist_info(sp, "whatever", "0.1")
    (other / "direct_url.json").write_text(
        json.dumps({"url": (project / "unnamed").as_uri(), "dir_info": {"editable": True}})
    )
    assert info.is_dir()
    assert requirement_findings(ctx) == []


def test_no_env_gives_only_parse_findings(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "requirements.txt").write_text("missing-everywhere\nbad line!\n")
    findings = requirement_findings(make_ctx(project, None))
    assert [(f.code, f.span.line) for f in findings] == [("invalid-requirement", 1)]
    assert findings[0].data["project"] == str(project)


def test_changed_since_sync(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project, _ = project_with(tmp_path, "")
    req = project / "requirements.txt"
    from .conftest import environment

    ctx = make_ctx(project, environment(project / ".venv"))
    ctx.state.set_sync_record(project, {"env": str(project / ".venv"), str(req): file_digest(req)})
    assert requirement_findings(ctx) == []
    req.write_text("# edited\n")
    (finding,) = requirement_findings(ctx)
    assert finding.code == "changed-since-sync" and finding.file == req and finding.span == FILE_START
    assert "requirements.txt changed since .venv was last synced" in finding.message
    # A record made for another env says nothing about this one.
    ctx.state.set_sync_record(project, {"env": str(tmp_path / "other"), str(req): "0" * 64})
    assert requirement_findings(ctx) == []


def test_extras_setting_and_pyproject_sources(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "p"\ndependencies = ["alpha"]\n'
        '[project.optional-dependencies]\ntest = ["pytest"]\ndocs = ["sphinx"]\n'
        '[dependency-groups]\ndev = ["ruff"]\n'
    )
    fake_env(project / ".venv", "3.11.7")
    add_dist_info(site(project / ".venv"), "alpha", "1")
    from .conftest import environment

    env = environment(project / ".venv")
    ctx = make_ctx(project, env, Settings(extras=("test",), dependency_groups=()))
    assert missing_requirements(ctx) == ["pytest"]
    ctx = make_ctx(project, env)
    assert missing_requirements(ctx) == ["pytest", "sphinx", "ruff"]


def test_garbage_everywhere_gives_findings_not_exceptions(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = tmp_path / "p"
    (project / "requirements").mkdir(parents=True)
    (project / "pyproject.toml").write_bytes(b"\x00\x01binary\xff")
    (project / "requirements.txt").write_bytes(
        b"alpha\n-r requirements/huge.txt\n-r requirements/cycle.txt\n\\\n"
    )
    with (project / "requirements" / "huge.txt").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    (project / "requirements" / "cycle.txt").write_text("-r ../requirements.txt\n-e\n--hash\n[[[\n")
    (project / "dev.in").write_bytes("caf\xe9 ==\n".encode("latin-1"))
    fake_env(project / ".venv", "3.12.1")
    from .conftest import environment

    findings = requirement_findings(make_ctx(project, environment(project / ".venv")))
    got = sorted((f.file.name, f.span.line, f.code) for f in findings)
    assert got == [
        ("cycle.txt", 0, "include-cycle"),
        ("cycle.txt", 1, "invalid-requirement"),
        ("cycle.txt", 2, "invalid-requirement"),
        ("cycle.txt", 3, "invalid-requirement"),
        ("dev.in", 0, "invalid-requirement"),
        ("huge.txt", 0, "invalid-requirement"),
        ("pyproject.toml", 0, "toml-syntax"),
        ("requirements.txt", 0, "not-installed"),
    ]
    assert all(f.data["project"] == str(project) for f in findings)


def test_requirement_files_lists_includes_for_watchers(tmp_path: Path, host: Host) -> None:
    from venvkeeper.requirements.provider import requirement_files

    project = tmp_path / "p"
    (project / "sub").mkdir(parents=True)
    (project / "requirements.txt").write_text("-r sub/base.txt\n-c sub/c.txt\n")
    (project / "sub" / "base.txt").write_text("alpha\n")
    (project / "sub" / "c.txt").write_text("alpha<2\n")
    names = [p.relative_to(project).as_posix() for p in requirement_files(project, Settings(), host)]
    assert names == ["requirements.txt", "sub/base.txt", "sub/c.txt"]


def test_poetry_alternatives_are_checked_and_installable(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\nalpha = "^1.0 || ^3.0"\nbeta = "~2.1"\n'
    )
    sp = next(iter(fake_env(project / ".venv", "3.11.4").site_packages()))
    add_dist_info(sp, "alpha", "3.2")
    add_dist_info(sp, "beta", "2.2.0")
    from .conftest import environment

    ctx = make_ctx(project, environment(project / ".venv"))
    (finding,) = requirement_findings(ctx)
    assert finding.code == "version-mismatch" and finding.span.line == 4
    assert "beta 2.2.0 is installed in .venv but 'beta<2.2,>=2.1' is required" in finding.message
    import shutil

    shutil.rmtree(sp / "alpha-3.2.dist-info")
    add_dist_info(sp, "alpha", "2.0")
    alpha = next(f for f in requirement_findings(ctx) if f.span.line == 3)
    assert (
        "alpha 2.0 is installed in .venv but 'alpha (>=1.0,<2.0 || >=3.0,<4.0)' is required" in alpha.message
    )
    # pip takes one range: the newest alternative.
    assert missing_requirements(ctx) == ["alpha<4.0,>=3.0", "beta<2.2,>=2.1"]
