from __future__ import annotations

import asyncio

from venvkeeper.settings import Settings, parse_settings
from venvkeeper.state import StateStore
from venvkeeper.watch.debounce import Debouncer


def test_defaults_and_valid_values():
    s, problems = parse_settings(
        {"autoCreate": "never", "extras": ["fast"], "severities": {"not-installed": "error"}}
    )
    assert problems == []
    assert s.auto_create == "never" and s.extras == ("fast",)
    assert s.severity("not-installed") == "error" and s.severity("version-mismatch") == "warning"


def test_bad_values_fall_back_with_a_message():
    s, problems = parse_settings(
        {"autoCreate": "sometimes", "debounceMs": "fast", "bogus": 1, "serverPython": "x"}
    )
    assert s.auto_create == Settings().auto_create and s.debounce_ms == Settings().debounce_ms
    assert len(problems) == 3
    assert any("venvkeeper.autoCreate" in p for p in problems)
    assert any("unknown setting venvkeeper.bogus" in p for p in problems)
    s, problems = parse_settings("nonsense")
    assert s == Settings() and problems


def test_partial_update_keeps_previous_values():
    base, _ = parse_settings({"autoCreate": "always"})
    s, _ = parse_settings({"trusted": False}, base)
    assert s.auto_create == "always" and s.trusted is False


def test_state_store_round_trip_and_corruption(tmp_path):
    store = StateStore(tmp_path / "st")
    proj = tmp_path / "p"
    assert store.selection(proj) is None
    store.set_selection(proj, proj / ".venv")
    store.decline(proj, "create")
    assert StateStore(tmp_path / "st").selection(proj) == proj / ".venv"
    assert StateStore(tmp_path / "st").declined(proj, "create")
    store.path.write_text("{not json")
    assert store.selection(proj) is None  # corrupt file: treated as empty, never a crash
    store.set_selection(proj, None)


def test_debouncer_collapses_a_burst():
    async def run() -> list[set[int]]:
        loop = asyncio.get_running_loop()
        calls: list[set[int]] = []
        done = asyncio.Event()

        def cb(items: set[int]) -> None:
            calls.append(items)
            done.set()

        d: Debouncer[int] = Debouncer(loop, cb, delay=0.05, max_wait=5)
        for i in range(50):
            d.push(i)
        await asyncio.wait_for(done.wait(), 5)
        return calls

    calls = asyncio.run(run())
    assert calls == [set(range(50))]
