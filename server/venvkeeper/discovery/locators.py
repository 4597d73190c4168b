"""One locator per kind of environment, behind one interface, consulted in one documented order.

The order (first usable candidate wins; see docs/PROTOCOL.md "Projects and discovery"):

1. :class:`SelectedLocator`     — the user's explicit choice, stored in the user state dir. An explicit
   choice beats every convention, so it comes first.
2. :class:`Pep832FileLocator`   — a ``.venv`` *file* naming the env (PEP 832 draft): the project itself
   says where its env lives, which beats guessing from directory names.
3. :class:`ConventionalLocator` — ``.venv``, ``venv``, ``env`` directories, in that order (``.venv`` is
   the default of venv's docs, uv, Poetry's in-project mode and PEP 832).
4. :class:`ChildDirLocator`     — any other direct child directory holding ``pyvenv.cfg``.
5. :class:`ActivatedLocator`    — the client's ``VIRTUAL_ENV``: last, because a terminal's activation is
   transient and often stale; when it points into another project it is listed, never chosen.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Protocol

from venvkeeper import fsread
from venvkeeper.discovery.identify import identify_env, is_env_dir
from venvkeeper.discovery.model import Candidate, Environment, Origin
from venvkeeper.discovery.projects import should_skip
from venvkeeper.state import StateStore

CONVENTIONAL_NAMES = (".venv", "venv", "env")
#: A PEP 832 .venv file holds one path; anything longer is not such a file.
MAX_POINTER_BYTES = fsread.POINTER.max_bytes


@dataclass(frozen=True)
class LocateContext:
    state: StateStore
    virtual_env: Optional[str]
    prefer_layout: str = "posix"

    def identify(self, path: Path) -> Optional[Environment]:
        return identify_env(path, self.prefer_layout)


class Locator(Protocol):
    origin: Origin

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]: ...


def _missing_env(path: Path, problem: str) -> Environment:
    return Environment(
        path=path, python=path / "bin" / "python", layout="posix", state="broken", problem=problem
    )


class SelectedLocator:
    origin: Origin = "selected"

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        selected = ctx.state.selection(project)
        if selected is None:
            return
        env = ctx.identify(selected)
        if env is None:
            env = _missing_env(
                selected, f"the selected environment {selected} no longer exists or has no pyvenv.cfg"
            )
        yield Candidate(env=env, origin=self.origin, source="explicitly selected")


def read_pointer_file(path: Path, project: Path) -> tuple[Optional[Path], Optional[str]]:
    """Read a PEP 832 ``.venv`` file: (env path, None) or (None, why it is unusable)."""
    data = fsread.read_bytes(path, fsread.POINTER)
    if isinstance(data, fsread.Unreadable):
        return None, f".venv file {data.reason}"
    if b"\0" in data:
        return None, ".venv file does not hold a path (binary)"
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None, ".venv file is not UTF-8 text"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None, ".venv file is empty"
    target = Path(os.path.expanduser(lines[0]))
    if not target.is_absolute():
        target = project / target
    return Path(os.path.normpath(target)), None


class Pep832FileLocator:
    origin: Origin = "pep832"

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        pointer = project / ".venv"
        try:
            if not fsread.is_file(pointer):
                return
        except OSError:
            return
        target, problem = read_pointer_file(pointer, project)
        if target is None:
            env = _missing_env(pointer, problem or ".venv file is unusable")
            yield Candidate(env=env, origin=self.origin, source=".venv file (PEP 832)")
            return
        env = ctx.identify(target) or _missing_env(
            target, f".venv file points to {target}, which is not a virtual environment"
        )
        yield Candidate(env=env, origin=self.origin, source=f".venv file points to {target}")


class ConventionalLocator:
    origin: Origin = "conventional"

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        for name in CONVENTIONAL_NAMES:
            env = ctx.identify(project / name)
            if env is not None:
                yield Candidate(env=env, origin=self.origin, source=f"{name} in the project")


class ChildDirLocator:
    origin: Origin = "child"

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        try:
            with os.scandir(project) as it:
                names = sorted(
                    e.name
                    for e in it
                    if e.name not in CONVENTIONAL_NAMES and not should_skip(e.name) and _is_real_dir(e)
                )
        except OSError:
            return
        for name in names:
            if not is_env_dir(project / name):
                continue
            env = ctx.identify(project / name)
            if env is not None:
                yield Candidate(
                    env=env, origin=self.origin, source=f"{name}/ in the project holds a pyvenv.cfg"
                )


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:
        return False


class ActivatedLocator:
    origin: Origin = "activated"

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        if not ctx.virtual_env:
            return
        path = Path(os.path.normpath(ctx.virtual_env))
        env = ctx.identify(path) or _missing_env(
            path, f"VIRTUAL_ENV={path} is not a virtual environment (deleted?)"
        )
        inside = project == path or project in path.parents
        if inside:
            yield Candidate(env=env, origin=self.origin, source=f"activated (VIRTUAL_ENV={path})")
        else:
            yield Candidate(
                env=env,
                origin=self.origin,
                source=f"activated (VIRTUAL_ENV={path})",
                rejected="activated elsewhere: VIRTUAL_ENV belongs to another directory, not to this project",
                activated_elsewhere=True,
            )


#: The discovery order. Changing it changes which env users get: update docs/PROTOCOL.md too.
LOCATORS: tuple[Locator, ...] = (
    SelectedLocator(),
    Pep832FileLocator(),
    ConventionalLocator(),
    ChildDirLocator(),
    ActivatedLocator(),
)
