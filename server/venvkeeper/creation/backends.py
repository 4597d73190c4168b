"""The two ways to build an env and install into it: stdlib ``venv`` (+ pip) and uv.

Both give the same result: a standard venv with a working pip, ``--prompt`` set, and a ``.gitignore``
holding ``*`` (written by :mod:`venvkeeper.creation.create` when the tool did not).

The stdlib backend creates the env ``--without-pip`` (~50 ms) and seeds pip from a cached, compiled
image of the base interpreter's own bundled pip wheel (:mod:`venvkeeper.creation.pipseed`), then runs
the env's pip once for the requirements. This skips ensurepip, which is most of ``python -m venv``'s
time. Installs pass ``--no-compile`` as uv does by default: Python compiles on first import.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

from venvkeeper import fsread
from venvkeeper.creation.interpreters import BasePython
from venvkeeper.creation.runner import (
    CancelToken,
    CommandFailed,
    InstallProgress,
    Runner,
    python_module_argv,
)
from venvkeeper.host import Host

if TYPE_CHECKING:
    # Types only: plan.py imports the requirement parsers, which `venvkeeper create` loads while uv
    # runs (create.py), not before it starts.
    from venvkeeper.creation.plan import InstallPlan

Report = Callable[[str, "int | None"], None]

#: Marks Windows refusing to create symlinks without the privilege: retry with copies.
_SYMLINK_REFUSED = ("WinError 1314", "A required privilege is not held by the client")


class BackendUnavailable(Exception):
    """The requested backend cannot be used (e.g. uv asked for but not found)."""


@dataclass(frozen=True)
class ToolContext:
    host: Host
    runner: Runner
    cancel: CancelToken
    report: Report
    #: Environment variables for the tools (index settings, offline flags, …).
    env: Mapping[str, str]
    #: Passed to pip/uv as-is: ``--no-index``, ``--find-links DIR``, ``--index-url URL``, …
    index_options: Sequence[str] = ()
    #: The daemon's interpreter: its pip installs pip when no wheel for seeding exists.
    daemon_python: Path = Path(sys.executable)
    #: Where the tools run: the project, as when the user runs them (pip resolves relative paths in
    #: requirement files against it; uv finds the project's config from it). Python tools still never
    #: import from it: they run isolated (:func:`python_module_argv`).
    cwd: Path | None = None
    #: Starts a best-effort background job nobody waits for (compiling the cached pip image).
    spawn_detached: Callable[[Sequence[str]], None] = field(default=lambda argv: spawn_detached(argv))


def spawn_detached(argv: Sequence[str]) -> None:
    """Run ``argv`` in its own session with no output, without waiting (best effort: errors are ignored)."""
    kwargs: dict[str, Any] = (
        {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
        if os.name == "nt"
        else {"start_new_session": True}
    )
    with contextlib.suppress(OSError):
        subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **kwargs,
        )


def env_python(env_dir: Path, *, windows: bool) -> Path:
    return env_dir / ("Scripts/python.exe" if windows else "bin/python")


def env_site_packages(env_dir: Path, major_minor: str, *, windows: bool) -> Path:
    return (
        env_dir / "Lib" / "site-packages"
        if windows
        else env_dir / "lib" / f"python{major_minor}" / "site-packages"
    )


def has_pip_module(env_dir: Path) -> bool:
    """Whether ``python -m pip`` can run inside the env (the pip package is in its site-packages)."""
    return any(
        fsread.is_dir(p) for p in fsread.glob(env_dir, "lib*/python*/site-packages/pip")
    ) or fsread.is_dir(env_dir / "Lib" / "site-packages" / "pip")


def _install_args(plan: InstallPlan) -> list[str]:
    args: list[str] = ["--no-deps"] if plan.no_deps else []
    for f in plan.requirement_files:
        args += ["-r", str(f)]
    for req in plan.requirements:
        args += ["-e", req[3:]] if req.startswith("-e ") else [req]  # an editable is two arguments
    return args


def _check(what: str, result_code: int, tail: Sequence[str], output: Sequence[str] = ()) -> None:
    if result_code != 0:
        raise CommandFailed(what, result_code, tail, output)


class Backend(Protocol):
    name: str

    def create(
        self,
        base: BasePython,
        build_dir: Path,
        final_dir: Path,
        prompt: str,
        ctx: ToolContext,
        *,
        copies: bool,
    ) -> None: ...

    def install(self, env_dir: Path, plan: InstallPlan, ctx: ToolContext) -> None: ...


class VenvBackend:
    name = "venv"

    def create(
        self,
        base: BasePython,
        build_dir: Path,
        final_dir: Path,
        prompt: str,
        ctx: ToolContext,
        *,
        copies: bool,
    ) -> None:
        windows = ctx.host.platform == "windows"
        ctx.report(f"creating the env with {base.describe()}", 10)
        argv = python_module_argv(base.path, "venv", "--without-pip", "--prompt", prompt)
        result = ctx.runner(
            [*argv, *(["--copies"] if copies else []), str(build_dir)],
            env=ctx.env,
            cwd=ctx.cwd,
            cancel=ctx.cancel,
        )
        if (
            result.returncode != 0
            and not copies
            and any(m in line for line in result.tail for m in _SYMLINK_REFUSED)
        ):
            # Windows without the symlink privilege: copies work everywhere.
            ctx.report("symlinks are not allowed here; creating the env with copies", 12)
            shutil.rmtree(build_dir, ignore_errors=True)  # whatever the failed attempt left
            result = ctx.runner(
                [*argv, "--copies", str(build_dir)], env=ctx.env, cwd=ctx.cwd, cancel=ctx.cancel
            )
        _check("python -m venv", result.returncode, result.tail, result.output)
        ctx.cancel.raise_if_cancelled()
        self._seed_pip(base, build_dir, final_dir, ctx, windows=windows)

    def _seed_pip(
        self, base: BasePython, build_dir: Path, final_dir: Path, ctx: ToolContext, *, windows: bool
    ) -> None:
        # Only this backend seeds pip itself; the uv backend never loads it.
        from venvkeeper.creation.pipseed import (
            bundled_pip_wheel,
            cached_pip_wheel,
            compile_image_argv,
            pip_image,
            seed_pip,
        )

        ctx.report("adding pip", 25)
        wheel = bundled_pip_wheel(base.path, base.major_minor, windows=windows)
        if wheel is not None:
            wheel = cached_pip_wheel(ctx.host.cache_dir, wheel)
        else:
            cached = sorted((ctx.host.cache_dir / "pip-wheels").glob("pip-*.whl"))
            wheel = cached[-1] if cached else None
        python = env_python(build_dir, windows=windows)
        if wheel is None:
            # ensurepip stripped (Debian/Ubuntu without python3.X-venv) and nothing cached: the daemon's
            # own pip installs pip into the env from the configured index.
            result = ctx.runner(
                python_module_argv(
                    ctx.daemon_python,
                    "pip",
                    "--python",
                    str(python),
                    "install",
                    "--no-compile",
                    *ctx.index_options,
                    "pip",
                ),
                env=ctx.env,
                cwd=ctx.cwd,
                cancel=ctx.cancel,
            )
            _check("installing pip", result.returncode, result.tail, result.output)
            return
        image, fresh = pip_image(ctx.host.cache_dir, wheel, base.major_minor)
        seed_pip(
            build_dir,
            env_site_packages(build_dir, base.major_minor, windows=windows),
            image,
            final_env_dir=final_dir,
            major_minor=base.major_minor,
            windows=windows,
        )
        if fresh:
            ctx.spawn_detached(compile_image_argv(base.path, image))
        if windows:
            # pip.exe launchers are binaries pip generates; let pip install its own wheel over the copy.
            result = ctx.runner(
                python_module_argv(
                    python, "pip", "install", "--no-deps", "--force-reinstall", "--no-compile", str(wheel)
                ),
                env=ctx.env,
                cwd=ctx.cwd,
                cancel=ctx.cancel,
            )
            _check("installing pip", result.returncode, result.tail, result.output)

    def install(self, env_dir: Path, plan: InstallPlan, ctx: ToolContext) -> None:
        if plan.empty:
            return
        windows = ctx.host.platform == "windows"
        python = env_python(env_dir, windows=windows)
        progress = InstallProgress(
            lambda msg, pct: ctx.report(msg, None if pct is None else 30 + pct * 65 // 100)
        )
        ctx.report(f"installing {plan.label}", 30)
        # An env without pip (made by uv without --seed, or --without-pip) gets the daemon's pip.
        pip = (
            python_module_argv(python, "pip")
            if has_pip_module(env_dir)
            else python_module_argv(ctx.daemon_python, "pip", "--python", str(python))
        )
        argv = [
            *pip,
            "install",
            "--no-compile",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
            *ctx.index_options,
            *_install_args(plan),
        ]
        result = ctx.runner(argv, env=ctx.env, cwd=ctx.cwd, on_line=progress.feed, cancel=ctx.cancel)
        _check("pip install", result.returncode, result.tail, result.output)


class UvBackend:
    name = "uv"

    def __init__(self, uv: Path) -> None:
        self.uv = uv

    def create(
        self,
        base: BasePython,
        build_dir: Path,
        final_dir: Path,
        prompt: str,
        ctx: ToolContext,
        *,
        copies: bool,
    ) -> None:
        ctx.report(f"creating the env with uv and {base.describe()}", 10)
        argv = [
            str(self.uv),
            "venv",
            "--seed",
            "--python",
            str(base.path),
            "--prompt",
            prompt,
            *ctx.index_options,
            # Windows launchers (trampolines) store the interpreter path in binary with its length:
            # relative ones survive the final rename (see relocate.py).
            *(["--relocatable"] if ctx.host.platform == "windows" else []),
            str(build_dir),
        ]
        env = {**ctx.env, "UV_LINK_MODE": "copy"} if copies else ctx.env
        result = ctx.runner(argv, env=env, cwd=ctx.cwd, cancel=ctx.cancel)
        _check("uv venv", result.returncode, result.tail, result.output)

    def install(self, env_dir: Path, plan: InstallPlan, ctx: ToolContext) -> None:
        if plan.empty:
            return
        python = env_python(env_dir, windows=ctx.host.platform == "windows")
        progress = InstallProgress(
            lambda msg, pct: ctx.report(msg, None if pct is None else 30 + pct * 65 // 100)
        )
        ctx.report(f"installing {plan.label}", 30)
        argv = [
            str(self.uv),
            "pip",
            "install",
            "--python",
            str(python),
            "--color",
            "never",
            "--no-progress",
            *ctx.index_options,
            *_install_args(plan),
        ]
        result = ctx.runner(argv, env=ctx.env, cwd=ctx.cwd, on_line=progress.feed, cancel=ctx.cancel)
        _check("uv pip install", result.returncode, result.tail, result.output)


def find_uv(host: Host, uv_path: str | None, extra_dirs: Sequence[Path] = ()) -> Path | None:
    """The configured uv, else ``uv`` on PATH, else next to the daemon's interpreter (``extra_dirs``)."""
    if uv_path:
        p = Path(uv_path)
        return p if fsread.is_file(p) else None
    return find_tool(host, "uv.exe" if host.platform == "windows" else "uv", extra_dirs)


def find_tool(host: Host, name: str, extra_dirs: Sequence[Path] = ()) -> Path | None:
    """``name`` on PATH, else in ``extra_dirs``: an executable regular file (no process is started)."""
    for d in [*host.path_dirs, *extra_dirs]:
        candidate = d / name
        if fsread.is_file(candidate) and (host.platform == "windows" or os.access(candidate, os.X_OK)):
            return candidate
    return None


def select_backend(
    preference: str, host: Host, uv_path: str | None = None, extra_dirs: Sequence[Path] = ()
) -> Backend:
    """ "auto" = uv when found, else stdlib venv; "uv" requires uv; "venv" is always available."""
    if preference == "venv":
        return VenvBackend()
    uv = find_uv(host, uv_path, extra_dirs)
    if uv is not None:
        return UvBackend(uv)
    if preference == "uv":
        where = f"at {uv_path}" if uv_path else "on PATH"
        raise BackendUnavailable(f"uv was requested but was not found {where}")
    return VenvBackend()
