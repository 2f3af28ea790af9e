/**
 * What a release claims so that no other release changes the same thing at once: its major.minor
 * always; with orchestration versioning also the lineage, since every such release deploys onto
 * (or starts) the one app of the lineage, whichever major.minor it is. Pure.
 */
import { orchestrationVersioning } from '../../../shared/versions/orchestration-versioning.js';
import type { ReleaseStrategy } from '../../../shared/versions/release-strategy.js';
import type { RouteKey } from '../../../shared/versions/version-map.js';

/** The claim row of the orchestration-versioning lineage (never a major.minor). */
export const lineageClaimKey = 'orchestration-versioning';

export function claimKeysOf(routeKey: RouteKey, strategy: ReleaseStrategy | undefined): readonly string[] {
  return strategy === orchestrationVersioning ? [routeKey, lineageClaimKey] : [routeKey];
}

/** How a claim is named to a person: a major.minor, or the lineage. */
export function describeClaimKey(key: string): string {
  return key === lineageClaimKey ? 'the orchestration-versioning lineage' : key;
}
