/**
 * The entries of the interpreter quick pick, built from `venvkeeper/environments`: pure, so the
 * ordering and texts are unit-tested without VS Code.
 */
import type { EnvironmentCandidate, EnvironmentsResult } from './protocol';
import { interpreterLabel } from './statusModel';

export type PickerAction =
  | { type: 'select'; envPath: string }
  | { type: 'clearSelection' }
  | { type: 'create' }
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

function candidateDetail(c: EnvironmentCandidate): string {
  const parts: string[] = [];
  if (c.chosen) {
    parts.push(`Chosen: ${c.source}`);
  } else if (c.rejected) {
    parts.push(`Not chosen: ${c.rejected}`);
  } else {
    parts.push(c.source);
  }
  if (c.state === 'broken') {
    parts.push(`broken: ${c.problem ?? 'not usable'}`);
  }
  if (c.activatedElsewhere && !c.rejected) {
    parts.push('activated in another project');
  }
  return parts.join(' · ');
}

function candidateIcon(c: EnvironmentCandidate): string {
  if (c.chosen) {
    return '$(check) ';
  }
  if (c.state === 'broken') {
    return '$(error) ';
  }
  if (c.activatedElsewhere) {
    return '$(warning) ';
  }
  return '';
}

/** `trusted: false` (Restricted Mode): no "Create new environment…" (it could not run), one line why (opens the trust editor). */
export function buildPickerEntries(result: EnvironmentsResult, options: { trusted?: boolean } = {}): PickerEntry[] {
  const trusted = options.trusted !== false;
  // The server sends the chosen env first; keep that order even if a future server does not.
  const envs = [...result.environments].sort((a, b) => Number(b.chosen) - Number(a.chosen));
  const entries: PickerEntry[] = envs.map((c) => ({
    label: `${candidateIcon(c)}${interpreterLabel(c, result.projectRoot)}`,
    description: c.python,
    detail: candidateDetail(c),
    action: { type: 'select', envPath: c.envPath },
  }));
  entries.push({ label: '', separator: true });
  if (envs.some((c) => c.chosen && c.origin === 'selected')) {
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
  if (!trusted) {
    // Not a separator: VS Code does not draw a trailing one. Choosing it opens the trust editor.
    entries.push({ label: '$(shield) Trust this folder to create or install', detail: 'Restricted Mode: venvkeeper only reads here. Opens Manage Workspace Trust.', action: { type: 'manageTrust' } });
  }
  return entries;
}
