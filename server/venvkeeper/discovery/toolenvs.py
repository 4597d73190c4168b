"""Locators for the envs Poetry, Pipenv, PDM, Hatch, pyenv-virtualenv and virtualenvwrapper keep
outside the project, each tied to its project by the tool's own naming rule.

Every rule was checked against the real tool (versions in tests/unit/discovery/test_toolenvs.py, where
the names each tool produced are frozen as vectors). None of them is ever run: configs are read with
bounded reads, names are computed, and the tool's env dir is listed once per refresh.
"""

from __future__ import annotations

import hashlib
import ntpath
import os
import re
from base64 import urlsafe_b64encode
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Optional

from packaging.utils import canonicalize_name

from venvkeeper.discovery import files
from venvkeeper.discovery.context import LocateContext, ProjectFiles, env_candidates
from venvkeeper.discovery.identify import is_env_dir
from venvkeeper.discovery.model import Candidate, Origin
from venvkeeper.discovery.userdirs import pyenv_root

#: .project / .pdm-python / .python-version files hold one path or a few names.
MAX_SMALL_FILE = 4096


def _b64(digest: bytes, n: int = 8) -> str:
    return urlsafe_b64encode(digest).decode()[:n]


def _truthy(value: object) -> Optional[bool]:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return value.strip().lower() in ("1", "true", "yes", "on")
    return None


def _realpath(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, RuntimeError):
        return str(path)


def _sorted_by_version_desc(paths: Iterable[Path], suffix_re: re.Pattern[str]) -> list[Path]:
    def key(p: Path) -> tuple[int, ...]:
        m = suffix_re.search(p.name)
        return tuple(int(x) for x in m.group(1).split(".")) if m else ()

    return sorted(paths, key=key, reverse=True)


# -- Poetry ----------------------------------------------------------------------------------------


def poetry_sanitized_name(name: str) -> str:
    return re.sub(r'[ $`!*@"\\\r\n\t]', "_", name.lower())[:42]


def poetry_env_base(name: str, project_dir: str, *, windows: bool = False) -> str:
    """``<sanitised name[:42]>-<urlsafe-b64(sha256(normcase(realpath(project dir))))[:8]>``, the prefix
    of every env Poetry (2.x ``EnvManager.generate_env_name``) makes for a project; ``-pyX.Y`` follows.
    ``name`` is the canonicalised project name; ``project_dir`` is already the real path."""
    normalized = ntpath.normcase(project_dir) if windows else project_dir
    return f"{poetry_sanitized_name(name)}-{_b64(hashlib.sha256(normalized.encode('utf-8')).digest())}"


