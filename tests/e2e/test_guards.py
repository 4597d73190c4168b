"""Global-install guard over LSP: a real `pip install --user` behind the daemon's back is announced once,
with the right actions; "Install into .venv" really installs; the user-site uninstall removes only the
user-site copy; activation data and a PEP 668 marker reach the client."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from support.envs import make_venv, pip_install
from support.lsp import Prompts, wait_log
from support.offline import pip_offline
from support.wheelhouse import Dist, build_wheelhouse

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

XY = f"{sys.version_info[0]}.{sys.version_info[1]}"
# The real interpreter behind the dev venv (sys._base_executable is the venv's python before 3.11).
BASE_PYTHON = Path(sys.base_prefix) / "bin" / f"python{XY}"
DISTS = [
    Dist("django", "4.2.7", requires=["asgiref>=3.6", "sqlparse>=0.3.1"]),
    Dist("asgiref", "3.7.2"),
    Dist("sqlparse", "0.4.4"),
]


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wh"), DISTS)


def pip_install_user(user_base: Path, wheelhouse: Path, reqs: Sequence[str]) -> None:
    """What a user does in an unactivated terminal: pip install --user (into a tmp user base)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONNOUSERSITE", "PYTHONPATH")}
    env.update(PYTHONUSERBASE=str(user_base), PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    subprocess.run(
        [str(BASE_PYTHON), "-m", "pip", "install", "--user", "--ignore-installed", "--no-index",
         "--find-links", str(wheelhouse), "-q", *reqs],
        check=True, capture_output=True, env=env,
    )  # fmt: skip


def codes(client: Any, path: Path) -> list[str]:
    return [str(d.code) for d in client.diagnostics.get(path.as_uri(), [])]


def setup(tmp_path: Path, wheelhouse: Path) -> tuple[Path, Path, dict[str, str]]:
    ws = tmp_path / "ws"
    app = ws / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text("django\n")
    make_venv(app / ".venv")
    home = tmp_path / "home"
    # Most users already have a user site (any earlier `pip install --user` made it).
    (home / ".local" / "lib" / f"python{XY}" / "site-packages").mkdir(parents=True)
    env = {
        "HOME": str(home),
        "PYTHONUSERBASE": str(home / ".local"),
        **pip_offline(wheelhouse),
    }
    return ws, app, env


async def test_user_install_is_announced_once_and_install_into_venv_works(
    tmp_path: Path, wheelhouse: Path, start_server: Any
) -> None:
    ws, app, env = setup(tmp_path, wheelhouse)
    s = await start_server([ws], {"settings": {"backend": "venv"}}, env)
    prompts = Prompts(s.client, ["Install into .venv"])
    await wait_log(s.client, "global site dirs")

    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pip_install_user, Path(env["PYTHONUSERBASE"]), wheelhouse, ["django"])
    await prompts.wait(1)

    request = prompts.requests[0]
    assert request.type == types.MessageType.Warning
    assert request.message.startswith(
        f"django 4.2.7 (and 2 more: asgiref, sqlparse) was just installed into the user site "
        f"(~/.local/lib/python{XY}/site-packages), not into .venv — the terminal was probably not activated."
    )
    assert [a.title for a in request.actions or []] == [
        "Install into .venv",
        "Uninstall from the user site",
        "Ignore",
    ]
    reqs = app / "requirements.txt"
    # The answer installs django into .venv for real; the diagnostics then clear.
    site = app / ".venv" / "lib" / f"python{XY}" / "site-packages"
    await s.wait_for(lambda: any(site.glob("django-4.2.7.dist-info")), timeout=60)
    await s.wait_for(lambda: not {"not-installed", "global-install"} & set(codes(s.client, reqs)), timeout=30)
    assert len(prompts.requests) == 1  # one message for the whole burst


async def test_global_install_diagnostic_and_user_site_uninstall(
    tmp_path: Path, wheelhouse: Path, start_server: Any
) -> None:
    ws, app, env = setup(tmp_path, wheelhouse)
    pip_install(app / ".venv", wheelhouse, ["sqlparse"])  # the env has its own copy of one dist
    s = await start_server([ws], {"settings": {"backend": "venv"}}, env)
    prompts = Prompts(s.client, ["Uninstall from the user site", "Uninstall"])
    await wait_log(s.client, "global site dirs")
    reqs = app / "requirements.txt"

    user_base = Path(env["PYTHONUSERBASE"])
    user_site = user_base / "lib" / f"python{XY}" / "site-packages"
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pip_install_user, user_base, wheelhouse, ["django"])
    await prompts.wait(2)  # the warning, then the confirmation
    assert "Only the user-site copies are removed" in prompts.requests[1].message
    assert [a.title for a in prompts.requests[1].actions or []] == ["Uninstall", "Cancel"]

    async def removed() -> bool:
        return not any(user_site.glob("*.dist-info"))

    await s.wait_for(removed, timeout=20)
    assert not (user_site / "django").exists()
    # The env's own sqlparse is untouched.
    assert any((app / ".venv" / "lib" / f"python{XY}" / "site-packages").glob("sqlparse-*.dist-info"))
    await s.wait_for(lambda: "global-install" not in codes(s.client, reqs), timeout=10)


