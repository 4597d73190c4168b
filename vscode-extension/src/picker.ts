/** The interpreter quick pick: candidates from `venvkeeper/environments`, then create / enter a path. */
import * as vscode from 'vscode';
import type { VenvkeeperClient } from './client';
import { prefixed } from './messageModel';
import { buildPickerEntries, type PickerAction, type PickerEntry } from './pickerItems';

interface Item extends vscode.QuickPickItem {
  action?: PickerAction;
}

function toItem(entry: PickerEntry): Item {
  if (entry.separator === true) {
    return { label: entry.label, kind: vscode.QuickPickItemKind.Separator };
  }
  return { label: entry.label, description: entry.description, detail: entry.detail, action: entry.action };
}

async function pick(client: VenvkeeperClient, subject: vscode.Uri): Promise<PickerAction | undefined> {
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = 'venvkeeper: Select Interpreter';
  qp.placeholder = 'Select the environment for this project';
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
    const result = await client.environments(subject);
    if (result === undefined) {
      qp.placeholder = 'The venvkeeper server is not running';
      qp.items = buildPickerEntries({ projectRoot: null, environments: [] }, { trusted: vscode.workspace.isTrusted }).map(toItem);
    } else {
      qp.placeholder =
        result.projectRoot === null
          ? 'This file is in no Python project'
          : `Select the environment for ${result.projectRoot}`;
      const items = buildPickerEntries(result, { trusted: vscode.workspace.isTrusted }).map(toItem);
      qp.items = items;
      const first = items.find((i) => i.action?.type === 'select');
      if (first !== undefined) {
        qp.activeItems = [first];
      }
    }
  } catch (err) {
    qp.placeholder = `Could not list environments: ${String(err)}`;
  } finally {
    qp.busy = false;
  }
  return chosen;
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
  createEnvironment: () => Promise<void>,
): Promise<void> {
  const action = await pick(client, subject);
  if (action === undefined) {
    return;
  }
  let envPath: string | null;
  if (action.type === 'create') {
    await createEnvironment();
    return;
  }
  if (action.type === 'manageTrust') {
    await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  } else if (action.type === 'select') {
    envPath = action.envPath;
  } else if (action.type === 'clearSelection') {
    envPath = null;
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
