/**
 * Finding the Python that runs the venvkeeper server: a logged fallback chain
 * (setting `venvkeeper.serverPython` → `python3` / `python` on PATH → `py -3` on Windows), each
 * candidate checked to be Python ≥ 3.9 by running it once. Side effects (PATH lookup, process
 * runner, log) are injected so the chain is unit-tested without spawning anything.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';

export const MIN_VERSION: readonly [number, number] = [3, 9];
/** Prints the version and the real executable: launching that directly skips shims (pyenv, asdf)
 * that cost ~150 ms per start. */
export const VERSION_SCRIPT = 'import sys; print(sys.version_info[:2]); print(sys.executable)';
export const FIX_HINT = 'Install Python 3.9+ or set venvkeeper.serverPython.';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the process could not be started at all (ENOENT, EACCES, timeout). */
  error?: string;
}

export type Runner = (command: string, args: readonly string[]) => Promise<RunResult>;
export type Which = (name: string) => Promise<string | undefined>;

export interface ServerPython {
  command: string;
  /** Arguments that come before the script (`-3` for the Windows launcher). */
  args: string[];
  version: [number, number];
  /** Where it came from, for the log. */
  via: string;
}

export interface FindOptions {
  setting: string | undefined | null;
  platform: NodeJS.Platform;
  which: Which;
  run: Runner;
  log: (message: string) => void;
}

export class ServerPythonNotFound extends Error {
  constructor(readonly attempts: string[]) {
    super(
      `venvkeeper cannot start its server: no Python ${MIN_VERSION.join('.')} or newer was found ` +
        `(tried ${attempts.join('; ')}). ${FIX_HINT}`,
    );
    this.name = 'ServerPythonNotFound';
  }
}

interface Candidate {
  via: string;
  resolve: () => Promise<{ command: string; args: string[] } | string>;
}

export function parseVersion(stdout: string): [number, number] | undefined {
  const m = /\(\s*(\d+)\s*,\s*(\d+)\s*\)/.exec(stdout);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The executable printed on the second line, when it is an absolute path. */
export function parseExecutable(stdout: string): string | undefined {
  const line = stdout.split(/\r?\n/)[1]?.trim();
  return line && (line.startsWith('/') || /^[A-Za-z]:[\\/]/.test(line)) ? line : undefined;
}

function isNewEnough(v: readonly [number, number]): boolean {
  return v[0] > MIN_VERSION[0] || (v[0] === MIN_VERSION[0] && v[1] >= MIN_VERSION[1]);
}

function candidates(options: FindOptions): Candidate[] {
  const list: Candidate[] = [];
  const setting = options.setting?.trim();
  if (setting) {
    list.push({ via: `setting venvkeeper.serverPython (${setting})`, resolve: () => Promise.resolve({ command: setting, args: [] }) });
  }
  const onPath = (name: string, args: string[]): Candidate => ({
    via: `${[name, ...args].join(' ')} on PATH`,
    resolve: async () => {
      const found = await options.which(name);
      return found === undefined ? 'not on PATH' : { command: found, args };
    },
  });
  list.push(onPath('python3', []), onPath('python', []));
  if (options.platform === 'win32') {
    list.push(onPath('py', ['-3']));
  }
  return list;
}

export async function findServerPython(options: FindOptions): Promise<ServerPython> {
  const attempts: string[] = [];
  for (const candidate of candidates(options)) {
    const resolved = await candidate.resolve();
    if (typeof resolved === 'string') {
      options.log(`server Python: ${candidate.via}: ${resolved}`);
      attempts.push(`${candidate.via}: ${resolved}`);
      continue;
    }
    const result = await options.run(resolved.command, [...resolved.args, '-c', VERSION_SCRIPT]);
    const version = result.code === 0 ? parseVersion(result.stdout) : undefined;
    if (version === undefined) {
      const why = result.error ?? (result.stderr.trim().split('\n').pop() || `exit code ${String(result.code)}`);
      options.log(`server Python: ${candidate.via}: does not run (${why})`);
      attempts.push(`${candidate.via}: does not run (${why})`);
      continue;
    }
    if (!isNewEnough(version)) {
      options.log(`server Python: ${candidate.via}: Python ${version.join('.')} is too old`);
      attempts.push(`${candidate.via}: Python ${version.join('.')} is too old`);
      continue;
    }
    // Run the real interpreter, not the shim or launcher (`py -3`) that found it.
    const executable = parseExecutable(result.stdout);
    const command = executable ?? resolved.command;
    const args = executable === undefined ? resolved.args : [];
    const shown = [resolved.command, ...resolved.args].join(' ');
    options.log(
      `server Python: using ${command} (Python ${version.join('.')}, ${candidate.via}` +
        `${command === resolved.command ? '' : `, found through ${shown}`})`,
    );
    return { command, args, version, via: candidate.via };
  }
  throw new ServerPythonNotFound(attempts);
}

/** Runs a short command with a timeout; never rejects. */
export const runProcess: Runner = (command, args) =>
  new Promise((resolve) => {
    execFile(command, [...args], { timeout: 10_000, windowsHide: true }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      // A string code (ENOENT, EACCES) means it never ran; no code at all means it was killed (timeout).
      const spawnError =
        error !== null && typeof error.code !== 'number'
          ? (error.code ?? (error.killed ? 'timed out' : error.message))
          : undefined;
      resolve({ code, stdout, stderr, ...(spawnError !== undefined ? { error: spawnError } : {}) });
    });
  });

/** PATH lookup without spawning anything (PATHEXT on Windows). */
export function makeWhich(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Which {
  return async (name) => {
    const pathVar = env.PATH ?? env.Path ?? '';
    const delimiter = platform === 'win32' ? ';' : ':';
    const exts = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').filter(Boolean) : [''];
    for (const dir of pathVar.split(delimiter).filter(Boolean)) {
      for (const ext of exts) {
        const candidate = path.join(dir, name + ext);
        try {
          const stat = await fs.stat(candidate);
          if (!stat.isFile()) {
            continue;
          }
          if (platform !== 'win32') {
            await fs.access(candidate, fsConstants.X_OK);
          }
          return candidate;
        } catch {
          // not here; keep looking
        }
      }
    }
    return undefined;
  };
}

/** What is remembered between sessions so a start can skip running the candidates. */
export interface RememberedPython {
  /** The inputs the choice depended on; any change means choosing again. */
  key: string;
  python: ServerPython;
}

export function rememberKey(setting: string | undefined | null, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  return JSON.stringify([setting?.trim() ?? '', env.PATH ?? env.Path ?? '', platform]);
}

/**
 * The remembered choice when it is still valid: same setting, PATH and platform, and the executable
 * still exists. Saves running the chain (~50–150 ms with shims) on every start; if the remembered
 * executable no longer works, the caller forgets it and runs the chain.
 */
export async function rememberedPython(
  remembered: RememberedPython | undefined,
  key: string,
  exists: (file: string) => Promise<boolean>,
): Promise<ServerPython | undefined> {
  if (remembered === undefined || remembered.key !== key) {
    return undefined;
  }
  return (await exists(remembered.python.command)) ? remembered.python : undefined;
}

export async function fileExists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
