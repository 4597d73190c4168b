/** Publishes the chosen interpreter to the Python extension (ms-python.python) when it is installed. */
import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import type { Interpreter } from './protocol';

const PYTHON_EXTENSION_ID = 'ms-python.python';

export class PythonExtensionSync {
  private readonly published = new Map<string, string>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Forget what was published, so the next publish happens even for the same interpreter (the sync was off meanwhile). */
  forget(): void {
    this.published.clear();
  }

  async publish(interpreter: Interpreter | null, folder: vscode.WorkspaceFolder | undefined): Promise<void> {
    if (interpreter === null || interpreter.state !== 'ok') {
      return;
    }
    if (!vscode.workspace.getConfiguration('venvkeeper', folder).get<boolean>('syncPythonExtension', true)) {
      return;
    }
    if (vscode.extensions.getExtension(PYTHON_EXTENSION_ID) === undefined) {
      return; // not installed: nothing to keep in sync
    }
    const key = folder?.uri.toString() ?? '';
    if (this.published.get(key) === interpreter.python) {
      return;
    }
    try {
      const api = await PythonExtension.api();
      await api.environments.updateActiveEnvironmentPath(interpreter.python, folder);
      this.published.set(key, interpreter.python);
      this.log.info(`published ${interpreter.python} to the Python extension`);
    } catch (err) {
      this.log.warn(`could not publish the interpreter to the Python extension: ${String(err)}`);
    }
  }
}
