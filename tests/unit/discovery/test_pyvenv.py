from __future__ import annotations

import pytest

from venvkeeper.discovery.pyvenv import MAX_BYTES, PyvenvError, parse_pyvenv_cfg, read_pyvenv_cfg


def test_venv_keys():
    cfg = parse_pyvenv_cfg(
        "home = /usr/bin\ninclude-system-site-packages = true\nversion = 3.11.7\n"
        "executable = /usr/bin/python3.11\ncommand = /usr/bin/python3 -m venv /p/.venv\nprompt = 'demo'\n"
    )
    assert cfg.home == "/usr/bin"
    assert cfg.include_system_site_packages is True
    assert cfg.version == "3.11.7" and cfg.major_minor == "3.11"
    assert cfg.creator == "venv"
    assert cfg.command == "/usr/bin/python3 -m venv /p/.venv"
    assert cfg.prompt == "demo"  # venv quotes it; the quotes are not part of the name


def test_uv_and_virtualenv_version_info():
    uv = parse_pyvenv_cfg(
        "home = /x/bin\nimplementation = CPython\nuv = 0.4.18\nversion_info = 3.12.1\nprompt = app\n"
    )
    assert uv.creator == "uv" and uv.version == "3.12.1" and uv.prompt == "app"
    ve = parse_pyvenv_cfg("home = /x\nvirtualenv = 20.26.0\nversion_info = 3.10.13.final.0\n")
    assert ve.creator == "virtualenv" and ve.version == "3.10.13"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02\xff\xfe", "binary"),
        (b"this is not a config\nat all\n", "no 'key = value' lines"),
        (b"x" * (MAX_BYTES + 10), "reads a pyvenv.cfg up to"),
    ],
)
def test_unusable_files_raise_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "pyvenv.cfg"
    path.write_bytes(content)
    with pytest.raises(PyvenvError, match=reason):
        read_pyvenv_cfg(path)


def test_latin1_bytes_do_not_crash(tmp_path):
    path = tmp_path / "pyvenv.cfg"
    path.write_bytes(b"home = /opt/caf\xe9/bin\nversion = 3.9.18\n")
    cfg = read_pyvenv_cfg(path)
    assert cfg.version == "3.9.18" and cfg.home and cfg.home.startswith("/opt/caf")


def test_unreadable_file(tmp_path):
    path = tmp_path / "pyvenv.cfg"
    path.mkdir()  # a directory where a file should be: reading fails with a reason
    with pytest.raises(PyvenvError, match="is a directory, not a regular file"):
        read_pyvenv_cfg(path)
