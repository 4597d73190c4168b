"""Dependency conflicts over LSP: a pip install in a terminal that breaks a dependent is published on
both requirement lines, the env turns broken (didChangeEnvironment), and fixing it clears both."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from support.envs import make_venv, pip_install
from support.offline import pip_offline
from support.wheelhouse import Dist, build_wheelhouse

from .test_diagnostics import action_command, codes, quick_fixes

pytestmark = pytest.mark.asyncio


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    return build_wheelhouse(
        tmp_path / "wh",
        [
            Dist("numpy", "1.23.5"),
            Dist("numpy", "1.24.3"),
            Dist("scikit-learn", "0.24.1", requires=["numpy<1.24"]),
        ],
    )


def _project(
    tmp_path: Path, wheelhouse: Path, installs: list[str], with_pip: bool = False
) -> tuple[Path, Path]:
    """ws/app with "numpy" and "scikit-learn==0.24.1" declared and ``installs`` installed --no-deps."""
    proj = tmp_path / "ws" / "app"
    proj.mkdir(parents=True)
    reqs = proj / "requirements.txt"
    reqs.write_text("numpy\nscikit-learn==0.24.1\n")
    env = make_venv(proj / ".venv", with_pip=with_pip)
    pip_install(env, wheelhouse, installs, "--no-deps")
    return reqs, env


def _status(change: dict) -> str | None:
    return (change.get("interpreter") or {}).get("status")


async def test_terminal_install_that_breaks_a_dependent(tmp_path, start_server, wheelhouse):
    reqs, env = _project(tmp_path, wheelhouse, ["numpy==1.23.5", "scikit-learn==0.24.1"])
    s = await start_server([tmp_path / "ws"])
    c = s.client
    await s.wait_env_change(lambda ch: _status(ch) == "ok")
    assert codes(c, reqs) == {}

    # In a terminal: pip installs it (and only warns that scikit-learn is now broken).
    pip_install(env, wheelhouse, ["numpy==1.24.3"])
    both = {"numpy": "dependency-conflict", "scikit-learn==0.24.1": "dependency-conflict"}
    await s.wait_for(lambda: codes(c, reqs) == both)
    messages = sorted(d.message for d in c.diagnostics[reqs.as_uri()] if d.code == "dependency-conflict")
    assert messages == [
        "numpy 1.24.3 breaks scikit-learn 0.24.1, which requires numpy<1.24",
        "scikit-learn 0.24.1 needs numpy<1.24, but numpy 1.24.3 is installed (required by line 1)",
    ]
    change = await s.wait_env_change(lambda ch: _status(ch) == "broken")
    assert change["interpreter"]["problem"] == messages[0]

    # Installing a compatible version clears it just as the watcher saw it come.
    s.env_changes.clear()  # wait for a new "ok", not the first one
    pip_install(env, wheelhouse, ["numpy==1.23.5"])
    await s.wait_for(lambda: codes(c, reqs) == {})
    await s.wait_env_change(lambda ch: _status(ch) == "ok")


async def test_what_if_on_an_unsaved_edit(tmp_path, start_server, wheelhouse):
    reqs, _env = _project(tmp_path, wheelhouse, ["numpy==1.23.5", "scikit-learn==0.24.1"])
    s = await start_server([tmp_path / "ws"])
    c = s.client
    await s.wait_env_change(lambda ch: _status(ch) == "ok")
    uri = reqs.as_uri()
    c.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="pip-requirements", version=1, text=reqs.read_text()
            )
        )
    )
    # The user types "==1.24.3" after numpy, and does not save.
    c.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(0, 5), types.Position(0, 5)), text="==1.24.3"
                )
            ],
        )
    )
    await s.wait_for(lambda: codes(c, reqs) == {"numpy": "would-conflict"})  # line text on disk is unchanged
    [diag] = [d for d in c.diagnostics[uri] if d.code == "would-conflict"]
    assert diag.message == "installing numpy 1.24.3 would break scikit-learn 0.24.1 (requires numpy<1.24)"
    assert (diag.range.start.character, diag.range.end.character) == (0, 13)
    assert reqs.read_text() == "numpy\nscikit-learn==0.24.1\n"  # nothing was saved or installed

    # Undo: the warning goes.
    c.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(text="numpy\nscikit-learn==0.24.1\n")
            ],
        )
    )
    await s.wait_for(lambda: codes(c, reqs) == {})


async def test_install_compatible_quick_fix(tmp_path, start_server, wheelhouse):
    # with_pip: the install runs the env's own pip.
    reqs, env = _project(tmp_path, wheelhouse, ["numpy==1.24.3", "scikit-learn==0.24.1"], with_pip=True)
    offline = pip_offline(wheelhouse)
    s = await start_server([tmp_path / "ws"], {"backend": "venv"}, offline)
    c = s.client
    await s.wait_for(lambda: codes(c, reqs).get("scikit-learn==0.24.1") == "dependency-conflict")
    diag = next(d for d in c.diagnostics[reqs.as_uri()] if d.range.start.line == 1)
    actions = await quick_fixes(c, reqs, diag)
    fix = next(a for a in actions if a.title == "Install numpy<1.24 into .venv")
    command, arguments = action_command(fix)
    assert command == "venvkeeper.installIntoEnv" and arguments[0]["requirements"] == ["numpy<1.24"]
    await c.workspace_execute_command_async(types.ExecuteCommandParams(command=command, arguments=arguments))
    await s.wait_for(lambda: codes(c, reqs) == {}, timeout=60)
    assert list(env.glob("lib/*/site-packages/numpy-1.23.5.dist-info"))
