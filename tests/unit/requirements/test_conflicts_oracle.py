"""pip is the oracle for "the env is consistent with itself".

Many real venvs get dists from a local wheelhouse with ``pip install --no-deps``, so pip writes the
dist-info while the dependency graph is broken on purpose (chains, extras, markers, name
normalisation, pre-releases, self-requirements, cycles, egg-info). Three judges, all pip:

* ``pip check`` in the env: its missing/conflicting set must equal our base (extra-free) verdicts;
* ``pip install --dry-run X==v`` in the env: pip would change something exactly when our verdicts
  find a conflict anywhere in X's dependency closure, extras requested on the way included (pip check
  ignores extras; the resolver does not);
* ``pip install --dry-run --no-deps --ignore-installed X==v``: pip refuses X for the env's Python
  exactly when we say ``python-incompatible``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from support.envs import env_python, make_venv, pip_install
from support.wheelhouse import Dist, build_wheelhouse
from venvkeeper.host import Host
from venvkeeper.requirements.conflicts import Consistency
from venvkeeper.requirements.provider import env_consistency

from .conftest import environment

pytestmark = pytest.mark.slow

DISTS = [
    Dist("base", "1.0"),
    Dist("base", "2.0"),
    Dist("base", "2.1rc1"),
    Dist("NeedsBase", "1.0", requires=["Base<2"]),
    Dist("needs-base-ge2", "1.0", requires=["base>=2"]),
    Dist("needs_base_lt21", "1.0", requires=["base<2.1"]),  # a pre-release of 2.1 is not < 2.1
    Dist("chain-top", "1.0", requires=["chain-mid"]),
    Dist("chain-mid", "1.0", requires=["chain-low>=2"]),
    Dist("chain-low", "1.0"),
    Dist("chain-low", "2.0"),
    Dist(
        "markered",
        "1.0",
        requires=[
            'base<2 ; python_version < "3"',
            f'chain-low>=2 ; sys_platform == "{sys.platform}"',
            'absent-pkg ; python_version < "3"',
            'absent-too ; os_name == "nonexistent"',
            f'chain-top ; python_version >= "3" and sys_platform != "{sys.platform}"',
        ],
    ),
    Dist("Web.Kit", "1.0", requires=["base>=1"], extras={"secure": ["crypto_lib>=1.1"], "fast": ["speedup"]}),
    Dist("app", "1.0", requires=["web-kit[secure]"]),
    Dist("crypto-lib", "1.0"),
    Dist("crypto-lib", "1.2"),
    Dist("speedup", "1.0"),
    Dist("outer", "1.0", requires=["middle[x]"]),
    Dist("middle", "1.0", extras={"x": ["inner[y]>=1"]}),
    Dist("inner", "1.0", extras={"y": ["base>=2"]}),
    Dist("selfish", "1.0", requires=["selfish>=2"]),
    Dist("selfok", "1.0", requires=["selfok"]),
    Dist("cycle-a", "1.0", requires=["cycle-b>=1"]),
    Dist("cycle-b", "1.0", requires=["cycle-a<1"]),
    Dist("newpy", "1.0", requires_python=">=4"),
    Dist("oldpy", "1.0", requires_python="<3"),
    Dist("anypy", "1.0", requires_python=">=3.8"),
    Dist("url-dep", "1.0", requires=["base @ file:///nonexistent/base-1.0-py3-none-any.whl"]),
    Dist("Dotted.Name_mix", "1.0", requires=["CHAIN_LOW>=2"]),
]

#: name -> what to install with --no-deps (the graph is broken on purpose).
ENVS: dict[str, list[str]] = {
    "conflict": ["base==2.0", "needsbase==1.0"],
    "conflict-up": ["base==1.0", "needs-base-ge2"],
    "prerelease": ["base==2.1rc1", "needs-base-ge2", "needs-base-lt21"],
    "chain": ["chain-top", "chain-mid", "chain-low==1.0"],
    "chain-gap": ["chain-top", "chain-low==2.0"],
    "markers-bad": ["markered", "chain-low==1.0", "base==2.0"],
    "markers-ok": ["markered", "chain-low==2.0", "base==2.0"],
    "extra-conflict": ["app", "web.kit", "base==1.0", "crypto-lib==1.0"],
    "extra-missing": ["app", "web.kit", "base==1.0"],
    "extra-ok": ["app", "web.kit", "base==1.0", "crypto-lib==1.2"],
    "extras-nested": ["outer", "middle", "inner", "base==1.0"],
    "extras-nested-ok": ["outer", "middle", "inner", "base==2.0"],
    "self": ["selfish", "selfok"],
    "cycle": ["cycle-a", "cycle-b"],
    "python": ["newpy", "oldpy", "anypy"],
    "url": ["url-dep", "base==1.0"],
    "url-missing": ["url-dep"],
    "normalised": ["dotted.name-mix", "chain-low==1.0"],
    "egg": ["base==2.0"],  # plus a hand-written egg-info below
    "consistent": ["chain-top", "chain-mid", "chain-low==2.0", "needs-base-ge2", "base==2.0"],
}

#: An egg-info as setuptools writes it: requires.txt with a marker section, PKG-INFO.
EGG = {
    "PKG-INFO": "Metadata-Version: 1.1\nName: eggy\nVersion: 1.0\n",
    "requires.txt": 'base<2\n\n[:python_version < "3"]\nabsent-pkg\n\n[extra]\nspeedup\n',
}

PIP_ENV = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": ""}
Key = tuple[str, str, str]


def _pip(env: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env_python(env)), "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        env=PIP_ENV,
    )


def pip_check(env: Path) -> set[Key]:
    """``pip check``'s verdicts as (dist, "missing"|"conflict", required name), canonical names."""
    out: set[Key] = set()
    proc = _pip(env, "check")
    for line in proc.stdout.splitlines():
        m = re.match(r"^(\S+) \S+ requires (\S+), which is not installed\.$", line)
        if m:
            out.add((m.group(1), "missing", m.group(2)))
            continue
        m = re.match(r"^(\S+) \S+ has requirement .*, but you have (\S+) \S+\.$", line)
        if m:
            out.add((m.group(1), "conflict", m.group(2)))
    assert (proc.returncode != 0) == bool(out), proc.stdout + proc.stderr
    return out


