/**
 * Terminal activation as environment-variable mutations, derived from the server's `activation`
 * data. Applied through VS Code's environmentVariableCollection, so it works in every shell and
 * nothing is typed into the terminal or written to rc files.
 */
import type { Activation, Interpreter } from './protocol';

export type Mutation =
  | { op: 'replace'; name: string; value: string }
  | { op: 'prepend'; name: string; value: string };

export function activationMutations(activation: Activation, pathDelimiter: string): Mutation[] {
  const mutations: Mutation[] = [];
  for (const [name, value] of Object.entries(activation.env)) {
    if (typeof value === 'string') {
      mutations.push({ op: 'replace', name, value });
    }
  }
  // environmentVariableCollection cannot delete a variable; Python ignores PYTHON* variables that are empty.
  for (const name of activation.unset) {
    mutations.push({ op: 'replace', name, value: '' });
  }
  if (activation.pathPrepend) {
    const dir = activation.pathPrepend;
    const value = dir.endsWith(pathDelimiter) ? dir : `${dir}${pathDelimiter}`;
    mutations.push({ op: 'prepend', name: 'PATH', value });
  }
  return mutations;
}

/** What a new terminal of a workspace folder gets: the env's mutations, or nothing and why. */
export type TerminalPlan =
  | { apply: true; mutations: Mutation[]; description: string }
  | { apply: false; reason: string };

export interface TerminalConditions {
  /** vscode.workspace.isTrusted: in Restricted Mode nothing from the workspace reaches a terminal. */
  trusted: boolean;
  /** The venvkeeper.activateTerminals setting of the folder. */
  enabled: boolean;
  pathDelimiter: string;
}

/**
 * The terminal activation decision. Fails closed: untrusted beats everything, even activation data
 * that did arrive (a cached answer from a trusted session, or a server that did not strip it), because
 * a repo that commits `.venv/bin/ls` would otherwise take over a plain `ls`.
 */
export function terminalPlan(interpreter: Interpreter | null, conditions: TerminalConditions): TerminalPlan {
  if (!conditions.trusted) {
    return { apply: false, reason: 'the workspace is not trusted (Restricted Mode)' };
  }
  if (!conditions.enabled) {
    return { apply: false, reason: 'venvkeeper.activateTerminals is off' };
  }
  if (interpreter === null) {
    return { apply: false, reason: 'the project has no environment' };
  }
  if (interpreter.state !== 'ok') {
    return { apply: false, reason: `${interpreter.envPath} is ${interpreter.state}` };
  }
  if (interpreter.activation === undefined) {
    return { apply: false, reason: 'the server sent no activation data' };
  }
  return {
    apply: true,
    mutations: activationMutations(interpreter.activation, conditions.pathDelimiter),
    description: `Activates ${interpreter.envPath} (venvkeeper)`,
  };
}
