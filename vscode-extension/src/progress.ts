/**
 * Server progress (`window/workDoneProgress/create` + `$/progress`) as VS Code notifications with
 * a Cancel button. vscode-languageclient's own handler shows it as a silent status-bar spinner
 * (ProgressLocation.Window) where Cancel is impossible, so this feature replaces that handler: it
 * is registered after the built-in features, and the last `onRequest` for a method wins.
 */
import * as vscode from 'vscode';
import { progressEndNote } from './messageModel';
import {
  type BaseLanguageClient,
  type ClientCapabilities,
  type FeatureState,
  type ProgressToken,
  type StaticFeature,
  WorkDoneProgress,
  type WorkDoneProgressBegin,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  type WorkDoneProgressReport,
} from 'vscode-languageclient/node';

class NotificationProgress implements vscode.Disposable {
  private progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  private finish: (() => void) | undefined;
  private reported = 0;
  private done = false;
  /** The title while it runs (the status bar shows it as busy). */
  title: string | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly client: BaseLanguageClient,
    private readonly token: ProgressToken,
    private readonly onDone: (part: NotificationProgress) => void,
    private readonly onBusy: () => void,
  ) {
    this.subscription = client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === 'begin') {
        this.begin(value);
      } else if (value.kind === 'report') {
        this.report(value);
      } else {
        // The server's one-line summary ("Created .venv with Python … in 14 s") goes away by itself.
        const note = progressEndNote(value.message);
        if (note !== undefined) {
          vscode.window.setStatusBarMessage(note, 15_000);
        }
        this.dispose();
      }
    });
  }

  private begin(value: WorkDoneProgressBegin): void {
    this.title = value.title;
    this.onBusy();
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: value.title, cancellable: value.cancellable === true },
      (progress, cancel) => {
        if (this.done) {
          return Promise.resolve();
        }
        this.progress = progress;
        cancel.onCancellationRequested(() => {
          void this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token: this.token });
        });
        this.report(value);
        return new Promise<void>((resolve) => {
          this.finish = resolve;
        });
      },
    );
  }

  private report(value: WorkDoneProgressBegin | WorkDoneProgressReport): void {
    if (this.progress === undefined) {
      return;
    }
    let increment: number | undefined;
    if (typeof value.percentage === 'number') {
      const pct = Math.max(0, Math.min(100, value.percentage));
      increment = Math.max(0, pct - this.reported);
      this.reported += increment;
    }
    this.progress.report({ message: value.message, increment });
  }

  dispose(): void {
    if (this.done) {
      return;
    }
    this.done = true;
    this.subscription.dispose();
    this.finish?.();
    this.onDone(this);
  }
}

export class NotificationProgressFeature implements StaticFeature {
  private readonly parts = new Set<NotificationProgress>();

  /** `onBusy` gets the title of a running operation, or undefined when none runs. */
  constructor(
    private readonly client: BaseLanguageClient,
    private readonly onBusy: (title: string | undefined) => void = () => undefined,
  ) {}

  private busyChanged(): void {
    const running = [...this.parts].find((p) => p.title !== undefined);
    this.onBusy(running?.title);
  }

  getState(): FeatureState {
    return { kind: 'static' };
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = { ...capabilities.window, workDoneProgress: true };
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, (params) => {
      this.parts.add(
        new NotificationProgress(
          this.client,
          params.token,
          (part) => {
            this.parts.delete(part);
            this.busyChanged();
          },
          () => { this.busyChanged(); },
        ),
      );
    });
  }

  clear(): void {
    for (const part of [...this.parts]) {
      part.dispose();
    }
    this.parts.clear();
  }
}
