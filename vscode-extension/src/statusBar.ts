/**
 * The status-bar item: the env of the active editor's project. Shows the last known answer from
 * workspace state at once, then the daemon's; follows the active editor and
 * `venvkeeper/didChangeEnvironment`.
 */
import * as vscode from 'vscode';
import type { VenvkeeperClient } from './client';
import type { DidChangeEnvironmentParams, Interpreter } from './protocol';
import { isInside, samePath } from './paths';
import {
  busyStatus,
  cachedFor,
  describeStatus,
  type InterpreterCache,
  rememberAnswer,
  startingStatus,
  type StatusView,
} from './statusModel';

/**
 * Last known answers, keyed by project root, in the extension's global state: a project's env does
 * not depend on which window opened it, and in the e2e test (code-server) workspace state written
 * seconds before a reload was lost in 2 of 4 runs while global state survived 4 of 4.
 */
const CACHE_KEY = 'venvkeeper.interpreters';
/** Projects remembered; the least recently answered ones are dropped first. */
const CACHE_LIMIT = 100;

export interface ActiveInterpreter {
  subject: vscode.Uri;
  interpreter: Interpreter | null;
}

/** The file or folder whose project the status bar is about. */
export function activeSubject(): vscode.Uri | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc !== undefined && doc.uri.scheme === 'file') {
    return doc.uri;
  }
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly changeEmitter = new vscode.EventEmitter<ActiveInterpreter>();
  private readonly disposables: vscode.Disposable[] = [];
  private generation = 0;
  private loggedCached = false;
  private loggedDaemon = false;
  /** The title of a running create/sync/install: shown instead of the env until it ends. */
  private busy: string | undefined;
  private lastView: StatusView | undefined;
  /** The daemon's (or cached) answer for the active subject; undefined = not known yet. */
  current: ActiveInterpreter | undefined;
  /** Fires when the active project's interpreter is known or changes. */
  readonly onDidChangeActive = this.changeEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: VenvkeeperClient,
    private readonly activatedAt: number,
  ) {
    this.item = vscode.window.createStatusBarItem('venvkeeper.status', vscode.StatusBarAlignment.Left, 100);
    this.item.name = 'venvkeeper';
    this.item.command = 'venvkeeper.selectInterpreter';
    this.disposables.push(
      this.item,
      this.changeEmitter,
      vscode.window.onDidChangeActiveTextEditor(() => this.refresh()),
      // The tooltip mentions Restricted Mode; refresh it when that ends.
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh()),
      client.onDidBecomeReady(() => this.refresh()),
      client.onDidChangeEnvironment((p) => { this.onEnvironmentChanged(p); }),
      client.onDidChangeBusy((title) => {
        this.busy = title;
        if (this.lastView !== undefined) {
          this.render(this.lastView);
        }
      }),
    );
  }

  /** Show the cached answer for the active subject (before the daemon is up). */
  showCached(): void {
    const subject = activeSubject();
    if (subject === undefined) {
      return;
    }
    const cache = this.cache();
    const hit = cachedFor(cache, subject.fsPath);
    this.client.output.info(
      `cached answers for ${Object.keys(cache).length} project(s); ${hit === undefined ? 'none' : hit.root} for ${subject.fsPath}`,
    );
    if (hit === undefined) {
      this.render(startingStatus());
      return;
    }
    this.render(
      describeStatus(hit.interpreter, {
        virtualEnv: process.env.VIRTUAL_ENV ?? null,
        cached: true,
        trusted: vscode.workspace.isTrusted,
      }),
    );
    if (!this.loggedCached) {
      this.loggedCached = true;
      this.logTiming('cache');
    }
    this.current = { subject, interpreter: hit.interpreter };
    this.changeEmitter.fire(this.current);
  }

  /** Ask the daemon about the active subject. Answers to older questions are dropped. */
  async refresh(): Promise<void> {
    const subject = activeSubject();
    if (subject === undefined) {
      this.item.hide();
      return;
    }
    const generation = ++this.generation;
    let interpreter: Interpreter | null | undefined;
    try {
      interpreter = await this.client.interpreter(subject);
    } catch (err) {
      this.client.output.warn(`venvkeeper/interpreter failed for ${subject.toString()}: ${String(err)}`);
      return;
    }
    if (interpreter === undefined || generation !== this.generation) {
      return;
    }
    // No env: is the subject in a project at all? (A repo root with the project in backend/ is not.)
    let inProject = true;
    if (interpreter === null) {
      const envs = await this.client.environments(subject).catch(() => undefined);
      inProject = envs?.projectRoot !== null;
      if (generation !== this.generation) {
        return;
      }
    }
    this.apply(subject, interpreter, inProject);
  }

  private onEnvironmentChanged(params: DidChangeEnvironmentParams): void {
    const subject = activeSubject();
    if (params.interpreter !== null) {
      this.remember(params.interpreter);
    }
    if (subject === undefined) {
      return;
    }
    const shownRoot = this.current?.interpreter?.projectRoot;
    const concernsActive =
      (shownRoot !== undefined && samePath(shownRoot, params.projectRoot)) ||
      (isInside(subject.fsPath, params.projectRoot) &&
        (shownRoot === undefined || !isInside(shownRoot, params.projectRoot) || samePath(shownRoot, params.projectRoot)));
    if (concernsActive) {
      // Invalidate in-flight requests: this notification is newer than their answers.
      this.generation++;
      this.apply(subject, params.interpreter);
    }
  }

  private apply(subject: vscode.Uri, interpreter: Interpreter | null, inProject = true): void {
    this.render(
      describeStatus(interpreter, {
        virtualEnv: process.env.VIRTUAL_ENV ?? null,
        subject: subject.fsPath,
        trusted: vscode.workspace.isTrusted,
        inProject,
      }),
    );
    if (!this.loggedDaemon) {
      this.loggedDaemon = true;
      this.logTiming('daemon');
    }
    if (interpreter !== null) {
      this.remember(interpreter);
    }
    const previous = this.current;
    this.current = { subject, interpreter };
    if (
      previous === undefined ||
      JSON.stringify(previous.interpreter) !== JSON.stringify(interpreter) ||
      previous.subject.toString() !== subject.toString()
    ) {
      this.changeEmitter.fire(this.current);
    }
  }

  private render(env: StatusView): void {
    this.lastView = env;
    const view = this.busy === undefined ? env : busyStatus(this.busy);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.background === null ? undefined : new vscode.ThemeColor(view.background);
    this.item.accessibilityInformation = { label: view.ariaLabel };
    this.item.show();
  }

  /** One line per source so the e2e test and the benchmark can read the figures from the log. */
  private logTiming(source: 'cache' | 'daemon'): void {
    const ms = performance.now() - this.activatedAt;
    this.client.output.info(`[timing] status bar from ${source} ${ms.toFixed(0)} ms after activation: ${this.item.text}`);
  }

  private cache(): InterpreterCache {
    return this.context.globalState.get<InterpreterCache>(CACHE_KEY) ?? {};
  }

  private remember(interpreter: Interpreter): void {
    void this.context.globalState.update(CACHE_KEY, rememberAnswer(this.cache(), interpreter, CACHE_LIMIT));
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
