/**
 * What the user reads when a server command fails or finishes, and the buttons offered: pure, so it
 * is unit-tested without VS Code (issue 15 items 1, 2, 4).
 */
import { ServerCommands } from './protocol';

export const SHOW_OUTPUT = 'Show output';
export const RETRY = 'Retry';
export const CHOOSE_PYTHON = 'Choose Python…';

const PREFIX = 'venvkeeper: ';

/** `venvkeeper: <message>`, never twice (server texts carry no prefix; older ones may). */
export function prefixed(message: string): string {
  const text = message.trim();
  return text.toLowerCase().startsWith(PREFIX) ? text : PREFIX + text;
}

export interface FailureView {
  message: string;
  actions: string[];
}

/** A failed `workspace/executeCommand`: the server's one line, and what can be done next. */
export function commandFailure(command: string, error: unknown): FailureView {
  const raw = error instanceof Error ? error.message : String(error);
  const data = (error as { data?: unknown } | null)?.data;
  const retry = typeof data === 'object' && data !== null && (data as { retry?: unknown }).retry === true;
  const actions = [SHOW_OUTPUT];
  if (retry) {
    actions.push(RETRY);
    if (command === ServerCommands.create || command === ServerCommands.recreate) {
      actions.push(CHOOSE_PYTHON);
    }
  }
  return { message: prefixed(raw), actions };
}

/** The buttons of a server's `window/showMessageRequest`: errors also get "Show output" (the log has the details). */
export function messageRequestActions(isError: boolean, titles: string[]): string[] {
  return isError && !titles.includes(SHOW_OUTPUT) ? [...titles, SHOW_OUTPUT] : titles;
}

/** The status-bar note for a finished progress (`end.message`), or undefined when there is nothing to say. */
export function progressEndNote(message: string | undefined): string | undefined {
  if (message === undefined || message.trim() === '' || message === 'done') {
    return undefined;
  }
  return prefixed(message);
}
