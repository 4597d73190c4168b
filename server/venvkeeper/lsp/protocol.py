"""venvkeeper's custom LSP messages, declared once (see docs/PROTOCOL.md for the full contract).

The client side declares the same names in vscode-extension/src/protocol.ts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INTERPRETER = "venvkeeper/interpreter"
ENVIRONMENTS = "venvkeeper/environments"
SELECT = "venvkeeper/select"
INTERPRETERS = "venvkeeper/interpreters"
DID_CHANGE_ENVIRONMENT = "venvkeeper/didChangeEnvironment"

#: Commands for workspace/executeCommand.
CMD_CREATE = "venvkeeper.create"
CMD_SYNC = "venvkeeper.sync"
CMD_INSTALL_MISSING = "venvkeeper.installMissing"
CMD_RECREATE = "venvkeeper.recreate"
CMD_INSTALL_INTO_ENV = "venvkeeper.installIntoEnv"
CMD_UNINSTALL_USER_SITE = "venvkeeper.uninstallUserSite"
CMD_ADD_PIP = "venvkeeper.addPip"
CMD_FIND_COMPATIBLE = "venvkeeper.findCompatibleVersions"

DIAGNOSTIC_SOURCE = "venvkeeper"


def as_plain(value: Any) -> Any:
    """pygls hands custom-message params over as nested namedtuples; turn them back into JSON types."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "_asdict"):
        return {k: as_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, Mapping):
        return {str(k): as_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_plain(v) for v in value]
    return value


def param(params: Any, key: str) -> Any:
    plain = as_plain(params)
    if isinstance(plain, list) and plain:  # executeCommand-style positional args
        plain = plain[0]
    return plain.get(key) if isinstance(plain, dict) else None
