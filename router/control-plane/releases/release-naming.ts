/** Instance ids of the control plane's orchestrations. Pure (ids take their randomness as input). */
import type { RouteKey } from '../../../shared/versions/version-map.js';

/** A release's id, which is also its orchestration's instance id, e.g. "release-1.2.0-3f9c2a1b". */
export function releaseIdFor(version: string, random: string): string {
  return `release-${version}-${random.replace(/[^0-9a-f]/gi, '').slice(0, 8).toLowerCase()}`;
}

/** One drain monitor per major.minor at most: its instance id is derived from the route key. */
export function drainMonitorIdFor(routeKey: RouteKey): string {
  return `drain-monitor-${routeKey}`;
}

/** An operator action's orchestration, e.g. "decommission-1.0-3f9c2a1b". */
export function operationIdFor(action: 'current' | 'drain' | 'decommission', routeKey: RouteKey, random: string): string {
  return `${action}-${routeKey}-${random.replace(/[^0-9a-f]/gi, '').slice(0, 8).toLowerCase()}`;
}
