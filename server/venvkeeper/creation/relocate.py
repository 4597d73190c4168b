"""Make an env built at a temporary path valid at its final path, before it is renamed there.

Virtual environments are not relocatable: the tools write the env's absolute path into a few files.
We build aside (``.venvkeeper-tmp-XXXX/.venv`` next to the target) so a failure never touches the
real path, and rewrite exactly these files, replacing the temporary path with the final one:

* ``pyvenv.cfg`` — ``command = … -m venv <path>`` (venv >= 3.11) and any other value holding the path;
* every text file directly in ``bin/`` (``Scripts/``): the ``activate``, ``activate.csh``,
  ``activate.fish``, ``activate.nu``, ``activate.bat``, ``Activate.ps1`` scripts (``VIRTUAL_ENV=…``) and
  the console scripts pip and uv wrote (their ``#!<env>/bin/python`` shebang).

Interpreter binaries and symlinks are left alone (they point at the base, not at the env). ``.pyc``
files need nothing: Python replaces a code object's file name with the real path when it loads it.
Site-packages holds no absolute env path for pip, uv or PDM installs (``RECORD`` paths are relative);
Poetry's editable install of the project itself lists absolute paths in its ``RECORD`` (Poetry 2.5.1
with ``poetry sync``), so every ``*.dist-info/RECORD`` naming the build path is rewritten too (else
``pip uninstall`` would leave the project's ``.pth`` and console scripts behind).

Windows ``.exe`` console-script launchers embed the interpreter path in binary. pip's (distlib)
launchers hold a ``#!<python>`` line before their zip and find it from the end of the file, so they are
rewritten like text. uv's trampolines store the path with its length, so on Windows the uv backend
creates the env ``--relocatable`` and its launchers hold no absolute path. (Windows is untested here.)
"""

from __future__ import annotations

import os
from pathlib import Path

from venvkeeper import fsread


def _rewrite(path: Path, old: bytes, new: bytes, *, binary_ok: bool) -> bool:
    if fsread.is_symlink(path):
        return False
    data = fsread.read_bytes(path, fsread.SCRIPT)
    if isinstance(data, fsread.Unreadable):
        return False  # absent, not a regular file, or too big to be a script: a binary we must not touch
    if old not in data:
        return False
    # A binary is rewritten only when it is one of pip's (distlib) .exe launchers, which hold a
    # "#!<python>" line before their zip and find it from the end of the file (any path length works).
    launcher = binary_ok and (b"#!" + old in data or b'#!"' + old in data)
    if b"\0" in data[:8192] and not launcher:
        return False
    mode = path.stat().st_mode
    tmp = path.with_name(path.name + ".venvkeeper-new")
    tmp.write_bytes(data.replace(old, new))
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True


def retarget_env(env_dir: Path, old: Path, new: Path, *, windows: bool) -> list[Path]:
    """Replace ``old`` (the path the env was built at) with ``new`` in the env's files; list what changed."""
    old_b, new_b = os.fsencode(str(old)), os.fsencode(str(new))
    changed: list[Path] = []
    cfg = env_dir / "pyvenv.cfg"
    if _rewrite(cfg, old_b, new_b, binary_ok=False):
        changed.append(cfg)
    bin_dir = env_dir / ("Scripts" if windows else "bin")
    try:
        entries = sorted(bin_dir.iterdir())
    except OSError:
        entries = []
    for entry in entries:
        is_pip_launcher = (
            windows and entry.suffix.lower() == ".exe" and not entry.name.lower().startswith("python")
        )
        if _rewrite(entry, old_b, new_b, binary_ok=is_pip_launcher):
            changed.append(entry)
    site = "Lib/site-packages" if windows else "lib/python*/site-packages"
    for record in fsread.glob(env_dir, f"{site}/*.dist-info/RECORD"):
        if _rewrite(record, old_b, new_b, binary_ok=False):
            changed.append(record)
    return changed


def leftovers(env_dir: Path, old: Path) -> list[Path]:
    """Text files anywhere in the env that still name ``old`` (tests use this to prove the rewrite)."""
    needle = os.fsencode(str(old))
    found: list[Path] = []
    for root, dirs, files in os.walk(env_dir):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            path = Path(root) / name
            if fsread.is_symlink(path):
                continue
            data = fsread.read_bytes(path, fsread.SCRIPT)
            if not isinstance(data, fsread.Unreadable) and needle in data:
                found.append(path)
    return found
