/**
 * Which installed packages an app needs in production, as npm's lockfile (v2/v3, or the hidden
 * `node_modules/.package-lock.json` npm keeps of what it installed) records them. npm marks a
 * package `dev` when only devDependencies lead to it; `devOptional` ones are also an optional
 * dependency of a production package, so `npm ci --omit=dev` installs them and they ship. Pure.
 */

/** A lockfile's `packages` map: folder paths ("node_modules/a", "node_modules/a/node_modules/@s/b") to entries. */
export interface Lockfile {
  readonly lockfileVersion?: unknown;
  readonly packages?: Readonly<Record<string, unknown>>;
}

/**
 * The package folders (as the lockfile names them, "/"-separated) that ship: every entry not
 * marked `dev: true`, nor `extraneous` (installed but required by nothing). Undefined when the
 * lockfile has no `packages` map (lockfile v1, npm 6), which cannot tell.
 */
export function productionPackagePaths(lock: Lockfile): Set<string> | undefined {
  const packages = lock.packages;
  if (typeof packages !== 'object' || packages === null) return undefined;
  const kept = new Set<string>();
  for (const [folder, entry] of Object.entries(packages)) {
    if (folder === '' || typeof entry !== 'object' || entry === null) continue;
    const flags = entry as { dev?: unknown; extraneous?: unknown };
    if (flags.dev === true || flags.extraneous === true) continue;
    kept.add(folder);
  }
  return kept;
}

/**
 * A walker's filter (true: leave the path out, with everything under it) that drops the package
 * folders the lockfile knows but does not keep for production. Folders it does not know (a
 * package installed with --no-save) ship: the app may use them.
 */
export function devDependencyFilter(lock: Lockfile): (relativePath: string) => boolean {
  const production = productionPackagePaths(lock);
  if (production === undefined) return () => false;
  const known = new Set(Object.keys(lock.packages ?? {}));
  return (relativePath) => packageFoldersOf(relativePath).some((folder) => known.has(folder) && !production.has(folder));
}

/** The package folders a path is in or is: "node_modules/a/node_modules/@s/b/x.js" → "node_modules/a", "node_modules/a/node_modules/@s/b". */
export function packageFoldersOf(relativePath: string): string[] {
  const segments = relativePath.split('/');
  const folders: string[] = [];
  for (let i = 0; i < segments.length - 1; i++) {
    if (segments[i] !== 'node_modules') continue;
    const scoped = segments[i + 1]!.startsWith('@');
    const end = scoped ? i + 3 : i + 2;
    if (end > segments.length) break;
    folders.push(segments.slice(0, end).join('/'));
    i = end - 1;
  }
  return folders;
}