def pip_would_change(env: Path, wheelhouse: Path, name: str, version: str) -> bool:
    proc = _pip(
        env, "install", "--dry-run", "--no-index", "--find-links", str(wheelhouse), "-q",
        "--report", "-", f"{name}=={version}",
    )  # fmt: skip
    if proc.returncode != 0:
        return True  # pip cannot make it consistent from the wheelhouse: certainly not consistent now
    return bool(json.loads(proc.stdout[proc.stdout.index("{") :])["install"])


def pip_refuses_python(env: Path, wheelhouse: Path, name: str, version: str) -> bool:
    proc = _pip(
        env, "install", "--dry-run", "--no-deps", "--ignore-installed", "--no-index",
        "--find-links", str(wheelhouse), "-q", f"{name}=={version}",
    )  # fmt: skip
    if proc.returncode == 0:
        return False
    assert "Requires-Python" in proc.stderr or "different python" in proc.stderr.lower(), proc.stderr
    return True


def ours_base(report: Consistency) -> set[Key]:
    kinds = {"dependency-missing": "missing", "dependency-conflict": "conflict"}
    return {
        (c.dist.canonical_name, kinds[c.code], c.edge.target)
        for c in report.conflicts
        if c.code in kinds and c.edge is not None and not c.edge.extra
    }


