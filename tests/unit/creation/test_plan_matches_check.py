"""After a successful create or sync, the check finds nothing missing of what was selected.

Real envs (venv backend), real pip installs from a local wheelhouse, then the real check on the result:
the plan and the check read the same parsed sources, so they cannot disagree. One project per kind of
source: plain requirements, -r/-c, PEP 621 extras, PEP 735 groups with include-group, Poetry (old
``[tool.poetry]`` and Poetry 2 ``[project]``), ``[tool.uv] default-groups``, PDM, setup.cfg/setup.py.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from support.wheelhouse import Dist, build_wheelhouse
from venvkeeper.context import CheckContext
from venvkeeper.creation.create import CreateRequest, create_env, sync_env
from venvkeeper.creation.interpreters import BasePython
from venvkeeper.creation.pipseed import bundled_pip_wheel
from venvkeeper.creation.plan import plan_from_sources
from venvkeeper.discovery.model import Candidate, Discovery, Environment
from venvkeeper.discovery.pyvenv import read_pyvenv_cfg
from venvkeeper.host import Host
from venvkeeper.requirements.installed import read_installed
from venvkeeper.requirements.provider import requirement_findings
from venvkeeper.settings import Settings
from venvkeeper.state import StateStore

from .conftest import DISTS

pytestmark = pytest.mark.slow

MISSING = {"not-installed", "version-mismatch", "extra-missing"}

EXTRA_DISTS = [
    Dist("alpha", "1.5", requires=["gamma>=1"]),
    Dist("beta", "1.0"),
    Dist("webkit", "1.0", extras={"fast": ["speedup"]}),
    Dist("speedup", "0.1"),
    Dist("fastjson", "1.0"),
    Dist("tester", "1.2"),
    Dist("linter", "1.0"),
    Dist("docsgen", "1.0"),
    Dist("fetcher", "2.3.0"),
    Dist("plugin", "0.5.2"),
]


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory, base_python: BasePython) -> Path:
    wh = build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"), [*DISTS, *EXTRA_DISTS])
    pip_wheel = bundled_pip_wheel(base_python.path, base_python.major_minor, windows=os.name == "nt")
    if pip_wheel is not None:
        for bundled in pip_wheel.parent.glob("*.whl"):
            shutil.copy(bundled, wh)
    return wh


def write(project: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return project


def env_of(path: Path) -> Environment:
    layout = "windows" if os.name == "nt" else "posix"
    python = path / ("Scripts/python.exe" if layout == "windows" else "bin/python")
    cfg = read_pyvenv_cfg(path / "pyvenv.cfg")
    return Environment(path=path, python=python, layout=layout, state="ok", cfg=cfg)  # type: ignore[arg-type]


def installed(env: Path) -> set[str]:
    return set(read_installed(env_of(env).site_packages()))


def check_findings(project: Path, env: Path, settings: Settings, host: Host) -> list[str]:
    chosen = Candidate(env=env_of(env), origin="conventional", source=".venv in the project")
    ctx = CheckContext(
        project, Discovery(project, chosen, [chosen]), settings, host, StateStore(host.state_dir)
    )
    return [f"{f.file.name}:{f.span.line + 1} {f.code}: {f.message}" for f in requirement_findings(ctx)]


CASES: dict[str, tuple[dict[str, str], Settings, set[str], set[str]]] = {
    # name: (files, settings, must be installed, must not be installed)
    "plain requirements": (
        {"requirements.txt": "alpha==1.0\nbeta>=2\nwebkit[fast]\n"},
        Settings(),
        {"alpha", "beta", "gamma", "webkit", "speedup"},
        set(),
    ),
    # Shaped like Django's requirements/: a root file including base.txt, a shared -c file included by
    # two top-level files, and a file in a sub-folder of requirements/ (which belongs to the project).
    "-r and -c": (
        {
            "requirements.txt": "-r requirements/base.txt\n-c constraints.txt\n",
            "requirements-dev.txt": "-c constraints.txt\ntester\nalpha\n",
            "constraints.txt": "alpha<2\nbeta==1.0\n",
            "requirements/base.txt": "alpha\nbeta\n",
            "requirements/docs/docs.txt": "docsgen\n",
        },
        Settings(),
        {"alpha", "beta", "tester", "docsgen"},
        set(),
    ),
    "PEP 621 extras (normalised names)": (
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "0"\ndependencies = ["alpha>=2"]\n'
            '[project.optional-dependencies]\nFast_IO = ["fastjson"]\nweb = ["webkit[fast]"]\n'
        },
        Settings(extras=("fast-io",)),
        {"alpha", "fastjson"},
        {"webkit"},
    ),
    "PEP 735 groups with include-group": (
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "0"\ndependencies = ["beta"]\n'
            '[dependency-groups]\ntest = ["tester>=1"]\nDev = ["linter", {include-group = "test"}]\n'
            'docs = ["docsgen"]\n'
        },
        Settings(dependency_groups=("dev",)),
        {"beta", "linter", "tester"},
        {"docsgen"},
    ),
    # Shaped like an older Poetry project (e.g. python-poetry/poetry-core's own examples): caret and
    # tilde constraints, an optional dependency behind an extra, dev-dependencies, groups, an optional one.
    "Poetry [tool.poetry]": (
        {
            "pyproject.toml": '[tool.poetry]\nname = "app"\nversion = "0"\n'
            '[tool.poetry.dependencies]\npython = "^3.8"\nfetcher = "^2.1"\n'
            'plugin = { version = "~0.5", optional = true }\n'
            '[tool.poetry.extras]\nplugins = ["plugin"]\n'
            '[tool.poetry.dev-dependencies]\ntester = "*"\n'
            '[tool.poetry.group.lint.dependencies]\nlinter = "^1.0"\n'
            "[tool.poetry.group.docs]\noptional = true\n"
            '[tool.poetry.group.docs.dependencies]\ndocsgen = "*"\n',
            "poetry.lock": "",
        },
        Settings(extras=()),
        {"fetcher", "tester", "linter"},
        {"docsgen", "plugin"},
    ),
    "Poetry 2 [project]": (
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.9"\n'
            'dependencies = ["fetcher (>=2.1,<3)"]\n'
            '[project.optional-dependencies]\nplugins = ["plugin (>=0.5,<0.6)"]\n'
            "[tool.poetry]\npackage-mode = false\n"
            '[tool.poetry.group.dev.dependencies]\ntester = "^1.0"\n'
        },
        Settings(),
        {"fetcher", "plugin", "tester"},
        set(),
    ),
    "uv default-groups": (
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "0"\ndependencies = []\n'
            '[dependency-groups]\ndev = ["tester"]\nlint = ["linter"]\ndocs = ["docsgen"]\n'
            '[tool.uv]\ndefault-groups = ["dev", "lint"]\n'
        },
        Settings(),
        {"tester", "linter"},
        {"docsgen"},
    ),
    "PDM dev-dependencies": (
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "0"\ndependencies = ["beta"]\n'
            '[tool.pdm.dev-dependencies]\ntest = ["tester"]\nlint = ["linter"]\n'
        },
        Settings(),
        {"beta", "tester", "linter"},
        set(),
    ),
    # Shaped like httpie's setup.cfg era and a classic setup.py with literal lists.
    "setup.cfg and setup.py": (
        {
            "setup.cfg": "[metadata]\nname = app\n\n[options]\ninstall_requires =\n    alpha<2\n"
            "    # a comment line\n    beta>=2\n\n[options.extras_require]\ntest =\n    tester\n",
            "setup.py": "from setuptools import setup\n\nsetup(name='app', install_requires=['fetcher>=2'])\n",
        },
        Settings(),
        {"alpha", "beta", "tester", "fetcher"},
        set(),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_after_create_the_check_finds_nothing_missing(
    case: str, tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    files, settings, wanted, unwanted = CASES[case]
    project = write(tmp_path / "app", files)
    result = create_env(
        CreateRequest(
            project,
            backend="venv",
            extras=settings.extras,
            groups=settings.dependency_groups,
            **offline,
        ),
        host=host,
        interpreters=[base_python],
    )
    have = installed(result.env_path)
    assert wanted <= have, (result.plan, have)
    assert not unwanted & have
    assert check_findings(project, result.env_path, settings, host) == []


def test_after_sync_of_one_source_that_source_is_satisfied(
    tmp_path: Path, host: Host, base_python: BasePython, offline: dict[str, Any]
) -> None:
    project = write(tmp_path / "app", {"requirements.txt": "alpha==1.0\n"})
    env = create_env(
        CreateRequest(project, backend="venv", **offline), host=host, interpreters=[base_python]
    ).env_path
    write(
        project,
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "0"\ndependencies = ["beta>=2"]\n'
            '[dependency-groups]\ndev = ["tester"]\n',
            "requirements.txt": "alpha==1.0\nwebkit[fast]\n",
        },
    )
    settings = Settings()
    before = check_findings(project, env, settings, host)
    assert {line.split(" ")[0] for line in before} == {
        "pyproject.toml:4",
        "pyproject.toml:6",
        "requirements.txt:2",
    }
    pyproject = project / "pyproject.toml"
    sync_env(
        project,
        env,
        plan_from_sources(project, [pyproject], settings, host),
        host=host,
        index_options=offline["index_options"],
        tool_env=offline["tool_env"],
        backend_preference="venv",
    )
    after = check_findings(project, env, settings, host)
    assert [line for line in after if line.startswith("pyproject.toml")] == []
    assert [line.split(" ")[0] for line in after] == ["requirements.txt:2"]  # not selected: still said
