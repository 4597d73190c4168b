"""guard_findings end to end: a project, its real env on a made-up base, a real user site."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.envs import make_venv
from venvkeeper.findings import FILE_START, Span
from venvkeeper.guards.pep668 import read_marker
from venvkeeper.guards.provider import guard_findings
from venvkeeper.guards.sites import global_sites
from venvkeeper.settings import Settings

from .conftest import BASE_XY, context, env_of, fake_prefix, host_for, pip_install_user, venv_on

pytestmark = pytest.mark.slow

DEBIAN_MARKER = """[externally-managed]
Error=To install Python packages system-wide, try apt install
 python3-xyz, where xyz is the package you are trying to
 install.
"""


def test_pep668_marker_is_read_with_its_distro_message(tmp_path: Path) -> None:
    (tmp_path / "EXTERNALLY-MANAGED").write_text(DEBIAN_MARKER)
    marker = read_marker(tmp_path)
    assert marker is not None and marker.error is not None and marker.error.startswith("To install Python")
    (tmp_path / "EXTERNALLY-MANAGED").write_text("garbage without a section")
    assert read_marker(tmp_path) is not None  # presence is what counts (PEP 668)
    assert read_marker(tmp_path / "nowhere") is None


def test_all_guards_on_one_project(tmp_path: Path, wheelhouse: Path) -> None:
    prefix = fake_prefix(tmp_path / "usr")
    (prefix / "lib" / f"python{BASE_XY}" / "EXTERNALLY-MANAGED").write_text(DEBIAN_MARKER)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("requests\ndjango>=4\n")
    env = env_of(venv_on(prefix, proj / ".venv"))
    other = make_venv(tmp_path / "other" / ".venv")
    (tmp_path / "other" / "pyproject.toml").write_text("[project]\nname='o'\n")
    host = host_for(tmp_path, PYTHONUSERBASE=str(tmp_path / "home" / ".local"))
    pip_install_user(tmp_path / "home" / ".local", wheelhouse, ["django"])

    assert any(s.externally_managed for s in global_sites([env], host))
    ctx = context(proj, env, host, Settings(virtual_env=str(other)))
    findings = {f.code: f for f in guard_findings(ctx)}

    assert set(findings) == {"env-no-pip", "externally-managed", "stale-virtual-env", "installed-elsewhere"}
    req_file = proj / "requirements.txt"
    for code in ("env-no-pip", "externally-managed", "stale-virtual-env"):
        assert findings[code].file == req_file and findings[code].span == FILE_START
        assert findings[code].data["project"] == str(proj) and findings[code].data["env"] == str(env.path)
    assert findings["externally-managed"].message == (
        f"Python {BASE_XY} at {prefix} is externally managed (PEP 668): 'pip install' there fails with "
        "error: externally-managed-environment. Install into .venv instead: .venv/bin/python -m pip install …"
    )
    elsewhere = findings["installed-elsewhere"]
    assert elsewhere.span == Span(1, 0, 1, len("django>=4"))
    assert elsewhere.message == (
        f"django is not in .venv but django 4.2.7 is installed in the user site "
        f"(~/.local/lib/python{BASE_XY}/site-packages): it was probably installed without activating .venv"
    )
    assert findings["stale-virtual-env"].message.startswith(
        f"VIRTUAL_ENV={other} (another project's env) does not match this project's env"
    )


def test_pyproject_with_dependencies_is_the_anchor(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    (proj / "requirements-dev.txt").write_text("pytest\n")
    (proj / "pyproject.toml").write_text("[project]\nname = 'p'\ndependencies = ['requests']\n")
    env = env_of(make_venv(proj / ".venv"))
    findings = [f for f in guard_findings(context(proj, env, host_for(tmp_path))) if f.code == "env-no-pip"]
    assert len(findings) == 1 and findings[0].file == proj / "pyproject.toml"
