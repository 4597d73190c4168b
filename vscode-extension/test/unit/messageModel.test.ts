import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CHOOSE_PYTHON,
  commandFailure,
  messageRequestActions,
  prefixed,
  progressEndNote,
  RETRY,
  SHOW_OUTPUT,
} from '../../src/messageModel';

function responseError(message: string, data?: unknown): Error {
  return Object.assign(new Error(message), { data });
}

describe('prefixed', () => {
  it('adds one "venvkeeper:" prefix, never two', () => {
    assert.equal(prefixed('creating failed'), 'venvkeeper: creating failed');
    assert.equal(prefixed('venvkeeper: creating failed'), 'venvkeeper: creating failed');
    assert.equal(prefixed('Venvkeeper: x'), 'Venvkeeper: x');
  });
});

describe('commandFailure', () => {
  it('a failed create: the decisive line, Show output, Retry, Choose Python…', () => {
    const view = commandFailure(
      'venvkeeper.create',
      responseError('Creating the environment for app failed: failpkg-1.0 failed to build: RuntimeError: boom', {
        decisive: 'failpkg-1.0 failed to build: RuntimeError: boom',
        retry: true,
      }),
    );
    assert.equal(view.message, 'venvkeeper: Creating the environment for app failed: failpkg-1.0 failed to build: RuntimeError: boom');
    assert.deepEqual(view.actions, [SHOW_OUTPUT, RETRY, CHOOSE_PYTHON]);
  });

  it('a failed install: no Choose Python; a refusal: only Show output', () => {
    assert.deepEqual(commandFailure('venvkeeper.installIntoEnv', responseError('x', { retry: true })).actions, [SHOW_OUTPUT, RETRY]);
    assert.deepEqual(commandFailure('venvkeeper.create', responseError('an operation is already running')).actions, [SHOW_OUTPUT]);
  });
});

describe('messageRequestActions', () => {
  it('errors get Show output once; other requests keep their buttons', () => {
    assert.deepEqual(messageRequestActions(true, [RETRY, CHOOSE_PYTHON]), [RETRY, CHOOSE_PYTHON, SHOW_OUTPUT]);
    assert.deepEqual(messageRequestActions(true, [SHOW_OUTPUT]), [SHOW_OUTPUT]);
    assert.deepEqual(messageRequestActions(false, ['Create', 'Not now']), ['Create', 'Not now']);
  });
});

describe('progressEndNote', () => {
  it('shows the server summary, nothing for a bare "done"', () => {
    assert.equal(
      progressEndNote('Created .venv with Python 3.11.7 and installed 54 packages in 14 s'),
      'venvkeeper: Created .venv with Python 3.11.7 and installed 54 packages in 14 s',
    );
    assert.equal(progressEndNote('done'), undefined);
    assert.equal(progressEndNote(undefined), undefined);
  });
});
