"""What discovery produces: environments, the candidates for a project, and the choice."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional

from venvkeeper import fsread
from venvkeeper.discovery.pyvenv import PyvenvCfg

EnvState = Literal["ok", "broken"]
Layout = Literal["posix", "windows"]

#: Machine-readable origin of a candidate (discovery order: see discovery/locators.py).
Origin = Literal[
    "selected",
    "uv",
    "pep832",
    "venv-file",
    "conventional",
    "poetry",
    "pipenv",
    "pdm",
    "hatch",
    "conda",
    "pixi",
    "pyenv",
    "virtualenvwrapper",
    "child",
    "activated",
]


@dataclass(frozen=True)
class Environment:
    """A virtual environment on disk, identified by its ``pyvenv.cfg`` (never by running it)."""

    path: Path
    python: Path
    layout: Layout
    state: EnvState
    #: Why the env is broken (None when ok).
    problem: Optional[str] = None
    cfg: Optional[PyvenvCfg] = None
    #: "conda" for a conda/mamba/pixi env (no pyvenv.cfg; ``cfg`` then only carries the version read
    #: from ``conda-meta``); None for a PEP 405 virtual environment.
    manager: Optional[str] = None

    @property
    def version(self) -> Optional[str]:
        return self.cfg.version if self.cfg else None

    @property
    def kind(self) -> str:
        if self.manager:
            return self.manager
        return self.cfg.creator if self.cfg else "unknown"

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def bin_dir(self) -> Path:
        return self.path / ("Scripts" if self.layout == "windows" else "bin")

    def site_packages(self) -> list[Path]:
        """The env's own site-packages dirs (purelib and platlib may differ: lib vs lib64)."""
        if self.layout == "windows":
            candidates = [self.path / "Lib" / "site-packages"]
        else:
            mm = self.cfg.major_minor if self.cfg else None
            candidates = []
            for lib in ("lib", "lib64"):
                if mm:
                    candidates.append(self.path / lib / f"python{mm}" / "site-packages")
                else:
                    candidates.extend(fsread.glob(self.path / lib, "python*/site-packages"))
        seen: list[Path] = []
        for c in candidates:
            try:
                if fsread.is_dir(c) and not any(_same(c, s) for s in seen):
                    seen.append(c)
            except OSError:
                continue
        return seen


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


@dataclass(frozen=True)
class Candidate:
    """An environment that could serve a project, with the reason it was found."""

    env: Environment
    origin: Origin
    #: Why this env is a candidate / was chosen, in words ("explicit selection", ".venv in project", …).
    source: str
    #: Why it was *not* chosen (None for the chosen one).
    rejected: Optional[str] = None
    #: The client's VIRTUAL_ENV points here, but the env belongs to another project.
    activated_elsewhere: bool = False


@dataclass(frozen=True)
class Discovery:
    """The outcome of discovery for one project: the chosen env (if any) and every candidate."""

    project: Path
    chosen: Optional[Candidate]
    #: Every candidate, chosen first, then rejected ones with their reason.
    candidates: list[Candidate] = field(default_factory=list)
    #: Tool dirs whose entries decide this answer (a Poetry env created in the cache dir, a conda env
    #: removed): watched like the env dirs, non-recursively (see LocateContext.watch_dir).
    watch_dirs: list[Path] = field(default_factory=list)
