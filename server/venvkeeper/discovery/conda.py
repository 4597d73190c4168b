"""conda / mamba / micromamba envs and pixi envs: a prefix with ``conda-meta/`` (no ``pyvenv.cfg``).

Where conda envs are (read once per refresh, never by running ``conda``):

- ``~/.conda/environments.txt``: every env conda/mamba created, one path a line (at most
  :data:`MAX_LISTED` are looked at; a longer file is logged and cut);
- ``envs_dirs`` of the ``.condarc`` files (``$CONDARC``, ``~/.condarc``, ``~/.conda/.condarc``,
  ``$XDG_CONFIG_HOME/conda/.condarc`` or ``~/.config/conda/.condarc``) and ``CONDA_ENVS_PATH``;
- the known install roots (``~/miniconda3``, ``~/miniforge3``, ``~/anaconda3``, ``~/mambaforge``,
  ``~/micromamba``, ``/opt/conda``, ``MAMBA_ROOT_PREFIX``, …) and their ``envs/``; ``~/.conda/envs``.

A project is tied to a named env by ``name:`` in its ``environment.yml`` (or ``.yaml``), or to a
prefix by ``prefix:``. The version comes from ``conda-meta/python-<X.Y.Z>-<build>.json``. pixi keeps
its envs in the project: ``.pixi/envs/<env>`` (``default`` first).

``.condarc`` and ``environment.yml`` are YAML; we read only the two keys we need with a line scanner
(no YAML library is among our dependencies, and these keys are written as plain scalars or lists).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from venvkeeper import fsread
from venvkeeper.discovery.context import LocateContext, ProjectFiles
from venvkeeper.discovery.model import Candidate, Environment, Origin
from venvkeeper.discovery.pyvenv import PyvenvCfg

#: environments.txt lines looked at; users have tens, a file with thousands is not a real one.
MAX_LISTED = 500
MAX_YAML_BYTES = 256 * 1024
_PYTHON_META_RE = re.compile(r"^python-(\d+\.\d+(?:\.\d+)?)-")
_INSTALL_ROOTS = (
    "miniconda3",
    "miniforge3",
    "anaconda3",
    "mambaforge",
    "micromamba",
    "miniconda",
    "anaconda",
)
_SYSTEM_ROOTS = (
    "/opt/conda",
    "/opt/miniconda3",
    "/opt/miniforge3",
    "/opt/anaconda3",
    "/usr/local/miniconda3",
)


def is_conda_prefix(path: Path) -> bool:
    return fsread.is_dir(path / "conda-meta")


def identify_conda_env(path: Path, ctx: LocateContext) -> Optional[Environment]:
    """The conda env at ``path`` (ok, or broken when it has no Python), or None when it is not one."""
    if not is_conda_prefix(path):
        return None
    windows = ctx.windows
    python = path / "python.exe" if windows else path / "bin" / "python"
    version = None
    for entry in ctx.listing(path / "conda-meta"):
        m = _PYTHON_META_RE.match(entry.name)
        if m and entry.name.endswith(".json"):
            version = m.group(1)
            break
    has_python = fsread.is_file(python)  # a FIFO or a device there is not an interpreter
    problem = None if has_python else f"the conda env {path} has no Python ({python.name} is missing)"
    return Environment(
        path=path,
        python=python,
        layout="windows" if windows else "posix",
        state="ok" if problem is None else "broken",
        problem=problem,
        cfg=PyvenvCfg(version=version) if version else None,
        manager="conda",
    )


def _unquote_start(text: str) -> str:
    return text[1:] if text[:1] in ("'", '"') else text


def _ends_scalar(tail: str) -> bool:
    """What may follow a scalar's characters: a closing quote, blanks, a comment."""
    tail = _unquote_start(tail).lstrip(" \t")
    return not tail or tail.startswith("#")


#: A YAML scalar's characters up to a quote, a comment or the end of the line.
_SCALAR_RE = re.compile(r"[^'\"#\r\n]+")


def yaml_scalar(text: str, key: str) -> Optional[str]:
    """A top-level ``key: value`` of a YAML file (plain or quoted scalar), or None.

    Line by line rather than one ``(?m)^key:[ \t]*['"]?([^'"#]+?)['"]?[ \t]*(?:#.*)?$`` search: that lazy
    group retried ``[ \t]*`` from every blank of a value like ``a<16k blanks>b'c`` (23 s; issue 9).
    """
    prefix = f"{key}:"
    for line in text.splitlines():
        if not line.startswith(prefix):
            continue
        rest = line[len(prefix) :]
        value = rest.lstrip(" \t")
        blanks = len(rest) - len(value)
        value = _unquote_start(value)
        m = _SCALAR_RE.match(value)
        if m is not None and _ends_scalar(value[m.end() :]):
            return m.group(0).strip()
        if m is None and blanks and _ends_scalar(rest[blanks:]):
            return ""  # "key:" followed by blanks only: an empty value, as the pattern above found it
    return None


