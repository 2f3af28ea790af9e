import semver from 'semver';
import type { VersionEntry, VersionMap } from '../../shared/versions/version-map.js';

/** A version entry with what the proxy attached to it (its upstream target). */
export interface Route<T> {
  readonly entry: VersionEntry;
  readonly target: T;
}

/**
 * The version map indexed for the request path: compiled once per map change, so resolving a
 * request is a Map lookup.
 */
export interface RoutingTable<T> {
  readonly map: VersionMap;
  readonly current: Route<T> | undefined;
  /** Both full versions ("1.2.3") and route keys ("1.2") of every entry. */
  readonly byVersion: ReadonlyMap<string, Route<T>>;
  readonly byTaskHub: ReadonlyMap<string, Route<T>>;
  /** Every full version the map names, ascending; shown to users who name an unknown one. */
  readonly knownVersions: readonly string[];
}

export function compileRoutingTable<T>(map: VersionMap, attach: (entry: VersionEntry) => T): RoutingTable<T> {
  const byVersion = new Map<string, Route<T>>();
  const byTaskHub = new Map<string, Route<T>>();
  const known: string[] = [];
  for (const entry of map.versions) {
    const route: Route<T> = { entry, target: attach(entry) };
    byVersion.set(entry.routeKey, route);
    for (const version of entry.versions) {
      byVersion.set(version, route);
      known.push(version);
    }
    byTaskHub.set(entry.app.taskHub, route);
  }
  const current = map.current === null ? undefined : byVersion.get(map.current);
  return {
    map,
    current: current?.entry.routeKey === map.current ? current : undefined,
    byVersion,
    byTaskHub,
    knownVersions: known.sort(compareVersions),
  };
}

function compareVersions(a: string, b: string): number {
  const validA = semver.valid(a) !== null;
  const validB = semver.valid(b) !== null;
  if (validA && validB) return semver.compare(a, b);
  return validA === validB ? a.localeCompare(b) : validA ? -1 : 1;
}
