"""Find versions that work together: real uv and real pip resolve against a local wheelhouse.

The env is made inconsistent the way a user does it (``--no-deps`` installs standing for a terminal
``pip install`` that only warned); the proposal is then installed for real and the env judged by
``pip check`` — the oracle — and by our own consistency check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.envs import env_python, make_venv, pip_install
from support.wheelhouse import Dist, build_wheelhouse
from tests.unit.requirements.conftest import environment
from venvkeeper.creation.backends import find_uv
from venvkeeper.creation.create import install_into_env, tool_environment
from venvkeeper.creation.indexes import pip_index_settings, uv_index_options
from venvkeeper.creation.plan import InstallPlan
from venvkeeper.creation.resolve import (
    PipResolver,
    ResolveFailed,
    Resolver,
    UvResolver,
    edited_text,
    find_compatible,
    pip_argv,
    request_for,
)
from venvkeeper.creation.runner import run_subprocess
from venvkeeper.host import Host
from venvkeeper.requirements.provider import env_consistency
from venvkeeper.settings import Settings

UV = find_uv(Host(), None, [Path(sys.executable).parent])


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(
        tmp_path_factory.mktemp("resolve-wh"),
        [
            Dist("numpy", "1.23.5"),
            Dist("numpy", "1.24.3"),
            Dist("numpy", "1.26.0"),
            Dist("scikit-learn", "0.24.1", requires=["numpy<1.24"]),
            Dist("scikit-learn", "1.3.2", requires=["numpy>=1.17.3", "joblib>=1.1"]),
            Dist("scikit-learn", "1.4.0", requires=["numpy>=1.25"]),
            Dist("joblib", "1.3.2"),
            Dist("pandas", "1.5.3", requires=["numpy>=1.21"]),
            Dist("solo", "1.0", requires=["numpy<1.24"]),
        ],
    )


@pytest.fixture
def host(tmp_path: Path) -> Host:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    environ["PIP_CONFIG_FILE"] = os.devnull  # not the machine's pip.conf (pip skips every file then)
    return Host(environ=environ, state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", home=tmp_path)


def _resolvers(env: Path) -> list[Resolver]:
    pip = PipResolver(pip_argv(env_python(env), Path(sys.executable), env_has_pip=False))
    return [pip, *([UvResolver(UV)] if UV is not None else [])]


def _project(tmp_path: Path, wh: Path, requirements: str, installed: list[str]) -> tuple[Path, Path]:
    proj = tmp_path / "app"
    proj.mkdir()
    (proj / "requirements.txt").write_text(requirements)
    env = make_venv(proj / ".venv")
    pip_install(env, wh, installed, "--no-deps")
    return proj, env


def _pip_check(env: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env_python(env)), "check"],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )


def _ask(proj: Path, env: Path, host: Host, wh: Path | None, resolver: Resolver):  # type: ignore[no-untyped-def]
    request = request_for(
        proj,
        environment(env),
        Settings(),
        host,
        index_options=("--no-index", "--find-links", str(wh)) if wh is not None else (),
        tool_env=tool_environment(host, {}),
    )
    return request, find_compatible(request, resolver=resolver, runner=run_subprocess)


@pytest.mark.parametrize("which", ["pip", "uv"])
def test_keeps_the_pinned_dependency_and_upgrades_the_dependent(tmp_path, wh, host, which):
    proj, env = _project(
        tmp_path, wh, "numpy==1.24.3\nscikit-learn==0.24.1\n", ["numpy==1.24.3", "scikit-learn==0.24.1"]
    )
    resolver = next((r for r in _resolvers(env) if r.name == which), None)
    if resolver is None:
        pytest.skip("uv is not installed")
    assert _pip_check(env).returncode != 0
    _request, proposal = _ask(proj, env, host, wh, resolver)
    assert proposal.tool == which
    assert proposal.relaxed == ("scikit-learn",)
    [edit] = proposal.edits
    assert (edit.span.line, edit.old, edit.new) == (1, "scikit-learn==0.24.1", "scikit-learn==1.3.2")
    assert [str(c) for c in proposal.changes] == ["joblib 1.3.2 (new)", "scikit-learn 0.24.1 → 1.3.2"]
    assert reqs_after(proj, proposal) == "numpy==1.24.3\nscikit-learn==1.3.2\n"
    # Installed for real, the proposal is a working set: pip check (the oracle) and ours agree.
    install_into_env(
        env,
        InstallPlan(requirements=proposal.pins, label="proposal"),
        host=host,
        backend_preference="venv",
        index_options=("--no-index", "--find-links", str(wh)),
    )
    assert _pip_check(env).returncode == 0, _pip_check(env).stdout
    assert env_consistency(environment(env), host).ok


def reqs_after(proj: Path, proposal) -> str:  # type: ignore[no-untyped-def]
    reqs = proj / "requirements.txt"
    return edited_text(reqs.read_text(), [e for e in proposal.edits if e.file == reqs])


@pytest.mark.parametrize("which", ["pip", "uv"])
def test_goes_back_on_the_dependency_when_no_dependent_accepts_it(tmp_path, wh, host, which):
    # solo has one version: only numpy can move, and its line gets what solo requires.
    proj, env = _project(tmp_path, wh, "numpy==1.24.3  # fast\nsolo==1.0\n", ["numpy==1.24.3", "solo==1.0"])
    resolver = next((r for r in _resolvers(env) if r.name == which), None)
    if resolver is None:
        pytest.skip("uv is not installed")
    _request, proposal = _ask(proj, env, host, wh, resolver)
    assert proposal.relaxed == ("numpy",)
    assert [(e.old, e.new) for e in proposal.edits] == [("numpy==1.24.3", "numpy<1.24")]
    assert reqs_after(proj, proposal) == "numpy<1.24  # fast\nsolo==1.0\n"
    assert proposal.pins == ("numpy==1.23.5",)


def test_no_working_set_says_why(tmp_path, wh, host):
    # A declared dist the index does not have: no relaxation helps, and the resolver's words are quoted.
    proj, env = _project(
        tmp_path, wh, "numpy>=1.26\nsolo==1.0\nnumpy-missing-dist\n", ["numpy==1.26.0", "solo==1.0"]
    )
    resolver = _resolvers(env)[-1]
    with pytest.raises(ResolveFailed, match="no set of versions"):
        _ask(proj, env, host, wh, resolver)


def test_a_dependency_missing_is_proposed_as_an_install_without_edits(tmp_path, wh, host):
    proj, env = _project(tmp_path, wh, "pandas==1.5.3\n", ["pandas==1.5.3"])
    _request, proposal = _ask(proj, env, host, wh, _resolvers(env)[-1])
    assert proposal.edits == ()
    assert [c.name for c in proposal.changes] == ["numpy"]


def test_index_options_of_the_requirement_file_are_honoured(tmp_path, wh, host):
    """No index given to the tool: the project's own --no-index/--find-links lines (relative) lead to wh."""
    local = tmp_path / "app" / "wheels"
    proj, env = _project(
        tmp_path,
        wh,
        "--no-index\n--find-links wheels\nnumpy==1.24.3\nscikit-learn==0.24.1\n",
        ["numpy==1.24.3", "scikit-learn==0.24.1"],
    )
    local.symlink_to(wh)
    for resolver in _resolvers(env):
        _request, proposal = _ask(proj, env, host, None, resolver)
        assert [e.new for e in proposal.edits] == ["scikit-learn==1.3.2"], resolver.name


