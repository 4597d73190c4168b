import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPickerEntries } from '../../src/pickerItems';
import { candidate } from './fixtures';

describe('buildPickerEntries', () => {
  it('puts the chosen env first, rejected ones with their reason, then the actions', () => {
    const entries = buildPickerEntries({
      projectRoot: '/work/app',
      environments: [
        candidate({ envPath: '/work/app/venv', python: '/work/app/venv/bin/python', version: '3.10.4', rejected: '.venv comes first' }),
        candidate({ chosen: true }),
        candidate({
          envPath: '/work/other/.venv',
          origin: 'activated',
          activatedElsewhere: true,
          rejected: 'VIRTUAL_ENV belongs to another project',
        }),
      ],
    });
    const labels = entries.map((e) => e.label);
    assert.deepEqual(labels, [
      '$(check) 3.12.1 (.venv)',
      '3.10.4 (venv)',
      '$(warning) 3.12.1 (/work/other/.venv)',
      '',
      '$(add) Create new environment…',
      '$(edit) Enter interpreter path…',
      '$(folder-opened) Browse for interpreter…',
    ]);
    assert.equal(entries[0]?.detail, 'Chosen: .venv in the project');
    assert.equal(entries[1]?.detail, 'Not chosen: .venv comes first');
    assert.equal(entries[2]?.detail, 'Not chosen: VIRTUAL_ENV belongs to another project');
    assert.deepEqual(entries[1]?.action, { type: 'select', envPath: '/work/app/venv' });
    assert.equal(entries[3]?.separator, true);
    assert.deepEqual(entries[4]?.action, { type: 'create' });
  });

  it('shows a broken candidate with its problem', () => {
    const [entry] = buildPickerEntries({
      projectRoot: '/work/app',
      environments: [candidate({ state: 'broken', problem: 'bin/python is missing', rejected: 'broken' })],
    });
    assert.equal(entry?.label, '$(error) 3.12.1 (.venv)');
    assert.equal(entry?.detail, 'Not chosen: broken · broken: bin/python is missing');
  });

  it('offers to forget an explicit selection', () => {
    const entries = buildPickerEntries({
      projectRoot: '/work/app',
      environments: [candidate({ chosen: true, origin: 'selected', source: 'explicitly selected' })],
    });
    assert.ok(entries.some((e) => e.action?.type === 'clearSelection'));
  });

  it('still offers create and enter-path when there is no candidate', () => {
    const entries = buildPickerEntries({ projectRoot: null, environments: [] });
    assert.deepEqual(
      entries.filter((e) => e.action !== undefined).map((e) => e.action?.type),
      ['create', 'enterPath', 'browse'],
    );
  });

  it('offers no create in Restricted Mode and says why in one passive line', () => {
    const entries = buildPickerEntries({ projectRoot: '/work/app', environments: [] }, { trusted: false });
    assert.ok(!entries.some((e) => e.action?.type === 'create'));
    const last = entries[entries.length - 1];
    assert.deepEqual(last?.action, { type: 'manageTrust' });
    assert.match(last?.label ?? '', /Trust this folder to create or install/);
    assert.equal(entries.filter((e) => /Trust this folder/.test(e.label)).length, 1);
  });
});
