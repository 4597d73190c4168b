/**
 * What the status bar shows for an interpreter: pure, so it is unit-tested without VS Code.
 */
import type { Interpreter } from './protocol';
import { displayEnvPath, isInside, samePath } from './paths';

export type StatusKind = 'ok' | 'stale' | 'broken' | 'none' | 'noProject' | 'activatedElsewhere' | 'starting' | 'busy';

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

/**
 * One icon per state, each with its meaning in the tooltip (MEANINGS). Stale is not `$(sync)`: a
 * spinning-arrows icon reads as "busy"; only busy and starting spin.
 */
const ICONS: Record<StatusKind, string> = {
  ok: '$(check)',
  stale: '$(history)',
  broken: '$(error)',
  none: '$(add)',
  noProject: '$(info)',
  activatedElsewhere: '$(warning)',
  starting: '$(loading~spin)',
  busy: '$(loading~spin)',
};

/** The first tooltip line: what the icon means. */
const MEANINGS: Record<StatusKind, string> = {
  ok: 'OK: the environment satisfies the requirements',
  stale: 'Stale: the environment no longer satisfies the requirements',
  broken: 'Broken: the environment cannot run',
  none: 'No environment for this project',
  noProject: 'No Python project here',
  activatedElsewhere: 'Another project\'s environment is activated',
  starting: 'Starting…',
  busy: 'Working…',
};

/** The passive line of Restricted Mode (issue 15 item 8): why create/install are not offered. */
export const TRUST_HINT = 'Restricted Mode: venvkeeper only reads. Trust this folder to create or install.';

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
  noProject: '',
  activatedElsewhere: ', another project is activated',
  starting: '',
  busy: '',
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
  /** With no interpreter: false when the subject is in no Python project (a repo root with backend/). */
  inProject?: boolean;
}

export function describeStatus(interp: Interpreter | null, options: DescribeOptions = {}): StatusView {
  const virtualEnv = options.virtualEnv ?? null;
  const cachedNote = options.cached === true ? ['', '(last known; checking…)'] : [];
  const trusted = options.trusted !== false;
  if (!trusted) {
    cachedNote.unshift('', TRUST_HINT);
  }
  if (interp === null && options.inProject === false) {
    // Not alarming: a folder that holds projects below it (backend/) is not itself one.
    const tooltip = [
      `venvkeeper: ${MEANINGS.noProject}.`,
      options.subject ? `For: ${options.subject}` : null,
      'Open a file of a project (a folder with pyproject.toml or requirements.txt) to see its environment.',
      ...cachedNote,
    ].filter((l): l is string => l !== null);
    return {
      kind: 'noProject',
      text: `${ICONS.noProject} venvkeeper`,
      ariaLabel: 'venvkeeper: no Python project here',
      tooltip: tooltip.join('\n'),
      background: null,
    };
  }
  if (interp === null) {
    // Trusted: the item itself is the way to create one (it stays when the prompt toast is gone).
    const tooltip = [
      `venvkeeper: ${MEANINGS.none}.`,
      options.subject ? `For: ${options.subject}` : null,
      trusted ? 'Click to create one or select an existing interpreter.' : 'Click to select an existing interpreter.',
      ...cachedNote,
    ].filter((l): l is string => l !== null);
    return {
      kind: 'none',
      text: trusted ? `${ICONS.none} Create env` : '$(circle-slash) No env',
      ariaLabel: trusted ? 'venvkeeper: no environment, create env' : 'venvkeeper: no environment',
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

  const lines: string[] = [`venvkeeper: ${MEANINGS[kind]}`, `Env: ${interp.envPath}`, `Project: ${interp.projectRoot}`];
  lines.push(`Python ${interp.version ?? 'version unknown'} · ${interp.kind}`);
  lines.push(`Why this env: ${interp.source}`);
  if (kind === 'broken') {
    lines.push(`Why broken: ${interp.problem ?? 'the environment is not usable'}`);
  }
  if (kind === 'stale') {
    lines.push(
      interp.statusDetail !== undefined
        ? `Stale: ${interp.statusDetail} (see Problems).`
        : 'See Problems for what is missing or mismatched.',
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

/** While a create, sync or install runs: `title` is its progress title. */
export function busyStatus(title: string): StatusView {
  return {
    kind: 'busy',
    text: `${ICONS.busy} ${title.length > 40 ? `${title.slice(0, 39)}…` : title}`,
    ariaLabel: `venvkeeper: busy, ${title}`,
    tooltip: `venvkeeper: ${MEANINGS.busy}\n${title}\nCancel it from its notification.`,
    background: null,
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