class PoetryLocator:
    """``virtualenvs.path``: ``POETRY_VIRTUALENVS_PATH`` > the project's ``poetry.toml`` > ``config.toml``
    (``POETRY_CONFIG_DIR`` or the platform config dir, roaming) > ``<cache-dir>/virtualenvs``
    (``cache-dir``: ``POETRY_CACHE_DIR`` > the same files > the platform cache dir); ``{cache-dir}`` in
    the path is substituted as Poetry does. One env per Python (``-py3.11``, ``-py3.12``): the one
    ``envs.toml`` records (``poetry env use``) first, then newest first. ``virtualenvs.in-project``
    envs are ``.venv``, found earlier by the ``.venv`` locator."""

    origin: Origin = "poetry"

    def declared(self, info: ProjectFiles) -> bool:
        return bool(info.tool("poetry")) or info.has("poetry.lock") or info.has("poetry.toml")

    def _setting(
        self, ctx: LocateContext, info: ProjectFiles, section: Optional[str], key: str
    ) -> Optional[str]:
        """A setting from the environment, the project's poetry.toml, then the user's config.toml."""
        env_name = "POETRY_" + "_".join(k.upper().replace("-", "_") for k in filter(None, (section, key)))
        value = ctx.environ.get(env_name, "").strip()
        if value:
            return value
        config_dir = ctx.env_path("POETRY_CONFIG_DIR") or ctx.user_dir("config", "pypoetry", roaming=True)
        sources = [info.root / "poetry.toml"] if info.has("poetry.toml") else []
        sources += [config_dir / "config.toml"] if config_dir else []
        for source in sources:
            data = ctx.read_toml(source)
            found = (files.table(data, section) if section else data).get(key)
            if isinstance(found, str) and found.strip():
                return found.strip()
        return None

    def virtualenvs_path(self, info: ProjectFiles, ctx: LocateContext) -> Optional[Path]:
        cache_dir = self._setting(ctx, info, None, "cache-dir")
        cache = ctx.expand(cache_dir) if cache_dir else ctx.user_dir("cache", "pypoetry")
        path = self._setting(ctx, info, "virtualenvs", "path")
        if path is None:
            return cache / "virtualenvs" if cache else None
        if "{cache-dir}" in path:
            if cache is None:
                return None
            path = path.replace("{cache-dir}", str(cache))
        return ctx.expand(path)

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        info = ctx.project(project)
        if not info.pyproject:
            return
        name = info.project_name
        if name is None:
            if not self.declared(info):
                return
            name = "non-package-mode"  # what Poetry 2 calls a nameless package-mode = false project
        parent = ctx.cached(
            ("poetry-venvs", str(project) if info.has("poetry.toml") else None),
            lambda: self.virtualenvs_path(info, ctx),
        )
        if parent is None:
            return
        if self.declared(info):
            ctx.watch_dir(project, parent)
        entries = ctx.listing(parent)
        canonical = str(canonicalize_name(name))
        # Cheap filter first: hashing needs the project's real path (a syscall per path component).
        name_prefix = poetry_sanitized_name(canonical) + "-"
        if not any(e.name.startswith(name_prefix) for e in entries):
            return
        base = poetry_env_base(canonical, _realpath(project), windows=ctx.windows)
        prefix = f"{base}-py"
        matches = [Path(e.path) for e in entries if e.name.startswith(prefix)]
        ordered = _sorted_by_version_desc(matches, re.compile(r"-py(\d+(?:\.\d+)*)$"))
        recorded = files.string(files.table(ctx.read_toml(parent / "envs.toml"), base), "minor")
        if recorded:
            ordered.sort(key=lambda p: p.name != f"{prefix}{recorded}")

        def source(path: Path) -> str:
            chosen = (
                " (chosen with `poetry env use`)" if recorded and path.name == f"{prefix}{recorded}" else ""
            )
            return f"Poetry env {path.name} in {parent}{chosen}"

        yield from env_candidates(ctx, ordered, self.origin, source)


# -- Pipenv and virtualenvwrapper --------------------------------------------------------------------


def workon_homes(ctx: LocateContext) -> list[Path]:
    """Where Pipenv and virtualenvwrapper keep envs: ``WORKON_HOME``, else Pipenv's default
    (``$XDG_DATA_HOME/virtualenvs`` or ``~/.local/share/virtualenvs``; ``~/.virtualenvs`` on Windows)
    and virtualenvwrapper's (``~/.virtualenvs``)."""
    return ctx.cached("workon-homes", lambda: _workon_homes(ctx))


def _workon_homes(ctx: LocateContext) -> list[Path]:
    explicit = ctx.env_path("WORKON_HOME")
    if explicit is not None:
        return [explicit]
    if ctx.home is None:
        return []
    xdg = ctx.env_path("XDG_DATA_HOME")
    pipenv = (
        ctx.home / ".virtualenvs" if ctx.windows else (xdg or ctx.home / ".local" / "share") / "virtualenvs"
    )
    homes = [pipenv]
    if ctx.home / ".virtualenvs" not in homes:
        homes.append(ctx.home / ".virtualenvs")
    return homes


def pipenv_env_name(project_dir_name: str, pipfile_path: str) -> str:
    """``<sanitised dir name[:42]>-<urlsafe-b64(sha256(abspath of the Pipfile)[:6])>`` (Pipenv
    ``VenvLocator.name``); ``PIPENV_PYTHON`` may append ``-<python>``, so match it as a prefix."""
    sanitized = re.sub(r'[ &$`!*@"()\[\]\\\r\n\t]', "_", project_dir_name)[:42]
    return f"{sanitized}-{_b64(hashlib.sha256(pipfile_path.encode()).digest()[:6])}"


