"""The content hashes equal what the real tools compute for the same pyproject/Pipfile.

Expected values were produced by the tools themselves on these exact files:
- Poetry 2.5.1: ``Factory().create_poetry(dir).locker._content_hash`` (what ``poetry lock`` writes
  as ``content-hash`` and ``poetry check --lock`` compares);
- PDM 2.29.4: ``Core().create_project(dir).pyproject_content_hash()`` (``content_hash`` of pdm.lock);
- pipenv 2026.10.3: ``pipenv lock`` wrote ``_meta.hash.sha256`` for hash-pipe.Pipfile.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from venvkeeper.requirements import _toml
from venvkeeper.requirements.locks.hashes import pdm_content_hash, pipfile_hashes, poetry_content_hash

FIXTURES = Path(__file__).parent / "fixtures"


def _load(name: str) -> dict[str, object]:
    return _toml.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # [tool.poetry] only (Poetry 1 style), non-package mode.
        ("hash-poe.pyproject.toml", "616d0585860ec64728434b34ec66446f9aaa1fb40dd3733b7502b1fc15f92108"),
        # PEP 621 [project] + [dependency-groups] + a Poetry group and source (Poetry 2 style).
        ("hash-poe2.pyproject.toml", "eafc173ea6354a9418fdfba792a698be390da024043c086b7e982dedbaf7ab8b"),
    ],
)
def test_poetry_content_hash_is_poetrys(name: str, expected: str) -> None:
    assert poetry_content_hash(_load(name)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hash-pdmp.pyproject.toml", "0da78e506cab049a62c9344f7e87a767b2ead825aefdc58bde38ee97bf241fe5"),
        # dependency-groups with a non-normalised name, tool.pdm.dev-dependencies, a source, resolution.
        ("hash-pdm2.pyproject.toml", "82b425aecd160fb611856a159b9a85e43de6b37553a965273396195b2fed639a"),
    ],
)
def test_pdm_content_hash_is_pdms(name: str, expected: str) -> None:
    assert pdm_content_hash(_load(name)) == expected


def test_pipfile_hash_is_pipenvs() -> None:
    # The Pipfile spells "Click": current pipenv hashes canonical names.
    current, legacy = pipfile_hashes(_load("hash-pipe.Pipfile"))
    assert current == "62884b40105de8deec74f7baabd0d396f4404ab9c4a7279efaaf592d7cba4037"
    assert legacy != current


def test_a_changed_dependency_changes_every_hash() -> None:
    poetry = _load("hash-poe.pyproject.toml")
    poetry["tool"]["poetry"]["dependencies"]["requests"] = "^2.31"  # type: ignore[index]
    assert poetry_content_hash(poetry) != "616d0585860ec64728434b34ec66446f9aaa1fb40dd3733b7502b1fc15f92108"
