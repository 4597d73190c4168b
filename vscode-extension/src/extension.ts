/** Wiring only: each part lives in its own module. */
import * as vscode from 'vscode';
import { VenvkeeperClient } from './client';
import { registerCommands } from './commands';
import { settingsReaction } from './settings';
import { PythonExtensionSync } from './pythonExtension';
import { StatusBar } from './statusBar';
import { TerminalActivation } from './terminal';

export interface VenvkeeperApi {
  /** The interpreter of the active editor's project, if known. */
  interpreterPath(): string | undefined;
}

let activeClient: VenvkeeperClient | undefined;

export function activate(context: vscode.ExtensionContext): VenvkeeperApi {
  const activatedAt = performance.now();
  const output = vscode.window.createOutputChannel('venvkeeper', { log: true });
  const client = new VenvkeeperClient(context, output);
  activeClient = client;
  const statusBar = new StatusBar(context, client, activatedAt);
  const terminals = new TerminalActivation(context, (message) => { output.info(message); });
  const pythonExtension = new PythonExtensionSync(output);

  context.subscriptions.push(
    output,
    client,
    statusBar,
    statusBar.onDidChangeActive(({ interpreter, subject }) => {
      const folder = vscode.workspace.getWorkspaceFolder(
        interpreter !== null ? vscode.Uri.file(interpreter.projectRoot) : subject,
      );
      terminals.update(interpreter, folder);
      void pythonExtension.publish(interpreter, folder);
    }),
    ...registerCommands(client, statusBar),
    vscode.workspace.onDidChangeConfiguration((e) => {
      const reaction = settingsReaction((section) => e.affectsConfiguration(section));
      if (reaction.restartServer) {
        void client.restart();
        return;
      }
      const current = statusBar.current;
      const folder = current === undefined ? undefined : vscode.workspace.getWorkspaceFolder(current.subject);
      if (reaction.reapplyTerminals) {
        terminals.clearAll();
        if (current !== undefined) {
          terminals.update(current.interpreter, folder);
        }
      }
      if (reaction.republishPython) {
        pythonExtension.forget();
        if (current !== undefined) {
          void pythonExtension.publish(current.interpreter, folder);
        }
      }
      if (reaction.sendSettings) {
        client.sendSettings();
      }
    }),
    // Restricted Mode → trusted: the server lifts read-only live and sends activation data again
    // (a didChangeEnvironment that reaches `terminals` through the status bar); decide afresh meanwhile.
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      client.sendSettings();
      const current = statusBar.current;
      if (current !== undefined) {
        terminals.update(current.interpreter, vscode.workspace.getWorkspaceFolder(current.subject));
      }
    }),
  );

  // The cached answer first (no round trip), then the daemon's once it is up.
  statusBar.showCached();
  output.info(`activated in ${(performance.now() - activatedAt).toFixed(0)} ms`);
  void client.start();

  return {
    interpreterPath: () => statusBar.current?.interpreter?.python ?? undefined,
  };
}

export function deactivate(): Promise<void> | undefined {
  // Give the server a clean shutdown/exit instead of a killed pipe.
  return activeClient?.stop();
}
