/**
 * The language client: finds the server's Python, starts `python -I launch.py serve` over stdio,
 * restarts it when it crashes, and serialises start/stop/restart so two restarts never overlap.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { NotificationProgressFeature } from './progress';
import { ServerMessagesFeature } from './serverMessages';
import {
  DidChangeEnvironmentNotification,
  type DidChangeEnvironmentParams,
  EnvironmentsRequest,
  InterpretersRequest,
  type InterpretersResult,
  type EnvironmentsResult,
  type InitializationOptions,
  type Interpreter,
  InterpreterRequest,
  SelectRequest,
} from './protocol';
import {
  fileExists,
  findServerPython,
  makeWhich,
  type RememberedPython,
  rememberedPython,
  rememberKey,
  runProcess,
  ServerPythonNotFound,
} from './serverPython';
import { serverSettings } from './settings';

/** Crashes tolerated within CRASH_WINDOW_MS before the client gives up restarting. */
const MAX_CRASHES = 5;
/** globalState key of the remembered server Python (per machine: globalState is not synced here). */
const REMEMBERED_KEY = 'venvkeeper.serverPython.remembered';
const CRASH_WINDOW_MS = 3 * 60_000;

const DOCUMENTS = [
  { scheme: 'file', language: 'python' },
  { scheme: 'file', language: 'pip-requirements' },
  { scheme: 'file', pattern: '**/requirements*.txt' },
  { scheme: 'file', pattern: '**/requirements/*.{txt,in}' },
  { scheme: 'file', pattern: '**/pyproject.toml' },
  { scheme: 'file', pattern: '**/setup.cfg' },
  { scheme: 'file', pattern: '**/Pipfile' },
];

export function currentSettings(): Record<string, unknown> {
  return serverSettings(
    vscode.workspace.getConfiguration('venvkeeper') as unknown as Record<string, unknown>,
    vscode.workspace.isTrusted,
    process.env.VIRTUAL_ENV ?? null,
  );
}

