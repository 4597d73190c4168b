"""Which quick fixes a finding offers (venvkeeper/fixes.py), from its code's row and its data."""

from __future__ import annotations

from pathlib import Path

from venvkeeper.fixes import Fix, fixes_for

PROJECT = Path("/ws/app")
DATA = {"project": str(PROJECT), "env": str(PROJECT / "venv")}


def test_a_missing_requirement_offers_it_then_everything_then_a_sync() -> None:
    fixes = fixes_for("not-installed", {**DATA, "requirement": "flask>=3"}, PROJECT / "requirements.txt")
    assert fixes == [
        Fix("Install flask>=3 into venv", "install-into-env", PROJECT, ("flask>=3",), preferred=True),
        Fix("Install missing into venv", "install-missing", PROJECT),
        Fix("Sync venv with requirements.txt", "sync", PROJECT, source=str(PROJECT / "requirements.txt")),
    ]


def test_the_findings_own_source_beats_the_document() -> None:
    data = {**DATA, "source": str(PROJECT / "dev.txt")}
    (fix,) = fixes_for("changed-since-sync", data, PROJECT / "requirements.txt")
    assert (fix.title, fix.source) == ("Sync venv with dev.txt", str(PROJECT / "dev.txt"))
    (unnamed,) = fixes_for("changed-since-sync", DATA, None)
    assert (unnamed.title, unnamed.source) == ("Sync venv with requirements", None)


def test_a_conflict_offers_the_compatible_install_and_the_resolver() -> None:
    fixes = fixes_for("dependency-conflict", {**DATA, "install": "numpy<1.24"}, None, resolve_edits=True)
    assert [(f.title, f.command, f.preferred, f.resolve_later, f.sync) for f in fixes] == [
        ("Install numpy<1.24 into venv", "install-into-env", True, False, False),
        ("Find versions that work together", "find-compatible", False, True, False),
        ("Find versions that work together and sync venv", "find-compatible", False, False, True),
    ]
    # Without codeAction/resolve the first resolver fix runs the command directly.
    assert not any(f.resolve_later for f in fixes_for("dependency-conflict", DATA, None))


def test_env_fixes_prefer_the_lighter_one() -> None:
    no_pip = fixes_for("env-no-pip", DATA, None)
    assert [(f.command, f.preferred) for f in no_pip] == [("add-pip", True), ("recreate", False)]
    (recreate,) = fixes_for("env-broken", DATA, None)
    assert (recreate.title, recreate.preferred) == ("Recreate venv", True)


def test_no_fix_without_project_and_env_or_when_no_install_can_help() -> None:
    assert fixes_for("not-installed", {"project": str(PROJECT)}, None) == []
    assert fixes_for("include-cycle", DATA, None) == []
    assert [f.command for f in fixes_for("not-installed", {**DATA, "install": ""}, None)] == ["sync"]
