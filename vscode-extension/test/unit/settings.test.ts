import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverSettings, settingsReaction } from '../../src/settings';

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

describe('settingsReaction', () => {
  /** affectsConfiguration for a change of `changed`: true for it and every section that contains it. */
  const affects = (changed: string) => (section: string) => changed === section || changed.startsWith(`${section}.`);

  it('turning syncPythonExtension on or off publishes again (it took effect only at the next env change)', () => {
    assert.deepEqual(settingsReaction(affects('venvkeeper.syncPythonExtension')), {
      restartServer: false,
      reapplyTerminals: false,
      republishPython: true,
      sendSettings: true,
    });
  });

  it('turning activateTerminals on or off re-applies the terminal mutations', () => {
    const reaction = settingsReaction(affects('venvkeeper.activateTerminals'));
    assert.equal(reaction.reapplyTerminals, true);
    assert.equal(reaction.republishPython, false);
  });

  it('a new serverPython restarts the daemon and does nothing else', () => {
    assert.deepEqual(settingsReaction(affects('venvkeeper.serverPython')), {
      restartServer: true,
      reapplyTerminals: false,
      republishPython: false,
      sendSettings: false,
    });
  });

  it('a server setting is only sent; other sections are ignored', () => {
    assert.deepEqual(settingsReaction(affects('venvkeeper.autoCreate')), {
      restartServer: false,
      reapplyTerminals: false,
      republishPython: false,
      sendSettings: true,
    });
    assert.equal(settingsReaction(affects('editor.fontSize')).sendSettings, false);
  });
});
