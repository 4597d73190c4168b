"""Rewriting the build path to the final path: which files change, which never do."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from venvkeeper.creation.relocate import leftovers, retarget_env


def test_windows_layout(tmp_path: Path) -> None:
    old = tmp_path / ".venvkeeper-tmp-abcd" / ".venv"
    new = tmp_path / ".venv"
    scripts = old / "Scripts"
    scripts.mkdir(parents=True)
    (old / "pyvenv.cfg").write_text(
        f"home = C:\\Python312\ncommand = C:\\Python312\\python.exe -m venv {old}\n"
    )
    (scripts / "activate.bat").write_text(f'@set "VIRTUAL_ENV={old}"\r\n')
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as zf:
        zf.writestr("__main__.py", "import sys\n")
    launcher = b"MZ\x90\x00\x03\x00\x00\x00" + b"#!" + str(old / "Scripts" / "python.exe").encode() + b"\r\n"
    (scripts / "pip.exe").write_bytes(launcher + payload.getvalue())
    # uv's trampolines keep the path with its length: a raw path, no "#!" — never touched.
    trampoline = b"MZ\x90\x00" + str(old / "Scripts" / "python.exe").encode() + b"\x20\x00\x00\x00UVSC"
    (scripts / "tool.exe").write_bytes(trampoline)
    (scripts / "python.exe").write_bytes(b"MZ\x90\x00 interpreter " + str(old).encode())

    changed = retarget_env(old, old, new, windows=True)

    assert sorted(p.name for p in changed) == ["activate.bat", "pip.exe", "pyvenv.cfg"]
    assert f"-m venv {new}" in (old / "pyvenv.cfg").read_text()
    data = (scripts / "pip.exe").read_bytes()
    assert b"#!" + str(new / "Scripts" / "python.exe").encode() in data
    with zipfile.ZipFile(scripts / "pip.exe") as zf:  # the appended zip is still readable
        assert zf.read("__main__.py") == b"import sys\n"
    assert (scripts / "tool.exe").read_bytes() == trampoline
    assert {p.name for p in leftovers(old, old)} == {"tool.exe", "python.exe"}


def test_posix_scripts_keep_their_mode_and_symlinks_stay(tmp_path: Path) -> None:
    old = tmp_path / "build" / ".venv"
    new = tmp_path / ".venv"
    bin_dir = old / "bin"
    bin_dir.mkdir(parents=True)
    (old / "pyvenv.cfg").write_text("home = /usr/bin\n")
    script = bin_dir / "tool"
    script.write_text(f"#!{old}/bin/python\nimport tool\n")
    script.chmod(0o755)
    (bin_dir / "python").symlink_to("/usr/bin/python3")
    assert retarget_env(old, old, new, windows=False) == [script]
    assert script.read_text().startswith(f"#!{new}/bin/python\n")
    assert script.stat().st_mode & 0o777 == 0o755
    assert (bin_dir / "python").is_symlink()


def test_a_record_listing_absolute_build_paths_is_rewritten(tmp_path: Path) -> None:
    """Poetry 2.5.1 (``poetry sync``) installs the project itself editable with a RECORD of absolute
    paths — the build dir's (as seen in a real sync); pip's and uv's RECORDs are relative and untouched."""
    old = tmp_path / "build" / ".venv"
    new = tmp_path / ".venv"
    site = old / "lib" / "python3.11" / "site-packages"
    (site / "app-0.1.0.dist-info").mkdir(parents=True)
    (site / "dep-1.0.dist-info").mkdir()
    record = site / "app-0.1.0.dist-info" / "RECORD"
    record.write_text(
        f"{site}/app.pth,sha256=sMlu,17\n{old}/bin/app-hello,sha256=LFCu,142\n"
        f"{site}/app-0.1.0.dist-info/RECORD,,\n"
    )
    relative = "dep/__init__.py,sha256=abc,10\n../../../bin/dep,sha256=def,20\n"
    (site / "dep-1.0.dist-info" / "RECORD").write_text(relative)
    assert retarget_env(old, old, new, windows=False) == [record]
    new_site = new / "lib" / "python3.11" / "site-packages"
    assert record.read_text().splitlines()[:2] == [
        f"{new_site}/app.pth,sha256=sMlu,17",
        f"{new}/bin/app-hello,sha256=LFCu,142",
    ]
    assert (site / "dep-1.0.dist-info" / "RECORD").read_text() == relative
    assert leftovers(old, old) == []
