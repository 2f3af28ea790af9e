import semver from 'semver';
import type { VersionEntry, VersionMap, VersionState } from '../../shared/versions/version-map.js';

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
  /**
   * The entry whose app serves a task hub's instances. Entries share a hub when they share an app
   * (orchestration versioning): then the live one, so that an instance of a version that drained
   * and was decommissioned still reaches the app that runs it.
   */
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
    const holder = byTaskHub.get(entry.app.taskHub);
    if (holder === undefined || ownerPreference(entry, map) < ownerPreference(holder.entry, map)) byTaskHub.set(entry.app.taskHub, route);
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

const statePreference: Readonly<Record<VersionState, number>> = { active: 1, draining: 2, drained: 3, provisioning: 4, failed: 5, decommissioned: 6 };

/** Lower is preferred: the current version, then by state. */
function ownerPreference(entry: VersionEntry, map: VersionMap): number {
  return entry.routeKey === map.current && entry.state === 'active' ? 0 : statePreference[entry.state];
}

function compareVersions(a: string, b: string): number {
  const validA = semver.valid(a) !== null;
  const validB = semver.valid(b) !== null;
  if (validA && validB) return semver.compare(a, b);
  return validA === validB ? a.localeCompare(b) : validA ? -1 : 1;
}
