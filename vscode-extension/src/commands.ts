/**
 * Palette commands. Their ids differ from the server's `workspace/executeCommand` ids
 * (venvkeeper.create, …), which vscode-languageclient registers as VS Code commands itself.
 */
import * as vscode from 'vscode';
import type { VenvkeeperClient } from './client';
import { CHOOSE_PYTHON, commandFailure, RETRY, SHOW_OUTPUT } from './messageModel';
import { askForBase, choosePython, selectInterpreter } from './picker';
import { ServerCommands } from './protocol';
import { activeSubject, type StatusBar } from './statusBar';
import { TRUST_HINT } from './statusModel';

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

  /** Every server command (palette, picker, code actions): a failure shows its one line and the next steps. */
  const execute = async (command: string, argument: Record<string, unknown>): Promise<unknown> => {
    try {
      return await client.executeServerCommand(command, argument);
    } catch (err) {
      const failure = commandFailure(command, err);
      void vscode.window.showErrorMessage(failure.message, ...failure.actions).then(async (choice) => {
        if (choice === SHOW_OUTPUT) {
          client.output.show(true);
        } else if (choice === RETRY) {
          await execute(command, argument);
        } else if (choice === CHOOSE_PYTHON) {
          const python = await choosePython();
          if (python !== undefined) {
            await execute(command, { ...argument, python });
          }
        }
      });
      return undefined;
    }
  };
  client.commandRunner = (command, args) => {
    const [argument] = args;
    return execute(command, typeof argument === 'object' && argument !== null ? (argument as Record<string, unknown>) : {});
  };

  /** The subject a command that changes an env acts on: none (and the user told why) without one, or untrusted. */
  const trustedSubjectOrWarn = (): vscode.Uri | undefined => {
    const subject = subjectOrWarn();
    if (subject !== undefined && !vscode.workspace.isTrusted) {
      void vscode.window.showInformationMessage(`venvkeeper: ${TRUST_HINT}`);
      return undefined;
    }
    return subject;
  };

  const runServerCommand = async (command: string, extra: Record<string, unknown> = {}): Promise<void> => {
    const subject = trustedSubjectOrWarn();
    if (subject !== undefined) {
      await execute(command, { uri: subject.toString(), ...extra });
    }
  };

  /** Create with `python` (null: the server's choice); from the palette, ask which Python first. */
  const createEnvironment = (python: string | null): Promise<void> =>
    runServerCommand(ServerCommands.create, python === null ? {} : { python });
  const createFromPalette = async (): Promise<void> => {
    const subject = trustedSubjectOrWarn();
    if (subject === undefined) {
      return;
    }
    const python = await askForBase(client, subject);
    if (python !== undefined) {
      await createEnvironment(python);
    }
  };

  return [
    vscode.commands.registerCommand(ClientCommands.selectInterpreter, async () => {
      const subject = subjectOrWarn();
      if (subject !== undefined) {
        await selectInterpreter(client, subject, createEnvironment);
      }
    }),
    vscode.commands.registerCommand(ClientCommands.createEnvironment, createFromPalette),
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