async def test_diagnostic_on_the_requirement_line_while_unanswered(
    tmp_path: Path, wheelhouse: Path, start_server: Any
) -> None:
    ws, app, env = setup(tmp_path, wheelhouse)
    # A first `pip install --user` ever: the user site does not exist yet and is watched from its parent.
    shutil.rmtree(Path(env["PYTHONUSERBASE"]))
    s = await start_server([ws], {"settings": {"backend": "venv"}}, env)
    prompts = Prompts(s.client, ["Ignore"])
    await wait_log(s.client, "global site dirs")
    reqs = app / "requirements.txt"
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pip_install_user, Path(env["PYTHONUSERBASE"]), wheelhouse, ["django"])
    await s.wait_for(lambda: "global-install" in codes(s.client, reqs) or bool(prompts.requests), timeout=10)
    await prompts.wait(1)
    # "Ignore" drops the global-install diagnostic; the start-up check still says where django is.
    await s.wait_for(lambda: "global-install" not in codes(s.client, reqs), timeout=10)


async def test_activation_and_pep668_reach_the_client(tmp_path: Path, start_server: Any) -> None:
    ws = tmp_path / "ws"
    app = ws / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text("")
    prefix = tmp_path / "usr"
    (prefix / "bin").mkdir(parents=True)
    os.symlink(BASE_PYTHON, prefix / "bin" / f"python{XY}")
    os.symlink(f"python{XY}", prefix / "bin" / "python3")
    stdlib = prefix / "lib" / f"python{XY}"
    (stdlib / "site-packages").mkdir(parents=True)
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=use apt\n")
    env_dir = make_venv(app / ".venv")
    cfg = env_dir / "pyvenv.cfg"
    cfg.write_text(
        "\n".join(
            f"home = {prefix / 'bin'}" if ln.startswith("home") else ln for ln in cfg.read_text().splitlines()
        )
    )
    s = await start_server([ws], {}, {"HOME": str(tmp_path / "home")})
    answer = await s.request("venvkeeper/interpreter", {"uri": app.as_uri()})
    activation = answer["activation"]
    assert activation["env"]["VIRTUAL_ENV"] == str(env_dir)
    assert activation["pathPrepend"] == str(env_dir / "bin")
    assert activation["unset"] == ["PYTHONHOME"]
    assert activation["scripts"]["bash"] == f"source {env_dir / 'bin' / 'activate'}"
    assert activation["scripts"]["fish"] == f"source {env_dir / 'bin' / 'activate.fish'}"
    reqs = app / "requirements.txt"
    await s.wait_for(lambda: "externally-managed" in codes(s.client, reqs), timeout=10)
    diag = next(d for d in s.client.diagnostics[reqs.as_uri()] if d.code == "externally-managed")
    assert "is externally managed (PEP 668)" in diag.message
    assert diag.severity == types.DiagnosticSeverity.Information


async def test_uninstall_command_confirms_and_refuses_when_untrusted(
    tmp_path: Path, wheelhouse: Path, start_server: Any
) -> None:
    ws, app, env = setup(tmp_path, wheelhouse)
    user_base = Path(env["PYTHONUSERBASE"])
    user_site = user_base / "lib" / f"python{XY}" / "site-packages"
    pip_install_user(user_base, wheelhouse, ["sqlparse"])
    s = await start_server([ws], {"settings": {"globalInstallWarnings": False}}, env)
    prompts = Prompts(s.client, ["Uninstall"])
    command = types.ExecuteCommandParams(
        command="venvkeeper.uninstallUserSite", arguments=[{"uri": app.as_uri(), "dists": ["SQLParse"]}]
    )
    result = await s.client.workspace_execute_command_async(command)
    assert prompts.requests and "Remove sqlparse 0.4.4 from the user site" in prompts.requests[0].message
    plain = result._asdict() if hasattr(result, "_asdict") else result
    assert plain["removed"] == ["sqlparse"] and not plain["refused"]
    assert not any(user_site.glob("sqlparse*"))

    untrusted = await start_server([ws], {"trusted": False}, env)
    with pytest.raises(Exception, match="untrusted"):
        await untrusted.client.workspace_execute_command_async(command)


async def test_foreign_virtual_env_from_the_client_is_a_warning(tmp_path: Path, start_server: Any) -> None:
    ws = tmp_path / "ws"
    mine, other = ws / "b", tmp_path / "a"
    for p in (mine, other):
        p.mkdir(parents=True)
        (p / "requirements.txt").write_text("")
        make_venv(p / ".venv")
    s = await start_server([ws], {"virtualEnv": str(other / ".venv")})
    reqs = mine / "requirements.txt"
    await s.wait_for(lambda: "stale-virtual-env" in codes(s.client, reqs), timeout=10)
    diag = next(d for d in s.client.diagnostics[reqs.as_uri()] if d.code == "stale-virtual-env")
    assert diag.message.startswith(
        f"VIRTUAL_ENV={other / '.venv'} (another project's env) does not match this project's env {mine / '.venv'}"
    )
    assert diag.severity == types.DiagnosticSeverity.Warning