def yaml_list(text: str, key: str) -> list[str]:
    """A top-level ``key:`` block list (``- item`` lines) or flow list (``[a, b]``)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith(f"{key}:"):
            continue
        rest = line[len(key) + 1 :].split("#", 1)[0].strip()
        if rest.startswith("["):
            return [v.strip().strip("'\"") for v in rest.strip("[]").split(",") if v.strip()]
        items = []
        for follow in lines[i + 1 :]:
            stripped = follow.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if not stripped.startswith("- "):
                break
            items.append(stripped[2:].split(" #", 1)[0].strip().strip("'\""))
        return items
    return []


def _condarc_files(ctx: LocateContext) -> list[Path]:
    out: list[Path] = []
    explicit = ctx.env_path("CONDARC")
    if explicit is not None:
        out.append(explicit)
    if ctx.home is not None:
        config = ctx.env_path("XDG_CONFIG_HOME") or ctx.home / ".config"
        out += [config / "conda" / ".condarc", ctx.home / ".conda" / ".condarc", ctx.home / ".condarc"]
    return out


def _install_roots(ctx: LocateContext) -> list[Path]:
    roots: list[Path] = []
    for var in ("MAMBA_ROOT_PREFIX", "CONDA_ROOT"):
        path = ctx.env_path(var)
        if path is not None:
            roots.append(path)
    conda_exe = ctx.env_path("CONDA_EXE")
    if conda_exe is not None:
        roots.append(conda_exe.parent.parent)
    if ctx.home is not None:
        roots += [ctx.home / name for name in _INSTALL_ROOTS]
    if not ctx.windows:
        roots += [Path(p) for p in _SYSTEM_ROOTS]
    return roots


def _envs_dirs(ctx: LocateContext, roots: list[Path]) -> list[Path]:
    dirs: list[Path] = []
    for value in ctx.environ.get("CONDA_ENVS_PATH", "").split(os.pathsep):
        if value.strip():
            dirs.append(ctx.expand(value.strip()))
    for rc in _condarc_files(ctx):
        text = ctx.read_text(rc, MAX_YAML_BYTES)
        if text:
            dirs += [ctx.expand(v) for v in yaml_list(text, "envs_dirs") + yaml_list(text, "envs_path")]
    if ctx.home is not None:
        dirs.append(ctx.home / ".conda" / "envs")
    dirs += [root / "envs" for root in roots]
    return dirs


def conda_envs_dirs(ctx: LocateContext) -> list[Path]:
    """The dirs conda creates named envs in (``envs_dirs``, ``~/.conda/envs``, ``<root>/envs``) that
    exist, and ``~/.conda`` (``environments.txt``): watched for projects that name a conda env."""

    def compute() -> list[Path]:
        dirs = _envs_dirs(ctx, _install_roots(ctx))
        if ctx.home is not None:
            dirs.append(ctx.home / ".conda")
        return [d for d in dict.fromkeys(dirs) if fsread.is_dir(d)]

    return ctx.cached("conda-envs-dirs", compute)


def conda_envs(ctx: LocateContext) -> list[Path]:
    """Every conda env prefix on disk, deduplicated by real path; built once per context."""

    def compute() -> list[Path]:
        seen: set[str] = set()
        found: list[Path] = []

        def add(path: Path) -> None:
            try:
                key = os.path.realpath(path)
            except (OSError, RuntimeError):  # a path that loops
                return
            if key not in seen and is_conda_prefix(path):
                seen.add(key)
                found.append(path)

        roots = _install_roots(ctx)
        for root in roots:
            add(root)
        for envs_dir in _envs_dirs(ctx, roots):
            for entry in ctx.listing(envs_dir):
                add(Path(entry.path))
        if ctx.home is not None:
            listed = ctx.home / ".conda" / "environments.txt"
            text = ctx.read_text(listed, 1024 * 1024)
            lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
            if len(lines) > MAX_LISTED:
                ctx.note(f"discovery read only the first {MAX_LISTED} of {len(lines)} paths in {listed}")
            for line in lines[:MAX_LISTED]:
                add(ctx.expand(line))
        return found

    return ctx.cached("conda-envs", compute)


def env_file_target(
    project: Path, ctx: LocateContext, info: ProjectFiles
) -> tuple[Optional[str], Optional[Path], Optional[Path]]:
    """(name, prefix, file) from the project's environment.yml/.yaml."""
    for file_name in ("environment.yml", "environment.yaml"):
        if info.has(file_name):
            text = ctx.read_text(project / file_name, MAX_YAML_BYTES) or ""
            prefix = yaml_scalar(text, "prefix")
            return yaml_scalar(text, "name"), ctx.expand(prefix) if prefix else None, project / file_name
    return None, None, None


class CondaLocator:
    origin: Origin = "conda"

    def declared(self, info: ProjectFiles) -> bool:
        return True  # only environment.yml ties a conda env to a project, and it declares conda

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        info = ctx.project(project)
        name, prefix, env_file = env_file_target(project, ctx, info)
        if env_file is None or (name is None and prefix is None):
            return
        if prefix is not None:
            env = identify_conda_env(prefix, ctx)
            if env is not None:
                yield Candidate(env=env, origin=self.origin, source=f"{env_file.name} prefix: {prefix}")
        if name is None:
            return
        for envs_dir in conda_envs_dirs(ctx):
            ctx.watch_dir(project, envs_dir)
        for path in conda_envs(ctx):
            is_base = name == "base" and path.parent.name != "envs"
            if path.name == name or is_base:
                env = identify_conda_env(path, ctx)
                if env is not None:
                    yield Candidate(
                        env=env, origin=self.origin, source=f"conda env {name} ({env_file.name} name: {name})"
                    )


class PixiLocator:
    origin: Origin = "pixi"

    def declared(self, info: ProjectFiles) -> bool:
        return True  # the envs live in the project's own .pixi/

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        if not ctx.project(project).has(".pixi"):
            return
        entries = sorted(ctx.listing(project / ".pixi" / "envs"), key=lambda e: e.name != "default")
        for entry in entries:
            env = identify_conda_env(Path(entry.path), ctx)
            if env is not None:
                yield Candidate(
                    env=env, origin=self.origin, source=f"pixi env {entry.name} (.pixi/envs/{entry.name})"
                )