def project_index(ctx: LocateContext, home: Path) -> dict[str, list[Path]]:
    """real path of the project named by each env's ``.project`` file -> envs (virtualenvwrapper's
    ``mkproject``/``setvirtualenvproject``; Pipenv writes one too). Built once per context."""

    def compute() -> dict[str, list[Path]]:
        index: dict[str, list[Path]] = {}
        for entry in ctx.listing(home):
            env = Path(entry.path)
            text = ctx.read_text(env / ".project", MAX_SMALL_FILE) if is_env_dir(env) else None
            if text and text.strip():
                index.setdefault(_realpath(ctx.expand(text.strip().splitlines()[0])), []).append(env)
        return index

    return ctx.cached(("project-index", str(home)), compute)


class PipenvLocator:
    """``WORKON_HOME`` (or Pipenv's default dir) ``/<dir name>-<hash of the Pipfile path>``, then
    ``PIPENV_CUSTOM_VENV_NAME``. ``PIPENV_VENV_IN_PROJECT``/``.venv`` and a ``.venv`` file are found
    earlier by the ``.venv`` and ``.venv``-file locators."""

    origin: Origin = "pipenv"

    def declared(self, info: ProjectFiles) -> bool:
        return info.has("Pipfile")

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        if not ctx.project(project).has("Pipfile"):
            return
        homes = workon_homes(ctx)[:1]  # Pipenv uses one dir
        if not homes:
            return
        home = homes[0]
        ctx.watch_dir(project, home)
        pipfile = str(
            PureWindowsPath(project, "Pipfile") if ctx.windows else PurePosixPath(project, "Pipfile")
        )
        prefix = pipenv_env_name(project.name, pipfile)
        paths = [
            Path(e.path) for e in ctx.listing(home) if e.name == prefix or e.name.startswith(prefix + "-")
        ]
        custom = ctx.environ.get("PIPENV_CUSTOM_VENV_NAME", "").strip()
        if custom:
            paths.insert(0, home / custom)
        yield from env_candidates(ctx, paths, self.origin, lambda p: f"Pipenv env {p.name} in {home}")


class VirtualenvwrapperLocator:
    """Envs in ``WORKON_HOME`` (or ``~/.virtualenvs``, and Pipenv's dir) whose ``.project`` file names
    this project."""

    origin: Origin = "virtualenvwrapper"

    def declared(self, info: ProjectFiles) -> bool:
        return True  # the env's .project names the project: the tie is explicit

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        key: Optional[str] = None
        for home in workon_homes(ctx):
            index = project_index(ctx, home)
            if not index:
                continue
            key = key or _realpath(project)
            envs = index.get(key, [])
            yield from env_candidates(
                ctx, envs, self.origin, lambda p: f"{p.name}/.project in {p.parent} names this project"
            )


# -- PDM -------------------------------------------------------------------------------------------


def pdm_venv_prefix(project_dir_name: str, project_posix: str) -> str:
    """``<dir name>-<urlsafe-b64(md5(root.as_posix()))[:8]>-``, then the env's ident (``3.11``, a
    ``--name``) — PDM ``get_venv_prefix``."""
    return f"{project_dir_name}-{_b64(hashlib.md5(project_posix.encode(), usedforsecurity=False).digest())}-"


def _env_of_interpreter(python: Path) -> Optional[Path]:
    """The env dir that holds ``python`` (``<env>/bin/python``, ``<env>/Scripts/python.exe``)."""
    env = python.parent.parent
    return env if python.parent.name in ("bin", "Scripts") and is_env_dir(env) else None


