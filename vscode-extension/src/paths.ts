/** Path helpers that work on the server's paths whatever OS the client runs on. */

/** Normalise for comparison: forward slashes, no trailing slash, case-folded on Windows-like paths. */
export function normalizePath(p: string): string {
  let out = p.replace(/\\/g, '/');
  while (out.length > 1 && out.endsWith('/') && !/^[A-Za-z]:\/$/.test(out)) {
    out = out.slice(0, -1);
  }
  // Drive-letter paths come from Windows, whose file system is case-insensitive.
  return /^[A-Za-z]:/.test(out) ? out.toLowerCase() : out;
}

export function samePath(a: string, b: string): boolean {
  return normalizePath(a) === normalizePath(b);
}

/** True when `child` is `parent` or lies below it. */
export function isInside(child: string, parent: string): boolean {
  const c = normalizePath(child);
  const p = normalizePath(parent);
  return c === p || c.startsWith(p.endsWith('/') ? p : `${p}/`);
}

/** The last path component. */
export function baseName(p: string): string {
  const parts = normalizePath(p).split('/');
  // normalizePath case-folds drive paths; take the original spelling of the last part instead.
  const original = p.replace(/\\/g, '/').replace(/\/+$/, '').split('/');
  return original[original.length - 1] || parts[parts.length - 1] || p;
}

/** `envPath` relative to `root` when inside it (`.venv`, `envs/dev`), else the absolute path. */
export function displayEnvPath(envPath: string, root: string | null): string {
  if (root !== null && isInside(envPath, root) && !samePath(envPath, root)) {
    const rel = envPath.replace(/\\/g, '/').slice(root.replace(/\\/g, '/').replace(/\/+$/, '').length + 1);
    return rel.replace(/\/+$/, '');
  }
  return envPath;
}
