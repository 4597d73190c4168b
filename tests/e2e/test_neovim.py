"""The README's Neovim config, run as written in Debian's Neovim (0.7.2 on Debian 12), driven headless.

The test copies the Lua block from README.md's Neovim section into an init.lua, opens a project's
requirements.txt and acts as the user would: it answers the create prompt with "1" (Create), adds a
requirement, saves, sees the diagnostic on that line, and picks the first quick fix from
`vim.lsp.buf.code_action()`. Waiting is done by Neovim itself (`vim.wait` on a condition, which keeps
processing LSP messages) or, while a prompt blocks Neovim, by asking it whether it waits for input.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.offline import BASE_PYTHON, XY, pip_offline
from support.wheelhouse import Dist, build_wheelhouse

pytestmark = pytest.mark.slow

NVIM = shutil.which("nvim")
REPO = Path(__file__).resolve().parents[2]
#: The dev env's scripts: venvkeeper (the README's cmd) and basedpyright-langserver.
DEV_BIN = Path(sys.executable).parent

if NVIM is None:  # scripts/system-deps.sh installs Debian's neovim; without it there is nothing to drive
    pytest.skip("nvim is not installed (make setup installs Debian's neovim)", allow_module_level=True)

pynvim = pytest.importorskip("pynvim")


def readme_lua() -> list[str]:
    """The Lua blocks of README.md's Neovim section: the config, then the type-checker handler."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using the daemon from Neovim", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```lua\n(.*?)```", section, re.S)
    assert len(blocks) == 2, "README.md's Neovim section should have the config and the type-checker block"
    return blocks


#: Test-only scaffolding, not from the README: basedpyright started for Python buffers, before
#: venvkeeper's own autocommand, the way a user's lspconfig setup would start it.
BASEDPYRIGHT = """
vim.api.nvim_create_autocmd("BufReadPost", { pattern = "*.py", callback = function(args)
  local id = vim.lsp.start_client({ name = "basedpyright", cmd = { "basedpyright-langserver", "--stdio" },
    root_dir = vim.fn.fnamemodify(args.file, ":p:h") })
  vim.lsp.buf_attach_client(args.buf, id)
end })
"""


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    return build_wheelhouse(
        tmp_path / "wh", [Dist("alpha", "1.0", requires=["beta"]), Dist("beta"), Dist("gamma", "2.0")]
    )


@pytest.fixture
def init_lua(tmp_path: Path) -> Path:
    config, handlers = readme_lua()
    # One test-only line after the README's blocks: the dev env's uv (found beside the daemon's
    # interpreter) would need the network to seed pip, so these tests create with the stdlib venv.
    offline = '\nvenvkeeper.init_options.settings.backend = "venv"\n'
    init = tmp_path / "init.lua"
    init.write_text(handlers + config + offline, encoding="utf-8")
    return init


@pytest.fixture
def nvim(tmp_path: Path, wheelhouse: Path, init_lua: Path) -> Iterator[Any]:
    # `venvkeeper` (the README's cmd) from the dev env, and the base Python to create with.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("venvkeeper", "basedpyright-langserver"):
        (bin_dir / tool).symlink_to(DEV_BIN / tool)
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(bin_dir), str(BASE_PYTHON.parent), "/usr/bin", "/bin"]),
        **pip_offline(wheelhouse),
        "UV_OFFLINE": "1",
        # Neovim's and venvkeeper's own state stays in the test's dir.
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "NVIM_LOG_FILE": str(tmp_path / "nvim.log"),
    }
    env.pop("VIRTUAL_ENV", None)
    argv = ["env", *(f"{k}={v}" for k, v in env.items() if "=" not in k)]
    argv += [NVIM, "--embed", "--headless", "-n", "-i", "NONE", "-u", str(init_lua)]
    session = pynvim.attach("child", argv=argv)
    try:
        yield session
    finally:
        try:
            session.command("qa!", async_=True)
        except Exception:
            pass
        session.close()
        log = tmp_path / "cache" / "nvim" / "lsp.log"
        if log.exists():  # shown by pytest only when the test failed
            print(log.read_text(errors="replace")[-6000:])


def wait_blocking(nvim: Any, timeout: float) -> None:
    """Until Neovim waits for the user's answer (a prompt is open): it cannot run Lua meanwhile."""
    deadline = time.monotonic() + timeout
    while not nvim.api.get_mode()["blocking"]:
        if time.monotonic() > deadline:
            raise AssertionError("Neovim never showed the prompt")
        time.sleep(0.05)


def wait_lua(nvim: Any, condition: str, timeout_ms: int) -> None:
    """Neovim's own vim.wait: it keeps handling LSP messages while the condition is false."""
    ok = nvim.exec_lua(f"return vim.wait({timeout_ms}, function() return {condition} end, 20)")
    assert ok, f"timed out waiting for: {condition}\nNeovim's messages:\n{nvim.command_output('messages')}"


