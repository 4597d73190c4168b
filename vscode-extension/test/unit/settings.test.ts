import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverSettings } from '../../src/settings';

describe('serverSettings', () => {
  it('passes server settings, drops client-only ones and functions, adds trust and VIRTUAL_ENV', () => {
    const section = {
      autoCreate: 'never',
      extras: ['test'],
      uvPath: '',
      serverPython: '/usr/bin/python3',
      activateTerminals: false,
      syncPythonExtension: true,
      trace: { server: 'off' },
      get: () => undefined,
    };
    assert.deepEqual(serverSettings(section, false, '/work/app/.venv'), {
      autoCreate: 'never',
      extras: ['test'],
      uvPath: null,
      trusted: false,
      virtualEnv: '/work/app/.venv',
    });
  });

  it('trust comes from the editor, never from the section', () => {
    assert.equal(serverSettings({ trusted: true }, false, null).trusted, false);
  });
});
