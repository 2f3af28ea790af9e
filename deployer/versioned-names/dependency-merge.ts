/**
 * The dependency rule of a migrated app: every version runs from one node_modules (the app's), so
 * the app's package.json declares the union of the versions' dependencies, the newest version's
 * range for each. A dependency that an earlier version also declares must then satisfy it too: the
 * newest range must lie within the earlier one (a semver subset), or be the same text when it is
 * not a semver range (a git URL, a file: path, an alias).
 */
import semver from 'semver';
import { RouterError } from '../../shared/errors/router-error.js';
import type { RouteKey } from '../../shared/versions/version-map.js';

export interface VersionDependencies {
  readonly version: RouteKey;
  readonly dependencies: Readonly<Record<string, string>>;
}

/** The app's dependencies: `newest`'s, then those only earlier versions declare (the newest of them first). */
export function mergeDependencies(newest: VersionDependencies, earlier: readonly VersionDependencies[]): Record<string, string> {
  const merged: Record<string, string> = { ...newest.dependencies };
  const from = new Map<string, RouteKey>(Object.keys(newest.dependencies).map((name) => [name, newest.version]));
  const conflicts: string[] = [];
  for (const version of [...earlier].reverse()) {
    for (const [name, range] of Object.entries(version.dependencies)) {
      const chosen = merged[name];
      if (chosen === undefined) {
        merged[name] = range;
        from.set(name, version.version);
      } else if (!within(chosen, range)) {
        conflicts.push(`${name}: ${from.get(name) ?? '?'} needs "${chosen}", ${version.version} needs "${range}"`);
      }
    }
  }
  if (conflicts.length > 0) {
    throw new RouterError(
      'VERSION_NAMES_DEPENDENCY_CONFLICT',
      `The versions in the migrated app share one node_modules, so each dependency must satisfy every version that declares it: the newer range must lie within the older one. Change the newer version's range, or drop the older version once it has drained (--drop):\n${conflicts.map((line) => `  ${line}`).join('\n')}`,
      { details: { conflicts } },
    );
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

function within(chosen: string, earlier: string): boolean {
  if (chosen === earlier) return true;
  const a = semver.validRange(chosen);
  const b = semver.validRange(earlier);
  return a !== null && b !== null && semver.subset(a, b);
}

/** A package.json's `dependencies`, strings only. */
export function declaredDependencies(packageJson: Readonly<Record<string, unknown>>): Record<string, string> {
  const dependencies = packageJson['dependencies'];
  if (typeof dependencies !== 'object' || dependencies === null) return {};
  return Object.fromEntries(Object.entries(dependencies).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
