import { parseRouteKey } from '../../shared/versions/semantic-version.js';
import type { RouteKey } from '../../shared/versions/version-map.js';
import { defaultRouterId } from './router-identity.js';

/**
 * Names of what the router creates for a major.minor. They are derived, never stored first, so a
 * release that resumes after a crash finds the app it had started to create instead of making a
 * second one. Pure.
 */

/** The Function App of a major.minor, e.g. "dr-local-v1-2" (lower-case letters, digits, hyphens). */
export function appNameFor(routeKey: RouteKey, routerId: string = defaultRouterId): string {
  const [major, minor] = parseRouteKey(routeKey).split('.');
  return `dr-${routerId}-v${major}-${minor}`;
}

/** The app's own task hub, e.g. "localv1x2" (letters and digits only, as task hubs require). */
export function taskHubNameFor(routeKey: RouteKey, routerId: string = defaultRouterId): string {
  const [major, minor] = parseRouteKey(routeKey).split('.');
  return `${routerId}v${major}x${minor}`;
}

/** The control plane's own task hub (its tracking tables are its own, not the apps' shared ones). */
export function controlPlaneTaskHubFor(routerId: string = defaultRouterId): string {
  return `${routerId}control`;
}
