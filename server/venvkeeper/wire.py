"""The one converter from venvkeeper's typed answers to the JSON the protocol documents.

Answers are frozen dataclasses with snake_case fields; on the wire every field is camelCase
(``env_path`` → ``envPath``), a :class:`~pathlib.Path` is a string, a tuple is an array, and a field
marked :data:`OMIT_IF_NONE` is left out while None (docs/PROTOCOL.md's optional ``field?:``), whereas any
other None is sent as null. Used at the two edges only: the LSP handlers (lsp/) and the CLI's ``--json``,
which prints the same shapes; nothing reads these dicts back.

Dataclasses rather than attrs, and this converter rather than cattrs: ``venvkeeper check`` is a
short-lived process (CI, pre-commit) whose import time is measured (docs/PERFORMANCE.md); the standard
library is imported anyway, attrs would add ~20 ms and cattrs more (tests/unit/test_cli_check.py keeps
cattrs out), and the rules above are all there is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

#: Field metadata: leave the key out while the value is None (``key?: T`` in docs/PROTOCOL.md).
OMIT_IF_NONE: Mapping[str, bool] = {"wire_omit_if_none": True}


def camel(name: str) -> str:
    """``env_path`` → ``envPath``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@overload
def to_wire(value: None) -> None: ...
@overload
def to_wire(value: DataclassInstance) -> dict[str, Any]: ...
@overload
def to_wire(value: object) -> Any: ...


def to_wire(value: object) -> Any:
    """``value`` (a dataclass instance, or a list/tuple/dict of them) as plain camelCase JSON types."""
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for field in fields(value):
            item = getattr(value, field.name)
            if item is None and field.metadata.get("wire_omit_if_none"):
                continue
            out[camel(field.name)] = to_wire(item)
        return out
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items()}
    return value


def wire_keys(cls: type[DataclassInstance]) -> set[str]:
    """The JSON keys of ``cls`` (the contract test compares them with docs/PROTOCOL.md)."""
    return {camel(f.name) for f in fields(cls)}
