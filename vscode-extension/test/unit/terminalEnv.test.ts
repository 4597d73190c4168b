import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activationMutations, terminalPlan } from '../../src/terminalEnv';
import { interpreter } from './fixtures';

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

describe('terminalPlan', () => {
  const activation = {
    env: { VIRTUAL_ENV: '/work/app/.venv', VIRTUAL_ENV_PROMPT: 'app' },
    pathPrepend: '/work/app/.venv/bin',
    unset: ['PYTHONHOME'],
    scripts: {},
  };
  const trusted = { trusted: true, enabled: true, pathDelimiter: ':' };

  it('applies the mutations of an ok env in a trusted workspace', () => {
    const plan = terminalPlan(interpreter({ activation }), trusted);
    assert.ok(plan.apply);
    assert.deepEqual(plan.mutations, activationMutations(activation, ':'));
    assert.equal(plan.description, 'Activates /work/app/.venv (venvkeeper)');
  });

  it('applies nothing in Restricted Mode, even when activation data arrived (cached or from a server that sent it)', () => {
    const plan = terminalPlan(interpreter({ activation }), { ...trusted, trusted: false });
    assert.deepEqual(plan, { apply: false, reason: 'the workspace is not trusted (Restricted Mode)' });
  });

  it('untrusted wins over every other reason', () => {
    for (const i of [null, interpreter({ state: 'broken', activation }), interpreter()]) {
      const plan = terminalPlan(i, { trusted: false, enabled: false, pathDelimiter: ':' });
      assert.equal(plan.apply, false);
      assert.match(plan.apply ? '' : plan.reason, /not trusted/);
    }
  });

  it('says why nothing is applied otherwise', () => {
    const reason = (p: ReturnType<typeof terminalPlan>): string => (p.apply ? 'applied' : p.reason);
    assert.equal(reason(terminalPlan(interpreter({ activation }), { ...trusted, enabled: false })), 'venvkeeper.activateTerminals is off');
    assert.equal(reason(terminalPlan(null, trusted)), 'the project has no environment');
    assert.equal(reason(terminalPlan(interpreter({ state: 'broken', activation }), trusted)), '/work/app/.venv is broken');
    assert.equal(reason(terminalPlan(interpreter(), trusted)), 'the server sent no activation data');
  });
});