def diagnostics(nvim: Any) -> list[dict[str, Any]]:
    return nvim.exec_lua(  # type: ignore[no-any-return]
        "local out = {} for _, d in ipairs(vim.diagnostic.get(0)) do "
        "table.insert(out, {lnum = d.lnum, message = d.message, code = d.user_data and d.user_data.lsp "
        "and d.user_data.lsp.code or d.code}) end return out"
    )


def test_readme_config_attaches_prompts_diagnoses_and_fixes(tmp_path: Path, nvim: Any) -> None:
    app = tmp_path / "ws" / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text("alpha\n")
    (app / ".python-version").write_text(f"{XY}\n")

    nvim.command(f"edit {app / 'requirements.txt'}")
    wait_lua(nvim, "#vim.lsp.buf_get_clients(0) > 0", 10_000)

    # The create prompt is Neovim's numbered list: "1. Create".
    wait_blocking(nvim, 30)
    nvim.input("1<CR>")
    wait_lua(nvim, f"(vim.uv or vim.loop).fs_stat('{app}/.venv/pyvenv.cfg') ~= nil", 120_000)
    wait_lua(nvim, "#vim.diagnostic.get(0) == 0", 30_000)
    assert any((app / ".venv").glob("lib/python*/site-packages/alpha-1.0.dist-info"))

    # A new requirement that the env lacks: the diagnostic sits on its line (0-based 1).
    nvim.command("call append(1, 'gamma==2.0') | write")
    # The saved file's check (the unsaved edit's what-if may publish first: wait for the check's codes).
    codes = "vim.tbl_map(function(d) return d.user_data and d.user_data.lsp and d.user_data.lsp.code end, vim.diagnostic.get(0))"
    wait_lua(
        nvim,
        f"vim.tbl_contains({codes}, 'not-installed') and vim.tbl_contains({codes}, 'changed-since-sync')",
        30_000,
    )
    found = {d["code"]: d for d in diagnostics(nvim)}
    assert found["not-installed"]["lnum"] == 1, found
    assert "gamma" in found["not-installed"]["message"]
    # The file differs from what the env was created from: said once, on its first line.
    assert (
        found.keys() == {"not-installed", "changed-since-sync"} and found["changed-since-sync"]["lnum"] == 0
    )

    # The quick fix, picked from vim.lsp.buf.code_action()'s list: 1 = "Install gamma==2.0 into .venv".
    nvim.command("call cursor(2, 1)")
    nvim.exec_lua("vim.lsp.buf.code_action()", async_=True)
    wait_blocking(nvim, 30)
    nvim.input("1<CR>")
    no_missing = (
        "#vim.tbl_filter(function(d) return d.message:find('not installed') end, vim.diagnostic.get(0)) == 0"
    )
    wait_lua(nvim, no_missing, 120_000)
    assert any((app / ".venv").glob("lib/python*/site-packages/gamma-2.0.dist-info"))

    # :VenvkeeperWhich answers from the server, with the reason.
    nvim.command("VenvkeeperWhich")
    wait_lua(nvim, "vim.fn.execute('messages'):find('.venv/bin/python', 1, true) ~= nil", 10_000)
    assert ".venv in the project" in nvim.command_output("messages")


