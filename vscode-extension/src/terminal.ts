/** Terminal activation: the active project's env applied to new terminals of its workspace folder. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Interpreter } from './protocol';
import { terminalPlan } from './terminalEnv';

export class TerminalActivation {
  /** The last decision logged per folder, so each is explained once. */
  private readonly explained = new Map<string, string>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: (message: string) => void,
  ) {
    if (!vscode.workspace.isTrusted) {
      // Collections persist across sessions: a window opened in Restricted Mode must not keep what a
      // trusted session applied (VS Code re-applies persisted mutations before extensions activate).
      this.clearAll();
    }
  }

  private enabled(folder: vscode.WorkspaceFolder | undefined): boolean {
    return vscode.workspace.getConfiguration('venvkeeper', folder).get<boolean>('activateTerminals', true);
  }

  private collection(folder: vscode.WorkspaceFolder | undefined): vscode.EnvironmentVariableCollection {
    const global = this.context.environmentVariableCollection;
    return folder === undefined ? global : global.getScoped({ workspaceFolder: folder });
  }

  update(interpreter: Interpreter | null, folder: vscode.WorkspaceFolder | undefined): void {
    const collection = this.collection(folder);
    collection.clear();
    const plan = terminalPlan(interpreter, {
      trusted: vscode.workspace.isTrusted,
      enabled: this.enabled(folder),
      pathDelimiter: path.delimiter,
    });
    const key = folder?.uri.toString() ?? '';
    const decision = plan.apply ? plan.description : `no terminal activation: ${plan.reason}`;
    if (this.explained.get(key) !== decision) {
      this.explained.set(key, decision);
      this.log(`${folder?.name ?? 'window'}: ${decision}`);
    }
    if (!plan.apply) {
      return;
    }
    for (const m of plan.mutations) {
      // At process creation for every shell, and again through shell integration after the rc files
      // ran, because rc files often prepend to PATH themselves (pyenv shims, conda) and would hide
      // the env's bin/ otherwise.
      const options = { applyAtProcessCreation: true, applyAtShellIntegration: true };
      if (m.op === 'replace') {
        collection.replace(m.name, m.value, options);
      } else {
        collection.prepend(m.name, m.value, options);
      }
    }
    collection.description = plan.description;
  }

  /** The setting was turned off, or the window is untrusted: remove every mutation. */
  clearAll(): void {
    this.context.environmentVariableCollection.clear();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      this.collection(folder).clear();
    }
  }
}
