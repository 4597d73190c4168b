// End-to-end test of the packaged extension in a real VS Code (code-server), driven through headless
// Chromium with playwright-core. Called by scripts/e2e.sh, which builds the .vsix and installs
// code-server first.
//
//   node e2e/run.mjs --vsix FILE --code-server-dir DIR --out DIR
//
// Steps (issue 6 "Tests"): (a) status bar shows the project's .venv and its version; (d) the picker
// lists the candidates; (b) a requirements.txt project without env shows the create prompt, "Create"
// yields a working .venv and the status bar switches to it; (c) a requirement that is not installed
// is in the Problems panel with its quick fix; (k) a VIRTUAL_ENV of another project shows the
// activated-elsewhere state; (l) activateTerminals: false and (m) syncPythonExtension: false in the
// workspace settings are honoured (and turning them on takes effect live); (n) a repo committing .venv/bin/ls opened in
// Restricted Mode activates no terminal until the folder is trusted; (o) issue 11's dependency conflict is in the
// Problems panel on both requirement lines; (q) the grouped picker (issue 13) and "Create new environment…"
// asking which Python, then creating with it. Plus the speed figures from the extension's log
// (status bar after activation, cold and from the workspace-state cache).
// Every step runs even when an earlier one failed; the exit code is non-zero when any failed.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync as realpath, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const VSIX = arg('vsix');
const CS_DIR = arg(
  'code-server-dir',
  path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'code-server-e2e'),
);
const OUT = arg('out', path.join(REPO, 'test-output', 'e2e'));
const KEEP = process.argv.includes('--keep');
const ONLY = arg('only', 'a,d,e,f,i,j,p,q,b,fail,g,h,c,r,o,speed,trust,n,k,l,m').split(',');
if (!VSIX) {
  console.error('usage: node e2e/run.mjs --vsix FILE [--code-server-dir DIR] [--out DIR]');
  process.exit(2);
}
const require = createRequire(path.join(CS_DIR, 'package.json'));
const { chromium } = require('playwright-core');
const CODE_SERVER = path.join(CS_DIR, 'node_modules', '.bin', 'code-server');
const PYTHON = process.env.E2E_PYTHON || 'python3';

// ---------------------------------------------------------------------------------------------
// Fixtures: real projects and real venvs in a temp dir.

const WORK = mkdtempSync(path.join(tmpdir(), 'vk-e2e-'));

/** Remove WORK. A create starts `compileall` on the cached pip image detached, so that it outlives the
 * daemon (it only warms a cache); under load it can still be writing into WORK's cache dir here. Those
 * stragglers (every process whose command line names WORK) are killed first; a dir that still cannot be
 * removed is reported, not failed on: the steps' verdicts are already in. */
