from __future__ import annotations

import asyncio

from venvkeeper.settings import Settings, initialization_settings, parse_settings, settings_section
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


# -- trust fails closed (issue 9, Trust 2) ---------------------------------------------------------
def test_no_trust_value_means_trusted():
    # Neovim and other clients without a trust model send nothing: trusted, as PROTOCOL.md says.
    s, problems = parse_settings({"autoCreate": "never"})
    assert s.trusted is True and problems == []


def test_a_trust_value_that_is_not_a_boolean_means_untrusted():
    for value in ("false", "true", 0, 1, None, [], {}):
        s, problems = parse_settings({"trusted": value})
        assert s.trusted is False, value
        assert problems == [
            f"invalid value {value!r} for venvkeeper.trusted; treating the workspace as untrusted"
        ]


def test_only_an_explicit_true_lifts_an_earlier_untrusted():
    untrusted, _ = parse_settings({"trusted": False})
    for payload in ({}, {"autoCreate": "always"}, {"trusted": "true"}, {"trusted": 1}, {"trusted": None}):
        s, _ = parse_settings(payload, untrusted)
        assert s.trusted is False, payload
    s, problems = parse_settings({"trusted": True}, untrusted)
    assert s.trusted is True and problems == []
    # A malformed payload (not an object) changes nothing, so it cannot lift it either.
    s, _ = parse_settings("trusted", untrusted)
    assert s.trusted is False


def test_settings_that_choose_what_runs_are_ignored_while_untrusted():
    notes: list[str] = []
    s, problems = parse_settings({"trusted": False, "uvPath": "/ws/uv", "backend": "uv"}, notes=notes)
    assert (s.uv_path, s.backend) == (None, "auto")
    assert problems == []
    assert notes == [
        "venvkeeper.backend = 'uv' is ignored while the workspace is untrusted",
        "venvkeeper.uvPath = '/ws/uv' is ignored while the workspace is untrusted",
    ]
    # Arriving later, in a payload that does not touch trust: still ignored.
    s, _ = parse_settings({"uvPath": "/ws/uv"}, s)
    assert s.uv_path is None
    # A malformed trust value in the same payload: untrusted, so ignored as well.
    s, _ = parse_settings({"trusted": "false", "uvPath": "/ws/uv", "backend": "uv"})
    assert (s.trusted, s.uv_path, s.backend) == (False, None, "auto")
    # The payload that grants trust carries them again (the VS Code client sends the whole section).
    s, _ = parse_settings({"trusted": True, "uvPath": "/opt/uv", "backend": "uv"}, s)
    assert (s.trusted, s.uv_path, s.backend) == (True, "/opt/uv", "uv")
    # Turning trust off drops what trusted settings chose.
    s, _ = parse_settings({"trusted": False}, s)
    assert (s.uv_path, s.backend) == (None, "auto")


def test_initialization_options_trust_needs_every_source_to_say_true():
    def trust(options: dict[str, object]) -> bool:
        return parse_settings(initialization_settings(options))[0].trusted

    assert trust({}) is True
    assert trust({"settings": {"trusted": True}, "trusted": True}) is True
    assert trust({"trusted": True}) is True
    assert trust({"settings": {"trusted": False}, "trusted": True}) is False
    assert trust({"settings": {"trusted": True}, "trusted": False}) is False
    assert trust({"settings": {"venvkeeper": {"trusted": True}}, "trusted": "false"}) is False
    assert trust({"settings": {"trusted": "false"}}) is False


def test_initialization_options_merge_the_section_and_the_shortcuts():
    assert initialization_settings(None) == {}
    assert initialization_settings({"settings": {"venvkeeper": {"debounceMs": 5}}}) == {"debounceMs": 5}
    assert initialization_settings({"settings": {"debounceMs": 5}, "virtualEnv": "/v"}) == {
        "debounceMs": 5,
        "virtualEnv": "/v",
    }


def test_the_settings_section_is_found_one_level_down_or_is_the_payload():
    assert settings_section({"venvkeeper": {"backend": "uv"}}) == {"backend": "uv"}
    assert settings_section({"backend": "uv"}) == {"backend": "uv"}
    assert settings_section(None) is None
