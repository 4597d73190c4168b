"""Stale-env diagnostics over LSP: published for unopened files, kept current by saves and by pip
installs made behind the daemon's back, with quick fixes attached."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from lsprotocol import types

from support.envs import make_venv, pip_install
from support.wheelhouse import Dist, build_wheelhouse

pytestmark = pytest.mark.asyncio


async def quick_fixes(client, path: Path, diag: types.Diagnostic) -> list:
    """The code actions the server offers for one diagnostic, as an editor would ask for them."""
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    return list(actions or [])


def action_command(action: types.CodeAction | types.Command) -> tuple[str, list]:
    """The command a quick fix runs.

    lsprotocol's client-side converter reads every action that carries a ``command`` as a bare
    ``Command`` and stringifies the CodeAction's command object into ``.command``; undo that here.
    """
    if isinstance(action, types.Command) and action.command.startswith("{"):
        raw = ast.literal_eval(action.command)
        return raw["command"], raw["arguments"]
    assert isinstance(action, types.CodeAction) and action.command is not None
    return action.command.command, list(action.command.arguments or [])


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    return build_wheelhouse(
        tmp_path / "wh",
        [Dist("alpha", "1.0"), Dist("beta", "1.0"), Dist("beta", "2.0"), Dist("gamma", "0.5")],
    )


def codes(client, path: Path) -> dict[str, str]:
    """{requirement-line text: diagnostic code} for our requirement diagnostics on ``path``.

    The envs here are made --without-pip for speed, so the env-wide "env-no-pip" finding is left out.
    """
    lines = path.read_text().splitlines()
    out = {}
    for d in client.diagnostics.get(path.as_uri(), []):
        if d.source == "venvkeeper" and d.code != "env-no-pip" and d.range.start.line < len(lines):
            out[lines[d.range.start.line].strip()] = str(d.code)
    return out


async def test_requirements_diagnostics_follow_disk_changes(tmp_path, start_server, wheelhouse):
    proj = tmp_path / "ws" / "app"
    proj.mkdir(parents=True)
    reqs = proj / "requirements.txt"
    reqs.write_text("alpha>=1.0\nbeta==2.0\n")
    env = make_venv(proj / ".venv")
    pip_install(env, wheelhouse, ["beta==1.0"])
    s = await start_server([tmp_path / "ws"])
    c = s.client

    await s.wait_for(
        lambda: codes(c, reqs) == {"alpha>=1.0": "not-installed", "beta==2.0": "version-mismatch"}
    )
    beta = next(d for d in c.diagnostics[reqs.as_uri()] if d.code == "version-mismatch")
    assert "beta 1.0 is installed" in beta.message and "beta==2.0" in beta.message
    assert (beta.range.start.line, beta.range.start.character, beta.range.end.character) == (1, 0, 9)

    # Someone runs pip in a terminal: the daemon notices through the site-packages watch.
    pip_install(env, wheelhouse, ["alpha", "beta==2.0"])
    await s.wait_for(lambda: codes(c, reqs) == {})

    # git pull brings a new requirement: the saved file is re-checked without the editor asking.
    reqs.write_text("alpha>=1.0\nbeta==2.0\ngamma>=1.0\n")
    await s.wait_for(lambda: codes(c, reqs) == {"gamma>=1.0": "not-installed"})

    # The quick fixes are attached to the diagnostic.
    diag = c.diagnostics[reqs.as_uri()][0]
    actions = await quick_fixes(c, reqs, diag)
    titles = [a.title for a in actions]
    assert "Install gamma>=1.0 into .venv" in titles
    assert "Install missing into .venv" in titles
    assert "Sync .venv with requirements.txt" in titles


async def test_pyproject_edit_and_bad_input_keep_the_daemon_serving(tmp_path, start_server, wheelhouse):
    proj = tmp_path / "ws" / "lib"
    proj.mkdir(parents=True)
    pyproject = proj / "pyproject.toml"
    pyproject.write_text('[project]\nname = "lib"\nversion = "1"\ndependencies = ["alpha"]\n')
    env = make_venv(proj / ".venv")
    pip_install(env, wheelhouse, ["alpha"])
    s = await start_server([tmp_path / "ws"])
    c = s.client
    # The env lacks pip (made --without-pip): that is the only finding at first.
    await s.wait_for(lambda: [d.code for d in c.diagnostics.get(pyproject.as_uri(), [])] == ["env-no-pip"])

    pyproject.write_text('[project]\nname = "lib"\nversion = "1"\ndependencies = ["alpha", "beta>=2"]\n')
    await s.wait_for(
        lambda: any(d.code == "not-installed" for d in c.diagnostics.get(pyproject.as_uri(), []))
    )

    # Garbage TOML: a positioned syntax error, and the daemon keeps answering.
    pyproject.write_text('[project\nname = "lib"\n')
    await s.wait_for(lambda: any(d.code == "toml-syntax" for d in c.diagnostics.get(pyproject.as_uri(), [])))
    answer = await s.request("venvkeeper/interpreter", {"uri": proj.as_uri()})
    assert answer["envPath"] == str(env)

    # A binary requirements file next to it: one clear diagnostic, no crash.
    (proj / "requirements.txt").write_bytes(b"\x00\x01\x02" * 1000)
    await s.wait_for(lambda: bool(c.diagnostics.get((proj / "requirements.txt").as_uri())))
    assert (await s.request("venvkeeper/interpreter", {"uri": proj.as_uri()}))["envPath"] == str(env)


async def test_add_pip_quick_fix_clears_env_no_pip(tmp_path, start_server):
    """uv venv without --seed / --without-pip: the quick fix adds pip, and the warning goes away."""
    proj = tmp_path / "ws" / "app"
    proj.mkdir(parents=True)
    reqs = proj / "requirements.txt"
    reqs.write_text("")
    env = make_venv(proj / ".venv")
    s = await start_server([tmp_path / "ws"])
    c = s.client
    await s.wait_for(lambda: [d.code for d in c.diagnostics.get(reqs.as_uri(), [])] == ["env-no-pip"])
    diag = c.diagnostics[reqs.as_uri()][0]
    actions = await quick_fixes(c, reqs, diag)
    add = next(a for a in actions if a.title == "Add pip to .venv")
    command, arguments = action_command(add)
    assert command == "venvkeeper.addPip"
    result = await c.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=arguments)
    )
    assert result["envPath"] == str(env) and result["pip"]
    await s.wait_for(lambda: len(c.diagnostics.get(reqs.as_uri(), [None])) == 0)
    assert (env / "bin" / "pip").is_file()
