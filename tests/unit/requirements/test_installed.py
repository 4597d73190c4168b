"""Reading installed distributions from site-packages, as pip wrote them, and surviving garbage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.envs import pip_install
from venvkeeper.requirements.installed import read_installed

from .conftest import add_dist_info, environment


@pytest.mark.slow
def test_reads_what_pip_installed(venv: Path, wheelhouse: Path) -> None:
    pip_install(venv, wheelhouse, ["web.kit[secure]==3.2", "beta==2.1rc1", "gamma"])
    env = environment(venv)
    dists = read_installed(env.site_packages())
    assert {k: d.version for k, d in dists.items()} == {
        "alpha": "2.0",
        "beta": "2.1rc1",
        "crypto-lib": "1.2",
        "gamma": "0.9",
        "web-kit": "3.2",
    }
    kit = dists["web-kit"]
    assert kit.provides_extras == ["secure", "fast"]
    assert kit.requires == ["alpha>=1", 'crypto-lib>=1.1 ; extra == "secure"', 'speedup ; extra == "fast"']
    assert not kit.editable and kit.site_dir == env.site_packages()[0]
    assert kit.path.name == "web_kit-3.2.dist-info"


def test_metadata_is_read_only_when_asked(tmp_path: Path) -> None:
    info = add_dist_info(tmp_path, "alpha", "1.0", requires=["beta"])
    dist = read_installed([tmp_path])["alpha"]
    (info / "METADATA").write_text("Name: alpha\nVersion: 1.0\nRequires-Dist: changed\n")
    assert dist.requires == ["changed"]  # proves METADATA was not read while listing


def test_odd_directory_names_fall_back_to_metadata(tmp_path: Path) -> None:
    odd = tmp_path / "Weird-Name-1.0-extra.dist-info"
    odd.mkdir()
    (odd / "METADATA").write_text("Metadata-Version: 2.1\nName: Weird.Name\nVersion: 1.0\n")
    assert read_installed([tmp_path])["weird-name"].version == "1.0"


def test_garbage_is_skipped(tmp_path: Path) -> None:
    add_dist_info(tmp_path, "good", "1.0")
    (tmp_path / "nometa.dist-info").mkdir()  # no version in the name, no METADATA
    (tmp_path / "file-1.0.dist-info").write_text("not a dir")
    binary = tmp_path / "bin-ary.dist-info"
    binary.mkdir()
    (binary / "METADATA").write_bytes(b"\x00\x01\x02garbage")
    (tmp_path / "x-notaversion!.dist-info").mkdir()
    broken_link = tmp_path / "link-1.0.dist-info"
    broken_link.symlink_to(tmp_path / "nowhere")
    assert list(read_installed([tmp_path, tmp_path / "missing-site-dir"])) == ["good"]


def test_egg_info_forms_and_legacy_editables(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    egg_dir = site / "Old_Pkg-2.0-py3.11.egg-info"
    egg_dir.mkdir()
    (egg_dir / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: Old-Pkg\nVersion: 2.0\n")
    (egg_dir / "requires.txt").write_text("alpha>=1\n\n[extra1]\nbeta\n\n[:python_version < '3.9']\ngamma\n")
    (site / "distutils_pkg-0.5-py3.11.egg-info").write_text(
        "Metadata-Version: 1.0\nName: distutils-pkg\nVersion: 0.5\n"
    )
    project = tmp_path / "devproj"
    (project / "devproj.egg-info").mkdir(parents=True)
    (project / "devproj.egg-info" / "PKG-INFO").write_text("Name: devproj\nVersion: 0.1.dev0\n")
    (site / "devproj.egg-link").write_text(f"{project}\n.")
    dists = read_installed([site])
    assert dists["old-pkg"].version == "2.0"
    assert dists["old-pkg"].requires == [
        "alpha>=1",
        'beta ; extra == "extra1"',
        "gamma ; (python_version < '3.9')",
    ]
    assert dists["distutils-pkg"].version == "0.5"
    dev = dists["devproj"]
    assert dev.editable and dev.editable_location == project and dev.version == "0.1.dev0"


def test_pep660_editables(tmp_path: Path) -> None:
    # What pip writes for `pip install -e ./proj` with a PEP 660 backend (see PEP 610 for direct_url.json).
    info = add_dist_info(tmp_path, "proj", "0.3")
    project = tmp_path / "src project"
    (info / "direct_url.json").write_text(
        json.dumps({"url": project.as_uri(), "dir_info": {"editable": True}})
    )
    (tmp_path / "__editable__.proj-0.3.pth").write_text(f"{project}\n")
    (tmp_path / "__editable__.hooked-1.0.pth").write_text(
        "import __editable___hooked_1_0_finder; x.install()\n"
    )
    add_dist_info(tmp_path, "hooked", "1.0")
    dists = read_installed([tmp_path])
    assert dists["proj"].editable and dists["proj"].editable_location == project
    assert dists["hooked"].editable and dists["hooked"].editable_location is None


def test_first_site_dir_wins(tmp_path: Path) -> None:
    add_dist_info(tmp_path / "a", "alpha", "1.0")
    add_dist_info(tmp_path / "b", "alpha", "2.0")
    assert read_installed([tmp_path / "a", tmp_path / "b"])["alpha"].version == "1.0"