class PdmLocator:
    """``.pdm-python`` (the interpreter ``pdm use`` chose; an env when it sits in one), then the central
    ``venv.location`` (``[venv] location`` in ``PDM_CONFIG_FILE`` or the platform config dir's
    ``config.toml``; default ``<data dir>/venvs``) entries ``<prefix><ident>``."""

    origin: Origin = "pdm"

    def declared(self, info: ProjectFiles) -> bool:
        return info.has("pdm.lock") or info.has(".pdm-python") or bool(info.tool("pdm"))

    def venv_location(self, ctx: LocateContext) -> Optional[Path]:
        config = ctx.env_path("PDM_CONFIG_FILE")
        if config is None:
            config_dir = ctx.user_dir("config", "pdm", author_dir=True)
            config = config_dir / "config.toml" if config_dir else None
        if config is not None:
            location = files.string(files.table(ctx.read_toml(config), "venv"), "location")
            if location:
                return ctx.expand(location)
        data = ctx.user_dir("data", "pdm", author_dir=True)
        return data / "venvs" if data else None

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        info = ctx.project(project)
        if info.has(".pdm-python"):
            yield from self._pinned(project, ctx)
        parent = ctx.cached("pdm-venvs", lambda: self.venv_location(ctx))
        if parent is None:
            return
        if self.declared(info):
            ctx.watch_dir(project, parent)
        entries = ctx.listing(parent)
        if not any(e.name.startswith(f"{project.name}-") for e in entries):
            return
        posix = PureWindowsPath(project).as_posix() if ctx.windows else str(project)
        prefix = pdm_venv_prefix(project.name, posix)
        paths = [Path(e.path) for e in entries if e.name.startswith(prefix)]
        ordered = _sorted_by_version_desc(paths, re.compile(r"-(\d+(?:\.\d+)*)$"))
        yield from env_candidates(ctx, ordered, self.origin, lambda p: f"PDM env {p.name} in {parent}")

    def _pinned(self, project: Path, ctx: LocateContext) -> Iterator[Candidate]:
        text = ctx.read_text(project / ".pdm-python", MAX_SMALL_FILE)
        if not text or not text.strip():
            return
        python = Path(text.strip().splitlines()[0])
        if not python.is_absolute():
            python = project / python
        try:
            exists = python.exists()
        except OSError:
            exists = False
        if not exists:
            ctx.note(f"discovery ignored {project / '.pdm-python'}: it names {python}, which does not exist")
            return
        env = _env_of_interpreter(python)
        if env is None:
            return  # a base interpreter, not an env: the project runs PDM without a venv
        yield from env_candidates(ctx, [env], self.origin, lambda p: f".pdm-python (pdm use) names {python}")


# -- Hatch -----------------------------------------------------------------------------------------


def hatch_project_id(project: str, *, casefold: bool = False) -> str:
    """``urlsafe-b64(sha256(project path))[:8]`` (Hatch ``Path.id``; case-folded on macOS/Windows)."""
    return _b64(hashlib.sha256((project.casefold() if casefold else project).encode("utf-8")).digest())


