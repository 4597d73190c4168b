/** The interpreter quick pick (grouped, from `venvkeeper/interpreters`), and "which Python" for create. */
import * as vscode from 'vscode';
import type { VenvkeeperClient } from './client';
import { prefixed } from './messageModel';
import {
  basePickPlaceholder,
  buildBasePickEntries,
  buildPickerEntries,
  initialEntry,
  type PickerAction,
  type PickerEntry,
} from './pickerItems';
import type { InterpretersResult } from './protocol';

interface Item extends vscode.QuickPickItem {
  action?: PickerAction;
}

function toItem(entry: PickerEntry): Item {
  if (entry.separator === true) {
    return { label: entry.label, kind: vscode.QuickPickItemKind.Separator };
  }
  return { label: entry.label, description: entry.description, detail: entry.detail, action: entry.action };
}

const EMPTY: InterpretersResult = {
  projectRoot: null,
  requiresPython: null,
  pythonVersion: null,
  recommended: null,
  recommendedReason: null,
  interpreters: [],
};

/** A quick pick whose items arrive later; resolves with the accepted item's action (undefined: dismissed). */
async function pickAction(
  title: string,
  placeholder: string,
  load: (qp: vscode.QuickPick<Item>) => Promise<void>,
): Promise<PickerAction | undefined> {
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = title;
  qp.placeholder = placeholder;
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.busy = true;
  qp.show();
  const chosen = new Promise<PickerAction | undefined>((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0]?.action);
      qp.hide();
    });
    qp.onDidHide(() => {
      resolve(undefined);
      qp.dispose();
    });
  });
  try {
    await load(qp);
  } catch (err) {
    qp.placeholder = `Could not list interpreters: ${String(err)}`;
  } finally {
    qp.busy = false;
  }
  return chosen;
}

/** Show ``entries``, highlighting ``active`` (one of them). */
function show(qp: vscode.QuickPick<Item>, entries: PickerEntry[], active: PickerEntry | undefined): void {
  const items = entries.map(toItem);
  qp.items = items;
  const index = active === undefined ? -1 : entries.indexOf(active);
  const item = items[index];
  if (item !== undefined) {
    qp.activeItems = [item];
  }
}

async function pick(
  client: VenvkeeperClient,
  subject: vscode.Uri,
): Promise<{ action: PickerAction | undefined; result: InterpretersResult | undefined }> {
  let loaded: InterpretersResult | undefined;
  const action = await pickAction('venvkeeper: Select Interpreter', 'Select the environment for this project', async (qp) => {
    const trusted = vscode.workspace.isTrusted;
    loaded = await client.interpreters(subject);
    if (loaded === undefined) {
      qp.placeholder = 'The venvkeeper server is not running';
      qp.items = buildPickerEntries(EMPTY, { trusted }).map(toItem);
      return;
    }
    qp.placeholder =
      loaded.projectRoot === null ? 'This file is in no Python project' : `Select the environment for ${loaded.projectRoot}`;
    const entries = buildPickerEntries(loaded, { trusted });
    show(qp, entries, initialEntry(entries));
  });
  return { action, result: loaded };
}

/** A base Python file the user browses to (also "Choose Python…" after a failed create). */
export async function choosePython(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    title: 'Choose the Python to create the environment with',
    openLabel: 'Create with this Python',
  });
  return picked?.[0]?.fsPath;
}

/**
 * "Which Python?" before creating: the server's base interpreters, the recommended one first with its
 * reason. Resolves with the chosen interpreter path, null to let the server choose (the list could not
 * be had), or undefined when the user dismissed the pick.
 */
export async function askForBase(
  client: VenvkeeperClient,
  subject: vscode.Uri,
  known?: InterpretersResult,
): Promise<string | null | undefined> {
  let failed = false;
  const action = await pickAction('venvkeeper: Create Environment — which Python?', 'Finding Python interpreters…', async (qp) => {
    const result = known ?? (await client.interpreters(subject).catch(() => undefined));
    if (result === undefined) {
      failed = true;
      qp.hide();
      return;
    }
    qp.placeholder = basePickPlaceholder(result);
    const entries = buildBasePickEntries(result);
    show(qp, entries, entries.find((e) => e.action?.type === 'createWith'));
  });
  if (failed) {
    return null;
  }
  if (action?.type === 'createWith') {
    return action.python;
  }
  if (action?.type === 'browsePython') {
    return choosePython();
  }
  return undefined;
}

async function askForPath(browse: boolean): Promise<string | undefined> {
  if (browse) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      title: 'Select a Python interpreter or a virtual environment folder',
      openLabel: 'Select Interpreter',
    });
    return picked?.[0]?.fsPath;
  }
  const value = await vscode.window.showInputBox({
    title: 'venvkeeper: Enter interpreter path',
    prompt: 'Path of a Python interpreter in a virtual environment, or of the environment folder',
    placeHolder: '/path/to/project/.venv/bin/python',
    ignoreFocusOut: true,
  });
  return value?.trim() || undefined;
}

export async function selectInterpreter(
  client: VenvkeeperClient,
  subject: vscode.Uri,
  createEnvironment: (python: string | null) => Promise<void>,
): Promise<void> {
  const { action, result } = await pick(client, subject);
  if (action === undefined) {
    return;
  }
  let envPath: string | null;
  if (action.type === 'create') {
    const python = await askForBase(client, subject, result);
    if (python !== undefined) {
      await createEnvironment(python);
    }
    return;
  }
  if (action.type === 'createWith') {
    await createEnvironment(action.python);
    return;
  }
  if (action.type === 'manageTrust') {
    await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  } else if (action.type === 'select') {
    envPath = action.envPath;
  } else if (action.type === 'clearSelection') {
    envPath = null;
  } else if (action.type === 'browsePython') {
    return; // only offered by the "which Python" pick
  } else {
    const entered = await askForPath(action.type === 'browse');
    if (entered === undefined) {
      return;
    }
    envPath = entered;
  }
  try {
    await client.select(subject, envPath);
  } catch (err) {
    // InvalidParams carries the server's reason ("… is not a virtual environment: …").
    const message = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(prefixed(message));
  }
}
