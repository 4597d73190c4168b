/**
 * The settings sent to the server: the `venvkeeper` configuration section plus what only the
 * client knows (workspace trust, the editor's VIRTUAL_ENV).
 */
import type { ServerSettings } from './protocol';

/** Client-only keys: the server accepts and ignores them, but they are of no use to it. */
const CLIENT_ONLY = new Set(['serverPython', 'syncPythonExtension', 'activateTerminals', 'trace']);

export function serverSettings(
  section: Readonly<Record<string, unknown>>,
  trusted: boolean,
  virtualEnv: string | null,
): ServerSettings {
  const out: ServerSettings = {};
  for (const [key, value] of Object.entries(section)) {
    // WorkspaceConfiguration objects also carry functions (get, has, inspect, update).
    if (typeof value === 'function' || CLIENT_ONLY.has(key)) {
      continue;
    }
    out[key] = value;
  }
  // uvPath: an empty string in the settings UI means "not set".
  if (out.uvPath === '') {
    out.uvPath = null;
  }
  out.trusted = trusted;
  out.virtualEnv = virtualEnv;
  return out;
}
