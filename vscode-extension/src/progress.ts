/**
 * Server progress (`window/workDoneProgress/create` + `$/progress`) as VS Code notifications with
 * a Cancel button. vscode-languageclient's own handler shows it as a silent status-bar spinner
 * (ProgressLocation.Window) where Cancel is impossible, so this feature replaces that handler: it
 * is registered after the built-in features, and the last `onRequest` for a method wins.
 */
import * as vscode from 'vscode';
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
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly client: BaseLanguageClient,
    private readonly token: ProgressToken,
    private readonly onDone: (part: NotificationProgress) => void,
  ) {
    this.subscription = client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === 'begin') {
        this.begin(value);
      } else if (value.kind === 'report') {
        this.report(value);
      } else {
        this.dispose();
      }
    });
  }

  private begin(value: WorkDoneProgressBegin): void {
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

  constructor(private readonly client: BaseLanguageClient) {}

  getState(): FeatureState {
    return { kind: 'static' };
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = { ...capabilities.window, workDoneProgress: true };
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, (params) => {
      this.parts.add(new NotificationProgress(this.client, params.token, (part) => this.parts.delete(part)));
    });
  }

  clear(): void {
    for (const part of [...this.parts]) {
      part.dispose();
    }
    this.parts.clear();
  }
}