function removeWork() {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (Number(pid) !== process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(WORK)) {
        process.kill(Number(pid), 'SIGKILL');
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  try {
    rmSync(WORK, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
  } catch (err) {
    console.warn(`could not remove ${WORK}: ${err}`);
  }
}
const log = (...a) => console.log(`[e2e ${new Date().toISOString().slice(11, 23)}]`, ...a);

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** "3.11" of the project's .venv (its pyvenv.cfg). */
function pyMajorMinor(project) {
  return (pyvenvVersion(path.join(project, '.venv')) ?? '').split('.').slice(0, 2).join('.');
}

function pyvenvVersion(envDir) {
  const cfg = readFileSync(path.join(envDir, 'pyvenv.cfg'), 'utf8');
  const m = /^\s*version(?:_info)?\s*=\s*(\S+)/m.exec(cfg);
  return m ? m[1] : null;
}

function makeFixtures() {
  const wheelhouse = path.join(WORK, 'wheelhouse');
  // Tiny real wheels, built by the repo's test helper, so installs never need the network.
  sh(PYTHON, ['-c', `
import sys; from pathlib import Path
from support.wheelhouse import Dist, build_wheelhouse
build_wheelhouse(Path(sys.argv[1]), [Dist("tinydep", "1.0"), Dist("otherdep", "2.0"), Dist("lockdep", "1.0"), Dist("lockdep", "2.0")])
`, wheelhouse], { env: { ...process.env, PYTHONPATH: path.join(REPO, 'tests') } });

  // (a)+(d): a project with a real .venv (chosen) and a second env venv/ (a rejected candidate).
  const envproj = path.join(WORK, 'envproj');
  mkdirSync(envproj);
  writeFileSync(path.join(envproj, 'pyproject.toml'), '[project]\nname = "envproj"\nversion = "0.1"\ndependencies = []\n');
  writeFileSync(path.join(envproj, 'main.py'), 'print("hello")\n');
  sh(PYTHON, ['-m', 'venv', '--without-pip', path.join(envproj, '.venv')]);
  sh(PYTHON, ['-m', 'venv', '--without-pip', path.join(envproj, 'venv')]);
  mkdirSync(path.join(envproj, '.vscode'));
  writeFileSync(
    path.join(envproj, '.vscode', 'tasks.json'),
    JSON.stringify({
      version: '2.0.0',
      tasks: [{
        label: 'print interpreter',
        type: 'process',
        command: '${command:venvkeeper.interpreterPath}',
        args: ['-c', `import sys; open(${JSON.stringify(path.join(WORK, 'task-out.txt'))}, "w").write(sys.executable)`],
        problemMatcher: [],
      }],
    }, null, 2),
  );

  // (b): requirements.txt and no env.
  const newproj = path.join(WORK, 'newproj');
  mkdirSync(newproj);
  writeFileSync(path.join(newproj, 'requirements.txt'), 'tinydep==1.0\n');
  writeFileSync(path.join(newproj, 'app.py'), 'import tinydep\n');

  // (c): an env that lacks a requirement.
  const missingproj = path.join(WORK, 'missingproj');
  mkdirSync(missingproj);
  writeFileSync(path.join(missingproj, 'requirements.txt'), 'tinydep==1.0\n');
  sh(PYTHON, ['-m', 'venv', '--without-pip', path.join(missingproj, '.venv')]);

  // (g): creation that takes long enough to cancel: slowdep is an sdist whose in-tree build backend
  // (no setuptools needed, so no index) sleeps before it would build.
  sh(PYTHON, ['-c', `
import io, sys, tarfile
files = {
    "slowdep-1.0/PKG-INFO": "Metadata-Version: 2.1\\nName: slowdep\\nVersion: 1.0\\n",
    "slowdep-1.0/pyproject.toml": '[build-system]\\nrequires = []\\nbuild-backend = "slow_backend"\\nbackend-path = ["."]\\n',
    "slowdep-1.0/slow_backend.py": "import time\\ndef build_wheel(*a, **k):\\n    time.sleep(300)\\n    raise RuntimeError('slow')\\n",
}
with tarfile.open(sys.argv[1], "w:gz") as tar:
    for name, text in files.items():
        data = text.encode()
        info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
`, path.join(wheelhouse, 'slowdep-1.0.tar.gz')]);
  const cancelproj = path.join(WORK, 'cancelproj');
  mkdirSync(cancelproj);
  writeFileSync(path.join(cancelproj, 'requirements.txt'), 'slowdep==1.0\n');
  // A git repo, so the step can show that the build dir never appears in `git status`.
  sh('git', ['init', '-q', cancelproj]);

  // (fail): failpkg is an sdist whose in-tree backend raises, as a package that does not build on this Python.
  sh(PYTHON, ['-c', `
import io, sys, tarfile
files = {
    "failpkg-1.0/PKG-INFO": "Metadata-Version: 2.1\\nName: failpkg\\nVersion: 1.0\\n",
    "failpkg-1.0/pyproject.toml": '[build-system]\\nrequires = []\\nbuild-backend = "fail_backend"\\nbackend-path = ["."]\\n',
    "failpkg-1.0/fail_backend.py": "def build_wheel(*a, **k):\\n    raise RuntimeError('failpkg needs a C compiler for this Python')\\n",
}
with tarfile.open(sys.argv[1], "w:gz") as tar:
    for name, text in files.items():
        data = text.encode()
        info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
`, path.join(wheelhouse, 'failpkg-1.0.tar.gz')]);
  const failproj = path.join(WORK, 'failproj');
  mkdirSync(failproj);
  writeFileSync(path.join(failproj, 'requirements.txt'), 'failpkg==1.0\n');

  // (p): a repo root that is not itself a project; the project (with its .venv) is in backend/.
  const monorepo = path.join(WORK, 'monorepo');
  mkdirSync(path.join(monorepo, 'backend'), { recursive: true });
  writeFileSync(path.join(monorepo, 'README.md'), '# a repo whose Python project is in backend/\n');
  writeFileSync(path.join(monorepo, 'backend', 'pyproject.toml'), '[project]\nname = "backend"\nversion = "0.1"\ndependencies = []\n');
  writeFileSync(path.join(monorepo, 'backend', 'app.py'), 'print("backend")\n');
  sh(PYTHON, ['-m', 'venv', '--without-pip', path.join(monorepo, 'backend', '.venv')]);

  // (trust): an env that lacks a requirement, opened in Restricted Mode (its own copy: step c installs into missingproj).
  const restrictedproj = path.join(WORK, 'restrictedproj');
  mkdirSync(restrictedproj);
  writeFileSync(path.join(restrictedproj, 'requirements.txt'), 'tinydep==1.0\n');
  sh(PYTHON, ['-m', 'venv', '--without-pip', path.join(restrictedproj, '.venv')]);

  // (k, l, m): a project with its own .venv whose workspace settings turn terminal activation and the
  // Python-extension sync off, opened in a code-server whose VIRTUAL_ENV is another project's real venv.
  const otherproj = path.join(WORK, 'otherproj');
  mkdirSync(otherproj);
  writeFileSync(path.join(otherproj, 'pyproject.toml'), '[project]\nname = "otherproj"\nversion = "0.1"\ndependencies = []\n');
  sh(PYTHON, ['-m', 'venv', '--without-pip', path.join(otherproj, '.venv')]);
  const offproj = path.join(WORK, 'offproj');
  mkdirSync(offproj);
  writeFileSync(path.join(offproj, 'pyproject.toml'), '[project]\nname = "offproj"\nversion = "0.1"\ndependencies = []\n');
  writeFileSync(path.join(offproj, 'main.py'), 'print("hello")\n');
  sh(PYTHON, ['-m', 'venv', '--without-pip', path.join(offproj, '.venv')]);
  mkdirSync(path.join(offproj, '.vscode'));
  writeFileSync(
    path.join(offproj, '.vscode', 'settings.json'),
    JSON.stringify({ 'venvkeeper.activateTerminals': false, 'venvkeeper.syncPythonExtension': false }, null, 2),
  );

  // (n): a hostile repo that commits .venv/bin/ls (it records that it ran) plus a pyvenv.cfg and a python link,
  // built by the same helper as the server's tests.
  const hostileproj = path.join(WORK, 'hostileproj');
  const hostileRan = path.join(WORK, 'hostile-ls-ran');
  sh(PYTHON, ['-c', `
import sys; from pathlib import Path
from support.hostile import committed_venv_repo
committed_venv_repo(Path(sys.argv[1]), Path(sys.argv[2]))
`, hostileproj, hostileRan], { env: { ...process.env, PYTHONPATH: path.join(REPO, 'tests') } });

  // (o): issue 11's scenario: numpy==1.24.3 next to scikit-learn==0.24.1 (which requires numpy<1.24),
  // both installed --no-deps (what a terminal `pip install numpy==1.24.3` leaves behind).
  const conflictproj = path.join(WORK, 'conflictproj');
  mkdirSync(conflictproj);
  writeFileSync(path.join(conflictproj, 'requirements.txt'), 'numpy==1.24.3\nscikit-learn==0.24.1\n');
  sh(PYTHON, ['-c', `
import sys, subprocess, venv; from pathlib import Path
from support.wheelhouse import Dist, build_wheelhouse
wh, env = Path(sys.argv[1]), Path(sys.argv[2])
build_wheelhouse(wh, [Dist("numpy", "1.24.3"), Dist("scikit-learn", "0.24.1", requires=["numpy<1.24"])])
venv.create(env, with_pip=False)
subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "-q", "--no-deps",
                "--no-index", "--find-links", str(wh), "numpy==1.24.3", "scikit-learn==0.24.1"], check=True)
`, wheelhouse, path.join(conflictproj, '.venv')], { env: { ...process.env, PYTHONPATH: path.join(REPO, 'tests'), PIP_CONFIG_FILE: '/dev/null' } });

  // (q): a Poetry project whose env is in Poetry's cache dir (XDG_CACHE_HOME of serverEnv), beside another
  // project's Poetry env: the grouped picker and "Create new environment…" asking which Python.
  const poetryproj = path.join(WORK, 'poetryproj');
  mkdirSync(poetryproj);
  writeFileSync(path.join(poetryproj, 'pyproject.toml'), '[tool.poetry]\nname = "poetryproj"\npackage-mode = false\n');
  writeFileSync(path.join(poetryproj, 'poetry.lock'), '');
  writeFileSync(path.join(poetryproj, 'main.py'), 'print("hello")\n');
  const poetryDir = path.join(WORK, 'home', 'cache', 'pypoetry', 'virtualenvs');
  const [poetryBase, mm] = sh(PYTHON, ['-c', `
import os, sys; from venvkeeper.discovery.toolenvs import poetry_env_base
print(poetry_env_base("poetryproj", os.path.realpath(sys.argv[1])), "%d.%d" % sys.version_info[:2])
`, poetryproj], { env: { ...process.env, PYTHONPATH: path.join(REPO, 'server') } }).trim().split(' ');
  const poetryEnv = path.join(poetryDir, `${poetryBase}-py${mm}`);
  sh(PYTHON, ['-m', 'venv', '--without-pip', poetryEnv]);
  sh(PYTHON, ['-m', 'venv', '--without-pip', path.join(poetryDir, `someone-else-AbCdEfGh-py${mm}`)]);
  // Envs other tools keep for other projects, which the picker lists under "Other environments": a Pipenv
  // env in $XDG_DATA_HOME/virtualenvs and a conda env (no pyvenv.cfg; its Python version is in conda-meta)
  // in $CONDA_ENVS_PATH (serverEnv).
  sh(PYTHON, ['-m', 'venv', '--without-pip', path.join(WORK, 'home', 'data', 'virtualenvs', 'otherapp-Xy12Ab34')]);
  const condaEnv = path.join(WORK, 'home', 'conda-envs', 'datasci');
  mkdirSync(path.join(condaEnv, 'conda-meta'), { recursive: true });
  mkdirSync(path.join(condaEnv, 'bin'));
  writeFileSync(path.join(condaEnv, 'conda-meta', `python-${mm}.0-h1_0.json`), '{}');
  writeFileSync(path.join(condaEnv, 'bin', 'python'), '');

  // (r): a uv project whose uv.lock (written by the real `uv lock`, offline from the wheelhouse) pins
  // lockdep 2.0 while its .venv holds 1.0: drifted. Its folder settings name the uv to use, and the venv
  // backend for the env the sync builds aside (uv venv --seed would need setuptools/wheel offline).
  const uv = process.env.E2E_UV || path.join(REPO, '.venv', 'bin', 'uv');
  const lockproj = path.join(WORK, 'lockproj');
  mkdirSync(path.join(lockproj, '.vscode'), { recursive: true });
  writeFileSync(
    path.join(lockproj, 'pyproject.toml'),
    '[project]\nname = "lockproj"\nversion = "0.1"\nrequires-python = ">=3.9"\ndependencies = [\n    "lockdep>=1.0",\n]\n',
  );
  writeFileSync(path.join(lockproj, '.vscode', 'settings.json'), JSON.stringify({ 'venvkeeper.uvPath': uv, 'venvkeeper.backend': 'venv' }, null, 2));
  sh(uv, ['lock', '--no-index', '--find-links', wheelhouse], {
    cwd: lockproj,
    env: { ...process.env, UV_OFFLINE: '1', UV_NO_CONFIG: '1', UV_CACHE_DIR: path.join(WORK, 'uv-cache'), UV_PYTHON_DOWNLOADS: 'never' },
  });
  sh(PYTHON, ['-m', 'venv', '--without-pip', path.join(lockproj, '.venv')]);
  sh(PYTHON, ['-m', 'pip', '--python', path.join(lockproj, '.venv', 'bin', 'python'), 'install', '-q', '--no-deps', '--no-index',
    '--find-links', wheelhouse, 'lockdep==1.0'], { env: { ...process.env, PIP_CONFIG_FILE: '/dev/null' } });

  return {
    wheelhouse, envproj, newproj, missingproj, cancelproj, failproj, monorepo, restrictedproj, otherproj, offproj, hostileproj, hostileRan,
    conflictproj, poetryproj, poetryEnv, lockproj,
  };
}

// ---------------------------------------------------------------------------------------------
// code-server

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200)); // polling an external process: no event to wait on
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Where the stand-in Python extension of code-server instance `name` records its calls. */
function stubLog(name) {
  return path.join(WORK, name === 'main' ? 'python-extension-calls.jsonl' : `python-extension-calls-${name}.jsonl`);
}

