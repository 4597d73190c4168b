/**
 * Terminal activation as environment-variable mutations, derived from the server's `activation`
 * data. Applied through VS Code's environmentVariableCollection, so it works in every shell and
 * nothing is typed into the terminal or written to rc files.
 */
import type { Activation } from './protocol';

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
