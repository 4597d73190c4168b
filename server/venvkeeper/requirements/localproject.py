"""The distribution name of a local project directory (for ``-e ./path`` and ``./path`` lines).

Read from static metadata only (pyproject, setup.cfg, a literal ``name=`` in setup.py): running
setup.py to learn a name is exactly the kind of spawn a check must not do.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from venvkeeper import fsread
from venvkeeper.ini import parse_ini
from venvkeeper.requirements import _toml
from venvkeeper.requirements.records import read_source_text

_SETUP_PY_NAME_RE = re.compile(r"""\bname\s*=\s*['"]([A-Za-z0-9][A-Za-z0-9._-]*)['"]""")


def local_project_name(directory: Path) -> str | None:
    pyproject = directory / "pyproject.toml"
    text, _ = read_source_text(pyproject, fsread.PYPROJECT) if fsread.is_file(pyproject) else (None, None)
    if text:
        try:
            data = _toml.loads(text)
        except _toml.TOMLDecodeError:
            data = {}
        for table in (data.get("project"), data.get("tool", {}).get("poetry")):
            if isinstance(table, dict) and isinstance(table.get("name"), str):
                return str(table["name"])
    cfg = directory / "setup.cfg"
    cfg_text, _ = read_source_text(cfg) if fsread.is_file(cfg) else (None, None)
    if cfg_text is not None:
        try:
            name = parse_ini(cfg_text).get("metadata", "name", fallback=None)
        except (configparser.Error, OSError, UnicodeDecodeError):
            name = None
        if name:
            return name.strip()
    setup_py = directory / "setup.py"
    if fsread.is_file(setup_py):
        text, _ = read_source_text(setup_py)
        m = _SETUP_PY_NAME_RE.search(text or "")
        if m:
            return m.group(1)
    return None