function serverEnv(fixtures, name, virtualEnv) {
  const env = { ...process.env };
  delete env.VIRTUAL_ENV;
  for (const k of Object.keys(env)) {
    if (k.startsWith('PIP_') || k.startsWith('UV_') || k.startsWith('VSCODE_')) delete env[k];
  }
  const home = path.join(WORK, 'home');
  mkdirSync(home, { recursive: true });
  return {
    ...env,
    // The server's state (selections, declines) goes to a fresh state dir, never the real one.
    XDG_STATE_HOME: path.join(home, 'state'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
    XDG_DATA_HOME: path.join(home, 'data'),
    XDG_CONFIG_HOME: path.join(home, 'config'),
    CONDA_ENVS_PATH: path.join(home, 'conda-envs'),
    // Installs come from the local wheelhouse only (the server has no index setting yet).
    PIP_NO_INDEX: '1',
    PIP_FIND_LINKS: fixtures.wheelhouse,
    PIP_CONFIG_FILE: '/dev/null',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    UV_NO_INDEX: '1',
    UV_FIND_LINKS: fixtures.wheelhouse,
    E2E_PYTHON_STUB_LOG: stubLog(name),
    // The editor's own VIRTUAL_ENV (inherited by the extension host and its terminals), when a step needs one.
    ...(virtualEnv ? { VIRTUAL_ENV: virtualEnv } : {}),
  };
}

function writeUserSettings(userDataDir, trust) {
  const user = path.join(userDataDir, 'User');
  mkdirSync(user, { recursive: true });
  writeFileSync(
    path.join(user, 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'security.workspace.trust.enabled': trust,
        'security.workspace.trust.startupPrompt': 'always',
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        'git.enabled': false,
        'window.zoomLevel': 0,
        // verbose: the log then shows the params, which the trust step reads.
        'venvkeeper.trace.server': trust ? 'verbose' : 'messages',
      },
      null,
      2,
    ),
  );
}

async function startCodeServer(fixtures, { trust = false, name = 'main', virtualEnv = null } = {}) {
  const extensionsDir = path.join(WORK, `extensions-${name}`);
  const userDataDir = path.join(WORK, `user-data-${name}`);
  writeUserSettings(userDataDir, trust);
  log('installing', path.basename(VSIX));
  sh(CODE_SERVER, ['--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', VSIX]);
  // A stand-in for ms-python.python (the Marketplace is out of reach) that records what it is told.
  const stubVsix = path.join(WORK, 'python-stub.vsix');
  if (!existsSync(stubVsix)) {
    // Packaged once per run; every code-server instance installs the same file.
    sh(path.join(HERE, '..', 'node_modules', '.bin', 'vsce'), ['package', '--skip-license', '--allow-missing-repository', '--out', stubVsix], {
      cwd: path.join(HERE, 'python-stub'),
    });
  }
  sh(CODE_SERVER, ['--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', stubVsix]);
  const installed = readdirSync(extensionsDir).filter((d) => d.startsWith('venvkeeper.'));
  if (installed.length !== 1) throw new Error(`extension not installed: ${readdirSync(extensionsDir).join(', ')}`);
  const port = await freePort();
  const proc = spawn(
    CODE_SERVER,
    [
      '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
      ...(trust ? [] : ['--disable-workspace-trust']), '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir,
    ],
    { env: serverEnv(fixtures, name, virtualEnv), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const csLog = [];
  proc.stdout.on('data', (d) => csLog.push(String(d)));
  proc.stderr.on('data', (d) => csLog.push(String(d)));
  await waitHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
  log(`code-server on port ${port}`);
  return { port, proc, userDataDir, extensionsDir, csLog };
}

/** Pids of the venvkeeper daemons this run started (their command line names its extensions dir). */
function daemonPids(extensionsDir) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.startsWith(extensionsDir) && a.endsWith('launch.py')) && cmd.includes('serve')) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

// ---------------------------------------------------------------------------------------------
// The browser

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const STATUS = '[aria-label^="venvkeeper: "]';

async function openFolder(context, port, folder) {
  const page = await context.newPage();
  currentPage = page;
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  return page;
}

/** Every status-bar label seen while waiting, in order (step h reads them). */
const seenLabels = [];

async function statusText(page, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const item = page.locator(STATUS).first();
    if ((await item.count()) > 0) {
      last = (await item.getAttribute('aria-label')) ?? '';
      if (seenLabels[seenLabels.length - 1] !== last) seenLabels.push(last);
      if (predicate(last)) return last;
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`status bar never matched; last: "${last}"`);
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  // Click the row with this title: Enter would take the first row, which fuzzy matching may rank higher.
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: title }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
}

async function shot(page, name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  log('screenshot', file);
}

/** The extension's log lines (the LogOutputChannel is written to a file under the user data dir). */
function extensionLog(userDataDir) {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const p = path.join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry === 'venvkeeper.log' || /venvkeeper/i.test(entry)) found.push(p);
    }
  };
  const logs = path.join(userDataDir, 'logs');
  if (existsSync(logs)) walk(logs);
  return found.map((f) => readFileSync(f, 'utf8')).join('\n');
}

function timings(text) {
  return [...text.matchAll(/\[timing\] status bar from (cache|daemon) (\d+) ms after activation: (.*)/g)].map((m) => ({
    source: m[1],
    ms: Number(m[2]),
    text: m[3].trim(),
  }));
}

/**
 * Opens a new terminal, has it run `first` (if any) and write `$VIRTUAL_ENV|<path of probe>|$PATH` to `out`,
 * and reads that back. `type -P` (bash) finds the program on PATH even when an alias shadows the name.
 */
async function terminalReport(page, out, screenshot, { probe = 'python', first = '' } = {}) {
  await runCommand(page, 'Terminal: Create New Terminal');
  await page.locator('.terminal-wrapper textarea, .xterm-helper-textarea').first().waitFor({ timeout: 15_000 });
  // Typed by the test (not by the extension): report what the new shell got.
  const prefix = first ? `${first}; ` : '';
  await page.keyboard.type(`${prefix}echo "$VIRTUAL_ENV|$(type -P ${probe} 2>/dev/null || command -v ${probe})|$PATH" > ${out}`);
  await page.keyboard.press('Enter');
  const deadline = Date.now() + 20_000;
  while (!existsSync(out) && Date.now() < deadline) await page.waitForTimeout(100);
  await shot(page, screenshot);
  if (!existsSync(out)) throw new Error('the terminal did not run the command');
  const [virtualEnv, found, pathVar] = readFileSync(out, 'utf8').trim().split('|');
  await runCommand(page, 'Terminal: Kill All Terminals');
  return { virtualEnv, python: found, found, path: pathVar.split(':') };
}

/** Answers the startup trust prompt with "No, I don't trust": the folder stays in Restricted Mode. */
async function stayRestricted(page, screenshot) {
  const dontTrust = page.getByRole('button', { name: /No, I don.t trust/ });
  await dontTrust.waitFor({ timeout: 30_000 });
  await shot(page, screenshot);
  await dontTrust.click();
}

/** Trusts the open folder from the Restricted Mode editor (Manage Workspace Trust → Trust). */
async function trustFolder(page) {
  await runCommand(page, 'Workspaces: Manage Workspace Trust');
  const trustButton = page.getByRole('button', { name: /^Trust( Folder)?$/ }).first();
  await trustButton.waitFor({ timeout: 15_000 });
  await trustButton.click();
}

/** Polls `read` (an external file or log) until it returns a truthy value or `timeoutMs` passes. */
async function waitFor(page, read, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let value = read();
  while (!value && Date.now() < deadline) {
    await page.waitForTimeout(100);
    value = read();
  }
  return value;
}

function readCalls(file) {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}

/** The codicon classes inside the venvkeeper status-bar item (its icon). */
async function statusIcons(page) {
  const item = page.locator('.statusbar-item').filter({ has: page.locator(STATUS) }).first();
  const classes = await item.locator('.codicon').evaluateAll((els) => els.map((e) => e.className));
  return classes.join(' ');
}

/** Waits for a status-bar text (a message set by setStatusBarMessage) matching `re`; its text. */
async function statusBarNote(page, re, timeoutMs) {
  const note = page.locator('.statusbar-item').filter({ hasText: re }).first();
  await note.waitFor({ timeout: timeoutMs });
  return (await note.innerText()).replace(/\s+/g, ' ').trim();
}

