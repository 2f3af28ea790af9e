import semver from 'semver';
import { RouterError } from '../../shared/errors/router-error.js';
import type { Route, RoutingTable } from './routing-table.js';

/**
 * Routing decisions: which app serves a request, or which error answers it. Pure: the proxy
 * supplies the compiled table, the `x-app-version` header and, for instance routes, the owner
 * read from the shared tracking store.
 */

/** What the proxy learned about an instance from the tracking store: the task hub that owns it. */
export interface InstanceOwner {
  readonly taskHub: string;
}

const majorMinorPattern = /^(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
/** semver.parse also accepts a "v" or "=" prefix and surrounding spaces, which a header must not carry. */
const semverCharacters = /^\d[0-9A-Za-z.+-]*$/;

/** True for "1.2" and for a strict semantic version such as "1.2.3" or "1.2.3-rc.1" (no "v" prefix, no spaces). */
export function isRequestableVersion(value: string): boolean {
  if (majorMinorPattern.test(value)) return true;
  return semverCharacters.test(value) && semver.parse(value)?.raw === value;
}

/**
 * The app for a request that is not about an existing instance. `requested` is the
 * `x-app-version` header (undefined when absent). Draining (and drained) versions are refused
 * unless `allowDraining` (instance routes whose instance is unknown to the tracking store).
 */
export function resolveVersion<T>(
  table: RoutingTable<T>, requested: string | undefined, allowDraining: boolean,
): Route<T> | RouterError {
  if (requested === undefined) return currentRoute(table);
  const route = table.byVersion.get(requested);
  if (route === undefined) {
    if (!isRequestableVersion(requested)) {
      return new RouterError('INVALID_VERSION',
        `x-app-version "${printable(requested)}" is not a version: send a full version ("1.2.3") or a major.minor ("1.2"), or omit it for the current version.`,
        { details: { requested: printable(requested) } });
    }
    return versionNotFound(table, requested, 'is not deployed');
  }
  switch (route.entry.state) {
    case 'active':
      return route;
    case 'draining':
    case 'drained':
      return allowDraining ? route : draining(table, requested, route);
    case 'decommissioned':
      return new RouterError('VERSION_DECOMMISSIONED',
        `Version ${route.entry.routeKey} has been decommissioned${sharesLiveApp(table, route) ? ' (its app serves newer versions, which run its instances\' calls)' : ' and its app deleted'}; ${currentAdvice(table)}.`,
        { details: { requested, routeKey: route.entry.routeKey, current: table.current?.entry.latest ?? null } });
    case 'provisioning':
    case 'failed':
      return versionNotFound(table, requested, `is ${route.entry.state === 'failed' ? 'a failed release' : 'still being provisioned'} and serves no requests`);
  }
}

/**
 * The app for a call about one instance (status, raise event, terminate, suspend, resume,
 * rewind, purge): its owner whatever the header says. An instance the tracking store does not
 * know goes by the header (its app answers 404). An instance whose app was decommissioned can
 * still be read: the current app answers from the shared tracking store; anything else is refused.
 */
export function resolveInstanceRoute<T>(
  table: RoutingTable<T>, instanceId: string, owner: InstanceOwner | undefined, requested: string | undefined, readOnly: boolean,
): Route<T> | RouterError {
  if (owner === undefined) return resolveVersion(table, requested, true);
  const route = table.byTaskHub.get(owner.taskHub);
  if (route !== undefined && route.entry.state !== 'decommissioned') return route;
  if (readOnly) return resolveVersion(table, undefined, true);
  if (route !== undefined) {
    return new RouterError('VERSION_DECOMMISSIONED',
      `Instance "${printable(instanceId)}" belongs to version ${route.entry.routeKey}, which has been decommissioned: it can only be read now.`,
      { details: { instanceId, routeKey: route.entry.routeKey } });
  }
  return new RouterError('VERSION_NOT_FOUND',
    `Instance "${printable(instanceId)}" belongs to task hub "${owner.taskHub}", which no registered version serves: it can only be read.`,
    { details: { instanceId, taskHub: owner.taskHub, knownVersions: table.knownVersions } });
}

/**
 * A start with a client-chosen instance id may only go to the app that already owns that id (or
 * to any app when the id is new): two apps writing one Instances row would corrupt it.
 */
export function checkStartOwnership<T>(
  table: RoutingTable<T>, route: Route<T>, instanceId: string, owner: InstanceOwner | undefined,
): RouterError | undefined {
  if (owner === undefined || owner.taskHub === route.entry.app.taskHub) return undefined;
  const ownerRoute = table.byTaskHub.get(owner.taskHub);
  const ownerName = ownerRoute === undefined ? `task hub "${owner.taskHub}"` : `version ${ownerRoute.entry.routeKey}`;
  return new RouterError('INSTANCE_ID_CONFLICT',
    `Instance id "${printable(instanceId)}" is already used by ${ownerName}; starting it on version ${route.entry.routeKey} would corrupt its record. Choose another instance id.`,
    { details: { instanceId, routeKey: route.entry.routeKey, ownerRouteKey: ownerRoute?.entry.routeKey ?? null, ownerTaskHub: owner.taskHub } });
}

function sharesLiveApp<T>(table: RoutingTable<T>, route: Route<T>): boolean {
  const owner = table.byTaskHub.get(route.entry.app.taskHub);
  return owner !== undefined && owner.entry.state !== 'decommissioned' && owner.entry.routeKey !== route.entry.routeKey;
}

function currentRoute<T>(table: RoutingTable<T>): Route<T> | RouterError {
  const current = table.current;
  if (current === undefined || current.entry.state === 'decommissioned') {
    return new RouterError('NO_CURRENT_VERSION',
      table.map.current === null
        ? 'No version is current yet: release one first, or send x-app-version to name a deployed version.'
        : `The current version ${table.map.current} cannot serve requests: make another version current.`);
  }
  return current;
}

function draining<T>(table: RoutingTable<T>, requested: string, route: Route<T>): RouterError {
  return new RouterError('VERSION_DRAINING',
    `Version ${route.entry.routeKey} is ${route.entry.state} and takes no new work; ${currentAdvice(table)}. Calls about its existing instances are still served.`,
    { details: { requested, routeKey: route.entry.routeKey, state: route.entry.state, current: table.current?.entry.latest ?? null } });
}

function versionNotFound<T>(table: RoutingTable<T>, requested: string, reason: string): RouterError {
  const known = table.knownVersions.length === 0 ? 'none' : table.knownVersions.join(', ');
  return new RouterError('VERSION_NOT_FOUND', `Version ${requested} ${reason}. Known versions: ${known}.`,
    { details: { requested, knownVersions: table.knownVersions } });
}

function currentAdvice<T>(table: RoutingTable<T>): string {
  const current = table.current;
  return current === undefined
    ? 'no version is current'
    : `the current version is ${current.entry.latest} (send x-app-version: ${current.entry.routeKey}, or no header)`;
}

/** Header values are echoed in errors: keep them short and free of control characters. */
function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean;
}
