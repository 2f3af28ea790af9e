import { findEntry } from '../../../shared/versions/version-map-operations.js';
import type { RouteKey } from '../../../shared/versions/version-map.js';
import type { ControlPlaneRuntime } from '../runtime/control-plane-runtime.js';

/** Removes a release's kept package unless its major.minor's app last ran it healthy (a re-release of the same content). */
export async function discardPackageUnlessHealthy(runtime: ControlPlaneRuntime, routeKey: RouteKey, sha256: string): Promise<void> {
  const entry = findEntry((await runtime.store.read()).map, routeKey);
  const healthy = entry === undefined ? undefined : (await runtime.appRecords.get(entry.app.name)).healthyPackage;
  if (healthy !== sha256) await runtime.packages.remove(sha256);
}
