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

/** What the client must do when the configuration changes. */
export interface SettingsReaction {
  /** The host Python may differ: start the daemon again. */
  restartServer: boolean;
  /** Terminal activation was turned on or off: clear the mutations and apply them again. */
  reapplyTerminals: boolean;
  /** The Python-extension sync was turned on or off: publish the current interpreter again. */
  republishPython: boolean;
  /** Send the settings to the daemon. */
  sendSettings: boolean;
}

/**
 * The reaction to a configuration change, given `affects` (ConfigurationChangeEvent.affectsConfiguration).
 * Every client-only switch takes effect live, not only at the next env change.
 */
export function settingsReaction(affects: (section: string) => boolean): SettingsReaction {
  if (affects('venvkeeper.serverPython')) {
    // A restart sends the settings with initializationOptions anyway.
    return { restartServer: true, reapplyTerminals: false, republishPython: false, sendSettings: false };
  }
  return {
    restartServer: false,
    reapplyTerminals: affects('venvkeeper.activateTerminals'),
    republishPython: affects('venvkeeper.syncPythonExtension'),
    sendSettings: affects('venvkeeper'),
  };
}
