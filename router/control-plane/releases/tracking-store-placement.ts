/**
 * Which tracking store a release's app keeps its instances in. Durable entity ids are the same in
 * every app (`@name@key`), so two apps that register one entity name and share the tracking store
 * write one Instances row and one History partition: the last writer wins and the histories
 * interleave. So a breaking release whose app registers an entity that an app of the shared store
 * registers, or registered (a decommissioned app's entity rows stay), gets a store of its own,
 * which the router reads beside the shared one. A patch cannot move its app's instances: it is
 * refused instead. Entries whose entities were never recorded count as overlapping. Pure.
 */
import { RouterError } from '../../../shared/errors/router-error.js';
import { trackingStorePrefixPattern } from '../../../shared/tracking-store/tracking-store-schema.js';
import { parseRouteKey } from '../../../shared/versions/semantic-version.js';
import type { RouteKey, VersionMap } from '../../../shared/versions/version-map.js';

export interface EntityOverlap {
  readonly routeKey: RouteKey;
  /** The entity names both register; empty when that version's entities are not known. */
  readonly entities: readonly string[];
}

export interface TrackingStorePlacement {
  /** The app's own tracking store prefix; undefined: the shared store. */
  readonly trackingStore: string | undefined;
  readonly overlaps: readonly EntityOverlap[];
}

export function placeTrackingStore(
  map: VersionMap,
  release: { readonly routeKey: RouteKey; readonly kind: 'breaking' | 'patch'; readonly entities: readonly string[]; readonly appName?: string },
  sharedPrefix: string,
): TrackingStorePlacement {
  const own = map.versions.find((entry) => entry.routeKey === release.routeKey);
  if (own?.app.trackingStore !== undefined) return { trackingStore: own.app.trackingStore, overlaps: [] };
  const overlaps = release.entities.length === 0 ? [] : map.versions.flatMap((entry): EntityOverlap[] => {
    // Versions on the same app (orchestration versioning) share its entities on purpose: one app, one state.
    if (entry.routeKey === release.routeKey || entry.state === 'failed' || entry.app.trackingStore !== undefined || entry.app.name === release.appName) return [];
    if (entry.entities === undefined) return [{ routeKey: entry.routeKey, entities: [] }];
    const shared = release.entities.filter((name) => entry.entities?.includes(name));
    return shared.length === 0 ? [] : [{ routeKey: entry.routeKey, entities: shared }];
  });
  if (overlaps.length === 0) return { trackingStore: undefined, overlaps };
  if (release.kind === 'patch') throw entityConflict(release.routeKey, overlaps);
  return { trackingStore: isolatedTrackingStoreFor(sharedPrefix, release.routeKey), overlaps };
}

/** `<shared prefix>V<major>x<minor>`, the shared part shortened to keep within the extension's 50 characters. */
export function isolatedTrackingStoreFor(sharedPrefix: string, routeKey: RouteKey): string {
  const [major, minor] = parseRouteKey(routeKey).split('.');
  const suffix = `V${major}x${minor}`;
  const prefix = `${sharedPrefix.slice(0, 50 - suffix.length)}${suffix}`;
  if (!trackingStorePrefixPattern.test(prefix)) throw new RouterError('INTERNAL', `"${prefix}" is not a tracking store prefix.`);
  return prefix;
}

export function describeOverlaps(overlaps: readonly EntityOverlap[]): string {
  return overlaps
    .map((overlap) => (overlap.entities.length === 0 ? `${overlap.routeKey} (its entities were not recorded)` : `${overlap.routeKey} (${overlap.entities.join(', ')})`))
    .join('; ');
}

function entityConflict(routeKey: RouteKey, overlaps: readonly EntityOverlap[]): RouterError {
  return new RouterError(
    'ENTITY_NAME_CONFLICT',
    `This patch of ${routeKey} registers durable entities that other versions sharing its tracking store register too: ${describeOverlaps(overlaps)}. `
      + 'Their state would mix in one table row. Release it as a new major.minor (it then gets a tracking store of its own), or rename the entity.',
    { details: { routeKey, overlaps: overlaps.map((overlap) => ({ routeKey: overlap.routeKey, entities: [...overlap.entities] })) } },
  );
}
