"""The protocol contract: docs/PROTOCOL.md, the code table, lsp/protocol.py, the client's protocol.ts,
settings.ts and package.json must say the same thing. Each test names the two sides that drifted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from venvkeeper import codes, settings, views, wire
from venvkeeper.creation import commands
from venvkeeper.discovery import catalog
from venvkeeper.guards import activation
from venvkeeper.lsp import protocol

REPO = Path(__file__).resolve().parents[2]
PROTOCOL_MD = (REPO / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
PROTOCOL_TS = (REPO / "vscode-extension" / "src" / "protocol.ts").read_text(encoding="utf-8")
SETTINGS_TS = (REPO / "vscode-extension" / "src" / "settings.ts").read_text(encoding="utf-8")
PACKAGE_JSON = json.loads((REPO / "vscode-extension" / "package.json").read_text(encoding="utf-8"))


def md_section(heading: str) -> str:
    """The text of one ``##``/``###`` section of PROTOCOL.md, up to the next heading of any level."""
    match = re.search(rf"^#+ {re.escape(heading)}\s*$(.*?)(?=^#+ )", PROTOCOL_MD, re.M | re.S)
    assert match, f"PROTOCOL.md has no section {heading!r}"
    return match.group(1)


def md_table(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header


def backticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def ts_interface_keys(source: str, name: str) -> set[str]:
    match = re.search(rf"interface {name} \{{(.*?)^\}}", source, re.S | re.M)
    assert match, f"no interface {name}"
    return set(re.findall(r"^\s*(\w+)\??:", match.group(1), re.M))


# -- diagnostic codes ------------------------------------------------------------------------------


def test_protocol_md_lists_every_code_with_its_row() -> None:
    rows = {backticked(r[0])[0]: (r[1], r[2], r[3]) for r in md_table(md_section("Diagnostic codes"))}
    expected = {c.name: (c.severity, c.status if c.status != "none" else "—", c.summary) for c in codes.CODES}
    assert rows == expected


def test_quick_fix_table_matches_each_codes_fixes() -> None:
    listed: set[str] = set()
    for row in md_table(md_section("Quick fixes (`textDocument/codeAction`)")):
        names = backticked(row[0])
        fixes = {codes.BY_NAME[n].fixes for n in names}
        assert len(fixes) == 1, f"one PROTOCOL.md quick-fix row groups codes with different fixes: {names}"
        listed.update(names)
    assert listed == {c.name for c in codes.CODES if c.fixes}


def test_settings_severity_defaults_come_from_the_table() -> None:
    assert {c.name: c.severity for c in codes.CODES} == settings.DEFAULT_SEVERITIES


def test_package_json_severities_accept_exactly_the_codes() -> None:
    props = PACKAGE_JSON["contributes"]["configuration"]["properties"]["venvkeeper.severities"]
    assert set(props["propertyNames"]["enum"]) == set(codes.BY_NAME)
    assert props["additionalProperties"]["enum"] == list(codes.SEVERITIES)


# -- custom messages and commands ------------------------------------------------------------------


def test_custom_messages_agree() -> None:
    server = {
        protocol.INTERPRETER,
        protocol.ENVIRONMENTS,
        protocol.INTERPRETERS,
        protocol.SELECT,
        protocol.DID_CHANGE_ENVIRONMENT,
    }
    client = set(re.findall(r"(?:RequestType|NotificationType)<[^>]*>\(\s*'([^']+)'", PROTOCOL_TS, re.S))
    documented = set(re.findall(r"^### `(venvkeeper/\w+)`", PROTOCOL_MD, re.M))
    assert server == client == documented


def test_server_commands_agree() -> None:
    server = {v for k, v in vars(protocol).items() if k.startswith("CMD_")}
    block = re.search(r"ServerCommands = \{(.*?)\}", PROTOCOL_TS, re.S)
    assert block
    client = set(re.findall(r"'(venvkeeper\.\w+)'", block.group(1)))
    documented = {backticked(r[0])[0] for r in md_table(md_section("Commands (`workspace/executeCommand`)"))}
    assert server == client == documented


def test_interpreters_payload_agrees() -> None:
    section = md_section("`venvkeeper/interpreters` (client → server)")
    for name, typed in (
        ("InterpretersResult", views.Interpreters),
        ("InterpreterEntry", catalog.CatalogEntry),
    ):
        server = wire.wire_keys(typed)
        client = ts_interface_keys(PROTOCOL_TS, name)
        documented = ts_interface_keys(section, name)
        assert server == client == documented, name


# -- settings --------------------------------------------------------------------------------------


def test_server_settings_agree() -> None:
    server = set(settings.JSON_NAMES)
    client = ts_interface_keys(PROTOCOL_TS, "ServerSettings")
    documented = ts_interface_keys(md_section("Settings"), "Settings")
    assert server == client == documented


def test_client_only_settings_agree() -> None:
    match = re.search(r"CLIENT_ONLY = new Set\(\[(.*?)\]\)", SETTINGS_TS)
    assert match
    client = set(re.findall(r"'(\w+)'", match.group(1)))
    doc = re.search(r"accepted and ignored by the server:\s*\*\s*(.*?)\.", md_section("Settings"), re.S)
    assert doc
    documented = {s.strip() for s in doc.group(1).split(",")}
    assert set(settings.CLIENT_ONLY) == client == documented


@pytest.mark.parametrize("key", sorted(PACKAGE_JSON["contributes"]["configuration"]["properties"]))
def test_every_package_json_setting_is_known_to_the_server(key: str) -> None:
    top = key.removeprefix("venvkeeper.").split(".")[0]
    assert top in settings.JSON_NAMES or top in settings.CLIENT_ONLY


def test_every_server_setting_the_user_sets_is_in_package_json() -> None:
    props = {
        k.removeprefix("venvkeeper.").split(".")[0]
        for k in PACKAGE_JSON["contributes"]["configuration"]["properties"]
    }
    # trusted and virtualEnv are what the client knows (workspace trust, its environment), not user settings.
    assert set(settings.JSON_NAMES) - {"trusted", "virtualEnv"} <= props


# -- payload shapes --------------------------------------------------------------------------------


def top_level_keys(source: str, name: str) -> set[str]:
    """The keys of ``interface name { … }``, nested object types and comments left out."""
    match = re.search(rf"interface {name} \{{(.*?)^\}}", source, re.S | re.M)
    assert match, f"no interface {name}"
    body = re.sub(r"//[^\n]*|/\*.*?\*/", "", match.group(1), flags=re.S)
    while re.search(r"\{[^{}]*\}", body):
        body = re.sub(r"\{[^{}]*\}", "", body)
    return set(re.findall(r"(?:^|[;\n])\s*(\w+)\??:", body))


@pytest.mark.parametrize(
    ("shape", "interface"),
    [
        (views.Interpreter, "Interpreter"),
        (views.EnvironmentCandidate, "EnvironmentCandidate"),
        (views.Environments, "EnvironmentsResult"),
        (activation.Activation, "Activation"),
        (commands.CommandErrorData, "CommandErrorData"),
    ],
)
def test_typed_payloads_have_the_documented_keys(shape: type, interface: str) -> None:
    server = wire.wire_keys(shape)
    assert server == top_level_keys(PROTOCOL_MD, interface)
    if interface != "CommandErrorData":  # the client reads it where it shows the error, untyped
        assert server == top_level_keys(PROTOCOL_TS, interface)
