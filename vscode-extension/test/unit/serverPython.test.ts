import assert from 'node:assert/strict';
import { mkdtemp, writeFile, chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  findServerPython,
  FIX_HINT,
  makeWhich,
  parseExecutable,
  rememberedPython,
  rememberKey,
  parseVersion,
  type RunResult,
  ServerPythonNotFound,
  VERSION_SCRIPT,
} from '../../src/serverPython';

type Calls = string[];

/** A fake machine: which programs are on PATH and what each prints as its version. */
function machine(onPath: Record<string, string>, versions: Record<string, RunResult>, calls: Calls = []) {
  return {
    which: (name: string) => Promise.resolve(onPath[name]),
    run: (command: string, args: readonly string[]) => {
      calls.push([command, ...args].join(' '));
      return Promise.resolve(versions[[command, ...args.slice(0, -2)].join(' ')] ?? { code: null, stdout: '', stderr: '', error: 'ENOENT' });
    },
  };
}

const ok = (major: number, minor: number): RunResult => ({ code: 0, stdout: `(${major}, ${minor})\n`, stderr: '' });

describe('findServerPython', () => {
  it('prefers the setting', async () => {
    const calls: Calls = [];
    const m = machine({ python3: '/usr/bin/python3' }, { '/opt/py312/bin/python': ok(3, 12) }, calls);
    const found = await findServerPython({ setting: '/opt/py312/bin/python', platform: 'linux', ...m, log: () => undefined });
    assert.equal(found.command, '/opt/py312/bin/python');
    assert.deepEqual(found.version, [3, 12]);
    assert.deepEqual(calls, [`/opt/py312/bin/python -c ${VERSION_SCRIPT}`]);
  });

  it('falls back python3 → python and logs why each one was skipped', async () => {
    const log: string[] = [];
    const m = machine(
      { python3: '/usr/bin/python3', python: '/usr/local/bin/python' },
      { '/usr/bin/python3': ok(3, 8), '/usr/local/bin/python': ok(3, 11) },
    );
    const found = await findServerPython({ setting: '/missing/python', platform: 'linux', ...m, log: (l) => log.push(l) });
    assert.equal(found.command, '/usr/local/bin/python');
    assert.equal(found.via, 'python on PATH');
    assert.match(log[0] ?? '', /serverPython.*does not run \(ENOENT\)/);
    assert.match(log[1] ?? '', /python3 on PATH: Python 3\.8 is too old/);
    assert.match(log[2] ?? '', /using \/usr\/local\/bin\/python/);
  });

  it('uses `py -3` on Windows only', async () => {
    const m = machine({ py: 'C:\\Windows\\py.exe' }, { 'C:\\Windows\\py.exe -3': ok(3, 13) });
    const found = await findServerPython({ setting: '', platform: 'win32', ...m, log: () => undefined });
    assert.deepEqual([found.command, ...found.args], ['C:\\Windows\\py.exe', '-3']);
    await assert.rejects(findServerPython({ setting: '', platform: 'linux', ...m, log: () => undefined }), ServerPythonNotFound);
  });

  it('fails with the attempts and a fix when nothing fits', async () => {
    const m = machine({ python3: '/usr/bin/python3' }, { '/usr/bin/python3': ok(2, 7) });
    await assert.rejects(
      findServerPython({ setting: undefined, platform: 'darwin', ...m, log: () => undefined }),
      (err: Error) => {
        assert.ok(err instanceof ServerPythonNotFound);
        assert.match(err.message, /python3 on PATH: Python 2\.7 is too old/);
        assert.match(err.message, /python on PATH: not on PATH/);
        assert.ok(err.message.endsWith(FIX_HINT));
        return true;
      },
    );
  });

  it('launches the real executable behind a shim or the py launcher', async () => {
    const m = machine(
      { python3: '/home/u/.pyenv/shims/python3', py: 'C:\\Windows\\py.exe' },
      {
        '/home/u/.pyenv/shims/python3': { code: 0, stdout: '(3, 12)\n/home/u/.pyenv/versions/3.12.1/bin/python3.12\n', stderr: '' },
        'C:\\Windows\\py.exe -3': { code: 0, stdout: '(3, 13)\r\nC:\\Python313\\python.exe\r\n', stderr: '' },
      },
    );
    const found = await findServerPython({ setting: '', platform: 'linux', ...m, log: () => undefined });
    assert.deepEqual([found.command, ...found.args], ['/home/u/.pyenv/versions/3.12.1/bin/python3.12']);
    const win = machine({ py: 'C:\\Windows\\py.exe' }, { 'C:\\Windows\\py.exe -3': { code: 0, stdout: '(3, 13)\r\nC:\\Python313\\python.exe\r\n', stderr: '' } });
    const onWindows = await findServerPython({ setting: '', platform: 'win32', ...win, log: () => undefined });
    assert.deepEqual([onWindows.command, ...onWindows.args], ['C:\\Python313\\python.exe']);
  });

  it('parses the version tuple', () => {
    assert.deepEqual(parseVersion('(3, 9)\n'), [3, 9]);
    assert.equal(parseVersion('Python was not found; run without arguments to install from the Microsoft Store'), undefined);
    assert.equal(parseExecutable('(3, 9)\n'), undefined);
    assert.equal(parseExecutable('(3, 9)\nrelative/python\n'), undefined);
  });
});

describe('makeWhich', () => {
  it('finds executables on PATH in order and skips non-executables', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'vk-which-'));
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    await mkdir(a);
    await mkdir(b);
    await writeFile(path.join(a, 'python3'), '');
    await writeFile(path.join(b, 'python3'), '#!/bin/sh\n');
    await chmod(path.join(b, 'python3'), 0o755);
    const which = makeWhich({ PATH: [a, b].join(':') }, 'linux');
    assert.equal(await which('python3'), path.join(b, 'python3'));
    assert.equal(await which('python'), undefined);
  });
});

describe('rememberedPython', () => {
  const python = { command: '/usr/bin/python3.12', args: [], version: [3, 12] as [number, number], via: 'python3 on PATH' };
  const key = rememberKey('', { PATH: '/usr/bin' }, 'linux');

  it('reuses the choice while setting, PATH and platform are the same and the file exists', async () => {
    assert.equal(await rememberedPython({ key, python }, key, () => Promise.resolve(true)), python);
  });

  it('chooses again when an input changed or the executable is gone', async () => {
    const otherPath = rememberKey('', { PATH: '/opt/bin:/usr/bin' }, 'linux');
    const otherSetting = rememberKey('/opt/py/bin/python', { PATH: '/usr/bin' }, 'linux');
    assert.notEqual(otherPath, key);
    assert.notEqual(otherSetting, key);
    assert.equal(await rememberedPython({ key, python }, otherPath, () => Promise.resolve(true)), undefined);
    assert.equal(await rememberedPython({ key, python }, key, () => Promise.resolve(false)), undefined);
    assert.equal(await rememberedPython(undefined, key, () => Promise.resolve(true)), undefined);
  });
});
