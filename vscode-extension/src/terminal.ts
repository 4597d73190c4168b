/** Terminal activation: the active project's env applied to new terminals of its workspace folder. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Interpreter } from './protocol';
import { activationMutations } from './terminalEnv';

export class TerminalActivation {
  private readonly applied = new Set<string>();

  constructor(private readonly context: vscode.ExtensionContext) {}

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
    this.applied.delete(folder?.uri.toString() ?? '');
    if (interpreter?.activation === undefined || interpreter.state !== 'ok' || !this.enabled(folder)) {
      return;
    }
    for (const m of activationMutations(interpreter.activation, path.delimiter)) {
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
    collection.description = `Activates ${interpreter.envPath} (venvkeeper)`;
    this.applied.add(folder?.uri.toString() ?? '');
  }

  /** The setting was turned off: remove every mutation. */
  clearAll(): void {
    this.context.environmentVariableCollection.clear();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      this.collection(folder).clear();
    }
    this.applied.clear();
  }
}
