import type { FastifyInstance } from 'fastify';
import { retryAfterSecondsOf } from '../../shared/errors/error-catalogue.js';
import { RouterError } from '../../shared/errors/router-error.js';
import { routerErrorOf } from '../../shared/http/parser-rejections.js';
import { lingerThenClose } from '../../shared/http/lingering-close.js';
import type { VersionEntry, VersionMap } from '../../shared/versions/version-map.js';
import type { AdminGate } from './admin-gate.js';
import type { AppHealth } from './app-health.js';
import { defaultReleaseStrategy } from '../../shared/versions/release-strategy.js';

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string };

export interface FrontDoorRouteDeps {
  readonly adminGate: AdminGate;
  /** The map the proxy routes by; undefined until the first load. */
  readonly versionMap: () => VersionMap | undefined;
  readonly readiness: () => Readiness;
  readonly appHealth: (entry: VersionEntry) => AppHealth;
}

/** The routes Fastify answers itself: health, readiness, the version map, JSON errors. */
export function registerFrontDoorRoutes(app: FastifyInstance, deps: FrontDoorRouteDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const readiness = deps.readiness();
    if (readiness.ready) return { status: 'ready' };
    return reply.code(503).send({ status: 'not-ready', reason: readiness.reason });
  });

  app.get('/admin/versions', { onRequest: deps.adminGate.check }, async () => {
    const map = deps.versionMap();
    if (map === undefined) throw new RouterError('STORE_UNAVAILABLE', 'The version map has not been loaded from the store yet; retry shortly.');
    return { current: map.current, versions: map.versions.map((entry) => describeVersion(entry, deps.appHealth(entry))) };
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    void reply.code(404).send(new RouterError('NOT_FOUND', `No route ${request.method} ${path}. Proxied paths start with /api/ or /runtime/webhooks/durabletask/.`).toJSON());
  });

  app.setErrorHandler((error, request, reply) => {
    const routerError = routerErrorOf(error);
    if (routerError.status >= 500) request.log.error({ err: error }, 'request failed');
    if (routerError.code === 'PAYLOAD_TOO_LARGE') {
      // Fastify closes at once; lingering lets a proxy still sending the body read the 413.
      void reply.removeHeader('connection');
      lingerThenClose(request.raw);
    }
    const retryAfter = retryAfterSecondsOf(routerError.code);
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    void reply.code(routerError.status).send(routerError.toJSON());
  });
}

function describeVersion(entry: VersionEntry, health: AppHealth): Record<string, unknown> {
  return {
    routeKey: entry.routeKey,
    state: entry.state,
    versions: entry.versions,
    latest: entry.latest,
    strategy: entry.strategy ?? defaultReleaseStrategy,
    app: {
      name: entry.app.name,
      url: entry.app.url,
      health: entry.state === 'decommissioned' ? null : { status: health.status, downSince: health.downSince ?? null, reason: health.reason ?? null },
      trackingStore: entry.app.trackingStore ?? null,
    },
    entities: entry.entities ?? null,
    createdAt: entry.createdAt,
    drainedAt: entry.drainedAt ?? null,
    decommissionedAt: entry.decommissionedAt ?? null,
    instances: entry.instances === undefined ? null : { running: entry.instances.running, pending: entry.instances.pending },
  };
}
