"""userdirs.user_dir against the real platformdirs (the oracle the tools themselves use).

platformdirs reads the process environment, so each case runs it in a child Python with exactly the
environment under test (no patching of our own globals). Windows folders come from platformdirs'
documented ``WIN_PD_OVERRIDE_*`` variables, which it consults before asking the OS.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from venvkeeper.discovery.userdirs import user_dir

#: (app, kind, roaming, appauthor left unset) as Poetry, PDM and Hatch call platformdirs.
CALLS = [
    ("pypoetry", "cache", False, False),
    ("pypoetry", "config", True, False),
    ("pdm", "data", False, True),
    ("pdm", "config", False, True),
    ("hatch", "data", False, False),
    ("hatch", "config", False, False),
]

ORACLE = """
import json, sys
from platformdirs.unix import Unix
from platformdirs.macos import MacOS
from platformdirs.windows import Windows
cls = {"linux": Unix, "darwin": MacOS, "win32": Windows}[sys.argv[1]]
out = []
for app, kind, roaming, author_unset in json.loads(sys.argv[2]):
    kw = {} if author_unset else {"appauthor": False}
    out.append(getattr(cls(app, roaming=roaming, **kw), f"user_{kind}_dir"))
print(json.dumps(out))
"""


def oracle(platform: str, env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", ORACLE, platform, json.dumps(CALLS)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(done.stdout))


@pytest.mark.parametrize(
    ("platform", "environ"),
    [
        ("linux", {}),
        ("linux", {"XDG_CACHE_HOME": "/x/cache", "XDG_CONFIG_HOME": "/x/config", "XDG_DATA_HOME": "/x/data"}),
        ("darwin", {}),
        ("darwin", {"XDG_CACHE_HOME": "/x/cache"}),
        (
            "win32",
            {
                "APPDATA": r"C:\Users\u\AppData\Roaming",
                "LOCALAPPDATA": r"C:\Users\u\AppData\Local",
                "WIN_PD_OVERRIDE_APPDATA": r"C:\Users\u\AppData\Roaming",
                "WIN_PD_OVERRIDE_LOCAL_APPDATA": r"C:\Users\u\AppData\Local",
            },
        ),
    ],
)
def test_user_dirs_match_platformdirs(tmp_path: Path, platform: str, environ: dict[str, str]) -> None:
    if platform == "darwin" and environ and sys.version_info < (3, 10):
        pytest.skip(
            "platformdirs < 4.5 (the last for Python 3.9) ignores XDG_* on macOS; newer ones honour it"
        )
    home = tmp_path / "home"
    expected = oracle(platform, {"HOME": str(home), "PATH": "/usr/bin:/bin", **environ})
    ours = [
        str(
            user_dir(
                kind,
                app,
                home=home,
                environ=environ,
                sys_platform=platform,
                roaming=roaming,
                author_dir=unset,
            )
        )  # type: ignore[arg-type]
        for app, kind, roaming, unset in CALLS
    ]
    assert ours == expected


def test_pyenv_root_is_the_variable_expanded_against_the_injected_home_else_the_default(
    tmp_path: Path,
) -> None:
    from venvkeeper.discovery.userdirs import pyenv_root

    home = tmp_path / "home"
    assert pyenv_root({}, home) == home / ".pyenv"
    assert pyenv_root({}, home, windows=True) == home / ".pyenv" / "pyenv-win"
    assert pyenv_root({"PYENV_ROOT": "~/tools/pyenv"}, home) == home / "tools" / "pyenv"
    assert pyenv_root({"PYENV_ROOT": "  "}, home) == home / ".pyenv"
