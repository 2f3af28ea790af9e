import { RouterError } from '../errors/router-error.js';
import { classifyRelease } from './release-classification.js';
import { compareRouteKeys } from './semantic-version.js';
import { checkTransition } from './version-lifecycle.js';
import type { ReleaseStrategy } from './release-strategy.js';
import type { AppRef, InstanceCounts, RouteKey, VersionEntry, VersionMap, VersionState } from './version-map.js';

/*
 * Pure operations on the version map: each returns a new map (or its input, unchanged, when there
 * is nothing to do) and never mutates its input. They keep these invariants:
 * - entries are unique per route key and sorted by it; each entry's versions ascend and end with `latest`;
 * - `current` is null exactly when no entry is active, and otherwise names an active entry.
 */

export function findEntry(map: VersionMap, routeKey: RouteKey): VersionEntry | undefined {
  return map.versions.find((entry) => entry.routeKey === routeKey);
}

/** Adds the app of a new major.minor as `provisioning` (replacing a failed attempt at it). */
export function registerProvisioning(map: VersionMap, release: { version: string; app: AppRef; at: string; strategy?: ReleaseStrategy }): VersionMap {
  const classification = classifyRelease(map, release.version);
  if (classification.kind !== 'breaking') {
    throw new RouterError(
      'VERSION_STATE_CONFLICT',
      `${release.version} is a patch of ${classification.routeKey}, which already has an app; deploy it as a patch instead.`,
      { details: { routeKey: classification.routeKey } },
    );
  }
  const entry: VersionEntry = {
    routeKey: classification.routeKey,
    state: 'provisioning',
    versions: [classification.version],
    latest: classification.version,
    app: release.app,
    ...(release.strategy === undefined ? {} : { strategy: release.strategy }),
    createdAt: release.at,
  };
  const others = map.versions.filter((existing) => existing.routeKey !== entry.routeKey);
  return { current: map.current, versions: [...others, entry].sort((a, b) => compareRouteKeys(a.routeKey, b.routeKey)) };
}

/** Records a newer patch deployed onto the app of its major.minor. */
export function recordPatch(map: VersionMap, version: string): VersionMap {
  const classification = classifyRelease(map, version);
  if (classification.kind !== 'patch') {
    throw new RouterError('VERSION_NOT_FOUND', `${version} is not a patch: no app serves ${classification.routeKey} yet; release it as a new major.minor.`, {
      details: { routeKey: classification.routeKey },
    });
  }
  return replaceEntry(map, classification.routeKey, (entry) => ({
    ...entry, versions: [...entry.versions, classification.version], latest: classification.version,
  }));
}

/** Provisioning finished: the app serves. The first active version becomes current. */
export function activate(map: VersionMap, routeKey: RouteKey): VersionMap {
  const next = transitionEntry(map, routeKey, 'active');
  return next.current === null ? { ...next, current: routeKey } : next;
}

/** Takes back a new major.minor still provisioning, as if it had never been released: nothing routed to it or ran as it. */
export function withdrawProvisioning(map: VersionMap, routeKey: RouteKey): VersionMap {
  const entry = requireEntry(map, routeKey);
  if (entry.state !== 'provisioning') {
    throw new RouterError('VERSION_STATE_CONFLICT', `Version ${routeKey} is ${entry.state}: only a version still provisioning can be withdrawn.`, { details: { routeKey, state: entry.state } });
  }
  return { current: map.current, versions: map.versions.filter((candidate) => candidate.routeKey !== routeKey) };
}

export function markFailed(map: VersionMap, routeKey: RouteKey): VersionMap {
  return transitionEntry(map, routeKey, 'failed');
}

/**
 * Makes a version current: by default the newest active one; given a route key, that version,
 * reactivating it if it was draining or drained (a rollback).
 */
export function makeCurrent(map: VersionMap, routeKey?: RouteKey): VersionMap {
  if (routeKey === undefined) {
    const newest = map.versions
      .filter((entry) => entry.state === 'active')
      .reduce<VersionEntry | undefined>((best, entry) => (best === undefined || compareRouteKeys(entry.routeKey, best.routeKey) > 0 ? entry : best), undefined);
    if (newest === undefined) throw new RouterError('NO_CURRENT_VERSION', 'No version is active, so none can become current: release one first.');
    return newest.routeKey === map.current ? map : { ...map, current: newest.routeKey };
  }
  const entry = requireEntry(map, routeKey);
  if (entry.state === 'active') return map.current === routeKey ? map : { ...map, current: routeKey };
  if (entry.state !== 'draining' && entry.state !== 'drained') {
    throw new RouterError(
      'VERSION_STATE_CONFLICT',
      `Version ${routeKey} is ${entry.state} and cannot become current: only an active, draining or drained version can.`,
      { details: { routeKey, state: entry.state } },
    );
  }
  return { ...transitionEntry(map, routeKey, 'active'), current: routeKey };
}

