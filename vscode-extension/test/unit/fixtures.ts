import type { EnvironmentCandidate, Interpreter, InterpreterEntry } from '../../src/protocol';

export function interpreter(overrides: Partial<Interpreter> = {}): Interpreter {
  return {
    python: '/work/app/.venv/bin/python',
    envPath: '/work/app/.venv',
    projectRoot: '/work/app',
    version: '3.12.1',
    kind: 'venv',
    state: 'ok',
    source: '.venv in the project',
    origin: 'conventional',
    status: 'ok',
    ...overrides,
  };
}

export function candidate(overrides: Partial<EnvironmentCandidate> = {}): EnvironmentCandidate {
  return {
    python: '/work/app/.venv/bin/python',
    envPath: '/work/app/.venv',
    version: '3.12.1',
    kind: 'venv',
    state: 'ok',
    origin: 'conventional',
    source: '.venv in the project',
    chosen: false,
    activatedElsewhere: false,
    ...overrides,
  };
}

export function entry(overrides: Partial<InterpreterEntry> = {}): InterpreterEntry {
  return {
    group: 'project',
    path: '/work/app/.venv',
    python: '/work/app/.venv/bin/python',
    version: '3.12.1',
    kind: 'venv',
    origin: 'conventional',
    source: '.venv in the project',
    state: 'ok',
    suitable: true,
    reasons: [],
    chosen: false,
    recommended: false,
    freeThreaded: false,
    prerelease: false,
    externallyManaged: false,
    activatedElsewhere: false,
    ...overrides,
  };
}
