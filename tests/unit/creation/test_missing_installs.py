"""What "Install missing" installs: the checks' own install strings, once each, editables as two args."""

from __future__ import annotations

from pathlib import Path

from venvkeeper.creation.plan import missing_install_args
from venvkeeper.findings import FILE_START, Finding


def finding(code: str, install: str | None) -> Finding:
    data = {"install": install} if install is not None else {}
    return Finding(Path("requirements.txt"), FILE_START, code, "…", data)


def test_missing_and_mismatched_requirements_become_pip_arguments_once() -> None:
    findings = [
        finding("not-installed", "requests>=2"),
        finding("version-mismatch", "django==4.2.7"),
        finding("not-installed", "requests>=2"),
        finding("not-installed", "-e ./libs/core"),
        finding("global-install", "flask"),  # not a missing requirement
        finding("not-installed", None),
    ]
    assert missing_install_args(findings) == ["requests>=2", "django==4.2.7", "-e", "./libs/core"]
