/** How many unfinished instances a version has: what drain monitors record and decommissioning warns about. */
import type { ActiveInstanceCounts } from '../../../shared/tracking-store/tracking-store-reader.js';
import type { TrackingStores } from '../../../shared/tracking-store/tracking-stores.js';
import { countsOfEntry } from '../../../shared/versions/orchestration-versioning.js';
import type { VersionEntry, VersionMap } from '../../../shared/versions/version-map.js';

/**
 * Counted in the version's task hub, by the version each instance records: on an app of its own
 * every instance of the hub is the version's, on an app several versions share (orchestration
 * versioning) only those whose `Version` is in its major.minor.
 */
export async function countUnfinished(tracking: Pick<TrackingStores, 'countActiveByVersion'>, map: VersionMap, entry: VersionEntry): Promise<ActiveInstanceCounts> {
  return countsOfEntry(map, entry.routeKey, await tracking.countActiveByVersion(entry.app.taskHub));
}
