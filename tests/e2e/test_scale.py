"""Issue 14 over LSP, asserting behaviour (timing lives in bench/bench_scale.py):

* a 200-project `git checkout` storm ends in exactly one re-check pass per project whose requirements
  changed, none for projects where only README.md / main.py changed, and an interpreter query is answered
  while the storm's re-checks are still being processed;
* a 100-project start-up without envs sends one prompt, not a hundred; a file opened later in one of
  those projects gets that project's own prompt, once.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from support.lsp import Prompts, wait_log

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from monorepo import Shape, Storm, generate, project_dir, run_storm, storm_plan

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

PASS = re.compile(r"re-check pass: project=(\S+) trigger=")


def passes(client: Any) -> list[Path]:
    return [Path(m.group(1)) for msg in client.log_messages if (m := PASS.search(msg.message))]


async def test_storm_is_one_pass_per_concerned_project_and_queries_are_answered_meanwhile(
    tmp_path: Path, start_server: Any
) -> None:
    ws = tmp_path / "mono"
    shape = Shape(projects=200, envs=100, total_files=2_000, node_modules_files=200, git_files=200)
    generate(ws, shape)
    s = await start_server(
        [ws],
        # A generous quiet window: the storm below must not be split by a loaded machine's pauses.
        {"settings": {"autoCreate": "never", "debounceMs": 1000}},
        {"VENVKEEPER_LOG_LEVEL": "debug"},
    )
    await wait_log(s.client, "initial sweep done", timeout=120)
    before = len(passes(s.client))
    storm = Storm(files=2_000, seconds=0.0, requirements_every=2)
    plan = storm_plan(ws, shape, storm, generation=1)
    concerned = {p.parent for p, _ in plan if p.name == "requirements.txt"}
    assert len(concerned) == 100
    await asyncio.get_running_loop().run_in_executor(None, run_storm, plan, 0.0)

    # As soon as the first re-check of the storm is logged, ask; the answer must come before the last.
    while len(passes(s.client)) == before:
        await s.client.wait_for_notification(types.WINDOW_LOG_MESSAGE)
    answer = await s.request("venvkeeper/interpreter", {"uri": (project_dir(ws, 1) / "main.py").as_uri()})
    done_when_answered = len(passes(s.client)) - before
    assert answer is not None  # proj0001 has an env
    while len(passes(s.client)) - before < len(concerned):
        await asyncio.wait_for(s.client.wait_for_notification(types.WINDOW_LOG_MESSAGE), 120)
    assert done_when_answered < len(concerned)

    # One more round trip: any late, extra pass would have been logged before this answer.
    await s.request("venvkeeper/interpreter", {"uri": (project_dir(ws, 0) / "main.py").as_uri()})
    storm_passes = Counter(passes(s.client)[before:])
    assert set(storm_passes) == concerned  # README.md / main.py / src changes re-check nothing
    assert set(storm_passes.values()) == {1}  # one pass per project, however the storm was paced


async def test_a_hundred_projects_without_env_get_one_prompt(tmp_path: Path, start_server: Any) -> None:
    ws = tmp_path / "mono"
    shape = Shape(projects=100, envs=0, total_files=500, node_modules_files=50, git_files=50)
    generate(ws, shape)
    s = await start_server([ws], {"settings": {"autoCreate": "prompt", "backend": "venv"}})
    prompts = Prompts(s.client, {"100 projects have no environment": "Not now"})
    await prompts.wait(1, timeout=120)
    assert prompts.requests[0].message.startswith("100 projects have no environment: ")
    assert [a.title for a in prompts.requests[0].actions or []] == [
        "Create all",
        "Choose…",
        "Not now",
        "Never for these",
    ]
    # Opening a file of one of them: that project's own prompt, once (a second open asks nothing).
    main = project_dir(ws, 7) / "main.py"
    for version in (1, 2):
        s.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=main.as_uri(), language_id="python", version=version, text="")
            )
        )
        s.client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=main.as_uri()))
        )
    await prompts.wait(2, timeout=60)
    # A round trip after both opens: a prompt sent for them would have arrived before its answer.
    await s.request("venvkeeper/interpreter", {"uri": main.as_uri()})
    assert len(prompts.requests) == 2
    own = prompts.requests[1].message
    assert own.startswith("Create packages/group07/proj0007/.venv with Python ")
    assert own.endswith(" and install requirements.txt?")
