/**
 * The entries of the interpreter quick pick and of "Create new environment…"'s "which Python" pick,
 * built from `venvkeeper/interpreters`: pure, so the grouping, ordering and texts are unit-tested
 * without VS Code. The server decides groups, order, suitability and the recommended base; this only
 * lays them out.
 */
import type { InterpreterEntry, InterpreterGroup, InterpretersResult } from './protocol';
import { interpreterLabel } from './statusModel';

export type PickerAction =
  | { type: 'select'; envPath: string }
  | { type: 'clearSelection' }
  | { type: 'create' }
  | { type: 'createWith'; python: string }
  | { type: 'browsePython' }
  | { type: 'enterPath' }
  | { type: 'browse' }
  | { type: 'manageTrust' };

export interface PickerEntry {
  label: string;
  description?: string;
  detail?: string;
  /** Separators have no action. */
  separator?: boolean;
  action?: PickerAction;
}

/** Separator titles, in the order the server sends the groups (docs/PROTOCOL.md). */
export const GROUP_TITLES: Record<InterpreterGroup, string> = {
  project: "This project's environments",
  toolEnvs: 'Tool environments for this project',
  otherEnvs: 'Other environments',
  base: 'Base interpreters (create an environment with one)',
};
const GROUP_ORDER: InterpreterGroup[] = ['project', 'toolEnvs', 'otherEnvs', 'base'];

function envDetail(e: InterpreterEntry): string {
  const parts: string[] = [];
  parts.push(e.chosen ? `Chosen: ${e.source}` : e.source);
  // The server puts "not chosen: …" and "broken: …" among the reasons; most important first.
  parts.push(...e.reasons);
  return parts.join(' · ');
}

function envIcon(e: InterpreterEntry): string {
  if (e.chosen) {
    return '$(check) ';
  }
  if (e.state === 'broken') {
    return '$(error) ';
  }
  if (!e.suitable || e.activatedElsewhere) {
    return '$(warning) ';
  }
  return '';
}

function toolName(e: InterpreterEntry): string {
  return e.kind === 'conda' ? 'conda' : e.origin;
}

function envName(path: string): string {
  return path.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? path;
}

function envEntry(e: InterpreterEntry, projectRoot: string | null): PickerEntry {
  // Envs outside the project by their name (a tool's dir is long; the description has the full path).
  const label =
    e.group === 'project'
      ? interpreterLabel({ version: e.version, envPath: e.path }, projectRoot)
      : `${e.version ?? 'Python'} (${envName(e.path)})`;
  return {
    label: `${envIcon(e)}${label}`,
    description: e.group === 'project' ? e.python : `${toolName(e)} · ${e.python}`,
    detail: envDetail(e),
    action: { type: 'select', envPath: e.path },
  };
}

function baseLabel(e: InterpreterEntry): string {
  const flags = [e.freeThreaded ? 'free-threaded' : '', e.prerelease ? 'pre-release' : ''].filter(Boolean);
  const name = `Python ${e.version ?? '?'}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}`;
  return `${e.recommended ? '$(star-full) ' : e.suitable ? '' : '$(warning) '}${name}`;
}

function baseEntry(e: InterpreterEntry): PickerEntry {
  return {
    label: baseLabel(e),
    description: `${e.origin} · ${e.python}`,
    detail: e.reasons.join(' · ') || e.source,
    action: { type: 'createWith', python: e.python },
  };
}

/** Actions first (as the Python extension does: a long list of interpreters never hides them), then the
 * groups; the glue highlights the chosen env. `trusted: false` (Restricted Mode): no "Create new
 * environment…" nor base interpreters (nothing could run), one line why at the end (opens the trust editor). */
export function buildPickerEntries(result: InterpretersResult, options: { trusted?: boolean } = {}): PickerEntry[] {
  const trusted = options.trusted !== false;
  const entries: PickerEntry[] = [];
  if (result.interpreters.some((e) => e.chosen && e.origin === 'selected')) {
    entries.push({
      label: '$(discard) Use automatic discovery',
      detail: 'Forget the explicit choice for this project',
      action: { type: 'clearSelection' },
    });
  }
  if (trusted) {
    entries.push({ label: '$(add) Create new environment…', action: { type: 'create' } });
  }
  entries.push({ label: '$(edit) Enter interpreter path…', action: { type: 'enterPath' } });
  entries.push({ label: '$(folder-opened) Browse for interpreter…', action: { type: 'browse' } });
  for (const group of GROUP_ORDER) {
    if (group === 'base' && !trusted) {
      continue;
    }
    // Keep the server's order inside a group, except that the chosen env always leads its group.
    const members = result.interpreters
      .filter((e) => e.group === group)
      .sort((a, b) => Number(b.chosen) - Number(a.chosen));
    if (members.length === 0) {
      continue;
    }
    entries.push({ label: GROUP_TITLES[group], separator: true });
    for (const e of members) {
      entries.push(group === 'base' ? baseEntry(e) : envEntry(e, result.projectRoot));
    }
  }
  if (!trusted) {
    // Not a separator: VS Code does not draw a trailing one. Choosing it opens the trust editor.
    entries.push({ label: '$(shield) Trust this folder to create or install', detail: 'Restricted Mode: venvkeeper only reads here. Opens Manage Workspace Trust.', action: { type: 'manageTrust' } });
  }
  return entries;
}

/** Which entry the picker highlights: the chosen env, else the first env, else the first action. */
export function initialEntry(entries: PickerEntry[]): PickerEntry | undefined {
  return (
    entries.find((e) => e.label.startsWith('$(check) ')) ??
    entries.find((e) => e.action?.type === 'select') ??
    entries.find((e) => e.action !== undefined)
  );
}

/** "Which Python?" for "Create new environment…": the recommended base first (marked, with why), the
 * other suitable ones, then the unsuitable ones under their own separator (each says why), then browse. */
export function buildBasePickEntries(result: InterpretersResult): PickerEntry[] {
  const bases = result.interpreters.filter((e) => e.group === 'base');
  const suitable = bases.filter((e) => e.suitable || e.recommended).sort((a, b) => Number(b.recommended) - Number(a.recommended));
  const unsuitable = bases.filter((e) => !e.suitable && !e.recommended);
  const entries: PickerEntry[] = [];
  if (suitable.length > 0) {
    entries.push({ label: 'Suitable for this project', separator: true }, ...suitable.map(baseEntry));
  }
  if (unsuitable.length > 0) {
    entries.push({ label: 'Not suitable', separator: true }, ...unsuitable.map(baseEntry));
  }
  entries.push({ label: '', separator: true });
  entries.push({ label: '$(folder-opened) Browse for a Python…', action: { type: 'browsePython' } });
  return entries;
}

/** The pick's placeholder: what the project asks for, and what the server would use. */
export function basePickPlaceholder(result: InterpretersResult): string {
  const asks = [
    result.requiresPython !== null ? `requires-python ${result.requiresPython}` : '',
    result.pythonVersion !== null ? `.python-version ${result.pythonVersion}` : '',
  ].filter(Boolean);
  const head = asks.length > 0 ? `The project asks for ${asks.join(' and ')}. ` : '';
  if (result.recommended === null) {
    return `${head}No suitable Python found${result.recommendedReason !== null ? `: ${result.recommendedReason}` : ''}`;
  }
  return `${head}Which Python should the new environment use?`;
}