/** The rows of the Explorer (file names shown). */
async function explorerRows(page) {
  await runCommand(page, 'View: Show Explorer');
  const rows = page.locator('.explorer-folders-view .monaco-list-row');
  await rows.first().waitFor({ timeout: 15_000 });
  return (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

// ---------------------------------------------------------------------------------------------

const results = [];
/** The page a step works in, for a screenshot when it fails. */
let currentPage;
async function step(name, fn) {
  if (!ONLY.includes(name.split(' ')[0].replace(/[()]/g, ''))) return;
  const t = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true, detail, ms: Date.now() - t });
    log(`PASS ${name}${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    results.push({ name, ok: false, detail: String(err?.message ?? err).split('\n')[0], ms: Date.now() - t });
    log(`FAIL ${name}: ${err?.stack ?? err}`);
    if (currentPage !== undefined && !currentPage.isClosed()) {
      await shot(currentPage, `FAILED-${name.split(' ')[0].replace(/[()]/g, '')}`).catch(() => undefined);
    }
  }
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  for (const f of readdirSync(OUT)) if (f.endsWith('.png')) rmSync(path.join(OUT, f));
  const fixtures = makeFixtures();
  log('fixtures in', WORK);
  const cs = await startCodeServer(fixtures);
  const servers = [cs];
  const browserProfile = path.join(WORK, 'chromium-profile');
  const context = await chromium.launchPersistentContext(browserProfile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
  const envVersion = pyvenvVersion(path.join(fixtures.envproj, '.venv'));
  let envPage;
  /** The code-server of steps k, l, m (started by the first of them). */
  let elsewhere;

  try {
    await step('(a) status bar shows the .venv and its version', async () => {
      envPage = await openFolder(context, cs.port, fixtures.envproj);
      const text = await statusText(envPage, (t) => t.includes('(.venv)'), 30_000);
      await shot(envPage, 'a-status-bar');
      if (text !== `venvkeeper: ${envVersion} (.venv)`) throw new Error(`expected "${envVersion} (.venv)", got "${text}"`);
      return text;
    });

    await step('(d) picker lists the candidates', async () => {
      envPage ??= await openFolder(context, cs.port, fixtures.envproj);
      await statusText(envPage, (t) => t.includes('(.venv)'), 30_000);
      await envPage.locator(STATUS).first().click();
      const rows = envPage.locator('.quick-input-list .monaco-list-row');
      await rows.filter({ hasText: 'Create new environment' }).first().waitFor({ timeout: 15_000 });
      // Wait for the candidates (the list fills in when venvkeeper/environments answers).
      await rows.filter({ hasText: '(venv)' }).first().waitFor({ timeout: 15_000 });
      const labels = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
      await shot(envPage, 'd-picker');
      await envPage.keyboard.press('Escape');
      // The actions come first (issue 13, as the Python extension does), then the envs, the chosen one first.
      const first = labels.find((l) => /\((\.venv|venv)\)/.test(l)) ?? '';
      if (!first.includes('(.venv)')) throw new Error(`chosen env is not the first env: ${JSON.stringify(labels)}`);
      for (const want of ['(venv)', 'Create new environment', 'Enter interpreter path']) {
        if (!labels.some((l) => l.includes(want))) throw new Error(`"${want}" missing: ${JSON.stringify(labels)}`);
      }
      return labels.join(' | ');
    });

    await step('(e) new terminals are activated (environmentVariableCollection)', async () => {
      envPage ??= await openFolder(context, cs.port, fixtures.envproj);
      currentPage = envPage;
      await statusText(envPage, (t) => t.includes('(.venv)'), 30_000);
      const out = path.join(WORK, 'terminal-env.txt');
      await runCommand(envPage, 'Terminal: Create New Terminal');
      await envPage.locator('.terminal-wrapper textarea, .xterm-helper-textarea').first().waitFor({ timeout: 15_000 });
      // Typed by the test (not by the extension): report what the new shell got.
      await envPage.keyboard.type(`echo "$VIRTUAL_ENV|$(command -v python)" > ${out}`);
      await envPage.keyboard.press('Enter');
      const deadline = Date.now() + 20_000;
      while (!existsSync(out) && Date.now() < deadline) await envPage.waitForTimeout(100);
      await shot(envPage, 'e-terminal');
      if (!existsSync(out)) throw new Error('the terminal did not run the command');
      const [virtualEnv, python] = readFileSync(out, 'utf8').trim().split('|');
      const venv = path.join(fixtures.envproj, '.venv');
      if (virtualEnv !== venv) throw new Error(`VIRTUAL_ENV in the terminal is "${virtualEnv}", want ${venv}`);
      if (python !== path.join(venv, 'bin', 'python')) throw new Error(`python in the terminal is "${python}"`);
      await runCommand(envPage, 'Terminal: Kill All Terminals');
      return `VIRTUAL_ENV=${virtualEnv}, python=${python}`;
    });

    await step('(f) ${command:venvkeeper.interpreterPath} in tasks.json', async () => {
      envPage ??= await openFolder(context, cs.port, fixtures.envproj);
      currentPage = envPage;
      const out = path.join(WORK, 'task-out.txt');
      await runCommand(envPage, 'Tasks: Run Task');
      const row = envPage.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'print interpreter' });
      await row.first().click({ timeout: 15_000 });
      const deadline = Date.now() + 20_000;
      while (!existsSync(out) && Date.now() < deadline) await envPage.waitForTimeout(100);
      await shot(envPage, 'f-task');
      if (!existsSync(out)) throw new Error('the task did not run');
      const executable = readFileSync(out, 'utf8');
      const want = path.join(fixtures.envproj, '.venv', 'bin', 'python');
      if (executable !== want) throw new Error(`task ran "${executable}", want ${want}`);
      return `the task ran ${executable}`;
    });

    await step('(i) the chosen interpreter is published to the Python extension', async () => {
      envPage ??= await openFolder(context, cs.port, fixtures.envproj);
      currentPage = envPage;
      await statusText(envPage, (t) => t.includes('(.venv)'), 30_000);
      const calls = path.join(WORK, 'python-extension-calls.jsonl');
      const deadline = Date.now() + 15_000;
      while (!existsSync(calls) && Date.now() < deadline) await envPage.waitForTimeout(100);
      if (!existsSync(calls)) throw new Error('updateActiveEnvironmentPath was never called');
      const recorded = readFileSync(calls, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const want = path.join(fixtures.envproj, '.venv', 'bin', 'python');
      if (!recorded.some((c) => c.path === want && c.resource === fixtures.envproj)) {
        throw new Error(`calls: ${JSON.stringify(recorded)}, want ${want} for ${fixtures.envproj}`);
      }
      return `updateActiveEnvironmentPath(${want}, ${fixtures.envproj})`;
    });

    await step('(j) a crashed daemon is restarted and answers again', async () => {
      envPage ??= await openFolder(context, cs.port, fixtures.envproj);
      currentPage = envPage;
      await statusText(envPage, (t) => t.includes('(.venv)'), 30_000);
      const before = daemonPids(cs.extensionsDir);
      if (before.length === 0) throw new Error('no venvkeeper daemon found');
      for (const pid of before) process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 30_000;
      let after = [];
      while (Date.now() < deadline) {
        after = daemonPids(cs.extensionsDir).filter((p) => !before.includes(p));
        if (after.length > 0 && /restarting \(1\/5\)/.test(extensionLog(cs.userDataDir))) break;
        await envPage.waitForTimeout(200);
      }
      if (after.length === 0) throw new Error('no new daemon after the crash');
      // The new daemon answers: the picker lists the candidates again.
      await envPage.locator(STATUS).first().click();
      const rows = envPage.locator('.quick-input-list .monaco-list-row');
      await rows.filter({ hasText: '(venv)' }).first().waitFor({ timeout: 15_000 });
      await shot(envPage, 'j-after-crash');
      await envPage.keyboard.press('Escape');
      return `killed ${before.join(',')}; restarted as ${after.join(',')}; picker answers`;
    });

    await step('(p) a repo root that is not a project says nothing alarming; the status bar follows the active file', async () => {
      const page = await openFolder(context, cs.port, fixtures.monorepo);
      // Issue 15 item 3: the root (project in backend/) is not "No env", just a neutral item.
      const rootText = await statusText(page, (t) => t.includes('no Python project here'), 30_000);
      const icons = await statusIcons(page);
      await shot(page, 'p1-repo-root');
      if (/codicon-(error|warning|circle-slash)\b/.test(icons)) throw new Error(`alarming icon at the repo root: ${icons}`);
      // Open backend/app.py: the status bar now shows backend's .venv.
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 10_000 });
      await input.fill('app.py');
      await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'app.py' }).first().click({ timeout: 15_000 });
      const fileText = await statusText(page, (t) => t.includes('(.venv)'), 30_000);
      await shot(page, 'p2-backend-file');
      await page.close();
      return `root: "${rootText}" (${icons}); backend/app.py: "${fileText}"`;
    });

    await step('(q) grouped picker: project, tool and other envs, base interpreters; create asks which Python', async () => {
      const page = await openFolder(context, cs.port, fixtures.poetryproj);
      const envName = path.basename(fixtures.poetryEnv);
      const status = await statusText(page, (t) => t.includes(envName), 30_000);
      await page.locator(STATUS).first().click();
      const rows = page.locator('.quick-input-list .monaco-list-row');
      await rows.filter({ hasText: 'someone-else-AbCdEfGh' }).first().waitFor({ timeout: 20_000 });
      const labels = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
      await shot(page, 'q1-grouped-picker');
      for (const want of ['Tool environments for this project', 'Other environments', 'Base interpreters', envName, 'Create new environment']) {
        if (!labels.some((l) => l.includes(want))) throw new Error(`"${want}" missing: ${JSON.stringify(labels)}`);
      }
      const firstEnv = labels.find((l) => l.includes('virtualenvs/')) ?? '';
      if (!firstEnv.includes(envName)) throw new Error(`the Poetry env is not the first env: ${JSON.stringify(labels)}`);
      // Other tools' envs are listed too (the list is virtualised: filter, as a user would by typing).
      const others = [];
      for (const [want, tool] of [['otherapp-Xy12Ab34', 'virtualenv'], ['datasci', 'conda']]) {
        await page.keyboard.type(want);
        const row = rows.filter({ hasText: want }).first();
        await row.waitFor({ timeout: 20_000 });
        const text = (await row.innerText()).replace(/\s+/g, ' ').trim();
        if (!text.includes(tool) && !text.includes('pipenv')) throw new Error(`"${want}" not shown as a ${tool} env: "${text}"`);
        others.push(text);
        await shot(page, `q1-${want}`);
        for (let i = 0; i < want.length; i++) await page.keyboard.press('Backspace');
      }
      // "Create new environment…" asks which Python, the recommended one first and marked.
      await rows.filter({ hasText: 'Create new environment' }).first().click();
      await page.locator('.quick-input-widget').filter({ hasText: 'which Python' }).first().waitFor({ timeout: 20_000 });
      await rows.filter({ hasText: /Python 3\.\d+/ }).first().waitFor({ timeout: 20_000 });
      const bases = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
      const placeholder = await page.locator('.quick-input-widget input').first().getAttribute('placeholder');
      await shot(page, 'q2-which-python');
      if (!bases[0]?.includes('Suitable for this project') || !bases[0]?.includes('recommended')) {
        throw new Error(`the recommended base is not first: ${JSON.stringify(bases)}`);
      }
      const chosen = /· (\/\S+)/.exec(bases[0])?.[1];
      await page.keyboard.press('Enter');
      // It creates .venv with that base (.venv then comes before the Poetry env: discovery row 5).
      const created = await statusText(page, (t) => t.includes('(.venv)'), 120_000);
      await shot(page, 'q3-created-with-chosen-python');
      const cfg = readFileSync(path.join(fixtures.poetryproj, '.venv', 'pyvenv.cfg'), 'utf8');
      const home = /^home\s*=\s*(.+)$/m.exec(cfg)?.[1]?.trim();
      if (chosen !== undefined && home !== undefined && path.dirname(chosen) !== home && path.dirname(realpath(chosen)) !== realpath(home)) {
        throw new Error(`created with ${home}, chosen ${chosen}`);
      }
      await page.close();
      return `status "${status}"; picker ${JSON.stringify(labels)}; others ${JSON.stringify(others)}; which Python "${placeholder}" ${JSON.stringify(bases)}; created "${created}" home=${home}`;
    });

    await step('(b) create prompt → Create → working .venv, status bar switches', async () => {
      const page = await openFolder(context, cs.port, fixtures.newproj);
      const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: /requirements|environment|venv/i });
      await toast.first().waitFor({ timeout: 30_000 });
      // Issue 15 item 7: the status bar itself offers "Create env" (it stays when the toast is gone).
      const before = await statusText(page, (t) => t.includes('create env'), 15_000);
      const noneIcon = await statusIcons(page);
      if (!/codicon-add\b/.test(noneIcon)) throw new Error(`"Create env" without the $(add) icon: ${noneIcon}`);
      await shot(page, 'b1-create-prompt');
      const button = toast.first().locator('a.monaco-button, .monaco-button').filter({ hasText: /^Create/ });
      await button.first().click();
      await page.waitForTimeout(300);
      await shot(page, 'b2-creating');
      // Issue 15 item 2: one line says what happened, in the status bar (it goes away by itself).
      const note = await statusBarNote(page, /Created \.venv with Python \S+ and installed 1 package in \d+ s/, 120_000);
      const text = await statusText(page, (t) => t.includes('(.venv)'), 120_000);
      await shot(page, 'b3-created');
      await runCommand(page, 'View: Focus Problems');
      await page.waitForTimeout(500);
      await shot(page, 'b4-problems-after-create');
      const leftover = (await page.locator('.markers-panel .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
      const tmpDirs = readdirSync(fixtures.newproj).filter((f) => f.includes('tmp'));
      if (tmpDirs.length > 0) throw new Error(`temporary dirs left in the project: ${tmpDirs.join(', ')}`);
      const venv = path.join(fixtures.newproj, '.venv');
      if (!existsSync(path.join(venv, 'pyvenv.cfg'))) throw new Error('no .venv/pyvenv.cfg');
      const python = path.join(venv, 'bin', 'python');
      sh(python, ['-c', 'import tinydep']);
      await page.close();
      return `before "${before}" (${noneIcon}); note "${note}"; ${text}; .venv imports tinydep; problems left: ${JSON.stringify(leftover)}`;
    });

    await step('(fail) a failed create shows the decisive line with Show output / Retry / Choose Python…, logged once', async () => {
      const page = await openFolder(context, cs.port, fixtures.failproj);
      const prompt = page.locator('.notifications-toasts .notification-toast').filter({ hasText: /Create/ });
      await prompt.first().waitFor({ timeout: 30_000 });
      await prompt.first().locator('.monaco-button').filter({ hasText: /^Create/ }).first().click();
      const error = page.locator('.notifications-toasts .notification-toast').filter({ hasText: /failed/ });
      await error.first().waitFor({ timeout: 120_000 });
      const message = (await error.first().locator('.notification-list-item-message').innerText()).replace(/\s+/g, ' ').trim();
      const buttons = (await error.first().locator('.monaco-button').allInnerTexts()).map((b) => b.trim()).filter(Boolean);
      await shot(page, 'fail1-error-toast');
      const want = 'venvkeeper: Creating the environment for failproj failed: failpkg-1.0 failed to build: RuntimeError: failpkg needs a C compiler for this Python';
      if (message !== want) throw new Error(`error toast says "${message}", want "${want}"`);
      for (const b of ['Show output', 'Retry', 'Choose Python…']) {
        if (!buttons.includes(b)) throw new Error(`no "${b}" button: ${JSON.stringify(buttons)}`);
      }
      // Item 1: the tool's whole output is in the log exactly once; item 4: no doubled prefix anywhere.
      let logText = '';
      await waitFor(page, () => (logText = extensionLog(cs.userDataDir)).includes('[end of output]'), 10_000);
      const copies = logText.split('[end of output]').length - 1; // counted after the first failure
      const decisiveCopies = logText.split('RuntimeError: failpkg needs a C compiler').length - 1;
      if (copies !== 1) throw new Error(`the tool output is in the log ${copies} times`);
      if (/venvkeeper: venvkeeper:/i.test(logText)) throw new Error('"venvkeeper: venvkeeper:" in the log');
      // Choose Python… asks which base Python (one button per version found) and creates with it: it fails
      // the same way here (the package does not build anywhere), and the new toast has the same buttons.
      await error.first().locator('.monaco-button').filter({ hasText: 'Choose Python' }).first().click();
      const ask = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Create the environment for failproj with' });
      await ask.first().waitFor({ timeout: 15_000 });
      const pythons = (await ask.first().locator('.monaco-button').allInnerTexts()).map((b) => b.trim()).filter(Boolean);
      await shot(page, 'fail1b-choose-python');
      if (!pythons.some((b) => /^Python 3\.\d+/.test(b))) throw new Error(`no Python to choose: ${JSON.stringify(pythons)}`);
      await ask.first().locator('.monaco-button').filter({ hasText: /^Python 3/ }).first().click();
      await error.first().waitFor({ timeout: 120_000 });
      // Show output opens the channel with it.
      await error.first().locator('.monaco-button').filter({ hasText: 'Show output' }).first().click();
      await page.locator('.panel .monaco-editor').filter({ hasText: /pip\sinstall\s\(exit\scode\s1\)\ssaid:|metadata-generation-failed/ }).first().waitFor({ timeout: 15_000 });
      await shot(page, 'fail2-output');
      // Item 7: no env, the status bar still offers "Create env"; clicking it offers the choice.
      await statusText(page, (t) => t.includes('create env'), 15_000);
      await page.locator(STATUS).first().click();
      const create = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Create new environment' });
      await create.first().waitFor({ timeout: 15_000 });
      await shot(page, 'fail3-create-env-picker');
      await page.keyboard.press('Escape');
      const left = readdirSync(fixtures.failproj).filter((f) => f !== 'requirements.txt');
      await page.close();
      if (left.length > 0) throw new Error(`left in the project after the failure: ${left.join(', ')}`);
      return `"${message}" [${buttons.join(', ')}]; output logged ${copies}x (decisive line ${decisiveCopies}x); Choose Python… offered ${JSON.stringify(pythons)}; status bar "Create env" opens the picker`;
    });

    await step('(g) Cancel on the creation progress leaves no env', async () => {
      const page = await openFolder(context, cs.port, fixtures.cancelproj);
      const prompt = page.locator('.notifications-toasts .notification-toast').filter({ hasText: /Create/ });
      await prompt.first().waitFor({ timeout: 30_000 });
      await prompt.first().locator('.monaco-button').filter({ hasText: /^Create/ }).first().click();
      const progress = page.locator('.notifications-toasts .notification-toast').filter({ hasText: /Creating the environment|installing|resolving/i });
      await progress.first().waitFor({ timeout: 60_000 });
      // Sample the status bar while the env is being built (for step h); item 6: it shows busy (spinning).
      const busy = await statusText(page, (t) => t.includes('busy'), 15_000);
      const busyIcon = await statusIcons(page);
      if (!/codicon-loading\b/.test(busyIcon)) throw new Error(`busy without the spinning icon: ${busyIcon}`);
      await shot(page, 'g1-installing');
      // Item 5: the build dir exists on disk, yet neither the Explorer nor `git status` shows it.
      const tmpOnDisk = () => readdirSync(fixtures.cancelproj).filter((f) => f.startsWith('.venvkeeper-tmp-'));
      if (!(await waitFor(page, () => tmpOnDisk().length > 0, 15_000))) throw new Error('no build dir while creating');
      const rows = await explorerRows(page);
      await shot(page, 'g1b-explorer-while-creating');
      const gitStatus = sh('git', ['-C', fixtures.cancelproj, 'status', '--porcelain', '--untracked-files=all']).trim();
      if (rows.some((r) => r.includes('venvkeeper-tmp'))) throw new Error(`the Explorer shows the build dir: ${JSON.stringify(rows)}`);
      if (!rows.some((r) => r.includes('requirements.txt'))) throw new Error(`the Explorer rows are not the project's: ${JSON.stringify(rows)}`);
      if (gitStatus !== '?? requirements.txt') throw new Error(`git status while creating: ${JSON.stringify(gitStatus)}`);
      const hidden = `${tmpOnDisk().join(', ')} on disk; Explorer ${JSON.stringify(rows)}; git status ${JSON.stringify(gitStatus)}; status "${busy}"`;
      await progress.first().locator('.monaco-button').filter({ hasText: 'Cancel' }).first().click();
      await progress.first().waitFor({ state: 'detached', timeout: 30_000 });
      // The server must leave nothing behind: no .venv, no temporary build dir.
      const deadline = Date.now() + 15_000;
      const project = () => readdirSync(fixtures.cancelproj).filter((f) => f !== 'requirements.txt' && f !== '.git');
      let left = project();
      while (left.length > 0 && Date.now() < deadline) {
        await page.waitForTimeout(200);
        left = project();
      }
      await shot(page, 'g2-cancelled');
      if (left.length > 0) throw new Error(`left in the project after Cancel: ${left.join(', ')}`);
      const text = await statusText(page, (t) => t.includes('no environment'), 15_000);
      await page.close();
      return `while creating: ${hidden}; cancelled during install; project holds only requirements.txt; status "${text}"`;
    });

    await step('(h) the status bar never showed a half-built env', async () => {
      // Creation builds the env aside (".venv.venvkeeper-tmp-…") and swaps it in; that dir is not a candidate.
      const bad = seenLabels.filter((l) => /venvkeeper-tmp/.test(l));
      if (bad.length > 0) throw new Error(`the status bar showed the temporary build dir: ${JSON.stringify([...new Set(bad)])}`);
      return `${seenLabels.length} labels seen`;
    });

    await step('(c) missing requirement in Problems with its quick fix', async () => {
      const page = await openFolder(context, cs.port, fixtures.missingproj);
      await statusText(page, (t) => t.includes('(.venv), stale'), 30_000);
      // Item 6: stale has its own icon (not the "busy"-looking $(sync)) and its meaning in the tooltip.
      const staleIcon = await statusIcons(page);
      if (!/codicon-history\b/.test(staleIcon) || /codicon-sync\b/.test(staleIcon)) throw new Error(`stale icon: ${staleIcon}`);
      await page.locator('.statusbar-item').filter({ has: page.locator(STATUS) }).first().hover();
      const staleHover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: 'no longer satisfies' }).first();
      await staleHover.waitFor({ timeout: 10_000 });
      await shot(page, 'c0-stale-tooltip');
      await page.mouse.move(700, 400);
      await runCommand(page, 'View: Focus Problems');
      const problem = page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'tinydep' });
      await problem.first().waitFor({ timeout: 30_000 });
      const problemText = (await problem.first().innerText()).replace(/\s+/g, ' ');
      await shot(page, 'c1-problems');
      // Open the problem's location, then ask for quick fixes there.
      await problem.first().dblclick();
      await page.waitForTimeout(500);
      await page.keyboard.press('Control+.');
      const action = page.locator('.action-widget .monaco-list-row').filter({ hasText: /tinydep/ });
      await action.first().waitFor({ timeout: 15_000 });
      const actionText = (await action.first().getAttribute('aria-label')) ?? '';
      await shot(page, 'c2-quick-fix');
      // The action menu takes keys, not clicks (a pointer block covers it): move to the fix, press Enter.
      const focused = page.locator('.action-widget .monaco-list-row.focused');
      for (let i = 0; i < 10 && !((await focused.getAttribute('aria-label')) ?? '').includes('tinydep'); i++) {
        await page.keyboard.press('ArrowDown');
      }
      await page.keyboard.press('Enter');
      // The fix installs into .venv: the problem disappears and the status is no longer stale.
      await problem.first().waitFor({ state: 'detached', timeout: 120_000 });
      const text = await statusText(page, (t) => t.includes('(.venv)') && !t.includes('stale'), 30_000);
      await shot(page, 'c3-fixed');
      sh(path.join(fixtures.missingproj, '.venv', 'bin', 'python'), ['-c', 'import tinydep']);
      await page.close();
      return `problem "${problemText}"; quick fix "${actionText}" installed tinydep; status "${text}"`;
    });

    await step('(r) a drifted uv.lock is in Problems; its "Sync .venv with uv.lock" fix runs uv sync offline and clears it', async () => {
      const page = await openFolder(context, cs.port, fixtures.lockproj);
      currentPage = page;
      const stale = await statusText(page, (t) => t.includes('(.venv), stale'), 30_000);
      await runCommand(page, 'View: Focus Problems');
      const problem = page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'uv.lock locks 2.0' });
      await problem.first().waitFor({ timeout: 30_000 });
      const problemText = (await problem.first().innerText()).replace(/\s+/g, ' ');
      await shot(page, 'r1-lock-drift');
      await problem.first().dblclick();
      await page.waitForTimeout(500);
      await page.keyboard.press('Control+.');
      const wanted = 'Sync .venv with uv.lock';
      const action = page.locator('.action-widget .monaco-list-row').filter({ hasText: wanted });
      await action.first().waitFor({ timeout: 15_000 });
      await shot(page, 'r2-quick-fix');
      // The action menu takes keys, not clicks (a pointer block covers it): move to the fix, press Enter.
      const focused = page.locator('.action-widget .monaco-list-row.focused');
      for (let i = 0; i < 10 && !((await focused.getAttribute('aria-label')) ?? '').includes(wanted); i++) {
        await page.keyboard.press('ArrowDown');
      }
      await page.keyboard.press('Enter');
      // uv sync rebuilds the env aside and swaps it in: the drift disappears and the status is not stale.
      await problem.first().waitFor({ state: 'detached', timeout: 120_000 });
      const text = await statusText(page, (t) => t.includes('(.venv)') && !t.includes('stale'), 60_000);
      await shot(page, 'r3-synced');
      const version = sh(path.join(fixtures.lockproj, '.venv', 'bin', 'python'), ['-c', 'import lockdep; print(lockdep.__version__)']).trim();
      if (version !== '2.0') throw new Error(`lockdep ${version} after the sync, expected 2.0`);
      // uv sync installed it (the dist-info's INSTALLER says which tool did), not the pip fallback.
      const installer = readFileSync(
        path.join(fixtures.lockproj, '.venv', 'lib', `python${pyMajorMinor(fixtures.lockproj)}`, 'site-packages', 'lockdep-2.0.dist-info', 'INSTALLER'),
        'utf8',
      ).trim();
      if (installer !== 'uv') throw new Error(`lockdep was installed by ${installer}, expected uv`);
      const leftovers = readdirSync(fixtures.lockproj).filter((n) => n.includes('venvkeeper-'));
      if (leftovers.length) throw new Error(`left in the project: ${leftovers.join(', ')}`);
      await page.close();
      return `"${stale}", problem "${problemText}"; "${wanted}" ran uv sync (INSTALLER: ${installer}): lockdep 2.0, status "${text}"`;
    });

    await step('(o) a dependency conflict is in Problems on both requirement lines, the env broken', async () => {
      const page = await openFolder(context, cs.port, fixtures.conflictproj);
      currentPage = page;
      const status = await statusText(page, (t) => t.includes('(.venv)') && t.includes('broken'), 30_000);
      await runCommand(page, 'View: Focus Problems');
      const rows = page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'numpy<1.24' });
      await rows.nth(1).waitFor({ timeout: 30_000 });
      const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
      await shot(page, 'o-conflict-problems');
      const want = [
        'numpy 1.24.3 breaks scikit-learn 0.24.1, which requires numpy<1.24',
        'scikit-learn 0.24.1 needs numpy<1.24, but numpy 1.24.3 is installed (required by line 1)',
      ];
      for (const w of want) {
        if (!texts.some((t) => t.includes(w))) throw new Error(`Problems lacks "${w}": ${JSON.stringify(texts)}`);
      }
      if (!texts.some((t) => /\[Ln 1,/.test(t)) || !texts.some((t) => /\[Ln 2,/.test(t))) {
        throw new Error(`expected the conflict on lines 1 and 2: ${JSON.stringify(texts)}`);
      }
      await page.close();
      return `status "${status}"; ${texts.length} problems: ${texts.join(' | ')}`;
    });

    await step('speed status bar after activation (cold, then cached)', async () => {
      // Cold: the first window of envproj above (no cache). Cached: reload it; workspace state now has the answer.
      if (envPage === undefined) throw new Error('needs step (a)');
      currentPage = envPage;
      const coldLog = timings(extensionLog(cs.userDataDir));
      await envPage.reload();
      await envPage.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await statusText(envPage, (t) => t.includes('(.venv)'), 30_000);
      // The cache line is written at activation; give the log file writer a moment to flush.
      let all = [];
      for (let i = 0; i < 50; i++) {
        all = timings(extensionLog(cs.userDataDir));
        if (all.filter((t) => t.source === 'cache').length > 0 && all.length > coldLog.length + 1) break;
        await envPage.waitForTimeout(100);
      }
      await shot(envPage, 'speed-reloaded');
      const cold = coldLog.find((t) => t.source === 'daemon');
      const cached = all.find((t) => t.source === 'cache');
      const warmDaemon = all.slice(coldLog.length).find((t) => t.source === 'daemon');
      const figures = {
        coldDaemonMs: cold?.ms ?? null,
        cachedMs: cached?.ms ?? null,
        reloadDaemonMs: warmDaemon?.ms ?? null,
      };
      writeFileSync(path.join(OUT, 'timings.json'), JSON.stringify({ figures, lines: all }, null, 2));
      if (cached === undefined) throw new Error(`no cached status line: ${JSON.stringify(all)}`);
      return JSON.stringify(figures);
    });
    await step('trust Restricted Mode → read-only server; trusting lifts it live', async () => {
      const trustCs = await startCodeServer(fixtures, { trust: true, name: 'trust' });
      servers.push(trustCs);
      const page = await openFolder(context, trustCs.port, fixtures.newproj);
      await stayRestricted(page, 'trust1-prompt');
      await statusText(page, (t) => t.includes('no environment') || t.includes('('), 30_000);
      await shot(page, 'trust2-restricted');
      // Issue 15 item 8: Restricted Mode offers only what can run, with one passive line why.
      // (newproj has the .venv step b made when the steps run together; without it the item says "No env".)
      const restrictedText = await statusText(page, (t) => t.includes('no environment') || t.includes('('), 15_000);
      if (restrictedText.includes('create env')) throw new Error(`Restricted Mode status offers to create: "${restrictedText}"`);
      await page.locator(STATUS).first().click();
      const rows = page.locator('.quick-input-list .monaco-list-row');
      await rows.filter({ hasText: 'Enter interpreter path' }).first().waitFor({ timeout: 15_000 });
      const pickerRows = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
      const passive = pickerRows.filter((r) => r.includes('Trust this folder to create or install')).length;
      await shot(page, 'trust2b-restricted-picker');
      await page.keyboard.press('Escape');
      if (pickerRows.some((r) => r.includes('Create new environment'))) throw new Error(`picker offers create: ${JSON.stringify(pickerRows)}`);
      if (passive !== 1) throw new Error(`no "Trust this folder to create or install" line: ${JSON.stringify(pickerRows)}`);
      // A missing requirement in Restricted Mode: in Problems, but no quick fix that would fail.
      const rpage = await openFolder(context, trustCs.port, fixtures.restrictedproj);
      await stayRestricted(rpage, 'trust2c-prompt');
      await runCommand(rpage, 'View: Focus Problems');
      const problem = rpage.locator('.markers-panel .monaco-list-row').filter({ hasText: 'tinydep' });
      await problem.first().waitFor({ timeout: 30_000 });
      await problem.first().dblclick();
      await rpage.waitForTimeout(500);
      // The answer ("No code actions available", or a menu) is transient: ask again if it was missed.
      let answered = false;
      for (let i = 0; i < 3 && !answered; i++) {
        await rpage.keyboard.press('Control+.');
        answered = await rpage.locator('.monaco-editor-overlaymessage, .action-widget').first()
          .waitFor({ state: 'attached', timeout: 5_000 }).then(() => true, () => false);
      }
      if (!answered) throw new Error('the editor never answered Ctrl+. (no code-action menu, no "No code actions available")');
      const fixes = await rpage.locator('.action-widget .monaco-list-row').filter({ hasText: /Install|Sync/ }).count();
      await shot(rpage, 'trust2d-restricted-no-quick-fix');
      await rpage.keyboard.press('Escape');
      await rpage.close();
      if (fixes > 0) throw new Error(`Restricted Mode offers ${fixes} install/sync quick fixes`);
      currentPage = page;
      const untrustedLog = extensionLog(trustCs.userDataDir);
      if (!/"trusted": false/.test(untrustedLog)) throw new Error('the server was not told trusted: false');
      if (/"trusted": true/.test(untrustedLog)) throw new Error('the server was told trusted: true in Restricted Mode');
      // Trust the folder from the Restricted Mode editor; the client sends the new settings live.
      await trustFolder(page);
      let trustedLog = '';
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        trustedLog = extensionLog(trustCs.userDataDir);
        if (/workspace\/didChangeConfiguration[\s\S]*"trusted": true/.test(trustedLog)) break;
        await page.waitForTimeout(100);
      }
      await shot(page, 'trust3-trusted');
      if (!/workspace\/didChangeConfiguration[\s\S]*"trusted": true/.test(trustedLog)) {
        throw new Error('no didChangeConfiguration with trusted: true after trusting');
      }
      writeFileSync(path.join(OUT, 'extension-trust.log'), trustedLog);
      await page.close();
      return `status "${restrictedText}"; picker ${JSON.stringify(pickerRows)} + passive trust line; no quick fix for the missing tinydep; ` +
        'initialize/configuration said trusted: false; didChangeConfiguration said trusted: true after Trust';
    });
    await step('(n) a repo committing .venv/bin/ls in Restricted Mode: no activation, the system ls; trusting turns activation on', async () => {
      // Its own code-server (trust enabled), so no other window's log or trust decision can stand in for this one.
      const hostileCs = await startCodeServer(fixtures, { trust: true, name: 'hostile' });
      servers.push(hostileCs);
      const repo = fixtures.hostileproj;
      const venv = path.join(repo, '.venv');
      const page = await openFolder(context, hostileCs.port, repo);
      await stayRestricted(page, 'n1-trust-prompt');
      // The daemon's answer (not a cached one) is in: the repo's .venv is the project's env, state ok.
      const label = await statusText(page, (t) => t.includes('(.venv)') && !t.includes('last known'), 30_000);
      const log = () => extensionLog(hostileCs.userDataDir);
      const refused = `hostileproj: no terminal activation: the workspace is not trusted (Restricted Mode)`;
      if (!(await waitFor(page, () => log().includes(refused), 15_000))) throw new Error(`the client never logged "${refused}"`);
      if (/"activation":/.test(log())) throw new Error('the server sent activation data to a Restricted Mode window');
      const before = await terminalReport(page, path.join(WORK, 'terminal-hostile-restricted.txt'), 'n2-terminal-restricted', {
        probe: 'ls',
        first: 'ls >/dev/null',
      });
      if (before.virtualEnv !== '') throw new Error(`VIRTUAL_ENV in Restricted Mode is "${before.virtualEnv}"`);
      if (before.found.startsWith(repo)) throw new Error(`ls in Restricted Mode is ${before.found}`);
      const fromRepo = before.path.filter((d) => d === repo || d.startsWith(repo + path.sep));
      if (fromRepo.length > 0) throw new Error(`PATH in Restricted Mode holds ${fromRepo.join(', ')}`);
      if (existsSync(fixtures.hostileRan)) throw new Error('the repo\'s .venv/bin/ls ran in Restricted Mode');
      // Control: trusting the folder turns activation on live; the same plain `ls` is now the repo's.
      await trustFolder(page);
      const applied = `hostileproj: Activates ${venv} (venvkeeper)`;
      if (!(await waitFor(page, () => log().includes(applied), 20_000))) throw new Error(`no "${applied}" after trusting`);
      const after = await terminalReport(page, path.join(WORK, 'terminal-hostile-trusted.txt'), 'n3-terminal-trusted', {
        probe: 'ls',
        first: 'ls >/dev/null',
      });
      writeFileSync(path.join(OUT, 'extension-hostile.log'), log());
      if (after.virtualEnv !== venv) throw new Error(`after trusting, VIRTUAL_ENV is "${after.virtualEnv}", want ${venv}`);
      if (after.found !== path.join(venv, 'bin', 'ls')) throw new Error(`after trusting, ls is "${after.found}"`);
      if (!existsSync(fixtures.hostileRan)) throw new Error('after trusting, a plain ls did not run the activated env\'s ls');
      await page.close();
      return `status "${label}"; restricted: VIRTUAL_ENV empty, ls=${before.found}, nothing from ${repo} on PATH, ` +
        `the repo's ls never ran; trusted: VIRTUAL_ENV=${after.virtualEnv}, ls=${after.found}`;
    });
    // (k, l, m) share one code-server whose VIRTUAL_ENV is otherproj's venv, and one window of offproj
    // (its own .venv; .vscode/settings.json turns activateTerminals and syncPythonExtension off).
    let offPage;
    const offWindow = async () => {
      if (elsewhere === undefined) {
        elsewhere = await startCodeServer(fixtures, { name: 'elsewhere', virtualEnv: path.join(fixtures.otherproj, '.venv') });
        servers.push(elsewhere);
      }
      offPage ??= await openFolder(context, elsewhere.port, fixtures.offproj);
      currentPage = offPage;
      return offPage;
    };
    const offSettings = (settings) =>
      writeFileSync(path.join(fixtures.offproj, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));

    await step('(k) activated elsewhere: VIRTUAL_ENV of another project → warning state, project .venv shown', async () => {
      const page = await offWindow();
      const otherVenv = path.join(fixtures.otherproj, '.venv');
      const version = pyvenvVersion(path.join(fixtures.offproj, '.venv'));
      // A fresh user-data dir has no cached answer, so this is the daemon's.
      const text = await statusText(page, (t) => t.includes('(.venv)'), 30_000);
      const want = `venvkeeper: ${version} (.venv), another project is activated`;
      if (text !== want) throw new Error(`status bar says "${text}", want "${want}"`);
      // The item (not its label) carries the kind class and the warning background.
      const item = page.locator('.statusbar-item').filter({ has: page.locator(STATUS) }).first();
      const cls = (await item.getAttribute('class')) ?? '';
      if (!/\bwarning-kind\b/.test(cls)) throw new Error(`the item is not in the warning colour: class="${cls}"`);
      const colours = await item.evaluate((el) => ({
        background: getComputedStyle(el).backgroundColor,
        defaultBackground: getComputedStyle(el.parentElement).backgroundColor,
      }));
      if (colours.background === colours.defaultBackground || /rgba\(0, 0, 0, 0\)/.test(colours.background)) {
        throw new Error(`no warning background: ${JSON.stringify(colours)}`);
      }
      if ((await item.locator('.codicon-warning').count()) === 0) throw new Error('no $(warning) icon in the item');
      // The tooltip names the activated venv and says it belongs to another project.
      await item.hover();
      const hover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: 'Activated elsewhere' }).first();
      await hover.waitFor({ timeout: 10_000 });
      const tooltip = (await hover.innerText()).replace(/\s+/g, ' ').trim();
      await shot(page, 'k-activated-elsewhere');
      await page.mouse.move(700, 400);
      if (!tooltip.includes(`VIRTUAL_ENV is ${otherVenv}`)) throw new Error(`tooltip does not name ${otherVenv}: "${tooltip}"`);
      if (!tooltip.includes(path.join(fixtures.offproj, '.venv'))) throw new Error(`tooltip does not name the project's .venv: "${tooltip}"`);
      if (tooltip.includes('last known')) throw new Error(`the tooltip is the cached answer's: "${tooltip}"`);
      // The daemon agrees: venvkeeper/environments lists the activated venv as a candidate it did not choose.
      await item.click();
      const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: otherVenv }).first();
      await row.waitFor({ timeout: 15_000 });
      const rowText = (await row.innerText()).replace(/\s+/g, ' ').trim();
      const rowWarning = (await row.locator('.codicon-warning').count()) > 0;
      await shot(page, 'k2-picker-activated-elsewhere');
      await page.keyboard.press('Escape');
      if (!rowWarning) throw new Error(`the activated venv has no $(warning) in the picker: "${rowText}"`);
      if (!/not chosen/i.test(rowText)) throw new Error(`the activated venv is not marked as not chosen: "${rowText}"`);
      return `"${text}"; class ${cls}; background ${colours.background}; tooltip "${tooltip}"; picker "${rowText}"`;
    });

    await step('(l) activateTerminals: false → a new terminal is not activated; true → it is', async () => {
      const page = await offWindow();
      // The daemon's answer is in (terminal activation follows it), so the setting is all that stops it.
      await statusText(page, (t) => t.includes('(.venv)') && !t.includes('(last known'), 30_000);
      const venv = path.join(fixtures.offproj, '.venv');
      const otherVenv = path.join(fixtures.otherproj, '.venv');
      const off = await terminalReport(page, path.join(WORK, 'terminal-off.txt'), 'l1-terminal-not-activated');
      // VIRTUAL_ENV is what code-server itself was started with (inherited), not the project's .venv.
      if (off.virtualEnv !== otherVenv) throw new Error(`VIRTUAL_ENV with activation off is "${off.virtualEnv}", want the inherited ${otherVenv}`);
      if (off.path.includes(path.join(venv, 'bin'))) throw new Error(`PATH with activation off holds ${venv}/bin: ${off.path.join(':')}`);
      // Control: the same window with the setting turned on live activates the next terminal. The
      // client re-applies the mutations before it sends the settings, so wait for that notification.
      const sent = () => (extensionLog(elsewhere.userDataDir).match(/Sending notification 'workspace\/didChangeConfiguration'/g) ?? []).length;
      const before = sent();
      offSettings({ 'venvkeeper.activateTerminals': true, 'venvkeeper.syncPythonExtension': false });
      if (!(await waitFor(page, () => sent() > before, 15_000))) throw new Error('the settings change never reached the client');
      const activated = await terminalReport(page, path.join(WORK, 'terminal-on.txt'), 'l2-terminal-activated-after-setting');
      if (activated.virtualEnv !== venv) throw new Error(`after turning activateTerminals on, VIRTUAL_ENV is "${activated.virtualEnv}", want ${venv}`);
      if (activated.python !== path.join(venv, 'bin', 'python')) throw new Error(`after turning it on, python is "${activated.python}"`);
      return `off: VIRTUAL_ENV=${off.virtualEnv} (inherited), ${venv}/bin not on PATH; on: VIRTUAL_ENV=${activated.virtualEnv}, python=${activated.python}`;
    });

    await step('(m) syncPythonExtension: false → nothing published to the Python extension', async () => {
      const page = await offWindow();
      await statusText(page, (t) => t.includes('(.venv)') && !t.includes('(last known'), 30_000);
      const calls = stubLog('elsewhere');
      const mine = () => readCalls(calls).filter((c) => c.resource === fixtures.offproj);
      const published = () => /published .* to the Python extension/.test(extensionLog(elsewhere.userDataDir));
      if (mine().length > 0 || published()) throw new Error(`published with the setting off: ${JSON.stringify(readCalls(calls))}`);
      // Control: turning the setting on live publishes the interpreter through the same stand-in.
      offSettings({ 'venvkeeper.activateTerminals': true, 'venvkeeper.syncPythonExtension': true });
      const want = path.join(fixtures.offproj, '.venv', 'bin', 'python');
      const after = await waitFor(page, () => mine().find((c) => c.path === want), 15_000);
      if (!after) throw new Error(`no updateActiveEnvironmentPath(${want}) after turning the setting on: ${JSON.stringify(readCalls(calls))}`);
      return `no call and no "published" log line while off (after the daemon's answer); turned on live → updateActiveEnvironmentPath(${want}, ${fixtures.offproj})`;
    });
  } finally {
    writeFileSync(path.join(OUT, 'extension.log'), extensionLog(cs.userDataDir));
    writeFileSync(path.join(OUT, 'code-server.log'), cs.csLog.join(''));
    if (elsewhere !== undefined) writeFileSync(path.join(OUT, 'extension-elsewhere.log'), extensionLog(elsewhere.userDataDir));
    await context.close().catch(() => undefined);
    for (const server of servers) {
      const exited = new Promise((resolve) => {
        if (server.proc.exitCode !== null) resolve();
        server.proc.once('exit', resolve);
      });
      try {
        process.kill(-server.proc.pid, 'SIGTERM'); // the whole group: code-server, extension host, daemon
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    if (!KEEP) removeWork();
  }

  writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2));
  console.log('');
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name}  (${r.ms} ms)${r.ok ? '' : `\n      ${r.detail}`}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