def make_env(env: Path, wheelhouse: Path, *dists: str) -> None:
    subprocess.run([str(BASE_PYTHON), "-m", "venv", str(env)], check=True)
    if dists:
        pip = [str(env / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links"]
        subprocess.run(
            [*pip, str(wheelhouse), *dists], check=True, env={**os.environ, "PIP_CONFIG_FILE": os.devnull}
        )


@pytest.mark.skipif(not (DEV_BIN / "basedpyright-langserver").exists(), reason="basedpyright is a dev extra")
def test_readme_handler_switches_what_the_type_checker_resolves(
    tmp_path: Path, wheelhouse: Path, init_lua: Path, request: pytest.FixtureRequest
) -> None:
    app = tmp_path / "ws" / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text("gamma\n")
    (app / "main.py").write_text("import gamma\nimport no_such_module_anywhere\n")
    make_env(app / ".venv", wheelhouse, "gamma")
    make_env(app / "other-env", wheelhouse)  # a second env without gamma
    init_lua.write_text(BASEDPYRIGHT + init_lua.read_text(encoding="utf-8"), encoding="utf-8")
    nvim = request.getfixturevalue("nvim")

    unresolved = (
        "#vim.tbl_filter(function(d) return d.message:find('\"{0}\" could not be resolved', 1, true) end,"
        " vim.diagnostic.get(0)) > 0"
    )
    nvim.command(f"edit {app / 'main.py'}")
    # The README's handler has handed venvkeeper's choice (.venv) to basedpyright: both clients are
    # attached (under load venvkeeper can start seconds after basedpyright) and the setting is there.
    python_path = (
        "vim.tbl_get(vim.tbl_filter(function(c) return c.name == 'basedpyright' end,"
        " vim.lsp.buf_get_clients(0))[1] or {}, 'config', 'settings', 'python', 'pythonPath') or ''"
    )
    wait_lua(nvim, f"({python_path}):find('/.venv/bin/python', 1, true) ~= nil", 180_000)
    # basedpyright has analysed the file (the module that exists nowhere is unresolved) and, fed the
    # .venv, resolves gamma.
    wait_lua(
        nvim,
        unresolved.format("no_such_module_anywhere") + " and not (" + unresolved.format("gamma") + ")",
        180_000,
    )

    # Choosing the other env in venvkeeper switches basedpyright: gamma is not there. The request is
    # waited for (venvkeeper answers once the other env is chosen), then venvkeeper's own answer says so.
    selected = nvim.exec_lua(
        "for id, answer in pairs(vim.lsp.buf_request_sync(0, 'venvkeeper/select',"
        " {uri = vim.uri_from_bufnr(0), envPath = ...}, 120000) or {}) do"
        " if vim.lsp.get_client_by_id(id).name == 'venvkeeper' then return answer.result end end",
        str(app / "other-env"),
    )
    assert selected and selected["python"].endswith("other-env/bin/python"), selected
    wait_lua(nvim, f"({python_path}):find('/other-env/bin/python', 1, true) ~= nil", 60_000)
    nvim.command("VenvkeeperWhich")
    wait_lua(nvim, "vim.fn.execute('messages'):find('other-env/bin/python', 1, true) ~= nil", 60_000)
    wait_lua(nvim, unresolved.format("gamma"), 300_000)


def test_dependency_conflict_on_both_lines_and_find_versions(
    tmp_path: Path, wheelhouse: Path, request: pytest.FixtureRequest
) -> None:
    """Issue 11's scenario in Neovim: the conflict is on both requirement lines, and picking "Find
    versions that work together" (resolved with codeAction/resolve) edits the buffer, nothing else."""
    build_wheelhouse(
        wheelhouse,
        [
            Dist("numpy", "1.23.5"),
            Dist("numpy", "1.24.3"),
            Dist("scikit-learn", "0.24.1", requires=["numpy<1.24"]),
            Dist("scikit-learn", "1.3.2", requires=["numpy>=1.17.3"]),
        ],
    )
    app = tmp_path / "ws" / "app"
    app.mkdir(parents=True)
    reqs = app / "requirements.txt"
    reqs.write_text("numpy==1.24.3\nscikit-learn==0.24.1\n")
    make_env(app / ".venv", wheelhouse)
    pip = [str(app / ".venv" / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
    subprocess.run(
        [*pip, "--find-links", str(wheelhouse), "numpy==1.24.3", "scikit-learn==0.24.1"],
        check=True,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )
    nvim = request.getfixturevalue("nvim")
    nvim.command(f"edit {reqs}")
    conflicts = (
        "#vim.tbl_filter(function(d) return d.message:find('numpy<1.24', 1, true) end, vim.diagnostic.get(0))"
    )
    wait_lua(nvim, f"{conflicts} == 2", 30_000)
    found = sorted(
        (d["lnum"], d["code"], d["message"]) for d in diagnostics(nvim) if d["code"] != "env-no-pip"
    )
    assert found == [
        (0, "dependency-conflict", "numpy 1.24.3 breaks scikit-learn 0.24.1, which requires numpy<1.24"),
        (
            1,
            "dependency-conflict",
            "scikit-learn 0.24.1 needs numpy<1.24, but numpy 1.24.3 is installed (required by line 1)",
        ),
    ]

    # vim.lsp.buf.code_action()'s list on line 2: 1 = "Install numpy<1.24 into .venv",
    # 2 = "Find versions that work together" (its edit resolved only now), 3 = "… and sync .venv".
    nvim.command("call cursor(2, 1)")
    nvim.exec_lua("vim.lsp.buf.code_action()", async_=True)
    wait_blocking(nvim, 30)
    nvim.input("2<CR>")
    wait_lua(nvim, "vim.api.nvim_buf_get_lines(0, 1, 2, false)[1] == 'scikit-learn==1.3.2'", 60_000)
    assert nvim.current.buffer[:] == ["numpy==1.24.3", "scikit-learn==1.3.2"]
    # Shown, not done: the file on disk and the env are as they were until the user saves and syncs.
    assert reqs.read_text() == "numpy==1.24.3\nscikit-learn==0.24.1\n"
    assert any((app / ".venv").glob("lib/python*/site-packages/scikit_learn-0.24.1.dist-info"))
