/**
 * Orchestration versioning (`--strategy orchestration-versioning`): one app for a lineage of
 * versions. Its first release provisions the app; every later one deploys onto it and raises
 * Durable Functions' `defaultVersion` to the release's version, so in-flight instances keep the
 * version they started on and new ones get the new one; the app's code branches on
 * `context.df.version`. Each major.minor keeps its entry in the map, sharing the lineage's app.
 * These are the rules the router adds to the built-in feature. Pure.
 */
import { RouterError } from '../errors/router-error.js';
import { classifyRelease, type ReleaseClassification } from './release-classification.js';
import type { ReleaseStrategy } from './release-strategy.js';
import { compareRouteKeys, compareVersions, parseVersion } from './semantic-version.js';
import type { AppRef, RouteKey, VersionEntry, VersionMap, VersionState } from './version-map.js';

export const orchestrationVersioning: ReleaseStrategy = 'orchestration-versioning';

/** States of an entry whose app is still there and may hold unfinished instances. */
const liveStates: readonly VersionState[] = ['provisioning', 'active', 'draining', 'drained'];

export interface Lineage {
  /** The app every version of the lineage runs on. */
  readonly app: AppRef;
  /** The entries on that app, failed releases left out, ascending by route key. */
  readonly entries: readonly VersionEntry[];
  /** The highest version released onto the app: its `defaultVersion`, what new instances get. */
  readonly defaultVersion: string;
  /**
   * The highest version a release onto the app tried, failed ones included: a release that failed
   * after raising `defaultVersion` leaves the app at its version, so nothing may go below it.
   */
  readonly highestAttempted: string;
}

/** An orchestration-versioning release: a classification, and the lineage it goes onto (none: it starts one). */
export interface OrchestrationVersioningPlan {
  readonly classification: ReleaseClassification;
  readonly lineage: Lineage | undefined;
}

/**
 * Classifies an orchestration-versioning release against the map (every rule of `classifyRelease`
 * first), then refuses what the built-in feature cannot take:
 * - a prerelease version (INVALID_VERSION): the extension compares versions as numbers
 *   (System.Version) and falls back to comparing text otherwise, where "1.10.0-rc" < "1.9.0";
 * - a version not above the lineage app's `defaultVersion` (VERSION_DOWNGRADE): new instances
 *   would get a lower version than instances already running, and `CurrentOrOlder` would refuse
 *   to run those.
 * A patch goes onto its major.minor's app; a new major.minor onto the app of the live lineage.
 */
export function planOrchestrationVersioning(map: VersionMap, version: string): OrchestrationVersioningPlan {
  const parsed = parseVersion(version);
  const classification = classifyRelease(map, parsed, orchestrationVersioning);
  if (parsed.prerelease) {
    throw new RouterError(
      'INVALID_VERSION',
      `${parsed.text} is a prerelease: with orchestration versioning every version becomes Durable Functions' defaultVersion, which the extension compares as numbers (MAJOR.MINOR.PATCH). Release it as a plain version.`,
      { details: { version: parsed.text } },
    );
  }
  const lineage = classification.kind === 'patch' ? lineageOfApp(map, entryOf(map, classification.routeKey).app.name) : liveLineage(map);
  if (lineage !== undefined && (compareVersions(parsed, lineage.defaultVersion) <= 0 || compareVersions(parsed, lineage.highestAttempted) < 0)) {
    const floor = compareVersions(lineage.highestAttempted, lineage.defaultVersion) > 0 ? lineage.highestAttempted : lineage.defaultVersion;
    throw new RouterError(
      'VERSION_DOWNGRADE',
      `${parsed.text} would lower the orchestration version of ${lineage.app.name}, which stamps new instances with ${floor}${floor === lineage.defaultVersion ? '' : ' (a failed release raised it)'}: `
        + 'instances already running would then carry a higher version than the app, and Durable Functions (versionMatchStrategy CurrentOrOlder) refuses to run those. '
        + `Release a version above ${floor}; a fix for an older major.minor goes into the newest code, which keeps that major.minor's branch.`,
      { details: { routeKey: classification.routeKey, deployed: floor, app: lineage.app.name } },
    );
  }
  return { classification, lineage };
}

