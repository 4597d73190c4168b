"""One locator per origin of an environment (where it is found: ``Candidate.origin``, not the env's
``kind`` — venv, uv, conda…), behind one interface, consulted in one documented order.

Every locator reads files only: it never runs an interpreter, a shim or the tool that made the env
(tests/unit/discovery/test_no_spawn.py checks it with a PATH of booby-trapped tools). Roots (home,
environment variables, OS) come from :class:`LocateContext`, never from globals.

The order (first usable candidate wins; docs/PROTOCOL.md "Projects and discovery" and README "How an
env is chosen" list the same rows):

1. :class:`SelectedLocator`      ``selected``   — the user's explicit choice, stored in the user state dir.
   An explicit choice beats every convention.
2. :class:`UvProjectEnvLocator`  ``uv``         — ``UV_PROJECT_ENVIRONMENT`` in the client's environment:
   uv itself uses it instead of ``.venv``, so the user has already said where the env is.
3. :class:`PythonEnvsLocator`    ``pep832``     — PEP 832's ``.python-envs`` (default first: a ``.venv``
   dir beside it, else the last line). The project lists its envs itself.
4. :class:`VenvFileLocator`      ``venv-file``  — a ``.venv`` *file* holding a path or an env name, the
   Pipenv/virtualfish convention (no longer PEP 832, which rejected it). Also written by the project.
5. :class:`ConventionalLocator`  ``conventional`` — a ``.venv`` directory: PEP 832's default env, and the
   in-project env of Poetry, Pipenv, PDM and uv, which all prefer it to their central env.
6. :class:`ToolEnvs` (declared)  — the envs of each tool the project *declares* (``[tool.poetry]``,
   ``poetry.lock``, ``Pipfile``, ``pdm.lock``, ``[tool.hatch]``, ``environment.yml``, …), tool by tool
   in :data:`TOOL_LOCATORS` order. A declared tool's env beats a stray ``venv/``.
7. :class:`ConventionalLocator`  ``conventional`` — ``venv`` and ``env`` directories.
8. :class:`ToolEnvs` (undeclared) — a tool env tied to the project (by the tool's own naming) while the
   project does not declare the tool, e.g. a Hatch env left from an experiment: listed, and chosen only
   when nothing above exists.
9. :class:`ChildDirLocator`      ``child``      — any other direct child directory holding ``pyvenv.cfg``.
10. :class:`ActivatedLocator`    ``activated``  — the client's ``VIRTUAL_ENV``: last, because a terminal's
    activation is transient and often stale; when it points into another project it is listed, never
    chosen.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from venvkeeper import fsread
from venvkeeper.discovery import files
from venvkeeper.discovery.conda import CondaLocator, PixiLocator, identify_conda_env
from venvkeeper.discovery.context import (
    LocateContext,
    Locator,
    ProjectFiles,
    ToolLocator,
    missing_env,
)
from venvkeeper.discovery.identify import is_env_dir
from venvkeeper.discovery.model import Candidate, Origin
from venvkeeper.discovery.projects import should_skip
from venvkeeper.discovery.toolenvs import (
    HatchLocator,
    PdmLocator,
    PipenvLocator,
    PoetryLocator,
    PyenvLocator,
    VirtualenvwrapperLocator,
    workon_homes,
)

__all__ = ["LOCATORS", "TOOL_LOCATORS", "LocateContext", "Locator", "ProjectFiles", "ToolLocator"]

CONVENTIONAL_NAMES = (".venv", "venv", "env")
#: A legacy .venv file holds one path or name; anything longer is not such a file.
MAX_POINTER_BYTES = 4096
#: A .python-envs file lists a handful of paths; past this it is not one (PEP 832 sets no limit).
MAX_PYTHON_ENVS_BYTES = 64 * 1024
MAX_PYTHON_ENVS_LINES = 1000


class SelectedLocator:
    origin: Origin = "selected"

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        selected = ctx.state.selection(project)
        if selected is None:
            return
        env = ctx.identify(selected) or identify_conda_env(selected, ctx)
        if env is None:
            env = missing_env(
                selected, f"the selected environment {selected} no longer exists or has no pyvenv.cfg"
            )
        yield Candidate(env=env, origin=self.origin, source="explicitly selected")


class UvProjectEnvLocator:
    origin: Origin = "uv"

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        value = ctx.environ.get("UV_PROJECT_ENVIRONMENT", "").strip()
        if not value:
            return
        target = ctx.expand(value)
        target = Path(os.path.normpath(target if target.is_absolute() else project / target))
        env = ctx.identify(target) or missing_env(
            target, f"UV_PROJECT_ENVIRONMENT names {target}, which is not a virtual environment (yet)"
        )
        yield Candidate(env=env, origin=self.origin, source=f"UV_PROJECT_ENVIRONMENT={value}")


def read_python_envs(path: Path, ctx: LocateContext) -> Optional[list[Path]]:
    """The env paths a PEP 832 ``.python-envs`` lists, in file order (None: no usable file)."""
    text = ctx.read_text(path, MAX_PYTHON_ENVS_BYTES)
    if text is None:
        return None
    lines = [ln.strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    if len(lines) > MAX_PYTHON_ENVS_LINES:
        ctx.note(f"discovery read only the last {MAX_PYTHON_ENVS_LINES} lines of {path} ({len(lines)} lines)")
        lines = lines[-MAX_PYTHON_ENVS_LINES:]
    out = []
    for line in lines:
        target = Path(line)  # PEP 832: relative to the file's directory; no ~ or $VAR expansion
        out.append(Path(os.path.normpath(target if target.is_absolute() else path.parent / target)))
    return out


class PythonEnvsLocator:
    """PEP 832 (python/peps peps/pep-0832.rst, Aug 2026): ``.python-envs`` lists env paths, one per line,
    relative to the file; the last line is the default; a ``.venv`` env beside the file is an implicit
    last line. Candidates come default first, then the other lines from the most recently appended.
    Lines that are not env directories (``ssh://…``, ``/``, a deleted env) are skipped with a logged
    reason — the default too: the next line then answers, and its ``source`` says why it stands in."""

    origin: Origin = "pep832"

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        if not ctx.project(project).has(".python-envs"):
            return
        listed = read_python_envs(project / ".python-envs", ctx)
        if listed is None:
            return
        if ctx.project(project).has(".venv") and is_env_dir(project / ".venv"):
            listed.append(project / ".venv")
        seen: set[Path] = set()
        skipped_default: Optional[Path] = None
        for index, path in enumerate(reversed(listed)):
            if path in seen:
                continue  # PEP 832: duplicates carry no meaning
            seen.add(path)
            default = index == 0
            implicit = default and path == project / ".venv"
            env = ctx.identify(path) or identify_conda_env(path, ctx)
            if env is None:
                what = "the default (last line)" if default else "listed"
                ctx.note(
                    f"discovery skipped {path}, {what} in {project / '.python-envs'}: not an environment"
                )
                if default:
                    skipped_default = path
                continue
            if implicit:
                source = ".venv beside .python-envs (PEP 832 default)"
            elif default:
                source = f".python-envs default (last line) {path}"
            else:
                source = f".python-envs lists {path}"
                if skipped_default is not None:
                    source += f" (the default, {skipped_default}, is not an environment)"
                    skipped_default = None
            yield Candidate(env=env, origin=self.origin, source=source)


def read_pointer_file(path: Path, project: Path) -> tuple[Optional[Path], Optional[str]]:
    """Read a legacy ``.venv`` file: (env path or bare name, None) or (None, why it is unusable).

    A bare name (no path separator) comes back as ``Path(name)``, relative; the caller resolves it under
    WORKON_HOME as Pipenv and virtualfish do.
    """
    text, problem = files.read_text(path, MAX_POINTER_BYTES)
    if text is None:
        return None, (problem or ".venv file cannot be read").replace(str(path), ".venv file")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None, ".venv file is empty"
    value = lines[0]
    if "/" not in value and "\\" not in value and not value.startswith("~"):
        return Path(value), None
    target = Path(value)
    if not target.is_absolute() and not value.startswith("~"):
        target = project / target
    return Path(os.path.normpath(target)), None


class VenvFileLocator:
    """A ``.venv`` *file* (Pipenv, virtualfish): a path (relative to the project) or the name of an env
    in WORKON_HOME. PEP 832's earlier draft used it; the accepted text replaced it by ``.python-envs``."""

    origin: Origin = "venv-file"

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        pointer = project / ".venv"
        if not ctx.project(project).has(".venv"):
            return
        if not fsread.is_file(pointer):
            return  # a directory is the conventional env; a FIFO or device is no pointer file
        target, problem = read_pointer_file(pointer, project)
        if target is None:
            yield Candidate(
                env=missing_env(pointer, problem or ".venv file is unusable"),
                origin=self.origin,
                source=".venv file",
            )
            return
        if str(target).startswith("~"):
            target = Path(os.path.normpath(ctx.expand(str(target))))
        if not target.is_absolute():
            homes = workon_homes(ctx)
            found = next((h / target for h in homes if is_env_dir(h / target)), None)
            if found is None:
                where = ", ".join(str(h) for h in homes) or "WORKON_HOME"
                env = missing_env(target, f".venv file names the env {target}, which is not in {where}")
                yield Candidate(env=env, origin=self.origin, source=f".venv file names {target}")
                return
            target = found
        env = ctx.identify(target) or missing_env(
            target, f".venv file points to {target}, which is not a virtual environment"
        )
        yield Candidate(env=env, origin=self.origin, source=f".venv file points to {target}")


class ConventionalLocator:
    origin: Origin = "conventional"

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        info = ctx.project(project)
        for name in self.names:
            if not info.has(name):
                continue
            env = ctx.identify(project / name)
            if env is not None:
                yield Candidate(env=env, origin=self.origin, source=f"{name} in the project")


class ChildDirLocator:
    origin: Origin = "child"

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        names = [
            e.name
            for e in ctx.listing(project)
            if e.name not in CONVENTIONAL_NAMES and not should_skip(e.name) and _is_real_dir(e)
        ]
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
        env = ctx.identify(path) or missing_env(
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


class ToolEnvs:
    """The tool locators of :data:`TOOL_LOCATORS`, for the projects that do (or do not) declare each tool.

    One tool failing (a config that is not TOML, an unreadable dir, …) is logged and skipped: the other
    tools still answer.
    """

    def __init__(self, declared: bool) -> None:
        self.declared = declared

    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]:
        info = ctx.project(project)
        for tool in TOOL_LOCATORS:
            if tool.declared(info) != self.declared:
                continue
            try:
                found = list(tool.locate(project, ctx))
            except (OSError, RecursionError, ValueError) as exc:  # pragma: no cover - defensive
                ctx.note(f"discovery skipped {tool.origin} envs for {project}: {exc}")
                continue
            for cand in found:
                if not self.declared:
                    cand = Candidate(
                        env=cand.env,
                        origin=cand.origin,
                        source=f"{cand.source} (the project does not declare {tool.origin})",
                    )
                yield cand


# Tool by tool. A project rarely declares two tools; when it does, the lock-file tools (Poetry, Pipenv,
# PDM) come before the env managers (Hatch, conda, pixi), and the tools that only name an env (pyenv's
# .python-version, virtualenvwrapper's .project) come last.
TOOL_LOCATORS: tuple[ToolLocator, ...] = (
    PoetryLocator(),
    PipenvLocator(),
    PdmLocator(),
    HatchLocator(),
    CondaLocator(),
    PixiLocator(),
    PyenvLocator(),
    VirtualenvwrapperLocator(),
)

#: The discovery order. Changing it changes which env users get: update docs/PROTOCOL.md and README too.
LOCATORS: tuple[Locator, ...] = (
    SelectedLocator(),
    UvProjectEnvLocator(),
    PythonEnvsLocator(),
    VenvFileLocator(),
    ConventionalLocator((".venv",)),
    ToolEnvs(declared=True),
    ConventionalLocator(("venv", "env")),
    ToolEnvs(declared=False),
    ChildDirLocator(),
    ActivatedLocator(),
)
