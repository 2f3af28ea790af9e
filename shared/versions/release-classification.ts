import { RouterError } from '../errors/router-error.js';
import { compareRouteKeys, compareVersions, parseVersion, routeKeyOf, type Version } from './semantic-version.js';
import { defaultReleaseStrategy, type ReleaseStrategy } from './release-strategy.js';
import type { RouteKey, VersionEntry, VersionMap } from './version-map.js';

/**
 * What releasing a version means for the map: a new app for a new major.minor (`breaking`), or a
 * redeploy onto the app of an existing one (`patch`).
 */
export type ReleaseClassification =
  | { readonly kind: 'breaking'; readonly routeKey: RouteKey; readonly version: string }
  | { readonly kind: 'patch'; readonly routeKey: RouteKey; readonly version: string; readonly previous: string };

/**
 * Classifies a release against the map, refusing what cannot be deployed:
 * - a version already deployed (VERSION_EXISTS) or older than its major.minor's latest (VERSION_DOWNGRADE);
 * - a new major.minor below one already deployed (VERSION_DOWNGRADE): the newest active version
 *   becomes current and supersedes older ones, so a lower line would start out superseded;
 * - a release of a decommissioned major.minor (VERSION_DECOMMISSIONED): its app is gone but its
 *   finished instances are still answered under its key, so a new app there would mix two
 *   histories; release it as a new major.minor instead;
 * - a release of a major.minor still provisioning (VERSION_STATE_CONFLICT);
 * - given `strategy`, a patch released with another strategy than its major.minor was
 *   (STRATEGY_CONFLICT): each strategy keeps versions apart its own way, and they do not mix.
 * A major.minor whose provisioning failed may be released again (any version): it is provisioned anew.
 */
export function classifyRelease(map: VersionMap, version: Version | string, strategy?: ReleaseStrategy): ReleaseClassification {
  const parsed = typeof version === 'string' ? parseVersion(version) : version;
  const routeKey = routeKeyOf(parsed);
  const entry = map.versions.find((candidate) => candidate.routeKey === routeKey);

  if (entry === undefined || entry.state === 'failed') {
    refuseBelowNewestLine(map, routeKey, parsed.text);
    return { kind: 'breaking', routeKey, version: parsed.text };
  }
  if (entry.state === 'decommissioned') {
    throw new RouterError(
      'VERSION_DECOMMISSIONED',
      `Cannot release ${parsed.text}: ${routeKey} was decommissioned${entry.decommissionedAt ? ` at ${entry.decommissionedAt}` : ''} (its last version was ${entry.latest}). Release it as a new major.minor instead.`,
      { details: { routeKey, deployed: entry.latest } },
    );
  }
  if (entry.state === 'provisioning') {
    throw new RouterError(
      'VERSION_STATE_CONFLICT',
      `Cannot release ${parsed.text}: ${routeKey} is still provisioning ${entry.latest}; wait for that release to finish.`,
      { details: { routeKey, state: entry.state, deployed: entry.latest } },
    );
  }
  refuseNotNewer(entry, parsed.text);
  const released = entry.strategy ?? defaultReleaseStrategy;
  if (strategy !== undefined && strategy !== released) {
    throw new RouterError(
      'STRATEGY_CONFLICT',
      `Cannot release ${parsed.text} with ${strategy}: ${routeKey} was released with ${released}, and its patches keep that strategy. Release it with --strategy ${released}, or release a new major.minor to change strategy.`,
      { details: { routeKey, strategy: released, requested: strategy } },
    );
  }
  return { kind: 'patch', routeKey, version: parsed.text, previous: entry.latest };
}

function refuseNotNewer(entry: VersionEntry, version: string): void {
  const order = compareVersions(version, entry.latest);
  if (order === 0 || entry.versions.some((deployed) => compareVersions(deployed, version) === 0)) {
    throw new RouterError('VERSION_EXISTS', `${version} is already deployed (${entry.routeKey} runs ${entry.latest}); release a newer patch.`, {
      details: { routeKey: entry.routeKey, deployed: entry.latest },
    });
  }
  if (order < 0) {
    throw new RouterError(
      'VERSION_DOWNGRADE',
      `${version} is older than ${entry.latest}, already deployed for ${entry.routeKey}; release a version newer than ${entry.latest}, or roll back with "current".`,
      { details: { routeKey: entry.routeKey, deployed: entry.latest } },
    );
  }
}

function refuseBelowNewestLine(map: VersionMap, routeKey: RouteKey, version: string): void {
  const newer = map.versions
    .filter((entry) => entry.state !== 'failed' && compareRouteKeys(entry.routeKey, routeKey) > 0)
    .sort((a, b) => compareRouteKeys(b.routeKey, a.routeKey))[0];
  if (newer === undefined) return;
  throw new RouterError(
    'VERSION_DOWNGRADE',
    `${version} would add ${routeKey}, below ${newer.routeKey} (${newer.latest}) which is already deployed; a new major.minor must be newer than every deployed one.`,
    { details: { routeKey, deployed: newer.latest } },
  );
}
