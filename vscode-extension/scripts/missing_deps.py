"""Print the requirements that bundled libs still miss for some Python >= 3.9 on a target platform.

pip evaluates environment markers against the interpreter that runs it, not against
``--python-version``: run under Python 3.11, it skips ``exceptiongroup; python_version < "3.11"``
that cattrs needs on 3.9 and 3.10. This walks every installed distribution's Requires-Dist and
evaluates its markers for each Python 3.9 … 3.14 on the target OS; whatever is needed by any of
them and not installed is printed, one requirement per line, for the caller to install.

Usage: python missing_deps.py LIBS_DIR TARGET [REQUIREMENTS_FILE]
       (TARGET: linux-x64, win32-x64, darwin-arm64, …; the file holds the top-level requirements)
"""

from __future__ import annotations

import sys
from email.parser import Parser
from pathlib import Path

libs = Path(sys.argv[1])
target = sys.argv[2]
# The packaging that was just bundled; it is one of the server's own requirements.
sys.path.insert(0, str(libs))
from packaging.markers import default_environment  # noqa: E402
from packaging.requirements import Requirement  # noqa: E402
from packaging.specifiers import SpecifierSet  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402

OS = target.split("-")[0]
PLATFORM = {
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    "win32": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
    "darwin": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
}[OS]


def environments() -> list[dict[str, str]]:
    envs = []
    for minor in range(9, 15):
        env = dict(default_environment())
        env.update(PLATFORM)
        env.update(
            python_version=f"3.{minor}",
            python_full_version=f"3.{minor}.0",
            implementation_name="cpython",
            platform_python_implementation="CPython",
            extra="",
        )
        envs.append(env)
    return envs


installed: dict[str, list[str]] = {}
too_new: list[str] = []
for dist_info in libs.glob("*.dist-info"):
    meta = Parser().parsestr((dist_info / "METADATA").read_text(encoding="utf-8"), headersonly=True)
    installed[canonicalize_name(meta["Name"])] = meta.get_all("Requires-Dist") or []
    requires_python = SpecifierSet(meta.get("Requires-Python") or "")
    if not requires_python.contains("3.9.0"):
        too_new.append(f"{meta['Name']} {meta['Version']} (Requires-Python {requires_python})")
if too_new:
    # One libs folder must serve every Python >= 3.9; fail the build rather than ship a broken bundle.
    sys.exit("bundled libs that do not support Python 3.9: " + ", ".join(too_new))

top_level = Path(sys.argv[3]).read_text(encoding="utf-8").split("\n") if len(sys.argv) > 3 else []
missing: dict[str, Requirement] = {}
for requires in [[line for line in top_level if line.strip()], *installed.values()]:
    for line in requires:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        if name in installed or name in missing:
            continue
        if req.marker is None or any(req.marker.evaluate(env) for env in environments()):
            missing[name] = req

for req in missing.values():
    req.marker = None
    print(str(req))
