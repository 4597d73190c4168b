""" "Find versions that work together" over LSP, the issue's scenario: numpy==1.24.3 next to
scikit-learn==0.24.1 (which requires numpy<1.24), both installed. The resolver (uv next to the
server, else pip) runs only when the user picks the action; the first action shows the edit and
changes nothing, the second installs the set found and applies the edit. The index is the project's
pip.conf (PIP_CONFIG_FILE): pip reads it, venvkeeper translates it for uv."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from support.envs import make_venv, pip_install
from support.wheelhouse import Dist, build_wheelhouse
from venvkeeper.lsp import protocol

from .test_diagnostics import action_command, codes, quick_fixes

pytestmark = pytest.mark.asyncio

FIND = "Find versions that work together"


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    return build_wheelhouse(
        tmp_path / "wh",
        [
            Dist("numpy", "1.23.5"),
            Dist("numpy", "1.24.3"),
            Dist("scikit-learn", "0.24.1", requires=["numpy<1.24"]),
            Dist("scikit-learn", "1.3.2", requires=["numpy>=1.17.3"]),
        ],
    )


def _scenario(tmp_path: Path, wheelhouse: Path) -> tuple[Path, Path, dict[str, str]]:
    proj = tmp_path / "ws" / "app"
    proj.mkdir(parents=True)
    reqs = proj / "requirements.txt"
    reqs.write_text("numpy==1.24.3\nscikit-learn==0.24.1\n")
    env = make_venv(proj / ".venv", with_pip=True)
    pip_install(env, wheelhouse, ["numpy==1.24.3", "scikit-learn==0.24.1"], "--no-deps")
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nno-index = true\nfind-links = {wheelhouse}\n")
    return reqs, env, {"PIP_CONFIG_FILE": str(conf), "PIP_FIND_LINKS": ""}


def _dists(env: Path) -> set[str]:
    return {p.name for p in env.glob("lib/*/site-packages/*.dist-info")}


def _accept_edits(client, reqs: Path) -> list[types.ApplyWorkspaceEditParams]:
    """The editor's side of workspace/applyEdit: apply the text edits and save, as VS Code does."""
    seen: list[types.ApplyWorkspaceEditParams] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def _apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        seen.append(params)
        _write(reqs, (params.edit.changes or {}).get(reqs.as_uri(), []))
        return types.ApplyWorkspaceEditResult(applied=True)

    return seen


def _write(path: Path, edits: list[types.TextEdit]) -> None:
    lines = path.read_text().splitlines(keepends=True)
    for e in sorted(edits, key=lambda e: e.range.start.line, reverse=True):
        line = lines[e.range.start.line]
        lines[e.range.start.line] = (
            line[: e.range.start.character] + e.new_text + line[e.range.end.character :]
        )
    path.write_text("".join(lines))


async def test_find_versions_shows_the_edit_then_applies_and_syncs(tmp_path, start_server, wheelhouse):
    reqs, env, offline = _scenario(tmp_path, wheelhouse)
    before = _dists(env)
    s = await start_server([tmp_path / "ws"], {"backend": "venv"}, offline)
    c = s.client
    both = {"numpy==1.24.3": "dependency-conflict", "scikit-learn==0.24.1": "dependency-conflict"}
    await s.wait_for(lambda: codes(c, reqs) == both)
    diag = next(d for d in c.diagnostics[reqs.as_uri()] if d.range.start.line == 1)
    actions = await quick_fixes(c, reqs, diag)

    # 1. The first action carries no edit until picked (nothing ran to list it); resolving it runs the
    #    resolver and returns the edit — the file and the env are untouched.
    [lazy] = [a for a in actions if isinstance(a, types.CodeAction) and a.title == FIND]
    assert lazy.edit is None and lazy.command is None
    resolved = await c.code_action_resolve_async(lazy)
    edits = (resolved.edit.changes or {})[reqs.as_uri()]
    assert [
        (e.range.start.line, e.range.start.character, e.range.end.character, e.new_text) for e in edits
    ] == [(1, 0, 20, "scikit-learn==1.3.2")]
    assert reqs.read_text() == "numpy==1.24.3\nscikit-learn==0.24.1\n"
    assert _dists(env) == before

    # 2. "… and sync .venv": installs the set found, then asks the editor to apply the same edit.
    sync = next(a for a in actions if str(getattr(a, "title", "")) == f"{FIND} and sync .venv")
    command, arguments = action_command(sync)
    assert command == "venvkeeper.findCompatibleVersions" and arguments[0]["sync"] is True
    applied = _accept_edits(c, reqs)
    result = await c.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=arguments)
    )
    assert result["applied"] is True and result["changes"] == ["scikit-learn 0.24.1 → 1.3.2"]
    assert [p.label for p in applied] == ["scikit-learn 0.24.1 → 1.3.2"]
    assert reqs.read_text() == "numpy==1.24.3\nscikit-learn==1.3.2\n"
    assert "scikit_learn-1.3.2.dist-info" in _dists(env) and "numpy-1.24.3.dist-info" in _dists(env)
    # The conflict is gone, and the saved edit is what the env was synced with (no "changed since sync").
    await s.wait_for(lambda: codes(c, reqs) == {}, timeout=30)


async def test_untrusted_workspace_runs_no_resolver(tmp_path, start_server, wheelhouse):
    reqs, env, offline = _scenario(tmp_path, wheelhouse)
    before = _dists(env)
    s = await start_server([tmp_path / "ws"], {"backend": "venv", "trusted": False}, offline)
    c = s.client
    await s.wait_for(lambda: "dependency-conflict" in codes(c, reqs).values())
    diag = next(d for d in c.diagnostics[reqs.as_uri()] if d.range.start.line == 1)
    # Restricted Mode offers no quick fix that would fail (issue 15); the command itself is refused.
    assert await quick_fixes(c, reqs, diag) == []
    with pytest.raises(JsonRpcException, match="not trusted"):
        await c.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=protocol.CMD_FIND_COMPATIBLE,
                arguments=[{"uri": reqs.parent.as_uri(), "sync": True}],
            )
        )
    assert _dists(env) == before and reqs.read_text() == "numpy==1.24.3\nscikit-learn==0.24.1\n"