export class VenvkeeperClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private queue: Promise<void> = Promise.resolve();
  private crashes: number[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  private readonly envEmitter = new vscode.EventEmitter<DidChangeEnvironmentParams>();
  private readonly busyEmitter = new vscode.EventEmitter<string | undefined>();
  /** Fires with the title of a running create/sync/install, or undefined when it ended. */
  readonly onDidChangeBusy = this.busyEmitter.event;
  /**
   * Runs a server command with the extension's own error UI (commands.ts). Code actions go through it
   * too, instead of vscode-languageclient's generic "Request workspace/executeCommand failed." toast.
   */
  commandRunner: ((command: string, args: unknown[]) => Promise<unknown>) | undefined;
  /** Fires whenever a server (re)started and answers requests. */
  readonly onDidBecomeReady = this.readyEmitter.event;
  readonly onDidChangeEnvironment = this.envEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly output: vscode.LogOutputChannel,
  ) {
    this.disposables.push(this.readyEmitter, this.envEmitter, this.busyEmitter);
  }

  /** The running client, or undefined while starting/stopped. */
  get running(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  /**
   * The running client; while it is (re)starting — at activation or after a crash — wait for it
   * rather than telling the user it is not running. Undefined when it does not come up in time.
   */
  async ready(timeoutMs = 15_000): Promise<LanguageClient | undefined> {
    if (this.running !== undefined) {
      return this.running;
    }
    await this.queue; // a start or restart in progress
    if (this.client === undefined || this.running !== undefined) {
      return this.running;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const sub = this.readyEmitter.event(done);
      function done(): void {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
    return this.running;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      this.output.info('restarting the server');
      await this.doStop();
      this.crashes = [];
      await this.doStart();
    });
  }

  /** Runs operations one after the other; a failed one does not block the next. */
  private enqueue(op: () => Promise<void>): Promise<void> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async doStart(retry = false): Promise<void> {
    if (this.client !== undefined) {
      return;
    }
    const config = vscode.workspace.getConfiguration('venvkeeper');
    const setting = config.get<string>('serverPython');
    const key = rememberKey(setting, process.env, process.platform);
    let python = retry
      ? undefined
      : await rememberedPython(this.context.globalState.get<RememberedPython>(REMEMBERED_KEY), key, fileExists);
    const remembered = python !== undefined;
    try {
      if (python === undefined) {
        python = await findServerPython({
          setting,
          platform: process.platform,
          which: makeWhich(process.env, process.platform),
          run: runProcess,
          log: (message) => {
            this.output.info(message);
          },
        });
        void this.context.globalState.update(REMEMBERED_KEY, { key, python } satisfies RememberedPython);
      } else {
        this.output.info(`server Python: using ${python.command} (Python ${python.version.join('.')}, remembered)`);
      }
    } catch (err) {
      if (err instanceof ServerPythonNotFound) {
        this.output.error(err.message);
        void this.showError(err.message, 'Open Settings').then((choice) => {
          if (choice === 'Open Settings') {
            void vscode.commands.executeCommand('workbench.action.openSettings', 'venvkeeper.serverPython');
          }
        });
        return;
      }
      throw err;
    }

    const launcher = this.context.asAbsolutePath('python/launch.py');
    const serverOptions: ServerOptions = {
      command: python.command,
      args: [...python.args, '-I', launcher, 'serve'],
      transport: TransportKind.stdio,
      // -I already ignores PYTHON* variables; this covers a Python that is started through a shim.
      options: { env: { ...process.env, PYTHONNOUSERSITE: '1' } },
    };
    const initializationOptions: InitializationOptions = {
      settings: currentSettings(),
      virtualEnv: process.env.VIRTUAL_ENV ?? null,
      trusted: vscode.workspace.isTrusted,
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENTS,
      outputChannel: this.output,
      initializationOptions,
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => this.onServerClosed(),
      },
      middleware: {
        executeCommand: async (command, args, next): Promise<unknown> =>
          this.commandRunner !== undefined ? this.commandRunner(command, args) : ((await next(command, args)) as unknown),
        workspace: {
          // A pulled `venvkeeper` section must carry trust and VIRTUAL_ENV too, or a server in an
          // untrusted workspace would read the default trusted = true.
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) {
              return result;
            }
            return result.map((value: unknown, i) =>
              params.items[i]?.section === 'venvkeeper' ? currentSettings() : value,
            );
          },
        },
      },
    };
    const client = new LanguageClient('venvkeeper', 'venvkeeper', serverOptions, clientOptions);
    client.registerFeature(new NotificationProgressFeature(client, (title) => { this.busyEmitter.fire(title); }));
    client.registerFeature(new ServerMessagesFeature(client, this.output));
    client.onNotification(DidChangeEnvironmentNotification, (params) => { this.envEmitter.fire(params); });
    this.disposables.push(
      client.onDidChangeState((e) => {
        if (e.newState === State.Running) {
          this.readyEmitter.fire();
        }
      }),
    );
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      this.output.error(`the server did not start: ${String(err)}`);
      this.client = undefined;
      await client.dispose().catch(() => undefined);
      if (remembered) {
        // The remembered interpreter may be gone or changed: choose again once.
        await this.context.globalState.update(REMEMBERED_KEY, undefined);
        await this.doStart(true);
        return;
      }
      void this.showError(`venvkeeper: the server did not start (${String(err)}).`, 'Show Output').then((c) => {
        if (c === 'Show Output') {
          this.output.show();
        }
      });
    }
  }

  private onServerClosed(): { action: CloseAction; message?: string; handled?: boolean } {
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.crashes.length <= MAX_CRASHES) {
      this.output.warn(`the server stopped unexpectedly; restarting (${this.crashes.length}/${MAX_CRASHES})`);
      return { action: CloseAction.Restart, handled: true };
    }
    const message =
      `venvkeeper: the server crashed ${MAX_CRASHES} times in ${CRASH_WINDOW_MS / 60_000} minutes and was not ` +
      'restarted. See the output, then run "venvkeeper: Restart Server".';
    this.output.error(message);
    return { action: CloseAction.DoNotRestart, message };
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) {
      return;
    }
    try {
      await client.stop(5000);
    } catch (err) {
      this.output.warn(`stopping the server: ${String(err)}`);
    }
    await client.dispose().catch(() => undefined);
  }

  private showError(message: string, ...actions: string[]): Thenable<string | undefined> {
    return vscode.window.showErrorMessage(message, ...actions);
  }

  /** Sends the current settings live (settings changed, or the workspace became trusted). */
  sendSettings(): void {
    void this.running?.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { venvkeeper: currentSettings() },
    });
  }

  async interpreter(uri: vscode.Uri): Promise<Interpreter | null | undefined> {
    const client = await this.ready();
    return client === undefined ? undefined : client.sendRequest(InterpreterRequest, { uri: uri.toString() });
  }

  async environments(uri: vscode.Uri): Promise<EnvironmentsResult | undefined> {
    const client = await this.ready();
    return client === undefined ? undefined : client.sendRequest(EnvironmentsRequest, { uri: uri.toString() });
  }

  async interpreters(uri: vscode.Uri | null): Promise<InterpretersResult | undefined> {
    const client = await this.ready();
    return client === undefined
      ? undefined
      : client.sendRequest(InterpretersRequest, { uri: uri === null ? null : uri.toString() });
  }

  async select(uri: vscode.Uri, envPath: string | null): Promise<Interpreter | null> {
    const client = await this.ready();
    if (client === undefined) {
      throw new Error('the venvkeeper server is not running');
    }
    return client.sendRequest(SelectRequest, { uri: uri.toString(), envPath });
  }

  async executeServerCommand(command: string, argument: Record<string, unknown>): Promise<unknown> {
    const client = await this.ready();
    if (client === undefined) {
      throw new Error('the venvkeeper server is not running');
    }
    return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [argument] });
  }

  dispose(): void {
    void this.stop();
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