/** An operator's drain: the version takes no new work. The current version cannot be drained. */
export function drain(map: VersionMap, routeKey: RouteKey): VersionMap {
  refuseCurrent(map, routeKey, 'draining');
  return transitionEntry(map, routeKey, 'draining');
}

/** After a breaking release became current: every active version older than it starts draining. */
export function markSupersededDraining(map: VersionMap): VersionMap {
  return supersededRouteKeys(map).reduce((next, routeKey) => transitionEntry(next, routeKey, 'draining'), map);
}

/** Active versions older than the current one. */
export function supersededRouteKeys(map: VersionMap): RouteKey[] {
  const current = map.current;
  if (current === null) return [];
  return map.versions
    .filter((entry) => entry.state === 'active' && compareRouteKeys(entry.routeKey, current) < 0)
    .map((entry) => entry.routeKey);
}

/** The drain monitor found no unfinished instances. */
export function markDrained(map: VersionMap, routeKey: RouteKey, at: string): VersionMap {
  const next = transitionEntry(map, routeKey, 'drained');
  return replaceEntry(next, routeKey, (entry) => ({ ...entry, drainedAt: at }));
}

/** The app was deleted. `force` allows it while the version is still active or draining, never while current. */
export function markDecommissioned(map: VersionMap, routeKey: RouteKey, at: string, options: { force?: boolean } = {}): VersionMap {
  refuseCurrent(map, routeKey, 'decommissioned');
  const next = transitionEntry(map, routeKey, 'decommissioned', options);
  return replaceEntry(next, routeKey, (entry) => ({ ...entry, decommissionedAt: at }));
}

export function recordTrackingStore(map: VersionMap, routeKey: RouteKey, trackingStore: string): VersionMap {
  return replaceEntry(map, routeKey, (entry) => ({ ...entry, app: { ...entry.app, trackingStore } }));
}

export function recordEntities(map: VersionMap, routeKey: RouteKey, entities: readonly string[]): VersionMap {
  return replaceEntry(map, routeKey, (entry) => ({ ...entry, entities: [...entities] }));
}

export function recordInstanceCounts(map: VersionMap, routeKey: RouteKey, counts: InstanceCounts): VersionMap {
  return replaceEntry(map, routeKey, (entry) => ({ ...entry, instances: counts }));
}

function transitionEntry(map: VersionMap, routeKey: RouteKey, to: VersionState, options: { force?: boolean } = {}): VersionMap {
  return replaceEntry(map, routeKey, (entry) => {
    const state = checkTransition(routeKey, entry.state, to, options);
    const { drainedAt: _drainedAt, ...rest } = entry;
    // A rolled-back version is no longer drained.
    return state === 'active' ? { ...rest, state } : { ...entry, state };
  });
}

function refuseCurrent(map: VersionMap, routeKey: RouteKey, to: VersionState): void {
  if (map.current !== routeKey) return;
  throw new RouterError(
    'VERSION_STATE_CONFLICT',
    `Version ${routeKey} is the current version and cannot become ${to}: make another version current first.`,
    { details: { routeKey, requestedState: to } },
  );
}

function requireEntry(map: VersionMap, routeKey: RouteKey): VersionEntry {
  const entry = findEntry(map, routeKey);
  if (entry === undefined) {
    const known = map.versions.map((candidate) => candidate.routeKey);
    throw new RouterError(
      'VERSION_NOT_FOUND',
      `No app is registered for ${routeKey}${known.length > 0 ? `; known versions: ${known.join(', ')}` : ''}.`,
      { details: { routeKey } },
    );
  }
  return entry;
}

function replaceEntry(map: VersionMap, routeKey: RouteKey, change: (entry: VersionEntry) => VersionEntry): VersionMap {
  requireEntry(map, routeKey);
  return { current: map.current, versions: map.versions.map((entry) => (entry.routeKey === routeKey ? change(entry) : entry)) };
}
