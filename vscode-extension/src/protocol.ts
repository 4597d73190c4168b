/**
 * The custom venvkeeper messages, declared once on the client side (the server side is
 * server/venvkeeper/lsp/protocol.py). docs/PROTOCOL.md is the contract: change one, change it.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';

export type EnvKind = 'venv' | 'uv' | 'virtualenv' | 'conda' | 'unknown';
export type EnvState = 'ok' | 'broken';
/** Discovery order (docs/PROTOCOL.md "Projects and discovery"). */
export type EnvOrigin =
  | 'selected'
  | 'uv'
  | 'pep832'
  | 'venv-file'
  | 'conventional'
  | 'poetry'
  | 'pipenv'
  | 'pdm'
  | 'hatch'
  | 'conda'
  | 'pixi'
  | 'pyenv'
  | 'virtualenvwrapper'
  | 'child'
  | 'activated';
export type EnvStatus = 'ok' | 'stale' | 'broken';

export interface Activation {
  /** Apply to a new terminal's environment. */
  env: { VIRTUAL_ENV: string; VIRTUAL_ENV_PROMPT?: string };
  /** Prepend to PATH (the env's bin/ or Scripts/ dir). */
  pathPrepend: string;
  /** Variables to remove from the terminal's environment. */
  unset: string[];
  /** The activation script per shell, for clients that must type one. */
  scripts: Partial<Record<'bash' | 'zsh' | 'fish' | 'csh' | 'tcsh' | 'pwsh' | 'nu' | 'cmd', string>>;
}

export interface Interpreter {
  python: string;
  envPath: string;
  projectRoot: string;
  version: string | null;
  kind: EnvKind;
  state: EnvState;
  source: string;
  problem?: string | null;
  origin: EnvOrigin;
  status: EnvStatus;
  problems?: { errors: number; warnings: number };
  /** Why the status is what it is, in one line, when the server can say more (e.g. "3 packages differ from uv.lock"). */
  statusDetail?: string;
  activation?: Activation;
}

export interface InterpreterParams {
  uri: string;
}
export type InterpreterResult = Interpreter | null;

export interface EnvironmentCandidate {
  python: string;
  envPath: string;
  version: string | null;
  kind: EnvKind;
  state: EnvState;
  problem?: string | null;
  origin: EnvOrigin;
  source: string;
  chosen: boolean;
  rejected?: string | null;
  activatedElsewhere: boolean;
}

export interface EnvironmentsParams {
  uri: string;
}
export interface EnvironmentsResult {
  projectRoot: string | null;
  environments: EnvironmentCandidate[];
}

export type InterpreterGroup = 'project' | 'toolEnvs' | 'otherEnvs' | 'base';

export interface InterpretersParams {
  uri: string | null;
}
export interface InterpreterEntry {
  group: InterpreterGroup;
  /** The env dir; for a base, its executable. */
  path: string;
  python: string;
  version: string | null;
  kind: EnvKind | 'base';
  /** Envs: the EnvOrigin that found it; bases: where found ("PATH", "pyenv", "uv", "Homebrew", …). */
  origin: string;
  source: string;
  state: EnvState;
  suitable: boolean;
  reasons: string[];
  chosen: boolean;
  recommended: boolean;
  freeThreaded: boolean;
  prerelease: boolean;
  externallyManaged: boolean;
  activatedElsewhere: boolean;
}
export interface InterpretersResult {
  projectRoot: string | null;
  requiresPython: string | null;
  pythonVersion: string | null;
  recommended: string | null;
  recommendedReason: string | null;
  interpreters: InterpreterEntry[];
}

export interface SelectParams {
  uri: string;
  envPath: string | null;
}
export type SelectResult = Interpreter | null;

export interface DidChangeEnvironmentParams {
  projectRoot: string;
  interpreter: Interpreter | null;
}

/** Settings as the server reads them (docs/PROTOCOL.md "Settings"). */
export interface ServerSettings {
  autoCreate?: 'prompt' | 'always' | 'never';
  trusted?: boolean;
  backend?: 'auto' | 'venv' | 'uv';
  uvPath?: string | null;
  extras?: 'all' | string[];
  dependencyGroups?: 'default' | 'all' | string[];
  severities?: Record<string, 'error' | 'warning' | 'information' | 'hint' | 'off'>;
  globalInstallWarnings?: boolean;
  debounceMs?: number;
  virtualEnv?: string | null;
  [clientOnly: string]: unknown;
}

export interface InitializationOptions {
  settings?: ServerSettings;
  virtualEnv?: string | null;
  trusted?: boolean;
}

export const InterpreterRequest = new RequestType<InterpreterParams, InterpreterResult, void>(
  'venvkeeper/interpreter',
);
export const EnvironmentsRequest = new RequestType<EnvironmentsParams, EnvironmentsResult, void>(
  'venvkeeper/environments',
);
export const InterpretersRequest = new RequestType<InterpretersParams, InterpretersResult, void>(
  'venvkeeper/interpreters',
);
export const SelectRequest = new RequestType<SelectParams, SelectResult, void>('venvkeeper/select');
export const DidChangeEnvironmentNotification = new NotificationType<DidChangeEnvironmentParams>(
  'venvkeeper/didChangeEnvironment',
);

/** Server-side `workspace/executeCommand` ids. The palette commands have other ids on purpose:
 * vscode-languageclient registers these as VS Code commands itself. */
export const ServerCommands = {
  create: 'venvkeeper.create',
  sync: 'venvkeeper.sync',
  installMissing: 'venvkeeper.installMissing',
  recreate: 'venvkeeper.recreate',
  installIntoEnv: 'venvkeeper.installIntoEnv',
  uninstallUserSite: 'venvkeeper.uninstallUserSite',
  addPip: 'venvkeeper.addPip',
  findCompatibleVersions: 'venvkeeper.findCompatibleVersions',
} as const;