@pytest.mark.skipif(UV is None, reason="uv is not installed")
def test_uv_honours_pip_conf(tmp_path, wh, host):
    """uv ignores pip.conf: venvkeeper translates it, unless uv has index settings of its own."""
    proj, env = _project(
        tmp_path, wh, "numpy==1.24.3\nscikit-learn==0.24.1\n", ["numpy==1.24.3", "scikit-learn==0.24.1"]
    )
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nno-index = true\n[install]\nfind-links = {wh}\n")
    pip_host = Host(environ={**host.environ, "PIP_CONFIG_FILE": str(conf)}, home=tmp_path)
    assert pip_index_settings(pip_host, env) == {"no-index": "true", "find-links": str(wh)}
    options = uv_index_options(pip_host, proj, env)
    assert options == ["--no-index", "--find-links", str(wh)]
    assert UV is not None
    _request, proposal = _ask(proj, env, host, None, UvResolver(UV, options))
    assert [e.new for e in proposal.edits] == ["scikit-learn==1.3.2"]
    # The project's [tool.uv] says where packages come from: uv's own settings win, pip.conf is not used.
    (proj / "pyproject.toml").write_text(f'[tool.uv]\nfind-links = ["{wh}"]\nno-index = true\n')
    assert uv_index_options(pip_host, proj, env) == []
    _request, proposal = _ask(proj, env, host, None, UvResolver(UV))
    assert [e.new for e in proposal.edits] == ["scikit-learn==1.3.2"]


def test_pyproject_strings_are_edited_inside_their_quotes(tmp_path, wh, host):
    proj = tmp_path / "app"
    proj.mkdir()
    (proj / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\ndependencies = [\n  "numpy==1.24.3",\n  "scikit-learn==0.24.1 ; python_version >= \'3\'",\n]\n'
    )
    env = make_venv(proj / ".venv")
    pip_install(env, wh, ["numpy==1.24.3", "scikit-learn==0.24.1"], "--no-deps")
    _request, proposal = _ask(proj, env, host, wh, _resolvers(env)[-1])
    [edit] = proposal.edits
    text = edited_text((proj / "pyproject.toml").read_text(), [edit])
    assert "\"scikit-learn==1.3.2 ; python_version >= '3'\"" in text