/** The lineage a new orchestration-versioning major.minor goes onto: the app of the newest live entry of that strategy. */
export function liveLineage(map: VersionMap): Lineage | undefined {
  const newest = map.versions
    .filter((entry) => entry.strategy === orchestrationVersioning && liveStates.includes(entry.state))
    .sort((a, b) => compareRouteKeys(b.routeKey, a.routeKey))[0];
  return newest === undefined ? undefined : lineageOfApp(map, newest.app.name);
}

function lineageOfApp(map: VersionMap, appName: string): Lineage | undefined {
  const onApp = map.versions.filter((entry) => entry.app.name === appName).sort((a, b) => compareRouteKeys(a.routeKey, b.routeKey));
  const entries = onApp.filter((entry) => entry.state !== 'failed');
  const newest = entries[entries.length - 1];
  if (newest === undefined) return undefined;
  return { app: newest.app, entries, defaultVersion: highestOf(entries), highestAttempted: highestOf(onApp) };
}

function highestOf(entries: readonly VersionEntry[]): string {
  return entries.flatMap((entry) => entry.versions).reduce((highest, version) => (compareVersions(version, highest) > 0 ? version : highest));
}

/**
 * The entry an instance belongs to. Apps of their own (app routing) own every instance of their
 * task hub. On a shared app the instance's `Version` (the defaultVersion it started with) names
 * its major.minor; an orchestration without one (or naming none of the app's) started before any
 * version was set, which makes it the oldest entry's. A durable entity records no version and
 * lives on with the app: it is the newest live entry's.
 */
export function ownerEntryOf(map: VersionMap, taskHub: string, version: string, entity = false): VersionEntry | undefined {
  const sharing = map.versions.filter((entry) => entry.app.taskHub === taskHub);
  if (sharing.length <= 1) return sharing[0];
  const routeKey = routeKeyOfRecorded(version);
  const recorded = sharing.find((entry) => entry.routeKey === routeKey);
  if (recorded !== undefined && !entity) return recorded;
  const live = (entry: VersionEntry): number => (liveStates.includes(entry.state) ? 0 : 1);
  const byAge = [...sharing].sort((a, b) => live(a) - live(b) || compareRouteKeys(a.routeKey, b.routeKey));
  return entity ? byAge.filter((entry) => live(entry) === live(byAge[0] as VersionEntry)).at(-1) : byAge[0];
}

export interface ActiveCounts {
  readonly pending: number;
  readonly running: number;
  readonly suspended: number;
}

/** An entry's unfinished instances, from its task hub's counts by recorded `Version`. */
export function countsOfEntry(map: VersionMap, routeKey: RouteKey, byVersion: ReadonlyMap<string, ActiveCounts>): ActiveCounts {
  const entry = entryOf(map, routeKey);
  const counts = { pending: 0, running: 0, suspended: 0 };
  for (const [version, some] of byVersion) {
    if (ownerEntryOf(map, entry.app.taskHub, version)?.routeKey !== routeKey) continue;
    counts.pending += some.pending;
    counts.running += some.running;
    counts.suspended += some.suspended;
  }
  return counts;
}

/** The other live entries on a version's app: while there are any, decommissioning the version keeps the app. */
export function otherLiveEntriesOnApp(map: VersionMap, routeKey: RouteKey): readonly RouteKey[] {
  const entry = entryOf(map, routeKey);
  return map.versions.filter((other) => other.routeKey !== routeKey && other.app.name === entry.app.name && liveStates.includes(other.state)).map((other) => other.routeKey);
}

/** "1.2.3" (or "1.2.3-x") → "1.2"; anything else names no major.minor. */
function routeKeyOfRecorded(version: string): RouteKey | undefined {
  const match = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.\d+(?:$|[-+])/.exec(version);
  return match === null ? undefined : `${match[1]}.${match[2]}`;
}

function entryOf(map: VersionMap, routeKey: RouteKey): VersionEntry {
  const entry = map.versions.find((candidate) => candidate.routeKey === routeKey);
  if (entry === undefined) throw new RouterError('VERSION_NOT_FOUND', `No app is registered for ${routeKey}.`, { details: { routeKey } });
  return entry;
}
