import { createAdminClient, type GlobalOptions } from '../global-options.js';
import { renderVersionTable, type VersionListing } from '../output/version-table.js';

/** What the front door's probes found of a version's app (GET /admin/versions, `app.health`). */
interface AppHealthView {
  readonly status: 'unknown' | 'up' | 'down';
  readonly downSince: string | null;
  readonly reason: string | null;
}

interface VersionWithHealth {
  readonly routeKey: string;
  readonly state?: string;
  readonly strategy?: string | null;
  readonly drainedAt?: string | null;
  readonly app: { readonly name: string; readonly health?: AppHealthView | null; readonly trackingStore?: string | null };
  readonly entities?: readonly string[] | null;
}

export async function runVersionsCommand(options: GlobalOptions): Promise<void> {
  const client = await createAdminClient(options);
  const listing = await client.get<VersionListing>('/admin/versions');
  process.stdout.write(options.output === 'json' ? `${JSON.stringify(listing, null, 2)}\n` : renderVersionTable(listing) + describeOwnTrackingStores(listing.versions) + describeDrainedBranches(listing.versions) + describeDownApps(listing.versions));
}

/** One line per app the front door finds down, under the table. */
export function describeDownApps(versions: readonly VersionWithHealth[]): string {
  const lines = versions.flatMap((version) => {
    const health = version.app.health;
    if (health?.status !== 'down') return [];
    return [`! the app of ${version.routeKey} (${version.app.name}) is down since ${health.downSince ?? '?'}: ${health.reason ?? 'no answer'}`];
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** One line per version that keeps its instances in a tracking store of its own (its entities share a name with another version's). */
export function describeOwnTrackingStores(versions: readonly VersionWithHealth[]): string {
  const lines = versions.flatMap((version) => {
    const store = version.app.trackingStore;
    if (store === undefined || store === null) return [];
    return [`  ${version.routeKey} keeps its instances in its own tracking store ${store} (entities: ${(version.entities ?? []).join(', ') || 'none'})`];
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * Orchestration versioning keeps every version's code branch in one app: once a version has
 * drained, no instance runs its branch any more and the next release may leave it out.
 */
export function describeDrainedBranches(versions: readonly VersionWithHealth[]): string {
  const lines = versions.flatMap((version) => {
    if (version.strategy !== 'orchestration-versioning' || (version.state !== 'drained' && version.state !== 'decommissioned') || !version.drainedAt) return [];
    return [`  ${version.routeKey} drained at ${version.drainedAt}: no instance runs its branch any more; its code branch (context.df.version ${version.routeKey}.x) can be deleted from ${version.app.name}`];
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
