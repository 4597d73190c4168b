import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cachedFor, describeStatus, interpreterLabel, rememberAnswer } from '../../src/statusModel';
import { interpreter } from './fixtures';

describe('describeStatus', () => {
  it('shows version and env folder for an ok env, default colour', () => {
    const view = describeStatus(interpreter());
    assert.equal(view.kind, 'ok');
    assert.equal(view.text, '$(check) 3.12.1 (.venv)');
    assert.equal(view.background, null);
    assert.equal(view.ariaLabel, 'venvkeeper: 3.12.1 (.venv)');
    assert.match(view.tooltip, /Why this env: \.venv in the project/);
    assert.match(view.tooltip, /\/work\/app\/\.venv/);
  });

  it('marks a stale env with the warning colour and says why', () => {
    const view = describeStatus(interpreter({ status: 'stale', problems: { errors: 0, warnings: 2 } }));
    assert.equal(view.kind, 'stale');
    assert.equal(view.text, '$(sync) 3.12.1 (.venv)');
    assert.equal(view.background, 'statusBarItem.warningBackground');
    assert.match(view.tooltip, /0 error\(s\), 2 warning\(s\)/);
    assert.equal(view.ariaLabel, 'venvkeeper: 3.12.1 (.venv), stale: requirements not satisfied');
  });

  it('says how many packages differ from the lock file when the server tells', () => {
    const view = describeStatus(
      interpreter({ status: 'stale', statusDetail: '3 packages differ from uv.lock', problems: { errors: 0, warnings: 3 } }),
    );
    assert.equal(view.kind, 'stale');
    assert.match(view.tooltip, /Stale: 3 packages differ from uv\.lock \(see Problems\)\./);
  });

  it('marks a broken env red with its problem', () => {
    const view = describeStatus(
      interpreter({ state: 'broken', status: 'broken', problem: 'base interpreter /usr/bin/python3.11 is gone' }),
    );
    assert.equal(view.kind, 'broken');
    assert.equal(view.background, 'statusBarItem.errorBackground');
    assert.match(view.tooltip, /Broken: base interpreter \/usr\/bin\/python3\.11 is gone/);
  });

  it('says "No env" when the project has none', () => {
    const view = describeStatus(null, { subject: '/work/app/main.py' });
    assert.equal(view.kind, 'none');
    assert.equal(view.text, '$(circle-slash) No env');
    assert.match(view.tooltip, /\/work\/app\/main\.py/);
  });

  it('flags a VIRTUAL_ENV of another project as activated elsewhere', () => {
    const view = describeStatus(interpreter(), { virtualEnv: '/work/other/.venv' });
    assert.equal(view.kind, 'activatedElsewhere');
    assert.equal(view.background, 'statusBarItem.warningBackground');
    assert.match(view.tooltip, /VIRTUAL_ENV is \/work\/other\/\.venv/);
  });

  it('does not flag the project own env or an env inside the project', () => {
    assert.equal(describeStatus(interpreter(), { virtualEnv: '/work/app/.venv/' }).kind, 'ok');
    assert.equal(describeStatus(interpreter(), { virtualEnv: '/work/app/envs/other' }).kind, 'ok');
  });

  it('broken wins over activated elsewhere', () => {
    const view = describeStatus(interpreter({ state: 'broken', status: 'broken' }), { virtualEnv: '/x/.venv' });
    assert.equal(view.kind, 'broken');
  });

  it('says when the workspace is in Restricted Mode', () => {
    assert.match(describeStatus(interpreter(), { trusted: false }).tooltip, /Restricted Mode: venvkeeper only reads/);
    assert.doesNotMatch(describeStatus(interpreter(), { trusted: true }).tooltip, /Restricted Mode/);
  });

  it('notes a cached answer in the tooltip', () => {
    assert.match(describeStatus(interpreter(), { cached: true }).tooltip, /last known/);
  });
});

describe('interpreterLabel', () => {
  it('uses the path relative to the project, or the absolute path outside it', () => {
    assert.equal(interpreterLabel({ version: '3.11.7', envPath: '/p/envs/dev' }, '/p'), '3.11.7 (envs/dev)');
    assert.equal(interpreterLabel({ version: null, envPath: '/elsewhere/venv' }, '/p'), 'Python (/elsewhere/venv)');
  });

  it('handles Windows paths case-insensitively', () => {
    assert.equal(interpreterLabel({ version: '3.13.0', envPath: 'C:\\Work\\App\\.venv' }, 'c:\\work\\app'), '3.13.0 (.venv)');
  });
});

describe('cachedFor', () => {
  it('finds the innermost project that holds the path', () => {
    const outer = interpreter();
    const inner = interpreter({ projectRoot: '/work/app/sub', envPath: '/work/app/sub/.venv', version: '3.9.18' });
    const cache = { '/work/app': outer, '/work/app/sub': inner };
    assert.equal(cachedFor(cache, '/work/app/sub/mod.py')?.interpreter, inner);
    assert.equal(cachedFor(cache, '/work/app/main.py')?.interpreter, outer);
    assert.equal(cachedFor(cache, '/work/application/x.py'), undefined);
  });
});

describe('rememberAnswer', () => {
  it('stores the newest answer last and drops the oldest beyond the limit', () => {
    const a = interpreter({ projectRoot: '/a' });
    const b = interpreter({ projectRoot: '/b' });
    const c = interpreter({ projectRoot: '/c' });
    let cache = rememberAnswer({}, a, 2);
    cache = rememberAnswer(cache, b, 2);
    cache = rememberAnswer(cache, a, 2); // answered again: now the newest
    cache = rememberAnswer(cache, c, 2);
    assert.deepEqual(Object.keys(cache), ['/a', '/c']);
  });
});
