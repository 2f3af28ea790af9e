/**
 * `GET /admin/instances`: from the query string and the version map to a tracking-store query,
 * and from its rows to the answer, naming each instance's version. Pure.
 */
import { RouterError } from '../../shared/errors/router-error.js';
import type { InstanceQuery, InstanceRecord } from '../../shared/tracking-store/instance-query.js';
import { runtimeStatuses, type RuntimeStatus } from '../../shared/tracking-store/tracking-store-schema.js';
import { parseVersionSelector } from '../../shared/versions/semantic-version.js';
import { ownerEntryOf } from '../../shared/versions/orchestration-versioning.js';
import type { RouteKey, VersionEntry, VersionMap } from '../../shared/versions/version-map.js';

export const instancePageSize = Object.freeze({ default: 100, max: 1000 });

const parameters = ['version', 'status', 'name', 'createdFrom', 'createdTo', 'top', 'continuationToken'] as const;
type Parameter = (typeof parameters)[number];

export interface DescribedInstance {
  readonly instanceId: string;
  readonly name: string;
  /** The major.minor whose app owns it. */
  readonly routeKey: RouteKey;
  /**
   * The full version it started on: recorded by the app (the router sets each release's version as
   * its apps' durable `defaultVersion`), else the app's only version, else null (an app released
   * before versions were recorded that has run more than one patch).
   */
  readonly version: string | null;
  readonly runtimeStatus: RuntimeStatus;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
  readonly taskHub: string;
}

/**
 * Only the apps in the version map are asked about (every state, decommissioned included: their
 * finished instances stay in the shared store); the control plane's own orchestrations share the
 * table but are not the operator's instances.
 */
export function parseInstancesQuery(query: Readonly<Record<string, unknown>>, map: VersionMap): InstanceQuery {
  const unknown = Object.keys(query).filter((key) => !(parameters as readonly string[]).includes(key));
  if (unknown.length > 0) throw invalid(`Unknown query parameter${unknown.length === 1 ? '' : 's'} ${unknown.map((key) => `"${key}"`).join(', ')}; known: ${parameters.join(', ')}.`);
  const text = (name: Parameter): string | undefined => single(query, name);
  const version = text('version');
  const taskHubs = version === undefined ? map.versions.map((entry) => entry.app.taskHub) : [entryFor(map, version).app.taskHub];
  const status = text('status');
  const createdFrom = date(text('createdFrom'), 'createdFrom');
  const createdTo = date(text('createdTo'), 'createdTo');
  if (createdFrom !== undefined && createdTo !== undefined && createdFrom > createdTo) throw invalid('createdFrom is after createdTo: no instance can match.');
  const name = text('name');
  if (name === '') throw invalid('name is empty: give an orchestrator name, or leave it out.');
  return {
    taskHubs: [...new Set(taskHubs)],
    statuses: status === undefined ? undefined : parseStatuses(status),
    name,
    createdFrom,
    createdTo,
    top: pageSize(text('top')),
    continuationToken: text('continuationToken'),
  };
}

/**
 * The instance as the router names it; undefined when no entry owns it, or when `routeKey` is
 * given and another does (versions that share an app share its task hub: its `Version` tells).
 */
export function describeInstance(instance: InstanceRecord, map: VersionMap, routeKey?: RouteKey): DescribedInstance | undefined {
  const entry = ownerEntryOf(map, instance.taskHub, instance.version, instance.instanceId.startsWith('@'));
  if (entry === undefined || (routeKey !== undefined && entry.routeKey !== routeKey)) return undefined;
  return {
    instanceId: instance.instanceId,
    name: instance.name,
    routeKey: entry.routeKey,
    version: entry.versions.includes(instance.version) ? instance.version : entry.versions.length === 1 ? entry.latest : null,
    runtimeStatus: instance.runtimeStatus,
    createdTime: instance.createdTime.toISOString(),
    lastUpdatedTime: instance.lastUpdatedTime.toISOString(),
    taskHub: instance.taskHub,
  };
}

function entryFor(map: VersionMap, version: string): VersionEntry {
  const { routeKey } = parseVersionSelector(version);
  const entry = map.versions.find((candidate) => candidate.routeKey === routeKey);
  if (entry === undefined) {
    const known = map.versions.map((candidate) => candidate.routeKey);
    throw new RouterError('VERSION_NOT_FOUND', `No app has served version ${routeKey}; known versions: ${known.length === 0 ? 'none yet' : known.join(', ')}.`);
  }
  return entry;
}

function parseStatuses(value: string): RuntimeStatus[] {
  const statuses = value.split(',').map((part) => part.trim()).filter((part) => part !== '').map((part) => {
    const status = runtimeStatuses.find((candidate) => candidate.toLowerCase() === part.toLowerCase());
    if (status === undefined) throw invalid(`"${part.slice(0, 40)}" is not a runtime status; use any of ${runtimeStatuses.join(', ')} (comma-separated).`);
    return status;
  });
  if (statuses.length === 0) throw invalid(`status is empty; use any of ${runtimeStatuses.join(', ')} (comma-separated), or leave it out.`);
  return [...new Set(statuses)];
}

function date(value: string | undefined, name: Parameter): Date | undefined {
  if (value === undefined) return undefined;
  // ISO 8601 only: Date.parse accepts other forms whose time zone depends on the machine.
  const parsed = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) ? new Date(value) : undefined;
  if (parsed === undefined || Number.isNaN(parsed.getTime())) throw invalid(`${name} "${value.slice(0, 40)}" is not an ISO 8601 date or time such as 2026-05-01 or 2026-05-01T10:00:00Z.`);
  return parsed;
}

function pageSize(value: string | undefined): number {
  if (value === undefined) return instancePageSize.default;
  const top = /^\d{1,7}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(top) || top < 1 || top > instancePageSize.max) throw invalid(`top must be a whole number from 1 to ${instancePageSize.max}; got "${value.slice(0, 20)}".`);
  return top;
}

function single(query: Readonly<Record<string, unknown>>, name: Parameter): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`Give ${name} once.`);
  return value;
}

function invalid(message: string): RouterError {
  return new RouterError('INVALID_REQUEST', message);
}
