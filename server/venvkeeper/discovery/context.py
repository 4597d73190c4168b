"""What every locator receives: the injected roots (:class:`LocateContext`) and the project's files.

Kept apart from locators.py so the per-tool modules (toolenvs.py, conda.py) and the ordered list in
locators.py can all import it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Protocol, TypeVar

from venvkeeper.discovery import files
from venvkeeper.discovery.identify import identify_env
from venvkeeper.discovery.model import Candidate, Environment, Origin
from venvkeeper.discovery.userdirs import Kind, expand_home, user_dir
from venvkeeper.state import StateStore

T = TypeVar("T")


def _no_log(_message: str) -> None:
    return None


@dataclass(frozen=True)
class ProjectFiles:
    """What a locator needs to know about a project, read once per context."""

    root: Path
    #: Names of the entries of the project directory.
    names: frozenset[str]
    #: The parsed pyproject.toml ({} when absent or unusable).
    pyproject: dict[str, Any]

    def has(self, name: str) -> bool:
        return name in self.names

    def tool(self, name: str) -> dict[str, Any]:
        return files.table(self.pyproject, "tool", name)

    @property
    def project_name(self) -> Optional[str]:
        """``[project] name``, else ``[tool.poetry] name``."""
        return files.string(files.table(self.pyproject, "project"), "name") or files.string(
            self.tool("poetry"), "name"
        )


@dataclass(frozen=True)
class LocateContext:
    """Everything a locator may look at besides the project itself (habit 7: injected, never global).

    ``home`` None means "no user dirs": only in-project locators answer (the default in tests that are
    not about tool envs). ``memo`` caches listings and parsed configs for the lifetime of the context;
    the app builds a new context after every invalidation, so nothing stale survives a file event.
    """

    state: StateStore
    virtual_env: Optional[str]
    prefer_layout: str = "posix"
    home: Optional[Path] = None
    environ: Mapping[str, str] = field(default_factory=dict)
    #: sys.platform-style: "linux", "darwin", "win32" — which per-OS dirs the tools use.
    sys_platform: str = "linux"
    log: Callable[[str], None] = _no_log
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def identify(self, path: Path) -> Optional[Environment]:
        # Once per context: a refresh and the picker's catalog look at the same env dirs again.
        return self.cached(("identify", str(path)), lambda: identify_env(path, self.prefer_layout))

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        if key not in self.memo:
            self.memo[key] = compute()
        value: T = self.memo[key]
        return value

    def note(self, message: str) -> None:
        """Log why a locator skipped something, once per context (say it once)."""
        key = ("note", message)
        if key not in self.memo:
            self.memo[key] = True
            self.log(message)

    def watch_dir(self, project: Path, path: Path) -> None:
        """Say that ``project``'s answer depends on the entries of ``path``, a tool's central env dir
        (an env created or removed there by the tool changes it): :func:`discover` hands these to the
        watcher as :attr:`Discovery.watch_dirs`."""
        dirs: list[Path] = self.memo.setdefault(("watch", str(project)), [])
        if path not in dirs:
            dirs.append(path)

    def watched(self, project: Path) -> list[Path]:
        return list(self.memo.get(("watch", str(project)), []))

    def listing(self, path: Path) -> list[os.DirEntry[str]]:
        def compute() -> list[os.DirEntry[str]]:
            entries, problem = files.list_dir(path)
            if problem:
                self.note(f"discovery skipped {problem}")
            return entries

        return self.cached(("listing", str(path)), compute)

    def read_toml(self, path: Path) -> dict[str, Any]:
        def compute() -> dict[str, Any]:
            data, problem = files.read_toml(path)
            if problem:
                self.note(f"discovery ignored {problem}")
            return data or {}

        return self.cached(("toml", str(path)), compute)

    def read_text(self, path: Path, max_bytes: int) -> Optional[str]:
        def compute() -> Optional[str]:
            text, problem = files.read_text(path, max_bytes)
            if problem:
                self.note(f"discovery ignored {problem}")
            return text

        return self.cached(("text", str(path), max_bytes), compute)

    def project(self, root: Path) -> ProjectFiles:
        def compute() -> ProjectFiles:
            names = frozenset(e.name for e in self.listing(root))
            pyproject = self.read_toml(root / "pyproject.toml") if "pyproject.toml" in names else {}
            return ProjectFiles(root=root, names=names, pyproject=pyproject)

        return self.cached(("project", str(root)), compute)

    def user_dir(
        self, kind: Kind, app: str, *, roaming: bool = False, author_dir: bool = False
    ) -> Optional[Path]:
        home = self.home
        if home is None:
            return None
        return self.cached(
            ("user_dir", kind, app, roaming, author_dir),
            lambda: user_dir(
                kind,
                app,
                home=home,
                environ=self.environ,
                sys_platform=self.sys_platform,
                roaming=roaming,
                author_dir=author_dir,
            ),
        )

    def env_path(self, name: str) -> Optional[Path]:
        """An environment variable naming a directory (``~`` expanded against the injected home)."""
        value = self.environ.get(name, "").strip()
        if not value:
            return None
        return self.expand(value)

    def expand(self, value: str) -> Path:
        return expand_home(value, self.home) if self.home is not None else Path(value)

    @property
    def windows(self) -> bool:
        return self.sys_platform == "win32"


class Locator(Protocol):
    def locate(self, project: Path, ctx: LocateContext) -> Iterable[Candidate]: ...


class ToolLocator(Locator, Protocol):
    """A locator for envs a tool keeps; ``declared`` tells whether the project says it uses the tool."""

    origin: Origin

    def declared(self, info: ProjectFiles) -> bool: ...


def missing_env(path: Path, problem: str) -> Environment:
    return Environment(
        path=path, python=path / "bin" / "python", layout="posix", state="broken", problem=problem
    )


def env_candidates(
    ctx: LocateContext, paths: Iterable[Path], origin: Origin, source: Callable[[Path], str]
) -> Iterator[Candidate]:
    """Candidates for the envs among ``paths`` (not-an-env paths are skipped), in the given order."""
    for path in paths:
        env = ctx.identify(path)
        if env is not None:
            yield Candidate(env=env, origin=origin, source=source(path))
