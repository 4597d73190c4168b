"""The lock check on real files: frozen locks of the real tools, an env built as site-packages on disk.

Fixtures (tests/unit/requirements/locks/fixtures):
- uv-httpclient/: ``uv lock`` (uv 0.13.9) of a small HTTP-client project in the style of httpie's
  pyproject (requests + click, a ``socks`` extra, ``dev``/``docs`` dependency groups);
- poetry-local/: ``poetry lock`` (Poetry 2.5.1) of a package-mode-false project with path dependencies,
  a ``dev`` group and an optional ``docs`` group;
- pipenv-httpclient/: ``pipenv lock`` (pipenv 2026.10.3) of the same HTTP client as a Pipfile.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from venvkeeper.checks import run_checks
from venvkeeper.discovery.model import Environment
from venvkeeper.findings import Finding
from venvkeeper.requirements import _toml
from venvkeeper.requirements.lockcheck import drift_summary, lock_findings
from venvkeeper.requirements.locks import LockInputs, find_lock, lock_member, read_lock
from venvkeeper.settings import Settings

from ..conftest import MakeCtx, add_dist_info, fake_env

#: `uv sync` installs no extras by default; the requirement check is told the same.
NO_EXTRAS = Settings(extras=())

FIXTURES = Path(__file__).parent / "fixtures"

#: What uv.lock (uv-httpclient) selects for CPython 3.11 on Linux, without extras, group "dev".
UV_LOCKED = {
    "click": "8.5.1",
    "requests": "2.34.2",
    "iniconfig": "2.3.1",
    "certifi": "2026.10.19.post1",
    "charset-normalizer": "3.5.3",
    "idna": "3.20",
    "urllib3": "2.8.0",
}


#: The codes that speak about installed versions (the fake env draws guard findings too).
_ABOUT_VERSIONS = {"lock-drift", "lock-outdated", "not-installed", "version-mismatch"}


def _project(tmp_path: Path, fixture: str) -> Path:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / fixture, project)
    return project


def _env(project: Path, dists: dict[str, str]) -> Environment:
    env = fake_env(project / ".venv", "3.11.7")
    site = project / ".venv" / "lib" / "python3.11" / "site-packages"
    for name, version in dists.items():
        add_dist_info(site, name, version)
    return env


def _codes(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return sorted((f.code, f.file.name, f.span.line) for f in findings)


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines()) if needle in line)


def _entry_line(lock: Path, name: str, version: str) -> int:
    """The ``[[package]]`` header of ``name`` ``version`` (uv.lock may hold several versions: forks)."""
    lines = lock.read_text().splitlines()
    return next(
        i - 1
        for i, line in enumerate(lines)
        if line == f'name = "{name}"' and lines[i + 1] == f'version = "{version}"'
    )


def test_an_env_that_matches_uv_lock_has_no_lock_findings(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = _project(tmp_path, "uv-httpclient")
    env = _env(project, UV_LOCKED)
    assert lock_findings(make_ctx(project, env)) == []


def test_git_pull_bumps_a_direct_pin_drift_is_on_the_pyproject_line_once(
    tmp_path: Path, make_ctx: MakeCtx
) -> None:
    project = _project(tmp_path, "uv-httpclient")
    # requests 2.31.0 satisfies `requests>=2.28`, but the lock pins 2.34.2.
    env = _env(project, {**UV_LOCKED, "requests": "2.31.0"})
    findings = [f for f in run_checks(make_ctx(project, env, NO_EXTRAS)) if f.code in _ABOUT_VERSIONS]
    line = _line_of(project / "pyproject.toml", '"requests>=2.28"')
    assert _codes(findings) == [("lock-drift", "pyproject.toml", line)]
    (drift,) = findings
    assert drift.message == "requests 2.31.0 is installed; uv.lock locks 2.34.2"
    assert drift.data["install"] == "requests==2.34.2"
    assert drift_summary(findings) == "1 package differs from uv.lock"


def test_a_transitive_package_drifts_on_its_lock_entry(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = _project(tmp_path, "uv-httpclient")
    dists = {k: v for k, v in UV_LOCKED.items() if k != "urllib3"}
    dists["idna"] = "3.4"
    env = _env(project, dists)
    findings = lock_findings(make_ctx(project, env))
    lock = project / "uv.lock"
    assert _codes(findings) == sorted(
        [
            ("lock-drift", "uv.lock", _entry_line(lock, "idna", "3.20")),
            ("lock-drift", "uv.lock", _entry_line(lock, "urllib3", "2.8.0")),
        ]
    )
    assert drift_summary(findings) == "2 packages differ from uv.lock"


def test_a_missing_direct_dependency_is_said_once_by_the_requirement_check(
    tmp_path: Path, make_ctx: MakeCtx
) -> None:
    project = _project(tmp_path, "uv-httpclient")
    env = _env(project, {k: v for k, v in UV_LOCKED.items() if k != "click"})
    findings = run_checks(make_ctx(project, env, NO_EXTRAS))
    about_click = [f for f in findings if "click" in f.message and f.code in _ABOUT_VERSIONS]
    assert [f.code for f in about_click] == ["not-installed"]


def test_lock_outdated_on_the_lock_and_the_changed_line(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = _project(tmp_path, "uv-httpclient")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"requests>=2.28"', '"requests>=2.32"'))
    env = _env(project, UV_LOCKED)
    findings = lock_findings(make_ctx(project, env))
    assert _codes(findings) == [
        ("lock-outdated", "pyproject.toml", _line_of(pyproject, '"requests>=2.32"')),
        ("lock-outdated", "uv.lock", 0),
    ]
    assert "uv lock" in findings[0].message


def test_default_groups_decide_which_groups_count(tmp_path: Path) -> None:
    project = _project(tmp_path, "uv-httpclient")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.uv]\ndefault-groups = ["docs"]\n')
    env311 = {"python_full_version": "3.11.7", "python_version": "3.11", "sys_platform": "linux"}
    lock = read_lock(project / "uv.lock", LockInputs(env311, _toml.loads(pyproject.read_text())))
    # "docs" (six) is what `uv sync` installs now, "dev" (iniconfig) is not.
    names = {p.name for p in lock.packages}
    assert "six" in names and "iniconfig" not in names


def test_pipfile_lock_drift_on_the_pipfile_line(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = _project(tmp_path, "pipenv-httpclient")
    env = _env(
        project,
        {
            "certifi": "2026.10.19.post1",
            "charset-normalizer": "3.5.3",
            "click": "8.5.1",
            "idna": "3.20",
            "requests": "2.34.2",
            "urllib3": "2.8.0",
            "iniconfig": "2.0.0",
        },
    )
    findings = lock_findings(make_ctx(project, env))
    assert _codes(findings) == [("lock-drift", "Pipfile", _line_of(project / "Pipfile", "iniconfig ="))]


def test_pipfile_changed_makes_the_lock_outdated(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = _project(tmp_path, "pipenv-httpclient")
    pipfile = project / "Pipfile"
    pipfile.write_text(pipfile.read_text().replace('requests = ">=2.28"', 'requests = ">=2.32"'))
    findings = lock_findings(make_ctx(project, None))
    assert _codes(findings) == [("lock-outdated", "Pipfile.lock", 0)]


def test_poetry_lock_selects_main_and_non_optional_groups(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = _project(tmp_path, "poetry-local")
    pyproject = _toml.loads((project / "pyproject.toml").read_text())
    lock = read_lock(project / "poetry.lock", LockInputs({"sys_platform": "linux"}, pyproject))
    # alpha (main) and beta (dev and the optional docs group); the lock is current.
    assert [(p.name, p.source) for p in lock.packages] == [("alpha", "directory"), ("beta", "directory")]
    assert lock.outdated is None
    # Both are direct dependencies: when missing, the requirement check says so, the lock check not again.
    env = _env(project, {})
    assert lock_findings(make_ctx(project, env)) == []


def test_poetry_optional_group_alone_is_not_selected(tmp_path: Path) -> None:
    project = _project(tmp_path, "poetry-local")
    lock_path = project / "poetry.lock"
    lock_path.write_text(lock_path.read_text().replace('groups = ["dev", "docs"]', 'groups = ["docs"]'))
    pyproject = _toml.loads((project / "pyproject.toml").read_text())
    lock = read_lock(lock_path, LockInputs({"sys_platform": "linux"}, pyproject))
    assert [p.name for p in lock.packages] == ["alpha"]


def test_poetry_lock_outdated_after_a_dependency_edit(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = _project(tmp_path, "poetry-local")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('python = "^3.9"', 'python = "^3.10"'))
    findings = lock_findings(make_ctx(project, None))
    assert _codes(findings) == [("lock-outdated", "poetry.lock", 0)]


# pdm-httpclient/: a pdm.lock in PDM 2.x's layout (lock_version 4.5.0, inherit_metadata) for the same
# HTTP client (requests + click, extra "socks", group "dev"), modelled on pdm-project/pdm's own lock;
# its content_hash is what PDM 2.29.4 computes for the pyproject next to it.
PDM_LOCKED = {
    "certifi": "2024.8.30",
    "charset-normalizer": "3.3.2",
    "click": "8.1.7",
    "idna": "3.10",
    "iniconfig": "2.0.0",
    "requests": "2.32.3",
    "urllib3": "2.2.3",
}


def test_pdm_lock_selects_default_and_dev_groups(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = _project(tmp_path, "pdm-httpclient")
    pyproject = _toml.loads((project / "pyproject.toml").read_text())
    lock = read_lock(project / "pdm.lock", LockInputs({"platform_system": "Linux"}, pyproject))
    # colorama is Windows-only, pysocks only in the "socks" extra group; requests[socks] is no duplicate.
    assert {p.name: p.version for p in lock.packages} == PDM_LOCKED
    assert lock.outdated is None
    env = _env(project, {**PDM_LOCKED, "urllib3": "2.0.0"})
    findings = lock_findings(make_ctx(project, env))
    assert [(f.code, f.span.line, f.message) for f in findings] == [
        (
            "lock-drift",
            _entry_line(project / "pdm.lock", "urllib3", "2.2.3"),
            "urllib3 2.0.0 is installed; pdm.lock locks 2.2.3",
        )
    ]


def test_pdm_lock_outdated_after_a_dependency_edit(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = _project(tmp_path, "pdm-httpclient")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"click>=8.0"', '"click>=8.1"'))
    findings = lock_findings(make_ctx(project, None))
    assert _codes(findings) == [("lock-outdated", "pdm.lock", 0)]


# pylock-httpclient/: `uv export --format pylock.toml --frozen` (uv 0.13.9) of uv-httpclient's lock.
def test_pylock_selects_by_marker(tmp_path: Path, make_ctx: MakeCtx) -> None:
    project = _project(tmp_path, "pylock-httpclient")
    env311 = {"python_full_version": "3.11.7", "python_version": "3.11", "sys_platform": "linux"}
    lock = read_lock(project / "pylock.toml", LockInputs(env311))
    assert {p.name: p.version for p in lock.packages} == {**UV_LOCKED, "httpclient-demo": None}
    env39 = {"python_full_version": "3.9.18", "python_version": "3.9", "sys_platform": "win32"}
    old = {p.name: p.version for p in read_lock(project / "pylock.toml", LockInputs(env39)).packages}
    assert old["click"] == "8.1.8" and old["colorama"] == "0.4.6"
    assert all(p.hashes for p in lock.packages if p.source == "registry")


# uv-workspace/: `uv lock` (uv 0.13.9) of a virtual workspace root with members packages/a (depends on
# b, a workspace source) and packages/b — the layout of uv's own workspace docs.
def test_a_workspace_member_uses_the_root_lock_and_its_own_closure(tmp_path: Path) -> None:
    root = _project(tmp_path, "uv-workspace")
    env = {"python_full_version": "3.11.7", "python_version": "3.11"}
    for member, expected in (("packages/a", ["b"]), ("packages/b", [])):
        project = root / member
        assert find_lock(project) == root / "uv.lock"
        pyproject = _toml.loads((project / "pyproject.toml").read_text())
        lock = read_lock(
            root / "uv.lock", LockInputs(env, pyproject, member=lock_member(project, root / "uv.lock"))
        )
        assert [p.name for p in lock.packages] == expected
        assert lock.outdated is None  # `b = { workspace = true }` is the recorded `editable = "packages/b"`


def test_a_project_outside_any_workspace_has_no_lock(tmp_path: Path) -> None:
    root = _project(tmp_path, "uv-workspace")
    (root / "pyproject.toml").write_text('[project]\nname = "plain"\nversion = "0"\n')
    assert find_lock(root / "packages" / "a") is None


def test_a_dependency_added_to_the_pipfile_gets_lock_outdated_on_its_line(
    tmp_path: Path, make_ctx: MakeCtx
) -> None:
    project = _project(tmp_path, "pipenv-httpclient")
    pipfile = project / "Pipfile"
    pipfile.write_text(pipfile.read_text().replace("[dev-packages]\n", '[dev-packages]\nrich = "*"\n'))
    findings = lock_findings(make_ctx(project, None))
    assert _codes(findings) == [
        ("lock-outdated", "Pipfile", _line_of(pipfile, "rich =")),
        ("lock-outdated", "Pipfile.lock", 0),
    ]


def test_a_missing_transitive_package_is_said_once_by_the_consistency_check(
    tmp_path: Path, make_ctx: MakeCtx
) -> None:
    project = _project(tmp_path, "uv-httpclient")
    env = _env(project, {k: v for k, v in UV_LOCKED.items() if k not in ("requests", "urllib3")})
    site = project / ".venv" / "lib" / "python3.11" / "site-packages"
    add_dist_info(site, "requests", "2.34.2", requires=["urllib3<3,>=1.21.1"])
    findings = [f for f in run_checks(make_ctx(project, env, NO_EXTRAS)) if "urllib3" in f.message]
    assert [f.code for f in findings] == ["dependency-missing"]


def test_a_project_inside_a_workspace_but_not_a_member_selects_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path, "uv-workspace")
    other = root / "tools" / "script"
    other.mkdir(parents=True)
    (other / "pyproject.toml").write_text('[project]\nname = "script"\nversion = "0"\ndependencies = ["b"]\n')
    lock = find_lock(other)
    assert lock == root / "uv.lock"
    inputs = LockInputs({}, None, member=lock_member(other, lock))
    assert read_lock(lock, inputs).packages == []
