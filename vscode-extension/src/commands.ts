/**
 * Palette commands. Their ids differ from the server's `workspace/executeCommand` ids
 * (venvkeeper.create, …), which vscode-languageclient registers as VS Code commands itself.
 */
import * as vscode from 'vscode';
import type { VenvkeeperClient } from './client';
import { selectInterpreter } from './picker';
import { ServerCommands } from './protocol';
import { activeSubject, type StatusBar } from './statusBar';

export const ClientCommands = {
  selectInterpreter: 'venvkeeper.selectInterpreter',
  createEnvironment: 'venvkeeper.createEnvironment',
  syncEnvironment: 'venvkeeper.syncEnvironment',
  recreateEnvironment: 'venvkeeper.recreateEnvironment',
  showOutput: 'venvkeeper.showOutput',
  restartServer: 'venvkeeper.restartServer',
  interpreterPath: 'venvkeeper.interpreterPath',
} as const;

export function registerCommands(client: VenvkeeperClient, statusBar: StatusBar): vscode.Disposable[] {
  const subjectOrWarn = (): vscode.Uri | undefined => {
    const subject = activeSubject();
    if (subject === undefined) {
      void vscode.window.showWarningMessage('venvkeeper: open a folder or a file of a Python project first.');
    }
    return subject;
  };

  const runServerCommand = async (command: string, extra: Record<string, unknown> = {}): Promise<void> => {
    const subject = subjectOrWarn();
    if (subject === undefined) {
      return;
    }
    try {
      await client.executeServerCommand(command, { uri: subject.toString(), ...extra });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      void vscode.window.showErrorMessage(`venvkeeper: ${message}`);
    }
  };

  const createEnvironment = (): Promise<void> => runServerCommand(ServerCommands.create);

  return [
    vscode.commands.registerCommand(ClientCommands.selectInterpreter, async () => {
      const subject = subjectOrWarn();
      if (subject !== undefined) {
        await selectInterpreter(client, subject, createEnvironment);
      }
    }),
    vscode.commands.registerCommand(ClientCommands.createEnvironment, createEnvironment),
    vscode.commands.registerCommand(ClientCommands.syncEnvironment, () => runServerCommand(ServerCommands.sync)),
    vscode.commands.registerCommand(ClientCommands.recreateEnvironment, () =>
      runServerCommand(ServerCommands.recreate),
    ),
    vscode.commands.registerCommand(ClientCommands.showOutput, () => { client.output.show(); }),
    vscode.commands.registerCommand(ClientCommands.restartServer, () => client.restart()),
    // For `${command:venvkeeper.interpreterPath}` in launch.json and tasks.json.
    vscode.commands.registerCommand(ClientCommands.interpreterPath, async (): Promise<string | undefined> => {
      const subject = activeSubject();
      if (subject === undefined) {
        return undefined;
      }
      const known = statusBar.current;
      if (known !== undefined && known.subject.toString() === subject.toString() && known.interpreter !== null) {
        return known.interpreter.python;
      }
      const interpreter = await client.interpreter(subject);
      return interpreter?.python ?? undefined;
    }),
  ];
}
