"""The one guarded reader: regular files only, a cap per kind, bounded reads, probes that never raise."""

from __future__ import annotations

import os
from pathlib import Path

from support import hostile
from support.hostile import within_safety_net
from venvkeeper import fsread


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = hostile.fifo(tmp_path / "requirements.txt")  # nobody ever writes: a plain open() blocks forever
    result = within_safety_net(lambda: fsread.read_bytes(pipe, fsread.REQUIREMENTS))
    assert isinstance(result, fsread.Unreadable)
    assert result.message == "requirements.txt is a named pipe (FIFO), not a regular file; it was not read"
    assert within_safety_net(lambda: fsread.text_head(pipe, 1024)) is None
    assert isinstance(within_safety_net(lambda: fsread.read_head(pipe, 2)), fsread.Unreadable)


def test_a_link_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = hostile.zero(tmp_path / "direct_url.json")
    result = within_safety_net(lambda: fsread.read_bytes(link, fsread.DIRECT_URL))
    assert isinstance(result, fsread.Unreadable) and "character device" in result.reason


def test_a_sparse_2gb_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = hostile.sparse(tmp_path / "requirements.txt", head=b"requests\n")
    result = within_safety_net(lambda: fsread.read_bytes(big, fsread.REQUIREMENTS))
    assert isinstance(result, fsread.Unreadable)
    assert (
        result.reason == "is 2048.0 MB; venvkeeper reads a requirements file up to 5 MB, so it was not read"
    )
    # Only the head is wanted from a script: a huge one gives its first bytes, not a refusal.
    assert fsread.read_head(big, 9) == b"requests\n"


def test_regular_files_within_the_cap_are_read_whole(tmp_path: Path) -> None:
    f = tmp_path / "pyvenv.cfg"
    f.write_bytes(b"home = /usr/bin\n")
    assert fsread.read_bytes(f, fsread.PYVENV_CFG) == b"home = /usr/bin\n"
    assert fsread.read_text(f, fsread.PYVENV_CFG) == "home = /usr/bin\n"
    f.write_bytes(b"x" * (fsread.PYVENV_CFG.max_bytes + 1))
    assert isinstance(fsread.read_bytes(f, fsread.PYVENV_CFG), fsread.Unreadable)


def test_missing_and_directory(tmp_path: Path) -> None:
    missing = fsread.read_bytes(tmp_path / "nope", fsread.METADATA)
    assert isinstance(missing, fsread.Unreadable) and missing.missing and missing.reason == "does not exist"
    folder = fsread.read_bytes(tmp_path, fsread.METADATA)
    assert isinstance(folder, fsread.Unreadable) and not folder.missing and "is a directory" in folder.reason


def test_probes_never_raise_on_long_names_loops_or_nul(tmp_path: Path) -> None:
    too_long = tmp_path / ("x" * 5000) / "pyvenv.cfg"
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    loop = tmp_path / "loop1" / "pyvenv.cfg"
    for path in (too_long, loop, f"{tmp_path}/nul\0byte"):
        assert not fsread.is_file(path) and not fsread.is_dir(path) and not fsread.exists(path)
        assert not fsread.is_symlink(path) and not fsread.lexists(path)
        assert isinstance(fsread.read_bytes(path, fsread.METADATA), fsread.Unreadable)
    long_reason = fsread.read_bytes(too_long, fsread.METADATA)
    assert (
        isinstance(long_reason, fsread.Unreadable) and "longer than the system allows" in long_reason.reason
    )
    assert fsread.access_problem(too_long) == "cannot be read (path longer than the system allows)"
    assert fsread.access_problem(loop) == "cannot be read (too many levels of symbolic links)"
    assert list(fsread.list_dir(too_long)) == []


def test_a_refusal_is_logged_once(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    pipe = hostile.fifo(tmp_path / "METADATA")
    for _ in range(3):
        assert fsread.text_or_none(pipe, fsread.METADATA) is None
    lines = [r.getMessage() for r in caplog.records if r.name == "venvkeeper.fsread"]
    assert lines == [f"{os.fsdecode(pipe)}: is a named pipe (FIFO), not a regular file; it was not read"]
