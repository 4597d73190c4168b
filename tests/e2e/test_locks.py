"""Lock files over LSP: a `git pull` that rewrites uv.lock re-checks the env and shows lock-drift."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.envs import make_venv, pip_install
from support.offline import APP_PYPROJECT as PYPROJECT
from support.wheelhouse import Dist, build_wheelhouse

pytestmark = pytest.mark.asyncio


def uv_lock(beta: str) -> str:
    """A uv.lock in uv's layout (as `uv lock` writes it, uv 0.13) pinning alpha 1.0 and ``beta``."""
    return f"""\
version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "alpha"
version = "1.0"
source = {{ registry = "https://pypi.org/simple" }}
wheels = [
    {{ url = "https://files.pythonhosted.org/packages/aa/alpha-1.0-py3-none-any.whl", hash = "sha256:{"0" * 64}" }},
]

[[package]]
name = "app"
version = "0.1.0"
source = {{ virtual = "." }}
dependencies = [
    {{ name = "alpha" }},
    {{ name = "beta" }},
]

[package.metadata]
requires-dist = [
    {{ name = "alpha", specifier = ">=1.0" }},
    {{ name = "beta", specifier = ">=1.0" }},
]

[[package]]
name = "beta"
version = "{beta}"
source = {{ registry = "https://pypi.org/simple" }}
wheels = [
    {{ url = "https://files.pythonhosted.org/packages/bb/beta-{beta}-py3-none-any.whl", hash = "sha256:{"1" * 64}" }},
]
"""


def lock_codes(client, *paths: Path) -> dict[tuple[str, int], str]:
    out = {}
    for path in paths:
        for d in client.diagnostics.get(path.as_uri(), []):
            if d.source == "venvkeeper" and str(d.code).startswith("lock-"):
                out[(path.name, d.range.start.line)] = str(d.code)
    return out


async def test_a_git_pull_rewriting_uv_lock_shows_lock_drift(tmp_path, start_server):
    wheelhouse = build_wheelhouse(
        tmp_path / "wh", [Dist("alpha", "1.0"), Dist("beta", "1.0"), Dist("beta", "2.0")]
    )
    proj = tmp_path / "ws" / "app"
    proj.mkdir(parents=True)
    pyproject = proj / "pyproject.toml"
    pyproject.write_text(PYPROJECT)
    lock = proj / "uv.lock"
    lock.write_text(uv_lock("1.0"))
    env = make_venv(proj / ".venv")
    pip_install(env, wheelhouse, ["alpha==1.0", "beta==1.0"])
    s = await start_server([tmp_path / "ws"])
    c = s.client
    view = await s.request("venvkeeper/interpreter", {"uri": proj.as_uri()})
    assert view["status"] == "ok" and lock_codes(c, pyproject, lock) == {}

    # git pull: the new uv.lock is written aside and renamed over the old one.
    pulled = proj / ".git-tmp-uv.lock"
    pulled.write_text(uv_lock("2.0"))
    os.replace(pulled, lock)

    beta_line = PYPROJECT.splitlines().index('    "beta>=1.0",')
    await s.wait_for(lambda: lock_codes(c, pyproject, lock) == {("pyproject.toml", beta_line): "lock-drift"})
    drift = next(d for d in c.diagnostics[pyproject.as_uri()] if d.code == "lock-drift")
    assert drift.message == "beta 1.0 is installed; uv.lock locks 2.0"
    change = await s.wait_env_change(lambda ch: (ch.get("interpreter") or {}).get("status") == "stale")
    assert change["interpreter"]["statusDetail"] == "1 package differs from uv.lock"

    # The user syncs (here: pip installs the locked pin): the drift goes away.
    pip_install(env, wheelhouse, ["beta==2.0"])
    await s.wait_for(lambda: lock_codes(c, pyproject, lock) == {})
