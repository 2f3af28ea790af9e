/**
 * `GET /admin/instances`: the orchestration instances of every version, answered by the front door
 * itself from the shared tracking store (all apps write their Instances rows into one table), so it
 * works for versions whose app is gone and never asks an app or the control plane.
 */
import type { FastifyInstance } from 'fastify';
import { RouterError } from '../../shared/errors/router-error.js';
import type { InstancePage, InstanceQuery } from '../../shared/tracking-store/instance-query.js';
import { parseVersionSelector } from '../../shared/versions/semantic-version.js';
import type { VersionMap } from '../../shared/versions/version-map.js';
import type { AdminGate } from '../front-door/admin-gate.js';
import { describeInstance, parseInstancesQuery, type DescribedInstance } from './instances-query.js';

/** Port: the tracking store as this route reads it (TrackingStoreReader is one). */
export interface InstanceQuerySource {
  queryInstances(query: InstanceQuery): Promise<InstancePage>;
}

export interface InstancesRouteOptions {
  /** The admin key check (with its rate limit and audit log). */
  readonly adminGate: AdminGate;
  /** The map the front door routes by; undefined until the first load. */
  readonly versionMap: () => VersionMap | undefined;
  /** The front door's tracking store; the route answers when it can also be queried. */
  readonly trackingStore: object | undefined;
}

export interface InstancesAnswer {
  readonly instances: readonly DescribedInstance[];
  /** Pass it back as `continuationToken` for the next page; null on the last one. */
  readonly continuationToken: string | null;
}

export function registerInstancesRoute(app: FastifyInstance, options: InstancesRouteOptions): void {
  const source = isInstanceQuerySource(options.trackingStore) ? options.trackingStore : undefined;
  app.get('/admin/instances', {
    onRequest: options.adminGate.check,
  }, async (request): Promise<InstancesAnswer> => {
    const map = options.versionMap();
    if (map === undefined) throw new RouterError('STORE_UNAVAILABLE', 'The version map has not been loaded from the store yet; retry shortly.');
    if (source === undefined) throw new RouterError('STORE_UNAVAILABLE', 'This front door has no tracking store configured, so it cannot list instances.');
    const parameters = request.query as Record<string, unknown>;
    const query = parseInstancesQuery(parameters, map);
    const routeKey = typeof parameters['version'] === 'string' ? parseVersionSelector(parameters['version']).routeKey : undefined;
    const page = await source.queryInstances(query);
    const instances = page.instances.flatMap((instance) => describeInstance(instance, map, routeKey) ?? []);
    return { instances, continuationToken: page.continuationToken ?? null };
  });
}

function isInstanceQuerySource(value: object | undefined): value is InstanceQuerySource {
  return value !== undefined && typeof (value as Partial<InstanceQuerySource>).queryInstances === 'function';
}
