/**
 * The server's `window/showMessage` and `window/showMessageRequest`, shown with one "venvkeeper:"
 * prefix; error requests also get "Show output" (handled here: the log holds the tool's output).
 * Registered as a feature after the built-in ones, so its handlers replace vscode-languageclient's.
 */
import * as vscode from 'vscode';
import {
  type BaseLanguageClient,
  type ClientCapabilities,
  type FeatureState,
  type MessageActionItem,
  MessageType,
  ShowMessageNotification,
  ShowMessageRequest,
  type StaticFeature,
} from 'vscode-languageclient/node';
import { messageRequestActions, prefixed, SHOW_OUTPUT } from './messageModel';

function show(type: MessageType, message: string, actions: string[]): Thenable<string | undefined> {
  const text = prefixed(message);
  if (type === MessageType.Error) {
    return vscode.window.showErrorMessage(text, ...actions);
  }
  if (type === MessageType.Warning) {
    return vscode.window.showWarningMessage(text, ...actions);
  }
  return vscode.window.showInformationMessage(text, ...actions);
}

export class ServerMessagesFeature implements StaticFeature {
  constructor(
    private readonly client: BaseLanguageClient,
    private readonly output: vscode.OutputChannel,
  ) {}

  getState(): FeatureState {
    return { kind: 'static' };
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = {
      ...capabilities.window,
      showMessage: { messageActionItem: { additionalPropertiesSupport: false } },
    };
  }

  initialize(): void {
    this.client.onNotification(ShowMessageNotification.type, (params) => {
      void show(params.type, params.message, []);
    });
    this.client.onRequest(ShowMessageRequest.type, async (params): Promise<MessageActionItem | null> => {
      const serverActions = (params.actions ?? []).map((a) => a.title);
      const titles = messageRequestActions(params.type === MessageType.Error, serverActions);
      const chosen = await show(params.type, params.message, titles);
      if (chosen === SHOW_OUTPUT && !serverActions.includes(SHOW_OUTPUT)) {
        this.output.show(true);
        return null;
      }
      return params.actions?.find((a) => a.title === chosen) ?? null;
    });
  }

  clear(): void {
    // Handlers live as long as the connection.
  }
}
