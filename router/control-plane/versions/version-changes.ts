/**
 * The version-map changes the control plane makes, each safe to apply twice: an activity that ran
 * but whose result was lost (the control plane was killed) runs again, and must then find its
 * change already made rather than fail. Pure: they build on shared/versions/version-map-operations.
 */
import { RouterError } from '../../../shared/errors/router-error.js';
import { routeKeyOf } from '../../../shared/versions/semantic-version.js';
import {
  activate, drain, findEntry, makeCurrent, markDecommissioned, markDrained, markFailed, markSupersededDraining, recordInstanceCounts, recordPatch,
  recordEntities, recordTrackingStore, registerProvisioning, withdrawProvisioning,
} from '../../../shared/versions/version-map-operations.js';
import type { ReleaseStrategy } from '../../../shared/versions/release-strategy.js';
import type { AppRef, InstanceCounts, RouteKey, VersionMap } from '../../../shared/versions/version-map.js';

/** A breaking release's new app, as `provisioning` (not routed to) until it is healthy. */
export function registerReleaseApp(map: VersionMap, release: { version: string; app: AppRef; at: string; strategy?: ReleaseStrategy }): VersionMap {
  const entry = findEntry(map, routeKeyOf(release.version));
  if (entry?.state === 'provisioning' && entry.latest === release.version && entry.app.name === release.app.name) return map;
  return registerProvisioning(map, release);
}

/** A breaking release's app (still provisioning) keeps its instances in a tracking store of its own. */
export function isolateTrackingStore(map: VersionMap, routeKey: RouteKey, appName: string, trackingStore: string): VersionMap {
  const entry = findEntry(map, routeKey);
  if (entry?.state !== 'provisioning' || entry.app.name !== appName || entry.app.trackingStore === trackingStore) return map;
  return recordTrackingStore(map, routeKey, trackingStore);
}

/** What the release's app registers, as the healthy app listed it. */
export function noteEntities(map: VersionMap, routeKey: RouteKey, entities: readonly string[]): VersionMap {
  const entry = findEntry(map, routeKey);
  if (entry === undefined || (entry.entities !== undefined && entry.entities.join('\n') === entities.join('\n'))) return map;
  return recordEntities(map, routeKey, entities);
}

/** The healthy app of a breaking release starts serving (the first one becomes current). */
export function activateRelease(map: VersionMap, version: string): VersionMap {
  const routeKey = routeKeyOf(version);
  const entry = findEntry(map, routeKey);
  if (entry?.state === 'active' && entry.latest === version) return map;
  return activate(map, routeKey);
}

export function recordPatchRelease(map: VersionMap, version: string): VersionMap {
  const entry = findEntry(map, routeKeyOf(version));
  if (entry?.versions.includes(version)) return map;
  return recordPatch(map, version);
}

/** A breaking release becomes current and the versions it supersedes start draining. */
export function promoteRelease(map: VersionMap, routeKey: RouteKey): VersionMap {
  return markSupersededDraining(makeCurrent(map, routeKey));
}

/** A failed breaking release: its entry, if it got one, is marked failed so nothing routes to it. */
export function failReleaseApp(map: VersionMap, routeKey: RouteKey, appName: string): VersionMap {
  const entry = findEntry(map, routeKey);
  return entry?.state === 'provisioning' && entry.app.name === appName ? markFailed(map, routeKey) : map;
}

/**
 * A failed release onto an orchestration-versioning lineage's app that never raised its version:
 * no instance carries it, so its entry goes (rather than failed, which keeps the app's version
 * from going below it: see orchestration-versioning.ts).
 */
export function withdrawLineageRelease(map: VersionMap, routeKey: RouteKey, appName: string): VersionMap {
  const entry = findEntry(map, routeKey);
  return entry?.state === 'provisioning' && entry.app.name === appName ? withdrawProvisioning(map, routeKey) : map;
}

/** A release that died without cleaning up (its claim was stale) left its entry provisioning. */
export function failAbandonedProvisioning(map: VersionMap, routeKey: RouteKey): VersionMap {
  return findEntry(map, routeKey)?.state === 'provisioning' ? markFailed(map, routeKey) : map;
}

export function drainVersion(map: VersionMap, routeKey: RouteKey): VersionMap {
  const state = findEntry(map, routeKey)?.state;
  return state === 'draining' || state === 'drained' ? map : drain(map, routeKey);
}

export function decommissionVersion(map: VersionMap, routeKey: RouteKey, at: string, force: boolean): VersionMap {
  if (findEntry(map, routeKey)?.state === 'decommissioned') return map;
  return markDecommissioned(map, routeKey, at, { force });
}

/**
 * What one drain check saw: the counts are recorded when they changed, and a draining version
 * with nothing left unfinished becomes drained. Any other state is left alone.
 */
export function recordDrainCheck(map: VersionMap, routeKey: RouteKey, counts: InstanceCounts): VersionMap {
  const entry = findEntry(map, routeKey);
  if (entry?.state !== 'draining') return map;
  const previous = entry.instances;
  const changed = previous === undefined || previous.pending !== counts.pending || previous.running !== counts.running || previous.suspended !== counts.suspended;
  const recorded = changed ? recordInstanceCounts(map, routeKey, counts) : map;
  return counts.pending + counts.running + counts.suspended === 0 ? markDrained(recorded, routeKey, counts.countedAt) : recorded;
}

export function requireEntry(map: VersionMap, routeKey: RouteKey): NonNullable<ReturnType<typeof findEntry>> {
  const entry = findEntry(map, routeKey);
  if (entry === undefined) {
    const known = map.versions.map((candidate) => candidate.routeKey);
    throw new RouterError('VERSION_NOT_FOUND', `No app is registered for ${routeKey}${known.length > 0 ? `; known versions: ${known.join(', ')}` : ''}.`, {
      details: { routeKey },
    });
  }
  return entry;
}