def ours_closure_broken(report: Consistency, name: str) -> bool:
    """A missing/conflicting requirement among those pip's resolver would visit for ``name``: its base
    requirements, then each target's base requirements plus the extras asked for on the way."""
    failing = {id(c.edge) for c in report.conflicts if c.edge is not None}
    seen, todo = {(name, "")}, [(name, "")]
    while todo:
        source, extra = todo.pop()
        for edge in report.edges.get(source, []):
            if edge.extra != extra:
                continue
            if id(edge) in failing:
                return True
            for wanted in ("", *sorted(edge.requirement.extras)):
                if (edge.target, wanted) not in seen:
                    seen.add((edge.target, wanted))
                    todo.append((edge.target, wanted))
    return False


@pytest.fixture(scope="module")
def oracle_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("conflict-wheelhouse"), DISTS)


def _build(root: Path, wheelhouse: Path, name: str) -> Path:
    env = make_venv(root / name)
    pip_install(env, wheelhouse, ENVS[name], "--no-deps", "--ignore-requires-python")
    if name == "egg":
        site = environment(env).site_packages()[0]
        egg = site / f"eggy-1.0-py{sys.version_info[0]}.{sys.version_info[1]}.egg-info"
        egg.mkdir()
        for file, text in EGG.items():
            (egg / file).write_text(text)
    return env


def test_consistency_agrees_with_pip(tmp_path: Path, oracle_wheelhouse: Path, host: Host) -> None:
    names = sorted(ENVS)
    with ThreadPoolExecutor(max_workers=4) as pool:
        envs = dict(zip(names, pool.map(lambda n: _build(tmp_path, oracle_wheelhouse, n), names)))
        checks = dict(zip(names, pool.map(pip_check, envs.values())))
    reports = {n: env_consistency(environment(envs[n]), host) for n in names}

    # 1. pip check: the base verdicts, env by env.
    disagree = {n: (ours_base(reports[n]), checks[n]) for n in names if ours_base(reports[n]) != checks[n]}
    assert disagree == {}, "\n".join(f"{n}: ours {o} / pip {p}" for n, (o, p) in disagree.items())
    broken = [n for n in names if checks[n]]
    assert 10 <= len(broken) < len(names) - 5, broken  # both verdicts occur

    # 2. pip's resolver: every installed dist of every env, extras followed.
    cases = [
        (n, dist.name, dist.version, dist.canonical_name)
        for n in names
        for dist in reports[n].installed.values()
        # eggy is not in the wheelhouse; url-dep names a URL that does not exist (pip check judges both).
        if dist.canonical_name not in ("eggy", "url-dep")
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        resolver = list(
            pool.map(lambda c: pip_would_change(envs[c[0]], oracle_wheelhouse, c[1], c[2]), cases)
        )
    wrong = [
        (n, name, "pip: would change" if pip else "pip: consistent")
        for (n, name, _, canon), pip in zip(cases, resolver)
        if pip != ours_closure_broken(reports[n], canon)
    ]
    assert wrong == [], "\n".join(map(str, wrong))
    # The extras cases are where pip check is blind and the resolver is not.
    extra_flagged = {n for n in names if any(c.edge and c.edge.extra for c in reports[n].conflicts)}
    assert extra_flagged == {"extra-conflict", "extra-missing", "extras-nested"}
    assert not checks["extra-conflict"] and not checks["extras-nested"]

    # 3. Requires-Python: pip refuses exactly the dists we call python-incompatible.
    py_env = envs["python"]
    py_cases = [(d.name, d.version) for d in DISTS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        refused = list(pool.map(lambda d: pip_refuses_python(py_env, oracle_wheelhouse, *d), py_cases))
    ours_py = {c.dist.name for r in reports.values() for c in r.conflicts if c.code == "python-incompatible"}
    assert {name for (name, _), r in zip(py_cases, refused) if r} == ours_py == {"newpy", "oldpy"}

    total = len(names) + len(cases) + len(py_cases)
    print(f"agreed with pip on {len(names)} envs (pip check), {len(cases)} dists (resolver), "
          f"{len(py_cases)} dists (Requires-Python): {total} verdicts")  # fmt: skip
