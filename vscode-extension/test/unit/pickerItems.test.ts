import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basePickPlaceholder, buildBasePickEntries, buildPickerEntries, initialEntry } from '../../src/pickerItems';
import type { InterpretersResult } from '../../src/protocol';
import { entry } from './fixtures';

function result(interpreters: InterpretersResult['interpreters'], extra: Partial<InterpretersResult> = {}): InterpretersResult {
  return {
    projectRoot: '/work/app',
    requiresPython: '>=3.11',
    pythonVersion: null,
    recommended: '/usr/bin/python3.11',
    recommendedReason: 'Python 3.11.7 (/usr/bin/python3.11): your default interpreter',
    interpreters,
    ...extra,
  };
}

const ENVS = [
  entry({ group: 'project', path: '/work/app/venv', python: '/work/app/venv/bin/python', version: '3.10.4', suitable: false, reasons: ['does not satisfy requires-python >=3.11', 'not chosen: app-x-py3.12 comes first'] }),
  entry({ group: 'toolEnvs', path: '/home/u/.cache/pypoetry/virtualenvs/app-x-py3.12', python: '/home/u/.cache/pypoetry/virtualenvs/app-x-py3.12/bin/python', origin: 'poetry', source: 'Poetry env app-x-py3.12', chosen: true }),
  entry({ group: 'otherEnvs', path: '/home/u/miniconda3/envs/data', python: '/home/u/miniconda3/envs/data/bin/python', kind: 'conda', origin: 'conda', version: '3.11.9', source: 'conda env data', reasons: ['not tied to this project'] }),
  entry({ group: 'base', kind: 'base', path: '/usr/bin/python3.11', python: '/usr/bin/python3.11', origin: 'PATH', version: '3.11.7', recommended: true, reasons: ['recommended: your default interpreter', 'satisfies requires-python >=3.11'] }),
  entry({ group: 'base', kind: 'base', path: '/p/3.13t/bin/python3.13t', python: '/p/3.13t/bin/python3.13t', origin: 'pyenv', version: '3.13.1', freeThreaded: true, suitable: false, reasons: ['free-threaded build'] }),
  entry({ group: 'base', kind: 'base', path: '/p/3.12/bin/python3.12', python: '/p/3.12/bin/python3.12', origin: 'pyenv', version: '3.12.4' }),
];

describe('buildPickerEntries', () => {
  it('puts the actions first, then envs under separators in the server order, the chosen env highlighted', () => {
    const entries = buildPickerEntries(result(ENVS));
    assert.deepEqual(
      entries.map((e) => (e.separator === true ? `-- ${e.label}` : e.label)),
      [
        '$(add) Create new environment…',
        '$(edit) Enter interpreter path…',
        '$(folder-opened) Browse for interpreter…',
        "-- This project's environments",
        '$(warning) 3.10.4 (venv)',
        '-- Tool environments for this project',
        '$(check) 3.12.1 (app-x-py3.12)',
        '-- Other environments',
        '3.11.9 (data)',
        '-- Base interpreters (create an environment with one)',
        '$(star-full) Python 3.11.7',
        '$(warning) Python 3.13.1 (free-threaded)',
        'Python 3.12.4',
      ],
    );
    assert.equal(initialEntry(entries), entries[6]);
    entries.splice(0, 3);
    assert.equal(entries[1]?.detail, '.venv in the project · does not satisfy requires-python >=3.11 · not chosen: app-x-py3.12 comes first');
    assert.equal(entries[3]?.detail, 'Chosen: Poetry env app-x-py3.12');
    assert.equal(entries[3]?.description, 'poetry · /home/u/.cache/pypoetry/virtualenvs/app-x-py3.12/bin/python');
    assert.deepEqual(entries[5]?.action, { type: 'select', envPath: '/home/u/miniconda3/envs/data' });
    assert.deepEqual(entries[7]?.action, { type: 'createWith', python: '/usr/bin/python3.11' });
  });

  it('warns on an env that VIRTUAL_ENV activates for another directory, though its Python suits', () => {
    const activated = entry({ group: 'otherEnvs', path: '/work/other/.venv', python: '/work/other/.venv/bin/python', source: 'activated (VIRTUAL_ENV=/work/other/.venv)', activatedElsewhere: true, reasons: ['not chosen: activated elsewhere: VIRTUAL_ENV belongs to another directory, not to this project'] });
    const labels = buildPickerEntries(result([activated])).map((e) => e.label);
    assert.ok(labels.includes('$(warning) 3.12.1 (.venv)'), labels.join(' | '));
  });

  it('offers to forget an explicit selection', () => {
    const entries = buildPickerEntries(result([entry({ chosen: true, origin: 'selected', source: 'explicitly selected' })]));
    assert.ok(entries.some((e) => e.action?.type === 'clearSelection'));
  });

  it('still offers create and enter-path when there is nothing', () => {
    const entries = buildPickerEntries(result([], { projectRoot: null }));
    assert.deepEqual(
      entries.filter((e) => e.action !== undefined).map((e) => e.action?.type),
      ['create', 'enterPath', 'browse'],
    );
  });

  it('offers no create nor base interpreters in Restricted Mode and says why in one passive line', () => {
    const entries = buildPickerEntries(result(ENVS), { trusted: false });
    assert.ok(!entries.some((e) => e.action?.type === 'create' || e.action?.type === 'createWith'));
    assert.ok(!entries.some((e) => e.label.startsWith('Base interpreters')));
    const last = entries[entries.length - 1];
    assert.deepEqual(last?.action, { type: 'manageTrust' });
    assert.match(last?.label ?? '', /Trust this folder to create or install/);
    assert.equal(entries.filter((e) => /Trust this folder/.test(e.label)).length, 1);
  });
});

describe('buildBasePickEntries ("which Python" for create)', () => {
  it('puts the recommended base first with why, suitable ones next, unsuitable ones apart', () => {
    const entries = buildBasePickEntries(result(ENVS));
    assert.deepEqual(
      entries.map((e) => (e.separator === true ? `-- ${e.label}` : e.label)),
      [
        '-- Suitable for this project',
        '$(star-full) Python 3.11.7',
        'Python 3.12.4',
        '-- Not suitable',
        '$(warning) Python 3.13.1 (free-threaded)',
        '-- ',
        '$(folder-opened) Browse for a Python…',
      ],
    );
    assert.equal(entries[1]?.detail, 'recommended: your default interpreter · satisfies requires-python >=3.11');
    assert.equal(entries[1]?.description, 'PATH · /usr/bin/python3.11');
    assert.equal(entries[4]?.detail, 'free-threaded build');
    assert.deepEqual(entries[6]?.action, { type: 'browsePython' });
  });

  it('says what the project asks for, and why nothing suits', () => {
    assert.equal(
      basePickPlaceholder(result(ENVS, { pythonVersion: '3.11' })),
      'The project asks for requires-python >=3.11 and .python-version 3.11. Which Python should the new environment use?',
    );
    assert.equal(
      basePickPlaceholder(result([], { requiresPython: null, recommended: null, recommendedReason: 'no Python 3 interpreter was found' })),
      'No suitable Python found: no Python 3 interpreter was found',
    );
  });
});