class HatchLocator:
    """Virtual envs of Hatch: ``[tool.hatch.envs.<env>] path`` (or ``hatch.toml``'s ``[envs.<env>]``)
    when set; else ``[dirs.env] virtual`` of Hatch's config (``HATCH_CONFIG`` or the platform config
    dir; relative to the project) or ``<data dir>/env/virtual`` (``HATCH_DATA_DIR`` > ``[dirs] data`` >
    the platform data dir), as ``<dir>/<project name>/<project id>/<env>`` — flat ``<dir>/<env>`` when
    the dir is ``~/.virtualenvs`` or inside the project. The default env is named after the project."""

    origin: Origin = "hatch"

    def declared(self, info: ProjectFiles) -> bool:
        return bool(info.tool("hatch")) or info.has("hatch.toml")

    def _envs_config(self, project: Path, ctx: LocateContext, info: ProjectFiles) -> dict[str, object]:
        envs = (
            dict(info.tool("hatch").get("envs") or {})
            if isinstance(info.tool("hatch").get("envs"), dict)
            else {}
        )
        if info.has("hatch.toml"):
            envs.update(files.table(ctx.read_toml(project / "hatch.toml"), "envs"))
        return envs

    def _virtual_dir(self, project: Path, ctx: LocateContext) -> Optional[Path]:
        configured, default = ctx.cached("hatch-virtual", lambda: self._user_config(ctx))
        if configured is None:
            return default
        return configured if configured.is_absolute() else project / configured

    def default_storage(self, ctx: LocateContext) -> Optional[Path]:
        """Where Hatch keeps envs of every project when ``[dirs.env] virtual`` is absolute or unset
        (``<dir>/<project name>/<project id>/<env>``); None when it is relative (per project)."""
        configured, default = ctx.cached("hatch-virtual", lambda: self._user_config(ctx))
        if configured is None:
            return default
        flat = ctx.home is not None and configured == ctx.home / ".virtualenvs"
        return configured if configured.is_absolute() and not flat else None

    def _user_config(self, ctx: LocateContext) -> tuple[Optional[Path], Optional[Path]]:
        """(``[dirs.env] virtual`` as written, the default ``<data dir>/env/virtual``)."""
        config = ctx.env_path("HATCH_CONFIG")
        if config is None:
            config_dir = ctx.user_dir("config", "hatch")
            config = config_dir / "config.toml" if config_dir else None
        data = ctx.read_toml(config) if config is not None else {}
        virtual = files.string(files.table(data, "dirs", "env"), "virtual")
        if virtual:
            return ctx.expand(virtual), None
        data_dir = ctx.env_path("HATCH_DATA_DIR")
        if data_dir is None:
            configured = files.string(files.table(data, "dirs"), "data")
            data_dir = ctx.expand(configured) if configured else ctx.user_dir("data", "hatch")
        return None, (data_dir / "env" / "virtual" if data_dir else None)

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        info = ctx.project(project)
        if not info.pyproject and not info.has("hatch.toml"):
            return
        envs = self._envs_config(project, ctx, info)
        pid = hatch_project_id(str(project), casefold=ctx.sys_platform in ("win32", "darwin"))
        name = files.string(files.table(info.pyproject, "project"), "name")
        project_name = str(canonicalize_name(name)) if name else f"{pid}-unmanaged"
        # (env name, path, why), the default env first: that is the one `hatch shell`/`hatch run` use.
        found: list[tuple[str, Path, str]] = []
        for env_name, config in envs.items():
            path = files.string(config, "path") if isinstance(config, dict) else None
            if path:
                target = Path(path)
                target = Path(os.path.normpath(target if target.is_absolute() else project / target))
                found.append((env_name, target, f"Hatch env {env_name} at {target} (its path option)"))
        base = self._virtual_dir(project, ctx)
        if base is not None:
            flat = (ctx.home is not None and base == ctx.home / ".virtualenvs") or project in base.parents
            storage = base if flat else base / project_name / pid
            if self.declared(info):
                ctx.watch_dir(project, base)
                if not flat:
                    ctx.watch_dir(project, storage)
            if flat or any(e.name == project_name for e in ctx.listing(base)):
                names = (
                    [e.name for e in ctx.listing(storage)]
                    if not flat
                    else [project_name, *(n for n in envs if n != "default")]
                )
                for dir_name in names:
                    env_name = "default" if dir_name == project_name else dir_name
                    found.append((env_name, storage / dir_name, f"Hatch env {env_name} in {storage}"))
        found.sort(key=lambda item: item[0] != "default")
        why = {path: text for _, path, text in reversed(found)}
        yield from env_candidates(ctx, [path for _, path, _ in found], self.origin, lambda p: why[p])


# -- pyenv-virtualenv ------------------------------------------------------------------------------


def python_version_names(text: str) -> list[str]:
    """The names in a ``.python-version`` (whitespace- or line-separated; ``#`` starts a comment)."""
    names: list[str] = []
    for line in text.splitlines():
        names.extend(line.split("#", 1)[0].split())
    return names


class PyenvLocator:
    """A project's ``.python-version`` naming a pyenv-virtualenv env: ``$PYENV_ROOT/versions/<name>``
    (a link to ``versions/<X.Y.Z>/envs/<name>``) holding ``pyvenv.cfg``. A name that is a plain Python
    version is a base interpreter, not an env (creation/interpreters.py uses it)."""

    origin: Origin = "pyenv"

    def declared(self, info: ProjectFiles) -> bool:
        return True  # .python-version names the env: the tie is explicit

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        if not ctx.project(project).has(".python-version"):
            return
        root = (
            pyenv_root(ctx.environ, ctx.home, windows=ctx.windows)
            if ctx.home is not None
            else ctx.env_path("PYENV_ROOT")
        )
        text = ctx.read_text(project / ".python-version", MAX_SMALL_FILE)
        if root is None or not text:
            return
        versions = root / "versions"
        ctx.watch_dir(project, versions)
        names = python_version_names(text)
        # A name is a dir under versions/ ("myenv" or "3.11.7/envs/myenv"), never a way out of it.
        paths = [versions / n for n in names if not Path(n).is_absolute() and ".." not in Path(n).parts]
        yield from env_candidates(
            ctx,
            paths,
            self.origin,
            lambda p: f".python-version names the pyenv-virtualenv env {p.name} ({versions})",
        )
