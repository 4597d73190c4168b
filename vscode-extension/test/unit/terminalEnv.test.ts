import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activationMutations } from '../../src/terminalEnv';

describe('activationMutations', () => {
  const activation = {
    env: { VIRTUAL_ENV: '/work/app/.venv', VIRTUAL_ENV_PROMPT: 'app' },
    pathPrepend: '/work/app/.venv/bin',
    unset: ['PYTHONHOME'],
    scripts: { bash: 'source /work/app/.venv/bin/activate' },
  };

  it('replaces VIRTUAL_ENV*, blanks the unset ones and prepends PATH with the delimiter', () => {
    assert.deepEqual(activationMutations(activation, ':'), [
      { op: 'replace', name: 'VIRTUAL_ENV', value: '/work/app/.venv' },
      { op: 'replace', name: 'VIRTUAL_ENV_PROMPT', value: 'app' },
      { op: 'replace', name: 'PYTHONHOME', value: '' },
      { op: 'prepend', name: 'PATH', value: '/work/app/.venv/bin:' },
    ]);
  });

  it('does not double the delimiter when the server already sent it (Windows)', () => {
    const win = { ...activation, env: { VIRTUAL_ENV: 'C:\\app\\.venv' }, pathPrepend: 'C:\\app\\.venv\\Scripts;', unset: [] };
    assert.deepEqual(activationMutations(win, ';'), [
      { op: 'replace', name: 'VIRTUAL_ENV', value: 'C:\\app\\.venv' },
      { op: 'prepend', name: 'PATH', value: 'C:\\app\\.venv\\Scripts;' },
    ]);
  });
});
