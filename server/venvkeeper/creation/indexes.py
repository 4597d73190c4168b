"""Where packages come from, when the tool that resolves is not the one the user configured.

pip reads its own configuration (pip.conf files and ``PIP_*`` variables) and uv its own (``uv.toml``,
``[tool.uv]`` in the project's pyproject.toml, ``UV_*`` variables), since both run in the project dir.
uv ignores pip's configuration, so a user whose index lives in pip.conf would see uv resolve against
PyPI: :func:`uv_index_options` translates pip's index settings to uv's command-line options, unless uv
has index settings of its own (then those are what the user set up for uv).

pip's precedence (``pip/_internal/configuration.py``): global files, the user's files (skipped when
``PIP_CONFIG_FILE`` names an existing file), the env's ``pip.conf``, ``PIP_CONFIG_FILE``; sections
``[global]`` then ``[install]``; ``PIP_*`` variables last; ``PIP_CONFIG_FILE=/dev/null``: no file.
Files are read bounded; unreadable or malformed ones are skipped (pip fails on them at install time).
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path

from venvkeeper import fsread
from venvkeeper.host import Host
from venvkeeper.ini import parse_ini
from venvkeeper.requirements import _toml
from venvkeeper.requirements.records import read_source_text

_KEYS = ("index-url", "extra-index-url", "find-links", "no-index")
#: uv settings (uv.toml top level, ``[tool.uv]``, ``[tool.uv.pip]``) that say where packages come from.
_UV_KEYS = ("index", "index-url", "extra-index-url", "find-links", "no-index", "default-index")
_UV_VARS = (
    "UV_INDEX",
    "UV_DEFAULT_INDEX",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_NO_INDEX",
)


def pip_config_files(host: Host, env: Path) -> list[Path]:
    """pip's configuration files for ``env``, lowest precedence first (see the module docstring)."""
    environ = host.environ
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []  # pip's own rule: PIP_CONFIG_FILE=/dev/null loads no file at all
    dirs = environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    files = [*(Path(d) / "pip" / "pip.conf" for d in dirs.split(":") if d), Path("/etc/pip.conf")]
    if not (env_file and Path(env_file).exists()):
        config_home = Path(environ.get("XDG_CONFIG_HOME") or host.home / ".config")
        files += [host.home / ".pip" / "pip.conf", config_home / "pip" / "pip.conf"]
    files.append(env / "pip.conf")
    if env_file:
        files.append(Path(env_file))
    return files


def pip_index_settings(host: Host, env: Path) -> dict[str, str]:
    """pip's effective ``index-url``, ``extra-index-url``, ``find-links`` and ``no-index``."""
    settings: dict[str, str] = {}
    for path in pip_config_files(host, env):
        if not fsread.is_file(path):
            continue
        text, _why = read_source_text(path)
        try:
            parser = parse_ini(text or "")  # linear time on hostile input (ini.py)
        except configparser.Error:
            continue
        for section in ("global", "install"):
            if parser.has_section(section):
                settings.update({k: v for k, v in parser.items(section) if k in _KEYS and v.strip()})
    for key in _KEYS:
        value = host.environ.get("PIP_" + key.upper().replace("-", "_"))
        if value:  # pip ignores a setting whose value is empty
            settings[key] = value
    return settings


def _true(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _options(settings: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    if _true(settings.get("no-index", "")):
        out.append("--no-index")
    if settings.get("index-url"):
        out += ["--index-url", settings["index-url"].split()[0]]
    for key in ("extra-index-url", "find-links"):
        for value in settings.get(key, "").split():
            out += [f"--{key}", value]
    return out


def uv_has_index_settings(host: Host, project: Path) -> bool:
    """uv has been told where packages come from (its variables, a uv.toml, or the project's [tool.uv])."""
    if any(host.environ.get(v) for v in _UV_VARS):
        return True
    config_home = Path(host.environ.get("XDG_CONFIG_HOME") or host.home / ".config")
    for path in (project / "uv.toml", config_home / "uv" / "uv.toml", Path("/etc/uv/uv.toml")):
        if _has_uv_keys(path, ()):
            return True
    return _has_uv_keys(project / "pyproject.toml", ("tool", "uv"))


def _has_uv_keys(path: Path, table: tuple[str, ...]) -> bool:
    if not fsread.is_file(path):
        return False
    text, _why = read_source_text(path, fsread.PYPROJECT)
    try:
        data: object = _toml.loads(text or "")
    except _toml.TOMLDecodeError:
        return False
    for key in table:
        data = data.get(key) if isinstance(data, dict) else None
    if not isinstance(data, dict):
        return False
    pip = data.get("pip")
    return any(k in data for k in _UV_KEYS) or (isinstance(pip, dict) and any(k in pip for k in _UV_KEYS))


def uv_index_options(host: Host, project: Path, env: Path) -> list[str]:
    """pip's index settings as uv options, when uv has none of its own ([] otherwise)."""
    if uv_has_index_settings(host, project):
        return []
    return _options(pip_index_settings(host, env))


__all__ = ["pip_config_files", "pip_index_settings", "uv_has_index_settings", "uv_index_options"]
