"""Give a ``--without-pip`` venv a working pip in ~0.1 s instead of ensurepip's several seconds.

``python -m venv`` spends most of its time in ensurepip: it copies the bundled pip wheel to a temp dir,
runs pip from it to install pip, and byte-compiles ~1,000 files. We do what virtualenv's app-data
seeder does instead:

1. take the pip wheel the base interpreter bundles (``lib/python3.X/ensurepip/_bundled/pip-*.whl``, found
   on disk: nothing is run to find it);
2. once per (pip version, Python X.Y) unpack it into an *image* in ``Host.cache_dir`` (in a temp dir
   renamed into place, so concurrent daemons never see half an image), then byte-compile the image with
   the base interpreter in a detached background process: the first creation does not wait ~4 s for
   it, later ones find compiled files (``py_compile`` writes each ``.pyc`` atomically);
3. per env, hard-link the image into site-packages (a copy across file systems; ``copy2`` keeps mtimes,
   so the timestamp-checked ``.pyc`` files stay valid, and Python rewrites ``co_filename`` on load, so
   they are valid at any path). Links are safe for the same reason uv links from its cache: pip and
   Python replace files (unlink/rename), never rewrite them in place. The dist-info files we modify are
   copied, never linked. Then write the ``pip``/``pip3``/``pip3.X`` scripts, adding them to the dist-info
   ``RECORD`` so ``pip uninstall pip`` and upgrades stay clean.

The result is exactly what installing the wheel gives: the same files, dist-info and entry points.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from venvkeeper import fsread
from venvkeeper.creation.runner import python_module_argv

_SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from pip._internal.cli.main import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
"""


def base_prefix(base_python: Path, *, windows: bool) -> Path:
    real = Path(os.path.realpath(base_python))
    return real.parent if windows else real.parent.parent


def bundled_pip_wheel(base_python: Path, major_minor: str, *, windows: bool) -> Path | None:
    """The pip wheel the base interpreter's ensurepip would install (Debian strips it: None)."""
    return bundled_pip_wheel_under(base_prefix(base_python, windows=windows), major_minor, windows=windows)


def bundled_pip_wheel_under(prefix: Path, major_minor: str, *, windows: bool) -> Path | None:
    """The same, for an installation prefix known from an env's ``pyvenv.cfg`` ``home``."""
    bundled = (
        prefix / "Lib" / "ensurepip" / "_bundled"
        if windows
        else prefix / "lib" / f"python{major_minor}" / "ensurepip" / "_bundled"
    )
    wheels = sorted(bundled.glob("pip-*.whl")) if fsread.is_dir(bundled) else []
    return wheels[-1] if wheels else None


def cached_pip_wheel(cache_dir: Path, wheel: Path) -> Path:
    """Keep a copy of ``wheel`` in the cache: it survives the base interpreter being upgraded or removed."""
    dest_dir = cache_dir / "pip-wheels"
    dest = dest_dir / wheel.name
    if not fsread.is_file(dest):
        dest_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".whl-", dir=str(dest_dir))
        os.close(fd)
        try:
            shutil.copyfile(wheel, tmp)
            os.replace(tmp, dest)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return dest


def pip_image(cache_dir: Path, wheel: Path, major_minor: str) -> tuple[Path, bool]:
    """The unpacked pip for this Python X.Y in the cache; True when it was just made (compile it)."""
    images = cache_dir / "pip-images"
    image = images / f"{wheel.name[: -len('.whl')]}-py{major_minor}"
    if fsread.is_file(image / ".complete"):
        return image, False
    images.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".image-", dir=str(images)))
    try:
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(tmp)
        (tmp / ".complete").write_text("ok\n")
        try:
            os.rename(tmp, image)
        except OSError:
            if not fsread.is_file(image / ".complete"):  # a half image left by a crash: replace it
                shutil.rmtree(image, ignore_errors=True)
                os.rename(tmp, image)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return image, True


def compile_image_argv(base_python: Path, image: Path) -> list[str]:
    # Started detached from the daemon's working directory (often the workspace): isolated, like every tool.
    return python_module_argv(base_python, "compileall", "-q", str(image))


def _link_or_copy(src: str, dst: str) -> str:
    if os.sep + "pip-" in dst and ".dist-info" + os.sep in dst:
        return str(shutil.copy2(src, dst))  # we append to RECORD and write INSTALLER: never share them
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def seed_pip(
    env_dir: Path,
    site_packages: Path,
    image: Path,
    *,
    final_env_dir: Path,
    major_minor: str,
    windows: bool,
) -> None:
    """Copy the pip image into ``site_packages`` and write pip's scripts.

    Scripts point at ``final_env_dir``'s interpreter (the env is being built aside and renamed later).
    """
    shutil.copytree(
        image,
        site_packages,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".complete"),
        copy_function=_link_or_copy,
    )
    dist_infos = sorted(site_packages.glob("pip-*.dist-info"))
    if not dist_infos:
        raise OSError(f"the pip image {image} holds no pip-*.dist-info")
    dist_info = dist_infos[-1]
    (dist_info / "INSTALLER").write_text("venvkeeper\n", encoding="utf-8")
    if windows:
        return  # .exe launchers are written by pip itself (see backends.VenvBackend)
    bin_dir = env_dir / "bin"
    python = final_env_dir / "bin" / "python"
    record_lines = [f"{os.path.relpath(dist_info / 'INSTALLER', site_packages)},,"]
    for name in ("pip", "pip3", f"pip{major_minor}"):
        script = bin_dir / name
        script.write_text(_SCRIPT.format(python=python), encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        record_lines.append(f"{os.path.relpath(script, site_packages)},,")
    with (dist_info / "RECORD").open("a", encoding="utf-8") as fh:
        fh.write("\n".join(record_lines) + "\n")
