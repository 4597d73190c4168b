/**
 * What the status bar shows for an interpreter: pure, so it is unit-tested without VS Code.
 */
import type { Interpreter } from './protocol';
import { displayEnvPath, isInside, samePath } from './paths';

export type StatusKind = 'ok' | 'stale' | 'broken' | 'none' | 'activatedElsewhere' | 'starting';

export interface StatusView {
  kind: StatusKind;
  /** Status bar text, with a codicon. */
  text: string;
  /** Plain-text tooltip: which env and why. */
  tooltip: string;
  /** Screen-reader label: the text without icons, plus the state in words. */
  ariaLabel: string;
  /** ThemeColor id for the background, or null for the default. */
  background: 'statusBarItem.warningBackground' | 'statusBarItem.errorBackground' | null;
}

const ICONS: Record<StatusKind, string> = {
  ok: '$(check)',
  stale: '$(sync)',
  broken: '$(error)',
  none: '$(circle-slash)',
  activatedElsewhere: '$(warning)',
  starting: '$(loading~spin)',
};

/** `3.12.1 (.venv)`: the version and where the env is (relative to the project when inside it). */
export function interpreterLabel(interp: Pick<Interpreter, 'version' | 'envPath'>, projectRoot: string | null): string {
  const where = displayEnvPath(interp.envPath, projectRoot);
  return `${interp.version ?? 'Python'} (${where})`;
}

const STATE_WORDS: Record<StatusKind, string> = {
  ok: '',
  stale: ', stale: requirements not satisfied',
  broken: ', broken',
  none: '',
  activatedElsewhere: ', another project is activated',
  starting: '',
};

export interface DescribeOptions {
  /** The client's VIRTUAL_ENV, if any. */
  virtualEnv?: string | null;
  /** The answer is the cached one from workspace state, not yet confirmed by the daemon. */
  cached?: boolean;
  /** The file or folder the status is for, when there is no interpreter. */
  subject?: string | null;
  /** Workspace trust; false = Restricted Mode, where the server only reads. */
  trusted?: boolean;
}

export function describeStatus(interp: Interpreter | null, options: DescribeOptions = {}): StatusView {
  const virtualEnv = options.virtualEnv ?? null;
  const cachedNote = options.cached === true ? ['', '(last known; checking…)'] : [];
  if (options.trusted === false) {
    cachedNote.unshift('', 'Restricted Mode: venvkeeper only reads; it creates and installs nothing until you trust this folder.');
  }
  if (interp === null) {
    const tooltip = [
      'venvkeeper: no environment for this project.',
      options.subject ? `For: ${options.subject}` : null,
      'Click to select or create one.',
      ...cachedNote,
    ].filter((l): l is string => l !== null);
    return {
      kind: 'none',
      text: `${ICONS.none} No env`,
      ariaLabel: 'venvkeeper: no environment',
      tooltip: tooltip.join('\n'),
      background: null,
    };
  }

  let kind: StatusKind;
  if (interp.state === 'broken' || interp.status === 'broken') {
    kind = 'broken';
  } else if (
    virtualEnv !== null &&
    virtualEnv !== '' &&
    !samePath(virtualEnv, interp.envPath) &&
    !isInside(virtualEnv, interp.projectRoot)
  ) {
    kind = 'activatedElsewhere';
  } else if (interp.status === 'stale') {
    kind = 'stale';
  } else {
    kind = 'ok';
  }

  const lines: string[] = [`venvkeeper: ${interp.envPath}`, `Project: ${interp.projectRoot}`];
  lines.push(`Python ${interp.version ?? 'version unknown'} · ${interp.kind}`);
  lines.push(`Why this env: ${interp.source}`);
  if (kind === 'broken') {
    lines.push(`Broken: ${interp.problem ?? 'the environment is not usable'}`);
  }
  if (kind === 'stale') {
    lines.push(
      interp.statusDetail !== undefined
        ? `Stale: ${interp.statusDetail} (see Problems).`
        : 'Stale: the requirements are not satisfied (see Problems).',
    );
  }
  if (kind === 'activatedElsewhere' && virtualEnv !== null) {
    lines.push(`Activated elsewhere: VIRTUAL_ENV is ${virtualEnv}, which belongs to another project.`);
  }
  if (interp.problems !== undefined && (interp.problems.errors > 0 || interp.problems.warnings > 0)) {
    lines.push(`Requirements: ${interp.problems.errors} error(s), ${interp.problems.warnings} warning(s)`);
  }
  lines.push('Click to select another environment.');
  lines.push(...cachedNote);

  const background =
    kind === 'broken'
      ? 'statusBarItem.errorBackground'
      : kind === 'stale' || kind === 'activatedElsewhere'
        ? 'statusBarItem.warningBackground'
        : null;
  const label = interpreterLabel(interp, interp.projectRoot);
  return {
    kind,
    text: `${ICONS[kind]} ${label}`,
    ariaLabel: `venvkeeper: ${label}${STATE_WORDS[kind]}`,
    tooltip: lines.join('\n'),
    background,
  };
}

export function startingStatus(): StatusView {
  return {
    kind: 'starting',
    text: `${ICONS.starting} venvkeeper`,
    ariaLabel: 'venvkeeper: starting',
    tooltip: 'venvkeeper: starting…',
    background: null,
  };
}

/** Cached answers from workspace state, keyed by project root. */
export type InterpreterCache = Record<string, Interpreter | null>;

/**
 * The cached answer for `path`: the entry of the innermost project root that contains it
 * (nested projects each have their own env).
 */
export function cachedFor(cache: InterpreterCache, path: string): { root: string; interpreter: Interpreter | null } | undefined {
  let best: string | undefined;
  for (const root of Object.keys(cache)) {
    if (isInside(path, root) && (best === undefined || root.length > best.length)) {
      best = root;
    }
  }
  return best === undefined ? undefined : { root: best, interpreter: cache[best] ?? null };
}

/** The cache with `interpreter` as the newest answer, keeping at most `limit` projects (oldest dropped). */
export function rememberAnswer(cache: InterpreterCache, interpreter: Interpreter, limit: number): InterpreterCache {
  const entries = Object.entries(cache).filter(([root]) => root !== interpreter.projectRoot);
  entries.push([interpreter.projectRoot, interpreter]);
  return Object.fromEntries(entries.slice(Math.max(0, entries.length - limit)));
}
