import { parseRouteKey } from '../../shared/versions/semantic-version.js';
import type { RouteKey } from '../../shared/versions/version-map.js';
import { defaultRouterId } from './router-identity.js';

/**
 * Names of what the router creates for a major.minor. They are derived, never stored first, so a
 * release that resumes after a crash finds the app it had started to create instead of making a
 * second one. Pure.
 */

/**
 * Kept short so that a name with the longest version suffix stays within 32 characters: apps that
 * share a storage account take the first 32 characters of their name as their host id, and two
 * alike stop each other's host (AZFD0004).
 */
export const maxAppNamePrefixLength = 20;
export const appNamePrefixPattern = new RegExp(`^[a-z0-9](?:[a-z0-9-]{0,${maxAppNamePrefixLength - 2}}[a-z0-9])$`);

export function defaultAppNamePrefix(routerId: string = defaultRouterId): string {
  return `dr-${routerId}`;
}

/** The Function App of a major.minor, e.g. "dr-local-v1-2" (lower-case letters, digits, hyphens). */
export function appNameFor(routeKey: RouteKey, prefix: string = defaultAppNamePrefix()): string {
  const [major, minor] = parseRouteKey(routeKey).split('.');
  return `${prefix}-v${major}-${minor}`;
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
